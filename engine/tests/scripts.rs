//! `extern fn` in sandboxed rhai scripts: loading and checking (each failure a diagnostic at the
//! right place), values across the boundary (exact decimals, unknown as `()`), the sandbox (no
//! `eval`, no modules, no clock or sleep, limits on operations, depth and sizes — each an error
//! for that record only), explanations. The cost of a call is a criterion benchmark (benches/).
//!
//! Most cases write a small policy and its script to a scratch folder; the load diagnostics are
//! snapshots of `tests/scripts/broken/`.

use earlyhelp::{LoadError, Options, Policy};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The record most cases read. Lines 1–5, so a case's own text starts on line 6.
const PRELUDE: &str = r#"policy scripted { version "1" }
enum Role { parent_carer, child }
record Person { id: text required, role: Role, born: date, income: money, attendance: percent }
record Family { id: text required, case: text, postcode: text, seen: date, amount: number, flag: bool, members: list of Person, scores: list of number }
input family: Family
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("scripts")
        .join(name);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Writes `p.policy` (the prelude and `policy`) and the scripts, then loads the policy.
fn load(name: &str, policy: &str, scripts: &[(&str, &str)]) -> Result<Policy, LoadError> {
    let dir = scratch(name);
    for (file, text) in scripts {
        std::fs::write(dir.join(file), text).expect("write script");
    }
    let path = dir.join("p.policy");
    std::fs::write(&path, format!("{PRELUDE}{policy}")).expect("write policy");
    Policy::from_file(path)
}

fn policy(name: &str, text: &str, script: &str) -> Policy {
    match load(name, text, &[("s.rhai", script)]) {
        Ok(p) => {
            assert!(p.warnings().is_empty(), "{:?}", p.warnings());
            p
        }
        Err(e) => panic!("{name} does not load:\n{e}"),
    }
}

fn load_errors(name: &str, text: &str, script: &str) -> String {
    match load(name, text, &[("s.rhai", script)]) {
        Ok(_) => panic!("{name} loaded, but should not"),
        Err(e) => e.to_string(),
    }
}

fn family(extra: Json) -> Json {
    let mut f = json!({"id": "F1", "seen": "2024-06-01", "members": []});
    if let (Some(f), Some(extra)) = (f.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            f.insert(k.clone(), v.clone());
        }
    }
    f
}

fn outputs(policy: &Policy, record: &Json) -> Json {
    match policy.evaluate(record) {
        Ok(d) => Json::Object(d.outputs().clone()),
        Err(e) => panic!("record failed: {e}"),
    }
}

fn record_error(policy: &Policy, record: &Json) -> String {
    match policy.evaluate(record) {
        Ok(d) => panic!("the record should fail, but gave {:?}", d.outputs()),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------- load-time failures

#[test]
fn load_failures_are_diagnostics_where_the_mistake_is() {
    // Run from the engine folder, as cargo test does, so file names are stable.
    let rendered = match Policy::from_file("tests/scripts/broken/broken.policy") {
        Ok(_) => panic!("broken.policy loaded"),
        Err(e) => e.to_string(),
    };
    insta::assert_snapshot!("load_failures", rendered);
    // Each failure mode, in words:
    for want in [
        "cannot read the script \"no-such-script.rhai\"",
        "tests/scripts/broken/syntax-error.rhai:4:18",
        "lookup.rhai has no function `not_in_script`",
        "did you mean `not_in_scrip`?",
        "`decile` in lookup.rhai takes 1 parameter, but the extern fn declares 2",
        "`eval` is not allowed in a script",
        "`import` is not allowed in a script",
    ] {
        assert!(rendered.contains(want), "missing {want:?} in\n{rendered}");
    }
}

#[test]
fn a_policy_given_as_text_cannot_read_scripts() {
    let text = format!("{PRELUDE}extern fn f(x: text) -> text = script \"s.rhai\"\ndecision d = f(family.postcode)\n");
    let err = Policy::from_source("p.policy", &text).expect_err("no scripts from text");
    let err = err.to_string();
    assert!(err.contains("cannot read the script \"s.rhai\""), "{err}");
    assert!(
        err.contains("a policy given as text cannot read scripts"),
        "{err}"
    );
}

#[test]
fn a_call_site_is_typed_by_the_declaration() {
    let err = load_errors(
        "typed-calls",
        "extern fn decile(postcode: text) -> number = script \"s.rhai\"\n\
         decision a = decile(family.amount)\n\
         decision b = decile(family.postcode) and family.flag\n\
         decision c = decile(family.postcode, 1)\n",
        "fn decile(p) { 1 }",
    );
    assert!(err.contains("p.policy:7:21"), "{err}");
    assert!(err.contains("expected text, found number"), "{err}");
    assert!(err.contains("argument 1 of `decile` is text"), "{err}");
    assert!(err.contains("expected yes/no, found number"), "{err}");
    assert!(
        err.contains("`decile` takes 1 argument, but 2 were given"),
        "{err}"
    );
}

#[test]
fn durations_cannot_cross_into_a_script() {
    let err = load_errors(
        "durations",
        "extern fn later(d: date, n: duration) -> date = script \"s.rhai\"\n\
         decision a = later(family.seen, 3 months)\n",
        "fn later(d, n) { d }",
    );
    assert!(
        err.contains("a duration cannot be passed to or from a script"),
        "{err}"
    );
    assert!(err.contains("p.policy:6:29"), "{err}");
}

#[test]
fn an_unused_extern_fn_is_a_warning() {
    let p = load(
        "unused",
        "extern fn decile(postcode: text) -> number = script \"s.rhai\"\ndecision a = family.flag\n",
        &[("s.rhai", "fn decile(p) { 1 }")],
    )
    .expect("loads");
    let w: Vec<String> = p.warnings().iter().map(|d| d.message.clone()).collect();
    assert_eq!(w, ["extern fn `decile` is never used"]);
}

#[test]
fn the_script_is_part_of_the_content_hash() {
    let text =
        "extern fn f(x: text) -> number = script \"s.rhai\"\ndecision a = f(family.postcode)\n";
    let a = load("hash", text, &[("s.rhai", "fn f(x) { 1 }")]).expect("loads");
    let b = load("hash", text, &[("s.rhai", "fn f(x) { 2 }")]).expect("loads");
    assert_ne!(a.content_hash(), b.content_hash());
}

// ---------------------------------------------------------------- values across the boundary

#[test]
fn unknown_goes_in_as_unit_and_unit_comes_back_unknown() {
    let p = policy(
        "unknowns",
        "extern fn was_unit(x: text) -> bool = script \"s.rhai\"\n\
         extern fn nothing(x: text) -> number = script \"s.rhai\"\n\
         decision in_unit = was_unit(family.postcode)\n\
         decision out_unit = nothing(family.postcode)\n\
         decision settled = nothing(family.postcode) otherwise 7\n",
        "fn was_unit(x) { x == () }\nfn nothing(x) { () }\n",
    );
    let absent = policy_run(&p, &family(json!({})));
    assert_eq!(absent.0["in_unit"], json!(true));
    assert_eq!(absent.0["out_unit"], Json::Null);
    assert_eq!(absent.0["settled"], json!(7));
    // The result is unknown because the postcode is: that is what would settle it.
    assert_eq!(absent.1, ["postcode"]);
    let present = policy_run(&p, &family(json!({"postcode": "LS9 7AB"})));
    assert_eq!(present.0["in_unit"], json!(false));
    assert_eq!(present.0["out_unit"], Json::Null);
    assert!(present.1.is_empty(), "{:?}", present.1);
}

fn policy_run(p: &Policy, record: &Json) -> (Json, Vec<String>) {
    let d = p.evaluate(record).expect("evaluates");
    (Json::Object(d.outputs().clone()), d.missing().to_vec())
}

#[test]
fn decimals_stay_exact_both_ways() {
    let p = policy(
        "decimals",
        "extern fn plus_tenth(x: number) -> number = script \"s.rhai\"\n\
         extern fn as_text(x: number) -> text = script \"s.rhai\"\n\
         extern fn pct_text(x: percent) -> text = script \"s.rhai\"\n\
         extern fn third() -> number = script \"s.rhai\"\n\
         extern fn whole() -> money = script \"s.rhai\"\n\
         extern fn halves() -> list of number = script \"s.rhai\"\n\
         let first = family.members where it.id = \"P1\"\n\
         decision sum = plus_tenth(family.amount)\n\
         decision is_exact = plus_tenth(family.amount) = 0.3\n\
         decision text = as_text(family.amount)\n\
         decision pct = pct_text(min of first.attendance)\n\
         decision a_third = third()\n\
         decision pounds = whole()\n\
         decision two_halves = halves()\n",
        "fn plus_tenth(x) { x + 0.1 }\n\
         fn as_text(x) { x.to_string() }\n\
         fn pct_text(p) { if p < 90 { `${p} is below 90` } else { `${p}` } }\n\
         fn third() { 1.0 / 3 }\n\
         fn whole() { 15400 }\n\
         fn halves() { [7 / 2, 7.0 / 2] }\n",
    );
    let out = outputs(
        &p,
        &family(json!({
            "amount": 0.2,
            "members": [{"id": "P1", "attendance": 89.99}]
        })),
    );
    assert_eq!(out["sum"].to_string(), "0.3");
    assert_eq!(out["is_exact"], json!(true));
    assert_eq!(out["text"], json!("0.2"));
    assert_eq!(out["pct"], json!("89.99 is below 90"));
    assert_eq!(out["a_third"].to_string(), "0.3333333333333333333333333333");
    assert_eq!(out["pounds"], json!(15400));
    // A whole number in a script is an integer; one written with a point, a decimal.
    assert_eq!(out["two_halves"].to_string(), "[3,3.5]");
    // (Written as text: a float literal in `json!` would already have lost the digits.)
    let big: Json =
        serde_json::from_str(r#"{"id": "F1", "members": [], "amount": 12345678901234567.89}"#)
            .expect("json");
    let big = outputs(&p, &big);
    assert_eq!(big["text"], json!("12345678901234567.89"));
    assert_eq!(big["sum"].to_string(), "12345678901234567.99");
}

#[test]
fn dates_booleans_lists_enums_and_records_cross_with_their_types() {
    let p = policy(
        "types",
        "scale band { low, high }\n\
         extern fn next_day(d: date) -> date = script \"s.rhai\"\n\
         extern fn flip(b: bool) -> bool = script \"s.rhai\"\n\
         extern fn total(xs: list of number) -> number = script \"s.rhai\"\n\
         extern fn roles(ps: list of Person) -> list of Role = script \"s.rhai\"\n\
         extern fn describe(p: Person) -> text = script \"s.rhai\"\n\
         extern fn band_of(x: number) -> band = script \"s.rhai\"\n\
         extern fn make(id: text) -> Person = script \"s.rhai\"\n\
         decision next = next_day(family.seen)\n\
         decision flipped = flip(family.flag)\n\
         decision summed = total(family.scores)\n\
         decision their_roles = roles(family.members)\n\
         decision described = count of p in family.members: describe(p) = \"C1, child, born 2020-01-02, income 0, attendance 95.5, keys: attendance born id income role\"\n\
         decision band = band_of(family.amount)\n\
         decision made = make(\"X9\").role\n\
         decision made_unknown = make(\"X9\").born is missing\n",
        r#"
// A date arrives as "YYYY-MM-DD" text; one is returned the same way.
fn next_day(d) {
    let day = parse_int(d.sub_string(8, 2)) + 1;
    d.sub_string(0, 8) + (if day < 10 { "0" } else { "" }) + day
}
fn flip(b) { !b }
fn total(xs) { let t = 0; for x in xs { t += x; } t }
fn roles(ps) { ps.map(|p| p.role) }
// A record arrives as a map with every declared field; unknown fields are ().
fn describe(p) {
    let keys = p.keys();
    keys.sort();
    `${p.id}, ${p.role}, born ${p.born}, income ${p.income ?? 0}, attendance ${p.attendance}, keys: ${keys.reduce(|a, k| if a == () { k } else { a + " " + k })}`
}
fn band_of(x) { if x > 10 { "high" } else { "low" } }
// A record is returned as a map; fields left out are unknown.
fn make(id) { #{ id: id, role: "child" } }
"#,
    );
    let out = outputs(
        &p,
        &family(json!({
            "seen": "2024-06-01",
            "flag": false,
            "amount": 12,
            "scores": [1.5, 2.25, 3],
            "members": [
                {"id": "P1", "role": "parent_carer"},
                {"id": "C1", "role": "child", "born": "2020-01-02", "attendance": 95.5}
            ]
        })),
    );
    assert_eq!(out["next"], json!("2024-06-02"));
    assert_eq!(out["flipped"], json!(true));
    assert_eq!(out["summed"].to_string(), "6.75");
    assert_eq!(out["their_roles"], json!(["parent_carer", "child"]));
    assert_eq!(out["described"], json!(1));
    assert_eq!(out["band"], json!("high"));
    assert_eq!(out["made"], json!("child"));
    assert_eq!(out["made_unknown"], json!(true));
}

#[test]
fn a_list_with_maybe_members_is_not_known_so_it_goes_in_as_unit() {
    let p = policy(
        "maybe-lists",
        "extern fn size(xs: list of Person) -> number = script \"s.rhai\"\n\
         decision n = size(family.members where it.role is child)\n",
        "fn size(xs) { if xs == () { () } else { xs.len() } }\n",
    );
    let known = family(
        json!({"members": [{"id": "C1", "role": "child"}, {"id": "P1", "role": "parent_carer"}]}),
    );
    assert_eq!(outputs(&p, &known)["n"], json!(1));
    let maybe = family(json!({"members": [{"id": "C1", "role": "child"}, {"id": "X"}]}));
    let (out, missing) = policy_run(&p, &maybe);
    assert_eq!(out["n"], Json::Null);
    assert_eq!(missing, ["members[1].role"]);
}

#[test]
fn a_record_passed_to_a_script_is_passed_whole() {
    // The policy reads no field of Person itself: the decoder must still read them for the script.
    let p = policy(
        "whole-records",
        "extern fn income(p: Person) -> money = script \"s.rhai\"\n\
         decision total = sum of p in family.members: income(p)\n",
        "fn income(p) { p.income }\n",
    );
    let out = outputs(
        &p,
        &family(json!({"members": [{"id": "P1", "income": 100.5}, {"id": "P2", "income": 20}]})),
    );
    assert_eq!(out["total"].to_string(), "120.5");
}

// ---------------------------------------------------------------- results of the wrong type

#[test]
fn a_result_of_the_wrong_type_fails_the_record_naming_the_function_and_the_calling_line() {
    let p = policy(
        "wrong-type",
        "extern fn decile(postcode: text) -> number = script \"s.rhai\"\n\
         extern fn when_seen(x: text) -> date = script \"s.rhai\"\n\
         extern fn role(x: text) -> Role = script \"s.rhai\"\n\
         extern fn scores(x: text) -> list of number = script \"s.rhai\"\n\
         decision d = when family.case is \"number\" then decile(family.postcode) else 0\n\
         decision w = when family.case is \"date\" then when_seen(family.postcode) else family.seen\n\
         decision r = when family.case is \"enum\" then role(family.postcode) else Role.child\n\
         decision s = when family.case is \"list\" then scores(family.postcode) else []\n",
        "fn decile(p) { \"LS9\" }\n\
         fn when_seen(p) { \"2024-02-30\" }\n\
         fn role(p) { \"aunt\" }\n\
         fn scores(p) { [1, 2, \"three\"] }\n",
    );
    let err = record_error(
        &p,
        &family(json!({"case": "number", "postcode": "LS9 7AB"})),
    );
    assert!(err.starts_with("`decile`, called at "), "{err}");
    assert!(err.contains("p.policy:10,"), "{err}");
    assert!(
        err.contains("returned text, but `decile` is declared to return number"),
        "{err}"
    );
    // The record's content (the postcode, the returned text) is not in the message.
    assert!(!err.contains("LS9"), "{err}");
    let err = record_error(&p, &family(json!({"case": "date"})));
    assert!(err.contains("p.policy:11,"), "{err}");
    assert!(
        err.contains("returned text that is not a date (YYYY-MM-DD)"),
        "{err}"
    );
    let err = record_error(&p, &family(json!({"case": "enum"})));
    assert!(
        err.contains("returned text that is not a value of Role"),
        "{err}"
    );
    let err = record_error(&p, &family(json!({"case": "list"})));
    assert!(err.contains("returned a list whose element 3 is text, but `scores` is declared to return list of number"), "{err}");
    // Other records are untouched.
    assert_eq!(outputs(&p, &family(json!({"case": "none"})))["d"], json!(0));
}

// ---------------------------------------------------------------- the sandbox

/// A policy whose decision runs `f` only for records with `case` "run".
fn guarded(name: &str, limits: &str, script: &str) -> Policy {
    policy(
        name,
        &format!(
            "{limits}extern fn f(x: number) -> number = script \"s.rhai\"\n\
             decision d = when family.case is \"run\" then f(family.amount) else 1\n"
        ),
        script,
    )
}

/// Runs three records, the middle one through the script: it must fail, quickly, and the others
/// must not. Returns its error.
fn fails_alone(p: &Policy, within: Duration) -> String {
    let start = Instant::now();
    let before = p.evaluate(&family(json!({"case": "skip"})));
    let failed = p.evaluate(&family(json!({"case": "run", "amount": 3})));
    let after = p.evaluate(&family(json!({"case": "skip"})));
    let took = start.elapsed();
    assert!(took < within, "took {took:?}");
    assert_eq!(before.expect("first record").output("d"), Some(&json!(1)));
    assert_eq!(after.expect("third record").output("d"), Some(&json!(1)));
    match failed {
        Ok(d) => panic!("should fail: {:?}", d.outputs()),
        Err(e) => {
            assert_eq!(e.id.as_deref(), Some("F1"));
            e.to_string()
        }
    }
}

#[test]
fn a_script_that_loops_forever_fails_its_record_within_the_limit() {
    let p = guarded("loop", "", "fn f(x) {\n    loop { x += 1; }\n}\n");
    let err = fails_alone(&p, Duration::from_secs(5));
    assert!(err.contains("`f`, called at "), "{err}");
    assert!(err.contains("p.policy:7, failed in s.rhai"), "{err}");
    assert!(
        err.contains("went over the limit of 100000 operations"),
        "{err}"
    );
    // Even with the largest operations limit a policy may set, the host gets control back.
    let p = guarded(
        "loop-max",
        "extern limits {\n    operations 10000000\n}\n",
        "fn f(x) {\n    loop { x += 1; }\n}\n",
    );
    let start = Instant::now();
    let err = fails_alone(&p, Duration::from_secs(30));
    eprintln!(
        "10,000,000 operations of `loop {{ x += 1 }}` took {:?}",
        start.elapsed()
    );
    assert!(
        err.contains("went over the limit of 10000000 operations"),
        "{err}"
    );
}

#[test]
fn unbounded_allocation_fails_its_record() {
    let text = guarded(
        "grow-text",
        "",
        "fn f(x) { let s = \"x\"; loop { s += s; } }",
    );
    let err = fails_alone(&text, Duration::from_secs(5));
    assert!(
        err.contains("went over the limit of 10000 bytes of text"),
        "{err}"
    );
    let array = guarded(
        "grow-array",
        "",
        "fn f(x) { let a = []; loop { a.push(x); } }",
    );
    let err = fails_alone(&array, Duration::from_secs(5));
    assert!(
        err.contains("went over the limit of 1000 array elements"),
        "{err}"
    );
    let map = guarded(
        "grow-map",
        "",
        "fn f(x) { let m = #{}; let i = 0; loop { m.set(`k${i}`, i); i += 1; } }",
    );
    let err = fails_alone(&map, Duration::from_secs(5));
    assert!(
        err.contains("went over the limit of 1000 map entries"),
        "{err}"
    );
    // rhai does not check a map's size when `m[key] = value` adds an entry: there the
    // operations limit is what bounds the growth (see docs/language.md).
    let indexed = guarded(
        "grow-map-indexed",
        "",
        "fn f(x) { let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; } }",
    );
    let err = fails_alone(&indexed, Duration::from_secs(5));
    assert!(
        err.contains("went over the limit of 100000 operations"),
        "{err}"
    );
    // One huge allocation in one step is refused before it is made.
    let pad = guarded(
        "pad",
        "",
        "fn f(x) { let a = []; a.pad(1000000000, 0); a.len() }",
    );
    let err = fails_alone(&pad, Duration::from_secs(5));
    assert!(err.contains("array elements"), "{err}");
}

#[test]
fn deep_recursion_and_deeply_nested_data_fail_the_record_without_harming_the_host() {
    // Each of these would overflow the native stack of a small thread without the limits.
    let recurse = guarded("recurse", "", "fn f(x) { 1 + f(x + 1) }");
    let err = fails_alone(&recurse, Duration::from_secs(5));
    assert!(
        err.contains("went over the limit of 16 nested function calls"),
        "{err}"
    );
    let nest = guarded("nest", "", "fn f(x) { let a = []; loop { a = [a]; } }");
    let err = fails_alone(&nest, Duration::from_secs(5));
    assert!(err.contains("array elements"), "{err}");
    let nest_maps = guarded(
        "nest-maps",
        "",
        "fn f(x) { let m = #{}; loop { m = #{ m: m }; } }",
    );
    let err = fails_alone(&nest_maps, Duration::from_secs(5));
    assert!(err.contains("map entries"), "{err}");
    // The same on a thread with a small stack (the call is moved to a stack of its own).
    let policies = [recurse, nest, nest_maps];
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            for p in &policies {
                let e = p.evaluate(&family(json!({"case": "run", "amount": 1})));
                assert!(e.is_err());
            }
        })
        .expect("thread")
        .join()
        .expect("no overflow on a small stack");
}

#[test]
fn scripts_have_no_eval_no_modules_no_sleep_and_no_clock() {
    // `eval` and `import` do not compile (see the snapshot); nor can a function pointer reach
    // `eval`.
    let p = guarded("fn-eval", "", "fn f(x) { Fn(\"eval\").call(\"x\") }");
    let err = fails_alone(&p, Duration::from_secs(5));
    assert!(err.contains("'eval' is a reserved keyword"), "{err}");
    for (name, body) in [
        ("sleep", "sleep(10); x"),
        ("timestamp", "timestamp(); x"),
        ("exit", "exit(x)"),
        ("parse-json", "parse_json(\"{}\"); x"),
    ] {
        let p = guarded(name, "", &format!("fn f(x) {{ {body} }}"));
        let err = fails_alone(&p, Duration::from_secs(5));
        assert!(err.contains("Function not found"), "{name}: {err}");
    }
    // `print` and `debug` do nothing (no output can disturb the host's).
    let p = guarded("print", "", "fn f(x) { print(x); debug(x); x }");
    assert_eq!(
        outputs(&p, &family(json!({"case": "run", "amount": 4})))["d"],
        json!(4)
    );
}

#[test]
fn a_failing_script_never_shows_record_contents() {
    // The record's text reaches the script; the error says what failed and where, never the value.
    let sentinel = "SENTINEL-4711";
    for (name, body) in [
        ("throws", "throw `bad case ${x}`;"),
        ("divides", "x.len() / 0"),
        ("indexes", "let a = [x]; a[7]"),
    ] {
        let p = policy(
            &format!("privacy-{name}"),
            "extern fn f(x: text) -> number = script \"s.rhai\"\ndecision d = f(family.case)\n",
            &format!("fn f(x) {{ {body} }}"),
        );
        let err = record_error(&p, &family(json!({"case": sentinel})));
        assert!(err.contains("`f`, called at "), "{name}: {err}");
        assert!(!err.contains(sentinel), "{name}: {err}");
    }
}

#[test]
fn a_misspelt_variable_or_field_is_an_error_not_an_unknown() {
    let err = load_errors(
        "strict-variables",
        "extern fn f(x: number) -> number = script \"s.rhai\"\ndecision d = f(family.amount)\n",
        "fn f(x) {\n    y + 1\n}\n",
    );
    assert!(err.contains("s.rhai:2:5"), "{err}");
    assert!(err.contains("Undefined variable: y"), "{err}");
    let p = policy(
        "strict-fields",
        "extern fn f(p: Person) -> money = script \"s.rhai\"\n\
         decision d = sum of p in family.members: f(p)\n",
        "fn f(p) {\n    p.incme\n}\n",
    );
    let err = record_error(&p, &family(json!({"members": [{"id": "P1"}]})));
    assert!(
        err.contains("failed in s.rhai:2: Property not found: incme"),
        "{err}"
    );
}

#[test]
fn extern_limits_are_set_per_policy() {
    let script = "fn f(x) { let n = 0; for i in 0..2000 { n += i; } n }";
    let relaxed = guarded("limits-default", "", script);
    assert_eq!(
        outputs(&relaxed, &family(json!({"case": "run", "amount": 1})))["d"],
        json!(1999000)
    );
    let strict = guarded(
        "limits-strict",
        "extern limits {\n    operations 1000\n    call_depth 4\n}\n",
        script,
    );
    let err = fails_alone(&strict, Duration::from_secs(5));
    assert!(
        err.contains(
            "went over the limit of 1000 operations (raise `operations` in `extern limits`"
        ),
        "{err}"
    );
    let deep = guarded(
        "limits-depth",
        "extern limits {\n    call_depth 4\n}\n",
        "fn f(x) { if x > 0 { f(x - 1) } else { 0 } }",
    );
    assert_eq!(
        outputs(&deep, &family(json!({"case": "run", "amount": 2})))["d"],
        json!(0)
    );
    let err = record_error(&deep, &family(json!({"case": "run", "amount": 10})));
    assert!(
        err.contains("the limit of 4 nested function calls"),
        "{err}"
    );
}

#[test]
fn extern_limits_are_checked() {
    let err = load_errors(
        "limits-bad",
        "extern limits {\n    operatons 5000\n    call_depth 0\n    string_size 1.5\n    map_size 1000000\n    call_depth 8\n}\n\
         extern limits {\n    operations 10\n}\n\
         extern fn f(x: number) -> number = script \"s.rhai\"\ndecision d = f(family.amount)\n",
        "fn f(x) { x }",
    );
    for want in [
        "there is no script limit `operatons`",
        "did you mean `operations`?",
        "`call_depth` must be a whole number from 1 to 64 (nested function calls)",
        "`string_size` must be a whole number from 1 to 16777216",
        "`map_size` must be a whole number from 1 to 100000",
        "`call_depth` is set twice",
        "the script limits are set twice",
    ] {
        assert!(err.contains(want), "missing {want:?} in\n{err}");
    }
    let p = load(
        "limits-alone",
        "extern limits {\n    operations 5000\n}\ndecision d = family.flag\n",
        &[],
    )
    .expect("loads");
    let w: Vec<String> = p.warnings().iter().map(|d| d.message.clone()).collect();
    assert_eq!(w, ["`extern limits` has no `extern fn` to limit"]);
}

#[test]
fn extern_limits_print_and_parse_back() {
    let text = "extern limits {\n    operations  200000  # per call\n    string_size 4096\n}\n";
    let module = earlyhelp_grammar::parse(text).expect("parses");
    assert_eq!(earlyhelp_grammar::print(&module), text);
}

// ---------------------------------------------------------------- explanations

#[test]
fn explanations_show_the_call_and_its_result() {
    let p = Policy::from_file("../policies/area-deprivation/area-deprivation.policy")
        .expect("the shipped example loads");
    let record: Json = serde_json::from_str(
        &std::fs::read_to_string("../policies/area-deprivation/examples/leeds-family.json")
            .expect("example"),
    )
    .expect("json");
    let options = Options::default().explain(true);
    let d = p.evaluate_with(&record, &options).expect("evaluates");
    let text = d.explanation().map(|e| e.to_trace()).unwrap_or_default();
    assert!(
        text.contains("deprivation_decile(family.postcode) (deprivation_decile(\"LS9 7AB\") = 1)"),
        "{text}"
    );
    let json = d.explanation().map(|e| e.to_json()).unwrap_or_default();
    let shown = json.to_string();
    assert!(
        shown.contains(r#""text":"deprivation_decile(family.postcode)""#),
        "{shown}"
    );
    assert!(
        shown.contains(r#""values":"deprivation_decile(\"LS9 7AB\") = 1""#),
        "{shown}"
    );
}

// ---------------------------------------------------------------- threads and cost

#[test]
fn a_policy_with_scripts_is_shared_across_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let p =
        Policy::from_file("../policies/area-deprivation/area-deprivation.policy").expect("loads");
    send_sync(&p);
    let postcodes = ["LS9 7AB", "LS16 6AB", "LS7 3AB", "ZZ1 1ZZ"];
    let expected: Vec<Json> = postcodes
        .iter()
        .map(|pc| outputs(&p, &family_at(pc))["imd_decile"].clone())
        .collect();
    assert_eq!(expected, [json!(1), json!(9), json!(2), Json::Null]);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    for (pc, want) in postcodes.iter().zip(&expected) {
                        assert_eq!(&outputs(&p, &family_at(pc))["imd_decile"], want);
                    }
                }
            });
        }
    });
}

fn family_at(postcode: &str) -> Json {
    json!({"id": "F", "assessment_date": "2024-06-01", "postcode": postcode, "members": []})
}
