//! Regression tests for what the fuzzers found (`fuzz/`, see docs/robustness.md).
//!
//! Each finding is kept as the fuzzer's minimised input under
//! `tests/fuzz-regressions/TARGET/NAME`, where TARGET is the fuzz target that found it (`parse`,
//! `check`, `format_roundtrip` or `evaluate`). The tests below run every file through the same
//! path as its fuzz target and with the same assertions: no panic (the engine's public API turns a
//! panic into an "internal error" diagnostic or record error, so those count as panics too), and a
//! sensible result. Every failing file is reported before a test fails.
//!
//! To keep a new finding: copy the minimised input (`cargo fuzz tmin`) into the folder of its
//! target, with a name that says what it is; the tests pick it up.

use earlyhelp::{Decision, Options, Policy, RecordError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn findings(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fuzz-regressions")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .map(|p| {
                let name = format!("{target}/{}", p.file_name().unwrap().to_string_lossy());
                (name, std::fs::read(&p).expect("readable fixture"))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Runs `check` on every finding of `target`, catching panics, and fails listing every failure.
fn run_all(target: &str, check: impl Fn(&[u8]) -> Result<(), String>) {
    let mut failures = Vec::new();
    for (name, bytes) in findings(target) {
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&bytes)))
            .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_message(&*panic))));
        if let Err(why) = outcome {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fuzz finding(s) of `{target}` fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// `fuzz/fuzz_targets/parse.rs`: any bytes parse to a module (which prints) or to a syntax
/// error whose span lies inside the text.
fn parse(bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    match earlyhelp_grammar::parse(&text) {
        Ok(module) => {
            let _ = earlyhelp_grammar::print(&module);
            Ok(())
        }
        Err(e) if e.span.start > e.span.end || e.span.end > text.len() => Err(format!(
            "syntax error span {:?} outside the text of {} bytes",
            e.span,
            text.len()
        )),
        Err(e) if e.message.is_empty() => Err("a syntax error with no message".into()),
        Err(_) => Ok(()),
    }
}

/// `fuzz/fuzz_targets/check.rs`: any text loads or fails with diagnostics, and a policy that
/// loads evaluates an empty record without a panic.
fn check(bytes: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(bytes);
    match Policy::from_source("fuzz.policy", &text) {
        Ok(policy) => {
            let _ = policy.decisions();
            for explain in [false, true] {
                let options = Options::default().explain(explain);
                if let Err(e) = policy.evaluate_json("{}", &options) {
                    if e.message.contains("internal error") {
                        return Err(format!("evaluating {{}} (explain: {explain}): {e}"));
                    }
                }
            }
            Ok(())
        }
        Err(e) => {
            let rendered = e.to_string();
            if rendered.contains("internal error") {
                Err(format!("loading: {rendered}"))
            } else if e.diagnostics.is_empty() {
                Err("the load failed with no diagnostic".into())
            } else {
                Ok(())
            }
        }
    }
}

/// `fuzz/fuzz_targets/format_roundtrip.rs`: text that parses prints to text that parses to the
/// same tree with the same comments, and printing again changes nothing.
fn format_roundtrip(bytes: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(());
    };
    match earlyhelp_grammar::format(text) {
        Err(e @ earlyhelp_grammar::FormatError::Unstable(_)) => Err(e.to_string()),
        _ => Ok(()),
    }
}

fn shipped_policies() -> &'static [(&'static str, Policy)] {
    static LOADED: OnceLock<Vec<(&'static str, Policy)>> = OnceLock::new();
    LOADED.get_or_init(|| {
        let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
        [
            "supporting-families/supporting-families.policy",
            "continuum-of-need/continuum-of-need.policy",
            "early-education-two-year-olds/early-education-two-year-olds.policy",
        ]
        .into_iter()
        .map(|p| {
            let policy =
                Policy::from_file(root.join(p)).unwrap_or_else(|e| panic!("{p} loads: {e}"));
            (p, policy)
        })
        .collect()
    })
}

fn sensible(result: Result<Decision, RecordError>) -> Result<(), String> {
    match result {
        Ok(decision) => {
            let _ = decision.to_json();
            if let Some(explanation) = decision.explanation() {
                let _ = explanation.to_json();
                let _ = explanation.to_text();
                let _ = explanation.to_trace();
            }
            Ok(())
        }
        Err(e) if e.message == "internal error while evaluating this record" => {
            Err(format!("a panic was caught inside the engine: {e}"))
        }
        Err(e) if e.message.is_empty() => Err("a record error with no message".into()),
        Err(_) => Ok(()),
    }
}

/// `fuzz/fuzz_targets/evaluate.rs`: any bytes as a record, through both entry points, against
/// every shipped policy, with and without explanations: a decision or a record error.
fn evaluate(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).ok();
    let json = serde_json::from_slice::<serde_json::Value>(bytes).ok();
    for (name, policy) in shipped_policies() {
        for explain in [false, true] {
            let options = Options::default().explain(explain);
            if let Some(text) = text {
                sensible(policy.evaluate_json(text, &options))
                    .map_err(|e| format!("{name}, evaluate_json, explain {explain}: {e}"))?;
            }
            if let Some(json) = &json {
                sensible(policy.evaluate_with(json, &options))
                    .map_err(|e| format!("{name}, evaluate_with, explain {explain}: {e}"))?;
            }
        }
    }
    Ok(())
}

#[test]
fn parse_findings() {
    run_all("parse", parse);
}

#[test]
fn check_findings() {
    run_all("check", check);
}

#[test]
fn format_roundtrip_findings() {
    run_all("format_roundtrip", format_roundtrip);
}

#[test]
fn evaluate_findings() {
    run_all("evaluate", evaluate);
}
