//! The conformance suite: one folder per case under `tests/cases/NNN-short-name/`, each holding
//!
//! - `policy.policy` — the policy;
//! - `load-error.txt` (optional) — a substring the policy's load error must contain; such a case
//!   needs nothing else;
//! - `record.json` — the record evaluated;
//! - `expected.json` — `{"outputs": {...}, "missing": [...]}`, optionally `"as_at": "YYYY-MM-DD"`
//!   (the as-at date the caller passes), or `{"error": "substring"}` when evaluation must fail
//!   with an error containing the substring.
//!
//! Every expected.json is written by hand from the language's semantics (docs/language.md and the
//! shared spec), never copied from the engine's output. Outputs are compared exactly (same
//! decisions, same values; numbers by decimal value, so `15400` equals `15400.00`), and `missing`
//! is compared as the exact sorted list. The compiled first tier (what a caller gets) and the
//! reference evaluator must give the same decision, byte for byte. Every failing case is
//! reported, with a diff, before the test fails.

use earlyhelp::{NaiveDate, Options, Policy};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

const MIN_CASES: usize = 60;

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("cases")
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

fn decimal(n: &serde_json::Number) -> Option<Decimal> {
    let s = n.to_string();
    if s.contains(['e', 'E']) {
        Decimal::from_scientific(&s).ok()
    } else {
        Decimal::from_str(&s).ok()
    }
}

/// JSON equality, with numbers compared by decimal value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (decimal(x), decimal(y)) {
            (Some(x), Some(y)) => x == y,
            _ => x.to_string() == y.to_string(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn diff_outputs(expected: &Map<String, Value>, got: &Map<String, Value>, out: &mut String) {
    for (name, want) in expected {
        match got.get(name) {
            None => {
                let _ = writeln!(
                    out,
                    "    - {name}: expected {want}, but the engine gave no such output"
                );
            }
            Some(have) if !same(want, have) => {
                let _ = writeln!(out, "    ~ {name}: expected {want}, got {have}");
            }
            Some(_) => {}
        }
    }
    for (name, have) in got {
        if !expected.contains_key(name) {
            let _ = writeln!(out, "    + {name}: not expected, got {have}");
        }
    }
}

/// Runs one case; `Err` holds a description of every difference.
fn run_case(dir: &Path) -> Result<(), String> {
    let policy_path = dir.join("policy.policy");
    let load_error = dir.join("load-error.txt");
    let loaded = Policy::from_file(&policy_path);

    if load_error.exists() {
        let want = std::fs::read_to_string(&load_error)
            .map_err(|e| format!("cannot read load-error.txt: {e}"))?;
        let want = want.trim();
        return match loaded {
            Ok(_) => Err(format!(
                "  the policy loaded, but a load error containing {want:?} was expected\n"
            )),
            Err(e) => {
                let text = e.to_string();
                if text.contains(want) {
                    Ok(())
                } else {
                    Err(format!(
                        "  the load error does not contain {want:?}:\n{}\n",
                        indent(&text)
                    ))
                }
            }
        };
    }

    let policy =
        loaded.map_err(|e| format!("  the policy does not load:\n{}\n", indent(&e.to_string())))?;
    let record = read_json(&dir.join("record.json")).map_err(|e| format!("  {e}\n"))?;
    let expected = read_json(&dir.join("expected.json")).map_err(|e| format!("  {e}\n"))?;
    let Value::Object(expected) = expected else {
        return Err("  expected.json is not an object\n".into());
    };
    if let Some(key) = expected
        .keys()
        .find(|k| !["outputs", "missing", "as_at", "error"].contains(&k.as_str()))
    {
        return Err(format!(
            "  expected.json: unknown key {key:?} (outputs, missing, as_at, error)\n"
        ));
    }

    let mut options = Options::default();
    if let Some(as_at) = expected.get("as_at") {
        let s = as_at
            .as_str()
            .ok_or("  expected.json: as_at must be a \"YYYY-MM-DD\" text\n")?;
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|e| format!("  expected.json: as_at {s:?} is not a date: {e}\n"))?;
        options.as_at = Some(d);
    }

    let result = policy.evaluate_with(&record, &options);
    // The compiled first tier and the reference evaluator must agree byte for byte.
    let mut reference = options.clone();
    reference.reference_only = true;
    let shown = |r: &Result<earlyhelp::Decision, earlyhelp::RecordError>| match r {
        Ok(d) => d.to_json().to_string(),
        Err(e) => e.to_string(),
    };
    let (compiled, by_reference) = (
        shown(&result),
        shown(&policy.evaluate_with(&record, &reference)),
    );
    if compiled != by_reference {
        return Err(format!(
            "  the compiled tier and the reference disagree:\n    compiled:  {compiled}\n    reference: {by_reference}\n"
        ));
    }

    if let Some(want) = expected.get("error") {
        let want = want
            .as_str()
            .ok_or("  expected.json: error must be a text\n")?;
        return match result {
            Ok(d) => Err(format!(
                "  evaluation succeeded, but an error containing {want:?} was expected; got {}\n",
                d.to_json()
            )),
            Err(e) => {
                let text = e.to_string();
                if text.contains(want) {
                    Ok(())
                } else {
                    Err(format!("  the error {text:?} does not contain {want:?}\n"))
                }
            }
        };
    }

    let decision = result.map_err(|e| format!("  evaluation failed: {e}\n"))?;
    let want_outputs = match expected.get("outputs") {
        Some(Value::Object(o)) => o.clone(),
        _ => return Err("  expected.json has no \"outputs\" object\n".into()),
    };
    let want_missing: Vec<String> = match expected.get("missing") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or("  expected.json: missing must be a list of texts\n")?,
        _ => return Err("  expected.json has no \"missing\" list\n".into()),
    };

    let mut report = String::new();
    let got_outputs = decision.outputs();
    if !same(
        &Value::Object(want_outputs.clone()),
        &Value::Object(got_outputs.clone()),
    ) {
        report.push_str("  outputs differ:\n");
        diff_outputs(&want_outputs, got_outputs, &mut report);
    }
    if decision.missing() != want_missing.as_slice() {
        let _ = writeln!(
            report,
            "  missing differs:\n    expected {want_missing:?}\n    got      {:?}",
            decision.missing()
        );
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

#[test]
fn conformance() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();

    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = std::panic::catch_unwind(|| run_case(dir))
            .unwrap_or_else(|_| Err("  the case panicked\n".into()));
        if let Err(why) = outcome {
            failures.push((name, why));
        }
    }

    let too_few = dirs.len() < MIN_CASES;
    if !failures.is_empty() || too_few {
        let mut text = format!(
            "{} of {} conformance cases failed:\n",
            failures.len(),
            dirs.len()
        );
        for (name, why) in &failures {
            let _ = write!(text, "\n{name}\n{why}");
        }
        if too_few {
            let _ = write!(
                text,
                "\nthe suite should hold at least {MIN_CASES} cases, found {}\n",
                dirs.len()
            );
        }
        panic!("{text}");
    }
    eprintln!("{} conformance cases passed", dirs.len());
}
