//! The printer's layout within 100 columns: snapshots of representative long rules (tables of
//! `when` branches, long chains, lists, calls, quantifiers), and properties — printing is
//! idempotent, and no line is longer than 100 characters unless a long text forces it.

use earlyhelp_grammar::{format, parse_expr};
use proptest::prelude::*;

/// `format`, which also checks the round trip; and formatting again changes nothing.
fn fmt(text: &str) -> String {
    let printed = format(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(format(&printed).unwrap_or_else(|e| panic!("{e}")), printed);
    printed
}

#[test]
fn a_table_of_when_branches_is_one_branch_a_line() {
    insta::assert_snapshot!(fmt(r#"record Finances { net_earned_income: money }
record Family { finances: Finances, level: number }
input family: Family
decision band "Income band" = when family.finances.net_earned_income < £10,000 then "very low" when family.finances.net_earned_income < £15,400 then "low" else "not low"
let short = when family.level > 3 then "high" else "low"
let nested = when family.level > 3 then "high" else when family.level > 1 then "medium" else "low"
decision response "Recommended response" = when family.level = 4 then "Level 4: children's social care leads; strategy discussion and section 47 enquiries" when family.level = 3 then "Level 3: refer to children's social care" else "Level 1: needs met by universal services"
"#));
}

#[test]
fn long_chains_break_before_the_operator() {
    insta::assert_snapshot!(fmt(
        r#"record Person { age: number, in_education: bool, disabled: bool, carer: bool, income: money }
record Family { members: list of Person, postcode: text }
input family: Family
group needs "Needs" {
    need carer "A young carer in education, or a disabled young person with a low income" {
        when any p in family.members: p.age between 16 and 18 and p.in_education and (p.carer or p.disabled and p.income < £5,000) or p.age < 16 and p.carer
    }
}
decision eligible = needs and family.postcode is known and count of p in family.members where p.age < 18 and p.in_education >= 2
"#
    ));
}

#[test]
fn long_lists_calls_and_quantifier_bodies_wrap() {
    insta::assert_snapshot!(fmt(r#"enum Benefit { income_support, jobseekers_allowance_income_based, employment_support_allowance_income_related, universal_credit, pension_credit }
record Person { benefits: list of Benefit, date_of_birth: date, start: date }
record Family { members: list of Person, assessment_date: date }
input family: Family
fn months_old(p: Person, on: date) = months_between(p.date_of_birth, on)
decision on_benefit = any p in family.members: any b in p.benefits: b in [income_support, jobseekers_allowance_income_based, employment_support_allowance_income_related]
decision oldest = max of p in family.members where p.date_of_birth is known and p.start is known: months_between(p.date_of_birth, family.assessment_date) + months_between(p.start, family.assessment_date)
decision ages = [months_old(p, family.assessment_date) for_each_is_not_a_thing, years_between(p.date_of_birth, family.assessment_date)]
test "long expectations wrap" {
    given { "members": [] }
    expect on_benefit is false
    expect ids are [income_support, jobseekers_allowance_income_based, employment_support_allowance_income_related]
}
"#.replace(" for_each_is_not_a_thing", "").as_str()));
}

#[test]
fn comments_stay_around_long_rules() {
    insta::assert_snapshot!(fmt(
        r#"record Family { a: bool, b: bool, c: bool, d: bool, e: bool, f: bool, g: bool, h: bool, i: bool }
input family: Family
# The first rule.
decision first = family.a and family.b and family.c and family.d and family.e and family.f and family.g  # trailing
# The second rule.
decision second = when family.a then 1 when family.b then 2 else 3
"#
    ));
}

/// Random expressions with long names, so that most of them must wrap.
fn expr(long_text: bool) -> impl Strategy<Value = String> {
    let text = if long_text {
        "\"a text longer than any line can hold, as the source of a need often is, from a guidance document\""
    } else {
        "\"text\""
    };
    let leaf = prop_oneof![
        "[a-z][a-z0-9_]{8,24}",
        (0u32..100000).prop_map(|n| n.to_string()),
        Just("£15,400.00".to_string()),
        Just("2024-02-29".to_string()),
        Just("12 months".to_string()),
        Just(text.to_string()),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec!["and", "or", "+", "*", "<", "=", "otherwise", "where"])
            )
                .prop_map(|(a, b, op)| format!("({a}) {op} ({b})")),
            inner.clone().prop_map(|a| format!("not ({a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("({a}) between ({b}) and ({c})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) not in [{b}, 3, {a}]")),
            inner.clone().prop_map(|a| format!("({a}) is missing")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("({a}) within 12 months before ({b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("any member in ({a}) where ({b}): ({c})")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("count of member in ({a}) where ({b})")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("sum of member in ({a}): ({b})")),
            (
                inner.clone(),
                inner.clone(),
                inner.clone(),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(a, b, c, d, e)| format!(
                    "when ({a}) then ({b}) when ({c}) then ({d}) else ({e})"
                )),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("some_function({a}, {b}, {c})")),
            inner.clone().prop_map(|a| format!("({a}).field")),
        ]
    })
}

/// Lines over 100 characters, except those a long text forces: the text ends the line (but for a
/// closing bracket, comma or `.field`), or starts it.
fn too_long(printed: &str) -> Vec<&str> {
    printed
        .lines()
        .filter(|l| l.chars().count() > 100)
        .filter(|l| {
            let Some(open) = l
                .find(" \"a text longer")
                .or_else(|| l.find("(\"a text longer"))
            else {
                return true;
            };
            let close = l.rfind('"').unwrap_or(0);
            let before = l[..open].trim().len();
            let after = l[close + 1..].trim_end_matches([')', ',', ']', ' ']).len();
            // Whatever else shares the line must fit beside what the text forces.
            before > 60 && after > 10
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn printing_is_idempotent_and_within_the_width(text in expr(false), name in "[a-z]{1,30}") {
        prop_assume!(parse_expr(&text).is_ok());
        let policy = format!("decision d_{name} \"A label\" = {text}\n");
        let printed = format(&policy).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let again = format(&printed).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(&again, &printed);
        let long: Vec<&str> = printed.lines().filter(|l| l.chars().count() > 100).collect();
        prop_assert!(long.is_empty(), "lines over 100 characters: {:#?}\n{}", long, printed);
    }

    #[test]
    fn only_a_long_text_makes_a_line_too_long(text in expr(true)) {
        prop_assume!(parse_expr(&text).is_ok());
        let policy = format!("let x = {text}\n");
        let printed = format(&policy).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(&format(&printed).map_err(|e| TestCaseError::fail(format!("{e}")))?, &printed);
        let long = too_long(&printed);
        prop_assert!(long.is_empty(), "lines over 100 characters: {:#?}\n{}", long, printed);
    }
}

#[test]
fn long_json_in_tests_wraps() {
    insta::assert_snapshot!(fmt(
        r#"record Incident { kind: text, date: date, source: text, person_ids: list of text }
record Family { incidents: list of Incident }
input family: Family
decision recent = count of family.incidents > 0
test "json that does not fit wraps, json that fits is spaced alike" {
    given { "incidents" : [ ] }
    with incidents = [{"kind": "domestic_abuse", "date": "2024-03-17", "source": "police", "person_ids": ["P1"]}]
    with incidents = [{"kind": "domestic_abuse", "date": "2024-03-17", "source": "police", "person_ids": ["P1", "P2", "P3"]}, {"kind": "missing_person", "date": "2024-05-02", "source": "police", "person_ids": []}]
    expect missing are ["incidents[0].person_ids", "incidents[1].person_ids", "incidents[2].person_ids", "incidents[3].date"]
    with incidents = [  # a comment inside JSON keeps the JSON as written
        {"kind": "x"}]
    expect recent is true
}
"#
    ));
}

#[test]
fn deep_rules_are_laid_out_in_time_in_proportion_to_their_size() {
    // Each level is laid out once: trying every operand twice, inline then on the next line,
    // would take 2^60 steps here.
    let name = "a_rather_long_name_for_a_value";
    let mut deep = format!("{name} + ({name} * 2)");
    for i in 0..60 {
        deep = match i % 4 {
            0 => format!("{name} + ({deep})"),
            1 => format!("some_function({name}, {deep})"),
            2 => format!("any c in {name}: c.{name} and ({deep}) > 0"),
            _ => format!("when c.{name} then ({deep}) else {name}"),
        };
    }
    // The parser (not the printer) needs a deep stack for brackets 60 levels deep in a debug build.
    let printed = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let started = std::time::Instant::now();
            let printed = fmt(&format!("let x = {deep}\n"));
            assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
            printed
        })
        .expect("a thread")
        .join()
        .expect("no panic");
    assert!(printed.lines().count() > 60, "{printed}");
}
