//! Differential test: the shipped Supporting Families policy, run by the engine, and the
//! hand-written native implementation give the same decisions on synthetic families — complete
//! ones and ones with much unknown data — and refuse the same records (outside the programme
//! period). `policies_agree_with_oracles.rs` does the same with readable reports of each
//! disagreement; this one also covers 60% unknown.

use earlyhelp::Policy;
use earlyhelp_benches::native;
use serde_json::Value;

fn policy() -> Policy {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../policies/supporting-families/supporting-families.policy");
    Policy::from_file(path).expect("the shipped policy loads")
}

#[test]
fn engine_and_native_agree_on_synthetic_families() {
    let policy = policy();
    let mut compared = 0;
    let mut disagreements = Vec::new();
    for (seed, missing) in [(1, 0.0), (2, 0.08), (3, 0.3), (4, 0.6)] {
        for index in 1..=1500 {
            let family = earlyhelp_synth::family(seed, index, missing);
            let text = family.to_string();
            compared += 1;
            let (ours, theirs) = match (policy.evaluate(&family), native::evaluate_json(&text)) {
                (Ok(ours), Ok(theirs)) => (ours, theirs),
                (Err(_), Err(_)) => continue,
                (ours, theirs) => {
                    disagreements.push(format!(
                        "seed {seed} family {index} (missing {missing}): engine {:?}, native {:?}",
                        ours.map(|d| d.outputs().clone()),
                        theirs
                    ));
                    continue;
                }
            };
            let eligible = ours.output("eligible").and_then(Value::as_bool);
            let list = |name: &str| -> Vec<String> {
                ours.output(name)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (headlines, needs) = (list("headlines"), list("needs"));
            if eligible != theirs.eligible || headlines != theirs.headlines || needs != theirs.needs
            {
                disagreements.push(format!(
                    "seed {seed} family {index} (missing {missing}): engine {eligible:?} {headlines:?} {needs:?}, native {:?} {:?} {:?}",
                    theirs.eligible, theirs.headlines, theirs.needs
                ));
            }
        }
    }
    assert_eq!(compared, 6000);
    assert!(
        disagreements.is_empty(),
        "{} of {compared} differ:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
