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
    // Forms that nest without an `expr` of their own between levels: a filter's condition and
    // an aggregate's list. They once passed the grammar's depth check and overflowed the stack.
    let filters = format!(
        "decision d = {}true{}",
        "any x in r.xs where ".repeat(40_000),
        ": true".repeat(40_000)
    );
    assert!(filters.len() < 1 << 20);
    assert!(load_error(&filters).contains("nested too deeply"));
    let counts = format!("decision d = {}r.xs > 1", "count of ".repeat(100_000));
    assert!(load_error(&counts).contains("nested too deeply"));
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

#[test]
fn limits_are_exact() {
    // Brackets: 64 levels load, the 65th is refused where it opens.
    let nested = |n: usize| format!("decision d = {}r.n{} > 1", "(".repeat(n), ")".repeat(n));
    assert!(policy(&nested(64)).is_ok(), "64 levels of brackets load");
    let e = load_error(&nested(65));
    assert!(e.contains("more than 64 levels"), "{e}");
    // Expression depth: each operator of a chain counts.
    let chain = |n: usize| format!("decision d = {}", vec!["r.n > 1"; n].join(" and "));
    assert!(policy(&chain(250)).is_ok(), "a chain of 250 loads");
    let e = load_error(&chain(260));
    assert!(e.contains("more than 256 levels"), "{e}");
    // Policy size: 1 MiB exactly loads (as text and as a file), one byte more is refused.
    let sized = |n: usize| {
        let head = format!("{RECORD}decision d = r.n > 1\n");
        let pad = n - head.len() - 1;
        format!("{head}#{}", " ".repeat(pad))
    };
    assert_eq!(sized(1 << 20).len(), 1 << 20);
    assert!(policy_text(&sized(1 << 20)).is_ok(), "1 MiB loads");
    let e = policy_text(&sized((1 << 20) + 1))
        .expect_err("too large")
        .to_string();
    assert!(e.contains("larger than 1 MiB"), "{e}");
    let dir = temp_dir();
    let file = dir.join("large.policy");
    std::fs::write(&file, sized((1 << 20) + 1)).expect("written");
    let e = Policy::from_file(&file).expect_err("too large").to_string();
    assert!(e.contains("larger than 1 MiB"), "{e}");
    std::fs::write(&file, sized(1 << 20)).expect("written");
    assert!(Policy::from_file(&file).is_ok(), "a 1 MiB file loads");
}

fn policy_text(text: &str) -> Result<Policy, earlyhelp::LoadError> {
    Policy::from_source("sized.policy", text)
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("earlyhelp-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn a_long_shallow_expression_loads_and_runs() {
    // A one-line expression of about 1 MB that is wide, not deep: loads and evaluates.
    let items: Vec<String> = (0..120_000).map(|i| i.to_string()).collect();
    let wide = format!("decision d = r.n in [{}]", items.join(", "));
    assert!(wide.len() > 700_000);
    let p = policy(&wide).expect("a wide expression loads");
    let d = p
        .evaluate_json(r#"{"id":"R","n":119999}"#, &Options::default())
        .expect("evaluates");
    assert_eq!(d.output("d"), Some(&json!(true)));
}

#[test]
fn deep_list_types_are_refused() {
    let deep = |n: usize| {
        format!(
            "record R {{ id: text required, x: {}number }}\ninput r: R\ndecision d = r.x is known",
            "list of ".repeat(n)
        )
    };
    assert!(Policy::from_source("deep-type.policy", &deep(64)).is_ok());
    let e = Policy::from_source("deep-type.policy", &deep(65))
        .expect_err("too deep")
        .to_string();
    assert!(
        e.contains("nests lists too deeply (more than 64 levels)"),
        "{e}"
    );
    // As many as a 1 MiB policy holds: refused quickly, without recursion.
    let e = Policy::from_source("deep-type.policy", &deep(120_000))
        .expect_err("too deep")
        .to_string();
    assert!(e.contains("nests lists too deeply"), "{e}");
    assert!(earlyhelp_grammar::parse(&deep(120_000)).is_err());
}

#[test]
fn json_nesting_in_a_record_is_limited() {
    // Records declared 150 deep (`N0` holds an `N1`, …): JSON text up to serde_json's limit of
    // 128 levels decodes, deeper is a record error, not a stack overflow.
    let n = 150;
    let mut text = String::from("record R { id: text required, x: N0 }\ninput r: R\n");
    for i in 0..n {
        text.push_str(&format!("record N{i} {{ n: N{}, v: number }}\n", i + 1));
    }
    text.push_str(&format!("record N{n} {{ v: number }}\n"));
    let at = |depth: usize| format!("r.x{}.v", ".n".repeat(depth));
    text.push_str(&format!(
        "decision shallow = {} > 1\ndecision deep = {} > 1\n",
        at(100),
        at(n)
    ));
    let p = Policy::from_source("nested.policy", &text).expect("loads");
    let nested = |depth: usize| {
        format!(
            "{{\"id\":\"R\",\"x\":{}{{\"v\":2}}{}}}",
            "{\"n\":".repeat(depth),
            "}".repeat(depth)
        )
    };
    let d = p
        .evaluate_json(&nested(100), &Options::default())
        .expect("101 levels decode");
    assert_eq!(d.output("shallow"), Some(&json!(true)));
    let e = p
        .evaluate_json(&nested(n), &Options::default())
        .expect_err("too deep")
        .to_string();
    assert!(e.contains("nested more than 128 levels deep"), "{e}");
    // Already-parsed JSON deeper than serde_json would parse is decoded as deep as declared.
    let deep: serde_json::Value = (0..n).fold(json!({"v": 2}), |inner, _| json!({ "n": inner }));
    let d = p
        .evaluate(&json!({"id": "R", "x": deep}))
        .expect("as deep as declared");
    assert_eq!(d.output("deep"), Some(&json!(true)));
}

#[test]
fn dates_are_real_days_between_year_1_and_9999() {
    let p = small();
    for date in ["0001-01-01", "9999-12-31", "2024-02-29"] {
        p.evaluate_json(
            &format!("{{\"id\":\"R\",\"d\":\"{date}\"}}"),
            &Options::default(),
        )
        .unwrap_or_else(|e| panic!("{date} is a date: {e}"));
    }
    for date in [
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "+2024-01-01",
    ] {
        let e = record_error(&format!("{{\"id\":\"R\",\"d\":\"{date}\"}}"));
        assert!(e.contains("not a date"), "{date}: {e}");
    }
    // In a policy too.
    for date in ["2023-02-30", "0000-01-01"] {
        let e = load_error(&format!("decision d = r.d > {date}"));
        assert!(e.contains("date"), "{date}: {e}");
    }
}

#[test]
fn a_byte_order_mark_and_windows_line_ends_in_a_record_are_fine() {
    let d = small()
        .evaluate_json(
            "\u{feff}{\"id\":\"R\",\r\n\"n\":11}\r\n",
            &Options::default(),
        )
        .expect("evaluates");
    assert_eq!(d.output("big"), Some(&json!(true)));
}

#[test]
fn long_chains_of_definitions_are_refused() {
    // Each `let` (or fn, or decision) uses the next: checking follows the chain by recursion.
    // A chain of 20,000 (as long as a 1 MiB policy holds) is refused, not a stack overflow.
    let n = 20_000;
    let mut lets = String::new();
    for i in 0..n {
        lets.push_str(&format!("let l{i} = l{} + 1\n", i + 1));
    }
    lets.push_str(&format!("let l{n} = r.n\ndecision d = l0 > 1\n"));
    assert!(lets.len() < 1 << 20);
    let e = load_error(&lets);
    assert!(
        e.contains("chain of more than 64 lets, fns and decisions"),
        "{e}"
    );
    assert_eq!(e.matches("chain of more than").count(), 1, "said once: {e}");
    let mut fns = String::new();
    for i in 0..n {
        fns.push_str(&format!("fn f{i}(x: number) = f{}(x) + 1\n", i + 1));
    }
    fns.push_str(&format!(
        "fn f{n}(x: number) = x\ndecision d = f0(r.n) > 1\n"
    ));
    let e = load_error(&fns);
    assert!(e.contains("chain of more than 64"), "{e}");
    let mut decisions = String::new();
    for i in 0..n / 2 {
        decisions.push_str(&format!("decision d{i} = d{} + 1\n", i + 1));
    }
    decisions.push_str(&format!("decision d{} = r.n\n", n / 2));
    let e = load_error(&decisions);
    assert!(e.contains("chain of more than 64"), "{e}");
}

/// Lets `l0` … `l{n-1}`, each `not` 240 times over the next, the last a comparison.
fn deep_lets(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("let l{i} = {}l{}\n", "not ".repeat(240), i + 1));
    }
    text.push_str(&format!("let l{n} = r.n > 1\ndecision d = l0\n"));
    text
}

#[test]
fn evaluation_depth_is_bounded_at_load() {
    // Each expression within the grammar's 256 levels and the chain within the checker's 64,
    // yet evaluating `d` would recurse 63 × 240 levels: refused when loading, since on a 2 MiB
    // stack (a rayon worker's) it would overflow.
    let e = load_error(&deep_lets(63));
    assert!(
        e.contains("levels deep") && e.contains("at most 512"),
        "{e}"
    );
    let e = load_error(&deep_lets(3));
    assert!(e.contains("at most 512"), "{e}");
}

#[test]
fn the_deepest_policy_allowed_evaluates_on_a_small_stack() {
    // Two lets of 240 levels each: just within the bound. It evaluates, with and without
    // explanations, on a thread with 2 MiB of stack in a release build; a debug build's frames
    // are several times larger, so there it gets 8 MiB (a main thread's).
    let p = policy(&deep_lets(2)).expect("loads");
    let stack = if cfg!(debug_assertions) {
        8 << 20
    } else {
        2 << 20
    };
    for explain in [false, true] {
        let p = p.clone();
        let out = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                let options = Options::default().explain(explain);
                p.evaluate_json(r#"{"id":"R","n":2}"#, &options)
                    .map(|d| d.output("d").cloned())
                    .map_err(|e| e.to_string())
            })
            .expect("thread")
            .join()
            .expect("no panic");
        assert_eq!(out, Ok(Some(json!(true))), "explain: {explain}");
    }
}

#[test]
fn numbers_are_exact_or_refused() {
    // rust_decimal: a 96-bit integer and a scale of at most 28. A number that does not fit is
    // refused, never rounded: 29 significant digits can round a comparison the wrong way.
    let p = small();
    let n = |n: &str| {
        p.evaluate_json(&format!("{{\"id\":\"R\",\"n\":{n}}}"), &Options::default())
            .map(|d| d.output("big").cloned())
            .map_err(|e| e.to_string())
    };
    for fits in [
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "0.0000000000000000000000000001",
        "1e28",
        "-0",
        "10.000000000000000000000000001",
    ] {
        assert!(n(fits).is_ok(), "{fits}: {:?}", n(fits));
    }
    for refused in [
        "79228162514264337593543950336",
        "0.00000000000000000000000000000001",
        "10.0000000000000000000000000001",
        "1.0000000000000000000000000000001",
        "1e29",
        "1e-40",
    ] {
        let e = n(refused).expect_err(refused);
        assert!(e.contains("too large or too precise"), "{refused}: {e}");
    }
}

#[test]
fn many_record_types_load_quickly() {
    // 20,000 record types, each holding the next (about as many as 1 MiB holds): the checks
    // over record types (resolving, finding one that contains itself) must stay near-linear.
    let n = 20_000;
    let mut text = String::from("record R { id: text required, x: N0 }\ninput r: R\n");
    for i in 0..n {
        text.push_str(&format!("record N{i} {{ n: N{} }}\n", i + 1));
    }
    text.push_str(&format!(
        "record N{n} {{ v: number }}\ndecision d = r.x is known\n"
    ));
    assert!(text.len() < 1 << 20);
    let start = std::time::Instant::now();
    let _ = Policy::from_source("records.policy", &text);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}

/// A record the policy refuses is named by its id, whether the decoder refused it (the id is
/// then read from the text again) or the policy did after decoding (the decoder's id is used).
#[test]
fn a_refused_record_keeps_its_id() {
    let policy = Policy::from_source(
        "window.policy",
        "policy window { version \"1\" in_force 2024-01-01 to 2024-12-31 as_at r.on }\n\
         record R { id: text, on: date required }\ninput r: R\n\
         decision late = r.on > 2024-06-01",
    )
    .expect("loads");
    for (text, id, why) in [
        (
            r#"{"id": "F1", "on": "2023-05-01"}"#,
            Some("F1"),
            "in-force window",
        ),
        (r#"{"on": "2025-05-01"}"#, None, "in-force window"),
        (
            r#"{"on": "2025-05-01", "id": 42}"#,
            Some("42"),
            "expected a text",
        ),
    ] {
        let error = policy
            .evaluate_json(text, &Options::default())
            .expect_err("refused");
        assert!(error.to_string().contains(why), "{error}");
        assert_eq!(error.id.as_deref(), id, "{error}");
    }
}
