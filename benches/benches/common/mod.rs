//! What both bench targets share: the shipped policies, the synthetic data, and the check that
//! the engine, the native implementation and the rhai script agree before anything is timed.

// Each bench target uses part of this module.
#![allow(dead_code)]

use std::path::PathBuf;

use earlyhelp::{Decision, Options, Policy};
use earlyhelp_benches::native;
use earlyhelp_benches::rhai_yardstick::Yardstick;
use serde_json::Value;

/// The shipped policies: a short name for the benchmark ids, and the path from the workspace root.
pub const POLICIES: [(&str, &str); 4] = [
    (
        "supporting-families",
        "policies/supporting-families/supporting-families.policy",
    ),
    (
        "continuum-of-need",
        "policies/continuum-of-need/continuum-of-need.policy",
    ),
    (
        "early-education-two-year-olds",
        "policies/early-education-two-year-olds/early-education-two-year-olds.policy",
    ),
    (
        "area-deprivation",
        "policies/area-deprivation/area-deprivation.policy",
    ),
];

/// The synthetic data: the generator's defaults (seed 1, 8% of optional fields unknown).
pub const SEED: u64 = 1;
pub const MISSING: f64 = 0.08;

/// How many families the engine, native and rhai must agree on before timing.
pub const AGREEMENT_SAMPLE: usize = 2_000;

pub fn path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

pub fn load(relative: &str) -> Policy {
    Policy::from_file(path(relative)).unwrap_or_else(|e| panic!("{relative} does not load: {e:?}"))
}

/// `families` synthetic families as JSON Lines text, as `earlyhelp-synth` writes them.
pub fn jsonl(families: u64) -> String {
    let options = earlyhelp_synth::Options {
        families,
        seed: SEED,
        missing: MISSING,
    };
    let mut out = Vec::new();
    earlyhelp_synth::write_jsonl(&options, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("the generator writes UTF-8")
}

/// The evaluation options a case system uses: the policy's own as-at date (the family's
/// assessment date), with or without an explanation.
pub fn options(explain: bool) -> Options {
    Options::default().explain(explain)
}

/// The engine's Supporting Families outputs in the native implementation's terms.
fn engine_outcome(d: &Decision) -> (Option<bool>, Vec<&str>, Vec<&str>) {
    let list = |name: &str| -> Vec<&str> {
        d.output(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    (
        d.output("eligible").and_then(Value::as_bool),
        list("headlines"),
        list("needs"),
    )
}

/// Panics unless the engine (Supporting Families policy), the native implementation and — when
/// given — the rhai script give the same decisions for every line, so that no benchmark of
/// wrong code can pass.
pub fn assert_supporting_families_agree<'a>(
    policy: &Policy,
    rhai: Option<&Yardstick>,
    lines: impl IntoIterator<Item = &'a str>,
) {
    let mut compared = 0;
    for line in lines {
        // A record outside the programme period must be refused by both (and the script).
        let (native, decision) = match (
            native::evaluate_json(line),
            policy.evaluate_json(line, &options(false)),
        ) {
            (Ok(native), Ok(decision)) => (native, decision),
            (Err(_), Err(_)) => {
                if let Some(rhai) = rhai {
                    assert!(rhai.evaluate_json(line).is_err(), "rhai evaluates {line}");
                }
                compared += 1;
                continue;
            }
            (native, engine) => panic!(
                "native {native:?}, engine {:?}",
                engine.map(|d| d.id().map(String::from))
            ),
        };
        let (eligible, headlines, needs) = engine_outcome(&decision);
        assert!(
            eligible == native.eligible && headlines == native.headlines && needs == native.needs,
            "engine and native disagree on {}: engine {eligible:?} {headlines:?} {needs:?}, \
             native {native:?}",
            decision.id().unwrap_or("?")
        );
        if let Some(rhai) = rhai {
            let ours = rhai
                .evaluate_json(line)
                .unwrap_or_else(|e| panic!("rhai: {e}"));
            assert!(
                ours.agrees_with(&native),
                "rhai and native disagree on {}: rhai {ours:?}, native {native:?}",
                decision.id().unwrap_or("?")
            );
        }
        compared += 1;
    }
    assert!(compared > 0, "no families to compare");
    eprintln!(
        "engine, native{} agree on {compared} families",
        if rhai.is_some() { " and rhai" } else { "" }
    );
}

/// Panics unless the policy evaluates every line without a record error (the policies other than
/// Supporting Families have no independent oracle; this at least rules out timing error paths).
pub fn assert_evaluates<'a>(policy: &Policy, lines: impl IntoIterator<Item = &'a str>) {
    for line in lines {
        if let Err(e) = policy.evaluate_json(line, &options(false)) {
            panic!("{} cannot evaluate {:?}: {e}", policy.name(), e.id);
        }
    }
}
