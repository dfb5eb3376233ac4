//! The native oracle over synthetic families: every generated record decodes,
//! and hiding fields never changes an answer that was already known (the
//! three-valued logic is monotone). Records outside the programme period are
//! evaluated too (asked for explicitly), so every family is compared.

use earlyhelp_benches::native::{evaluate_json_with, Outcome, Settings};

fn outcome(index: u64, missing: f64) -> Outcome {
    let json = earlyhelp_synth::family(7, index, missing).to_string();
    let settings = Settings {
        outside_period: true,
        ..Settings::default()
    };
    evaluate_json_with(&json, &settings).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

#[test]
fn hiding_fields_only_turns_answers_into_unknowns() {
    let mut eligible = [0usize; 3];
    for index in 1..=400 {
        let complete = outcome(index, 0.0);
        assert!(
            complete.eligible.is_some(),
            "F{index} undetermined with all data"
        );
        eligible[usize::from(complete.eligible == Some(true))] += 1;
        for missing in [0.1, 0.3, 0.6, 1.0] {
            let partial = outcome(index, missing);
            if let Some(known) = partial.eligible {
                assert_eq!(complete.eligible, Some(known), "F{index} at {missing}");
            } else {
                eligible[2] += 1;
            }
            assert!(
                partial.needs.iter().all(|n| complete.needs.contains(n)),
                "F{index} at {missing}: {:?} not within {:?}",
                partial.needs,
                complete.needs
            );
            assert!(partial
                .headlines
                .iter()
                .all(|h| complete.headlines.contains(h)));
        }
    }
    // The sample exercises every answer.
    assert!(eligible.iter().all(|&n| n > 0), "{eligible:?}");
}
