//! Hostile input gets a clear error, never a crash: every limit the engine enforces, tested.

use earlyhelp::{Options, Policy};
use serde_json::json;

const RECORD: &str =
    "record R { id: text required, n: number, d: date, xs: list of number }\ninput r: R\n";

fn policy(decisions: &str) -> Result<Policy, earlyhelp::LoadError> {
    Policy::from_source("limits.policy", &format!("{RECORD}{decisions}"))
}

fn load_error(decisions: &str) -> String {
    policy(decisions).expect_err("must not load").to_string()
}

fn small() -> Policy {
    policy(
        "decision big = r.n > 10\ndecision recent = r.d > 2024-01-01\ndecision total = sum of r.xs",
    )
    .expect("loads")
}

fn record_error(text: &str) -> String {
    small()
        .evaluate_json(text, &Options::default())
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn policy_size_is_limited() {
    let huge = format!("decision d = r.n > 1\n{}", "# padding\n".repeat(120_000));
    assert!(load_error(&huge).contains("larger than 1 MiB"));
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let parens = format!(
        "decision d = {}r.n{} > 1",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(load_error(&parens).contains("nested too deeply"));
    let chain = format!("decision d = {}", vec!["r.n > 1"; 80_000].join(" and "));
    assert!(chain.len() > 900_000, "a one-line expression close to 1 MB");
    assert!(load_error(&chain).contains("nested too deeply"));
    let whens = format!(
        "decision d = {}1{}",
        "when r.n > 1 then ".repeat(2_000),
        " else 0".repeat(2_000)
    );
    assert!(load_error(&whens).contains("nested too deeply"));
    let quantifiers = format!("decision d = {}true", "any x in r.xs: ".repeat(3_000));
    assert!(load_error(&quantifiers).contains("nested too deeply"));
}

#[test]
fn encodings_are_handled() {
    let bom = format!("\u{feff}{RECORD}decision d = r.n > 1");
    assert!(
        Policy::from_source("bom.policy", &bom).is_ok(),
        "a byte-order mark is ignored"
    );
    let crlf = format!("{RECORD}decision d =\r\n    r.n > 1\r\n").replace('\n', "\r\n");
    assert!(
        Policy::from_source("crlf.policy", &crlf).is_ok(),
        "Windows line ends are fine"
    );
    let dir = std::env::temp_dir().join(format!("earlyhelp-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("latin1.policy");
    std::fs::write(&file, b"decision d = \"caf\xe9\"").expect("written");
    let e = Policy::from_file(&file).expect_err("not UTF-8").to_string();
    assert!(e.contains("not UTF-8"), "{e}");
}

#[test]
fn records_are_limited() {
    // Deep nesting where a number is declared is a wrong type; where nothing is declared it is
    // skipped without recursion. Either way, no stack overflow.
    let deep = |field: &str| {
        format!(
            "{{\"id\":\"R\",\"{field}\":{}1{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        )
    };
    assert!(record_error(&deep("n")).contains("expected a number, found a list"));
    assert!(small()
        .evaluate_json(&deep("undeclared"), &Options::default())
        .is_ok());
    let deep_object = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    assert!(record_error(&deep_object).contains("required field is missing"));
    let long = format!("{{\"id\":\"R\",\"xs\":[{}]}}", vec!["1"; 100_001].join(","));
    assert!(record_error(&long).contains("more than 100000 items"));
    assert!(record_error(r#"{"id":"R","n":1e400}"#).contains("too large"));
    assert!(
        record_error(r#"{"id":"R","n":123456789012345678901234567890123}"#).contains("too large")
    );
    for date in [
        "0000-01-01",
        "99999-01-01",
        "2023-02-30",
        "2024-1-01",
        "2024-01-01T00:00",
    ] {
        let e = record_error(&format!("{{\"id\":\"R\",\"d\":\"{date}\"}}"));
        assert!(
            e.contains("r.d") || e.contains("d: not a date"),
            "{date}: {e}"
        );
    }
    let huge = format!("{{\"id\":\"R\",\"pad\":\"{}\"}}", "x".repeat(65 << 20));
    assert!(record_error(&huge).contains("larger than 64 MiB"));
}

#[test]
fn numbers_stay_exact_at_their_limits() {
    let p = small();
    let d = p
        .evaluate_json(
            r#"{"id":"R","n":10.000000000000000000000000001}"#,
            &Options::default(),
        )
        .expect("evaluates");
    assert_eq!(
        d.output("big"),
        Some(&json!(true)),
        "28 significant digits are kept"
    );
    let d = p
        .evaluate_json(
            r#"{"id":"R","xs":[79228162514264337593543950335, 1]}"#,
            &Options::default(),
        )
        .expect("evaluates");
    assert_eq!(
        d.output("total"),
        Some(&json!(null)),
        "a sum that overflows is unknown, not a crash"
    );
}
