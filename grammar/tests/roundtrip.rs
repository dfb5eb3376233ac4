//! The printer is canonical: printing a parsed policy and parsing it again gives the same tree,
//! and printing is idempotent.

use earlyhelp_grammar::{
    format, parse, parse_expr, parse_steps, print_expr, FormatError, MAX_PARSE_STEPS,
};
use proptest::prelude::*;

fn policies() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("policies folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "policy") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).expect("readable"),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn shipped_policies_round_trip() {
    let all = policies();
    assert!(all.len() >= 2, "the shipped policies are found");
    for (name, text) in all {
        // `format` parses, prints, and checks that the printed text parses to the same tree with
        // the same comments and prints to itself again.
        if let Err(e) = format(&text) {
            panic!("{name}: {e}");
        }
    }
}

#[test]
fn format_accepts_what_it_moves() {
    // Positions change when text is re-laid out; every span (named or not, as in a list type's)
    // is left out of the comparison.
    let text =
        "record  Family {\n  members :   list of   Person ,\n}\nrecord Person { id: text }\n";
    let formatted = format(text).unwrap_or_else(|e| panic!("{e}"));
    assert!(formatted.contains("members: list of Person"), "{formatted}");
}

#[test]
fn format_reports_a_syntax_error_as_such() {
    match format("let x = (1 +\n") {
        Err(FormatError::Syntax(e)) => assert!(e.span.start <= 13, "{e:?}"),
        other => panic!("{other:?}"),
    }
}

/// Random expressions, fully parenthesised, from the language's constructs.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-z][a-z0-9_]{0,6}"
            .prop_filter("not a reserved word", |s| !RESERVED.contains(&s.as_str())),
        (0u32..1000).prop_map(|n| n.to_string()),
        (0u32..100, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}%")),
        Just("£15,400.00".to_string()),
        Just("2024-02-29".to_string()),
        Just("12 months".to_string()),
        Just("\"text\"".to_string()),
        Just("true".to_string()),
        Just("groups met".to_string()),
        Just("highest level met".to_string()),
    ];
    leaf.prop_recursive(4, 40, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec![
                    "and",
                    "or",
                    "+",
                    "-",
                    "*",
                    "/",
                    "<",
                    ">=",
                    "=",
                    "!=",
                    "otherwise",
                    "where"
                ])
            )
                .prop_map(|(a, b, op)| format!("({a}) {op} ({b})")),
            inner.clone().prop_map(|a| format!("not ({a})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("({a}) between ({b}) and ({c})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) is not ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) not in [{b}, 3]")),
            inner.clone().prop_map(|a| format!("({a}) is missing")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("({a}) within 12 months before ({b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("any x in ({a}) where ({b}): ({c})")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("count of x in ({a}) where ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("sum of x in ({a}): ({b})")),
            inner.clone().prop_map(|a| format!("max of ({a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("when ({a}) then ({b}) else ({c})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("f({a}, {b})")),
            inner.clone().prop_map(|a| format!("({a}).field")),
        ]
    })
}

const RESERVED: [&str; 15] = [
    "and",
    "or",
    "not",
    "in",
    "is",
    "where",
    "otherwise",
    "between",
    "within",
    "when",
    "then",
    "else",
    "true",
    "false",
    "of",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn printed_expressions_parse_to_the_same_tree(text in expr()) {
        let first = parse_expr(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e:?}")))?;
        let printed = print_expr(&first);
        // The same round trip as a whole file, checked by `format`.
        if let Err(e) = format(&format!("let x = {text}\n")) {
            return Err(TestCaseError::fail(format!("{text} printed as {printed}: {e}")));
        }
    }
}

#[test]
fn brackets_left_open_around_quantifiers_are_an_error_not_a_hang() {
    // Each unclosed level makes a PEG parser try the inner text twice (once as the quantifier's
    // body, once as the right side of the comparison after it): 2^40 attempts without the step
    // budget. Found by the `parse` fuzz target.
    let text = format!("let x = {} 0\n", "(any c in x: a = ".repeat(40));
    let e = parse(&text).expect_err("unclosed brackets");
    assert!(e.message.contains("too tangled to parse"), "{}", e.message);
    // The budget is in proportion to the text: a short text gets the least (1 Mi steps, some
    // 10 ms), not the budget of a 1 MiB policy (64 Mi, most of a second). Found by the `check`
    // fuzz target, which slowed to 10 inputs a second on such texts.
    assert_eq!(parse_steps(&text), 1 << 20);
    assert!(
        e.message.contains("more than 1048576 steps"),
        "{}",
        e.message
    );
    let long = format!("{}{text}", "let y = 1\n".repeat(10_000));
    assert_eq!(parse_steps(&long), long.len() * 128);
    let e = parse(&long).expect_err("unclosed brackets after a long start");
    assert!(e
        .message
        .contains(&format!("more than {} steps", long.len() * 128)));
    assert_eq!(parse_steps(&"x".repeat(2 << 20)), MAX_PARSE_STEPS);
}

#[test]
fn real_and_dense_policies_parse_within_the_budget() {
    // The largest shipped file.
    let tests = include_str!("../../policies/supporting-families/supporting-families.tests.policy");
    assert!(parse(tests).is_ok());
    // The densest text the grammar allows, brackets 63 deep (about 95 steps a byte), over far
    // more than the least budget: the budget per byte has room for it.
    let line = format!("let d = {}1{}\n", "(".repeat(63), ")".repeat(63));
    let dense = line.repeat(200);
    assert!(dense.len() * 128 > 1 << 20);
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || parse(&dense).map(|_| ()))
        .expect("a thread")
        .join()
        .expect("no panic")
        .expect("dense text parses");
}

#[test]
fn hostile_nesting_is_refused_not_overflowed() {
    let parens = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = parse_expr(&parens).expect_err("too deep");
    assert!(e.message.contains("nested too deeply"), "{}", e.message);

    let chain = vec!["a"; 200_000].join(" and ");
    let e = parse_expr(&chain).expect_err("too long a chain");
    assert!(e.message.contains("nested too deeply"), "{}", e.message);

    let policy = format!("decision d = {}", vec!["not"; 5_000].join(" ") + " x");
    assert!(parse(&policy).is_err());

    // A long but shallow expression is fine.
    let list = format!(
        "x in [{}]",
        (0..10_000)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(parse_expr(&list).is_ok());
}
