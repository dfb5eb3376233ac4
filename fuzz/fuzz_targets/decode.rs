//! The one-pass decoder of JSON text against serde's (issue 20): arbitrary bytes as a record,
//! evaluated by every shipped policy as production does it (one-pass decoder, compiled first
//! tier) and as the reference does (serde's decoder, reference evaluator). The two must give the
//! same decision byte for byte, or the same record error: the one-pass decoder answers only
//! what it reads exactly as serde does, and leaves the rest (escapes, errors, odd numbers) to it.
#![no_main]

use earlyhelp::Options;
use libfuzzer_sys::fuzz_target;

mod shipped;
use shipped::policies;

fn shown(r: Result<earlyhelp::Decision, earlyhelp::RecordError>) -> String {
    match r {
        Ok(d) => d.to_json().to_string(),
        Err(e) => format!("error at {:?}: {}", e.path, e.message),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for policy in policies() {
        let options = Options::default().outside_in_force(true);
        let mut reference = options.clone();
        reference.reference_only = true;
        assert_eq!(
            shown(policy.evaluate_json(text, &options)),
            shown(policy.evaluate_json(text, &reference)),
            "{text}"
        );
    }
});
