//! The compiled first tier against the reference evaluator (issue 20): a synthetic family picked
//! by the first bytes, its fields then overwritten by the rest (unknown, absent, edge values),
//! evaluated by every shipped policy with both; the decisions must be identical byte for byte,
//! or the record errors the same.
#![no_main]

use earlyhelp::Options;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

mod shipped;
use shipped::policies;

/// The replacement values a byte picks from: unknowns and the edges the rules test.
fn palette(b: u8) -> Option<Value> {
    Some(match b % 16 {
        0 => return None,
        1 => Value::Null,
        2 => json!(true),
        3 => json!(false),
        4 => json!(0),
        5 => json!(90),
        6 => json!("90.01"),
        7 => json!("2024-02-29"),
        8 => json!("2023-04-01"),
        9 => json!("2019-09-01"),
        10 => json!([]),
        11 => json!("neet"),
        12 => json!("in_education"),
        13 => json!("alcohol"),
        14 => json!(["2024-01-15"]),
        _ => json!(3),
    })
}

/// Overwrites the `n`-th leaf (in document order) of `v`; `None` removes it.
fn overwrite(v: &mut Value, n: &mut usize, with: &Option<Value>) -> bool {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let leaf = map.get(&k).is_some_and(|x| !x.is_object() && !x.is_array());
                if leaf {
                    if *n == 0 {
                        match with {
                            Some(x) => _ = map.insert(k, x.clone()),
                            None => _ = map.remove(&k),
                        }
                        return true;
                    }
                    *n -= 1;
                } else if let Some(child) = map.get_mut(&k) {
                    if overwrite(child, n, with) {
                        return true;
                    }
                }
            }
            false
        }
        Value::Array(items) => items.iter_mut().any(|x| overwrite(x, n, with)),
        _ => false,
    }
}

fn shown(r: Result<earlyhelp::Decision, earlyhelp::RecordError>) -> String {
    match r {
        Ok(d) => d.to_json().to_string(),
        Err(e) => format!("error at {:?}: {}", e.path, e.message),
    }
}

fuzz_target!(|data: &[u8]| {
    let [a, b, c, rest @ ..] = data else { return };
    let index = u64::from(u16::from_le_bytes([*a, *b])) + 1;
    let missing = f64::from(*c) / 255.0;
    let mut family = earlyhelp_synth::family(7, index, missing);
    for pair in rest.chunks(2) {
        let [at, what] = pair else { break };
        let mut n = usize::from(*at);
        overwrite(&mut family, &mut n, &palette(*what));
    }
    let text = family.to_string();
    for policy in policies() {
        for internal in [false, true] {
            let options = Options::default().internal(internal).outside_in_force(true);
            let mut reference = options.clone();
            reference.reference_only = true;
            let want = shown(policy.evaluate_json(&text, &reference));
            assert_eq!(shown(policy.evaluate_json(&text, &options)), want, "{text}");
            assert_eq!(
                shown(policy.evaluate_with(&family, &options)),
                want,
                "{text}"
            );
        }
    }
});
