//! Arbitrary text → the whole loading pipeline (parse, check, lower). Never panics: a policy
//! loads, or fails with diagnostics that render. A policy that loads is then run once over an
//! empty record, which must not panic either (the checker's invariant: a checked program cannot
//! fail at run time because of its text).
#![no_main]

use earlyhelp::{Options, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Policy::from_source("fuzz.policy", &text) {
        Ok(policy) => {
            let _ = policy.decisions();
            for d in policy.warnings() {
                let _ = d.to_string();
            }
            for explain in [false, true] {
                let options = Options::default().explain(explain);
                if let Err(e) = policy.evaluate_json("{}", &options) {
                    assert!(
                        !e.message.contains("internal error"),
                        "a panic was caught while evaluating: {e}"
                    );
                }
            }
        }
        Err(e) => {
            let rendered = e.to_string();
            assert!(
                !rendered.contains("internal error"),
                "a panic was caught while loading: {rendered}"
            );
            assert!(!e.diagnostics.is_empty(), "a failed load says why");
        }
    }
});
