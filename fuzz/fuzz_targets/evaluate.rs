//! Arbitrary bytes as a record → every shipped policy, through both entry points (JSON text,
//! and parsed JSON), with and without explanations. Never panics: each result is a decision or
//! a `RecordError`, and never the error the API makes of a panic it caught.
#![no_main]

use earlyhelp::Options;
use libfuzzer_sys::fuzz_target;

mod shipped;
use shipped::policies;

fn check(result: Result<earlyhelp::Decision, earlyhelp::RecordError>) {
    match result {
        Ok(decision) => {
            let _ = decision.to_json();
            if let Some(explanation) = decision.explanation() {
                let _ = explanation.to_json();
                let _ = explanation.to_text();
                let _ = explanation.to_trace();
            }
        }
        Err(e) => {
            assert_ne!(
                e.message, "internal error while evaluating this record",
                "a panic was caught inside the engine"
            );
            assert!(!e.message.is_empty(), "a record error says what is wrong");
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let policies = policies();
    let text = std::str::from_utf8(data).ok();
    let json = serde_json::from_slice::<serde_json::Value>(data).ok();
    for policy in policies {
        for explain in [false, true] {
            let options = Options::default().explain(explain);
            if let Some(text) = text {
                check(policy.evaluate_json(text, &options));
            }
            if let Some(json) = &json {
                check(policy.evaluate_with(json, &options));
            }
        }
    }
});
