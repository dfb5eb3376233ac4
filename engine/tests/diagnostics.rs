//! Snapshots of rendered diagnostics: one tiny policy per mistake, syntax and semantic. Reviewed
//! like code: each snapshot must point at the offending text (line, column, caret), say what is
//! wrong in one line a policy officer understands, and give help that helps. The policy text of
//! each case is the snapshot's description.

use earlyhelp::{Diagnostic, Policy, Severity};
use serde_json::json;

/// A small family record most cases read. Kept short so line numbers stay easy to check: the
/// prelude is lines 1–4 and a case's own text starts on line 5.
macro_rules! family {
    () => {
        r#"enum Role { parent_carer, child, other_adult }
record Person { role: Role, date_of_birth: date, attendance_pct: percent }
record Family { assessment_date: date, members: list of Person, income: money, expectant_parent: bool }
input family: Family
"#
    };
}

/// The rendered diagnostics of a policy that must not load.
fn rendered_errors(name: &str, text: &str) -> String {
    match Policy::from_source(name, text) {
        Ok(p) => panic!(
            "{name} loaded, but should not (warnings: {:?})",
            p.warnings()
        ),
        Err(e) => e.to_string(),
    }
}

fn rendered_file_errors(path: &str) -> String {
    match Policy::from_file(path) {
        Ok(p) => panic!(
            "{path} loaded, but should not (warnings: {:?})",
            p.warnings()
        ),
        Err(e) => e.to_string(),
    }
}

/// Snapshots `rendered` as `diagnostics__{name}.snap`, with the policy text as its description.
fn snapshot(name: &str, text: &str, rendered: &str) {
    insta::with_settings!({ description => text, omit_expression => true }, {
        insta::assert_snapshot!(name, rendered);
    });
}

/// `case!(test_name, "policy text")`: the policy, given as `test-name.policy`, must fail to load;
/// its rendered diagnostics are the snapshot `diagnostics__test_name.snap`.
macro_rules! case {
    ($test:ident, $text:expr) => {
        #[test]
        fn $test() {
            let name = format!("{}.policy", stringify!($test).replace('_', "-"));
            let text: &str = $text;
            snapshot(stringify!($test), text, &rendered_errors(&name, text));
        }
    };
}

// ---------------------------------------------------------------- syntax

case!(
    syntax_missing_closing_brace,
    concat!(
        family!(),
        r#"group education "Getting a good education" {
    need absent "Persistent absence" {
        when any c in family.members: c.attendance_pct < 90%
    }

decision eligible = education
"#
    )
);

case!(
    syntax_decision_without_equals,
    concat!(
        family!(),
        r#"decision eligible "Eligible for support" family.expectant_parent
"#
    )
);

case!(
    syntax_stray_operator,
    concat!(
        family!(),
        r#"decision low_income = family.income < * £15,400
"#
    )
);

case!(
    syntax_need_without_when,
    concat!(
        family!(),
        r#"group family_needs "Family needs" {
    need expecting "A parent is expecting a baby" {
        family.expectant_parent
    }
}
decision eligible = family_needs
"#
    )
);

case!(
    syntax_unterminated_string,
    r#"policy attendance {
    title "Attendance below 90%
    version "1"
}
"#
);

case!(
    syntax_keyword_as_field_name,
    r#"record Incident { when: date, kind: text }
input incident: Incident
decision recent = incident.when > 2024-01-01
"#
);

case!(
    syntax_keyword_as_let_name,
    concat!(
        family!(),
        r#"let in = family.members where role is child
decision eligible = count of in > 0
"#
    )
);

case!(
    syntax_chained_comparison,
    concat!(
        family!(),
        r#"decision middle = 5 < count of family.members < 10
"#
    )
);

// ---------------------------------------------------------------- slips from other languages

case!(
    slip_double_equals,
    concat!(
        family!(),
        r#"decision large = count of family.members == 4
"#
    )
);

case!(
    slip_if_then_else,
    concat!(
        family!(),
        r#"decision support = if family.expectant_parent then "yes" else "no"
"#
    )
);

case!(
    slip_spreadsheet_if,
    concat!(
        family!(),
        r#"decision support = IF(family.expectant_parent, "yes", "no")
"#
    )
);

case!(
    slip_comparison_without_left_side,
    concat!(
        family!(),
        r#"fn age(p: Person) = years_between(p.date_of_birth, family.assessment_date)
decision school_age = any p in family.members: age(p) > 5 and < 10
"#
    )
);

case!(
    slip_double_ampersand,
    concat!(
        family!(),
        r#"decision both = family.expectant_parent && count of family.members > 2
"#
    )
);

case!(
    slip_double_bar,
    concat!(
        family!(),
        r#"decision either = family.expectant_parent || count of family.members > 2
"#
    )
);

case!(
    slip_exclamation_mark,
    concat!(
        family!(),
        r#"decision not_expecting = !family.expectant_parent
"#
    )
);

case!(
    slip_not_equal_angle_brackets,
    concat!(
        family!(),
        r#"decision others = any p in family.members: p.role <> child
"#
    )
);

case!(
    slip_capitalised_and,
    concat!(
        family!(),
        r#"decision both = family.expectant_parent AND count of family.members > 2
"#
    )
);

case!(
    slip_capitalised_not_in,
    concat!(
        family!(),
        r#"decision adults = any p in family.members: p.role NOT IN [child]
"#
    )
);

case!(
    slip_python_true,
    concat!(
        family!(),
        r#"decision expecting = family.expectant_parent = True
"#
    )
);

case!(
    slip_python_none,
    concat!(
        family!(),
        r#"decision no_income = family.income is None
"#
    )
);

case!(
    slip_sql_null,
    concat!(
        family!(),
        r#"decision no_income = family.income = null
"#
    )
);

case!(
    slip_single_quotes,
    concat!(
        family!(),
        r#"decision label = when family.expectant_parent then 'expecting' else 'not expecting'
"#
    )
);

case!(
    slip_elif,
    concat!(
        family!(),
        r#"decision size = when count of family.members > 4 then "large" elif count of family.members > 2 then "medium" else "small"
"#
    )
);

case!(
    slip_else_if,
    concat!(
        family!(),
        r#"decision size = when count of family.members > 4 then "large" else if count of family.members > 2 then "medium" else "small"
"#
    )
);

case!(
    slip_when_without_else,
    concat!(
        family!(),
        r#"decision size = when count of family.members > 4 then "large"
"#
    )
);

case!(
    slip_percent_without_number,
    concat!(
        family!(),
        r#"decision absent = any p in family.members: p.attendance_pct < %90
"#
    )
);

case!(
    slip_arrow,
    concat!(
        family!(),
        r#"decision check = family.expectant_parent => count of family.members > 1
"#
    )
);

case!(
    slip_colon_equals,
    concat!(
        family!(),
        r#"let large := count of family.members > 4
decision check = large
"#
    )
);

case!(
    slip_semicolon,
    concat!(
        family!(),
        r#"decision expecting = family.expectant_parent;
"#
    )
);

case!(
    slip_slash_comment,
    concat!(
        family!(),
        r#"decision expecting = family.expectant_parent // a parent is expecting
"#
    )
);

case!(
    enum_compared_with_text,
    concat!(
        family!(),
        r#"decision has_child = any p in family.members: p.role = "child"
"#
    )
);

case!(
    count_where_condition_takes_the_comparison,
    concat!(
        family!(),
        r#"decision expecting_families = count of p in family.members where family.expectant_parent >= 2
"#
    )
);

// ---------------------------------------------------------------- names

case!(
    unknown_name_did_you_mean,
    concat!(
        family!(),
        r#"let has_dependants = any p in family.members: p.role is child
decision eligible = has_dependents and family.expectant_parent
"#
    )
);

case!(
    unknown_field_did_you_mean,
    concat!(
        family!(),
        r#"decision eligible = family.expectant_parnet
"#
    )
);

case!(
    unknown_field_lists_fields,
    concat!(
        family!(),
        r#"decision eligible = any p in family.members: p.postcode is "AB1 2CD"
"#
    )
);

case!(
    unknown_type,
    r#"record Child { id: text required, attendance_pct: percnt }
input child: Child
decision absent = child.attendance_pct < 90%
"#
);

case!(
    unknown_function,
    concat!(
        family!(),
        r#"decision adults = any p in family.members: year_between(p.date_of_birth, family.assessment_date) >= 18
"#
    )
);

case!(
    unknown_enum_value_after_is,
    concat!(
        family!(),
        r#"decision has_baby = any p in family.members: p.role is baby
"#
    )
);

case!(
    misspelt_enum_value_after_is,
    concat!(
        family!(),
        r#"decision has_child = any p in family.members: p.role is chlid
"#
    )
);

case!(
    ambiguous_enum_value,
    concat!(
        family!(),
        r#"enum Sen { none, sen_support, ehcp }
enum SubstanceMisuse { none, alcohol, drugs }
let no_need = none
decision eligible = no_need
"#
    )
);

case!(
    function_used_without_arguments,
    concat!(
        family!(),
        r#"fn age(p: Person) = years_between(p.date_of_birth, family.assessment_date)
decision adult = age >= 18
"#
    )
);

case!(
    value_called_as_function,
    concat!(
        family!(),
        r#"decision eligible = family(1)
"#
    )
);

case!(
    highest_of_unknown_scale,
    concat!(
        family!(),
        r#"scale level { low, medium, high }
group needs_found "Needs" {
    indicator expecting "A parent is expecting" {
        level medium
        when family.expectant_parent
    }
}
decision threshold = highest levle met
"#
    )
);

case!(
    unknown_need_level,
    concat!(
        family!(),
        r#"scale level { low, medium, high }
group needs_found "Needs" {
    indicator expecting "A parent is expecting" {
        level meduim
        when family.expectant_parent
    }
}
decision threshold = highest level met
"#
    )
);

// ---------------------------------------------------------------- types

case!(
    percent_compared_with_text,
    concat!(
        family!(),
        r#"decision absent = any p in family.members: p.attendance_pct < "90%"
"#
    )
);

case!(
    and_on_a_number,
    concat!(
        family!(),
        r#"decision eligible = family.expectant_parent and count of family.members
"#
    )
);

case!(
    money_plus_percent,
    concat!(
        family!(),
        r#"decision adjusted = family.income + 10%
"#
    )
);

case!(
    when_branch_of_another_type,
    concat!(
        family!(),
        r#"decision support = when family.expectant_parent then 2 else "none"
"#
    )
);

case!(
    need_condition_not_yes_no,
    concat!(
        family!(),
        r#"group finances "Financial stability" {
    need low_income "Low income" {
        when family.income
    }
}
decision eligible = finances
"#
    )
);

case!(
    where_on_a_non_list,
    concat!(
        family!(),
        r#"decision low = count of (family.income where income < £100) > 0
"#
    )
);

case!(
    percent_compared_with_number_param,
    concat!(
        family!(),
        r#"param attendance_below: number = 90
decision absent = any p in family.members: p.attendance_pct < attendance_below
"#
    )
);

case!(
    money_compared_with_number_param,
    concat!(
        family!(),
        r#"param income_limit: number = 15400
decision low_income = family.income < income_limit
"#
    )
);

case!(
    is_with_another_type,
    concat!(
        family!(),
        r#"decision expecting = family.expectant_parent is "yes"
"#
    )
);

case!(
    dates_subtracted,
    concat!(
        family!(),
        r#"decision recent = any p in family.members: family.assessment_date - p.date_of_birth < 365
"#
    )
);

case!(
    let_declared_type_mismatch,
    concat!(
        family!(),
        r#"let limit: money = 90%
decision low_income = family.income < limit
"#
    )
);

case!(
    decision_outputs_whole_record,
    concat!(
        family!(),
        r#"decision children = family.members where role is child
"#
    )
);

case!(
    input_not_a_record,
    r#"input age: number
decision adult = age >= 18
"#
);

case!(
    comparison_followed_by_comment,
    concat!(
        family!(),
        r#"decision absent = any p in family.members: p.attendance_pct < "90%"   # sessions attended
"#
    )
);

case!(
    condition_over_two_lines,
    concat!(
        family!(),
        r#"group finances "Financial stability" {
    need low_income "Low income" {
        when family.income +
            £100
    }
}
decision eligible = finances
"#
    )
);

// ---------------------------------------------------------------- functions

case!(
    wrong_arity_user_function,
    concat!(
        family!(),
        r#"fn age(p: Person) = years_between(p.date_of_birth, family.assessment_date)
decision adults = any p in family.members: age(p, family.assessment_date) >= 18
"#
    )
);

case!(
    wrong_arity_years_between,
    concat!(
        family!(),
        r#"decision adults = any p in family.members: years_between(p.date_of_birth) >= 18
"#
    )
);

case!(
    function_argument_of_wrong_type,
    concat!(
        family!(),
        r#"fn age(p: Person) = years_between(p.date_of_birth, family.assessment_date)
decision adults = any p in family.members: age(p.date_of_birth) >= 18
"#
    )
);

case!(
    extern_fn_in_policy_given_as_text,
    concat!(
        family!(),
        r#"extern fn risk_score(f: Family) -> number = script "risk.rhai"
decision eligible = family.expectant_parent
"#
    )
);

// ---------------------------------------------------------------- cycles

case!(
    cycle_let_let,
    concat!(
        family!(),
        r#"let children = family.members where role is child and count of adults > 0
let adults = family.members where role is parent_carer and count of children > 0
decision eligible = count of children > 0
"#
    )
);

case!(
    cycle_need_uses_groups_met,
    concat!(
        family!(),
        r#"group education "Education" {
    need several_needs "Needs in more than one area" {
        when count of groups met > 1
    }
}
decision eligible = education
"#
    )
);

// ---------------------------------------------------------------- duplicates

case!(
    duplicate_need_id,
    concat!(
        family!(),
        r#"group health "Health" {
    need expecting "A parent is expecting" { when family.expectant_parent }
}
group early_years "Early years" {
    need expecting "A baby is due" { when family.expectant_parent }
}
decision eligible = health or early_years
"#
    )
);

case!(
    duplicate_decision,
    concat!(
        family!(),
        r#"decision eligible = family.expectant_parent
decision eligible = count of family.members > 3
"#
    )
);

case!(
    duplicate_record_field,
    r#"record Family {
    income: money
    expectant_parent: bool
    income: money
}
input family: Family
decision eligible = family.expectant_parent
"#
);

case!(
    duplicate_enum_value,
    r#"enum Role { parent_carer, child, other_adult, child }
record Person { role: Role }
input person: Person
decision is_child = person.role is child
"#
);

case!(
    duplicate_input,
    concat!(
        family!(),
        r#"input household: Family
decision eligible = family.expectant_parent
"#
    )
);

case!(
    builtin_type_redefined,
    concat!(
        family!(),
        r#"enum date { today, yesterday }
decision eligible = family.expectant_parent
"#
    )
);

// ---------------------------------------------------------------- params and dates

case!(
    dated_param_out_of_order,
    concat!(
        family!(),
        r#"param income_limit: money {
    from 2024-04-01: £16,190
    from 2023-04-01: £15,400
}
decision low_income = family.income < income_limit
"#
    )
);

case!(
    date_that_does_not_exist,
    concat!(
        family!(),
        r#"decision assessed_recently = family.assessment_date > 2023-02-30
"#
    )
);

case!(
    param_value_not_constant,
    concat!(
        family!(),
        r#"param income_limit: money = family.income
decision low_income = family.income < income_limit
"#
    )
);

case!(
    param_value_of_wrong_type,
    concat!(
        family!(),
        r#"param income_limit: money = 90%
decision low_income = family.income < income_limit
"#
    )
);

// ---------------------------------------------------------------- the policy as a whole

case!(
    no_input,
    r#"policy eligibility { version "1" }
record Family { expectant_parent: bool }
decision eligible = true
"#
);

case!(
    import_in_policy_given_as_text,
    concat!(
        r#"import "../shared/family-record.policy"
"#,
        family!(),
        r#"decision eligible = family.expectant_parent
"#
    )
);

case!(
    test_expects_unknown_decision,
    concat!(
        family!(),
        r#"decision eligible = family.expectant_parent
test "an expecting family is eligible" {
    given { "assessment_date": "2024-01-01", "members": [], "expectant_parent": true }
    expect eligble is true
}
"#
    )
);

// ---------------------------------------------------------------- imports (files on disk)

#[test]
fn import_not_found() {
    let path = "tests/diagnostics/missing-import.policy";
    let text = std::fs::read_to_string(path).expect("fixture");
    snapshot("import_not_found", &text, &rendered_file_errors(path));
}

#[test]
fn import_of_itself() {
    let path = "tests/diagnostics/self-import.policy";
    let text = std::fs::read_to_string(path).expect("fixture");
    snapshot("import_of_itself", &text, &rendered_file_errors(path));
}

#[test]
fn import_cycle() {
    let path = "tests/diagnostics/cycle-a.policy";
    let text = std::fs::read_to_string(path).expect("fixture");
    snapshot("import_cycle", &text, &rendered_file_errors(path));
}

// ---------------------------------------------------------------- warnings

#[test]
fn unused_definitions_are_warnings() {
    let text = concat!(
        family!(),
        r#"param income_limit: money = £15,400
let children = family.members where role is child
fn age(p: Person) = years_between(p.date_of_birth, family.assessment_date)
enum Sen { none, sen_support, ehcp }
decision eligible = family.expectant_parent
"#
    );
    let policy = Policy::from_source("unused-definitions-are-warnings.policy", text)
        .unwrap_or_else(|e| panic!("loads with warnings only:\n{e}"));
    let rendered: Vec<String> = policy.warnings().iter().map(ToString::to_string).collect();
    assert!(policy
        .warnings()
        .iter()
        .all(|w| w.severity == Severity::Warning));
    snapshot(
        "unused_definitions_are_warnings",
        text,
        &rendered.join("\n"),
    );
}

#[test]
fn a_clean_policy_has_no_warnings() {
    let text = concat!(
        family!(),
        r#"param income_limit: money = £15,400
decision eligible = family.expectant_parent or family.income < income_limit
"#
    );
    let policy = Policy::from_source("clean.policy", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(policy.warnings(), &[] as &[Diagnostic]);
}

// ---------------------------------------------------------------- structured data

fn only_error(name: &str, text: &str) -> Diagnostic {
    let err = Policy::from_source(name, text).expect_err("must not load");
    let errors: Vec<&Diagnostic> = err.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "one error expected:\n{err}");
    errors[0].clone()
}

#[test]
fn diagnostic_fields_unknown_field() {
    let d = only_error(
        "fields.policy",
        concat!(family!(), "decision eligible = family.expectant_parnet\n"),
    );
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.file, "fields.policy");
    // `expectant_parnet` on line 5, after `decision eligible = family.` (27 characters).
    assert_eq!((d.line, d.column, d.end_line, d.end_column), (5, 28, 5, 44));
    assert_eq!(d.message, "record `Family` has no field `expectant_parnet`");
    assert_eq!(d.help.as_deref(), Some("did you mean `expectant_parent`?"));
    assert_eq!(d.label, None);
    assert_eq!(
        serde_json::to_value(&d).expect("serialises"),
        json!({
            "severity": "error",
            "message": "record `Family` has no field `expectant_parnet`",
            "file": "fields.policy",
            "line": 5,
            "column": 28,
            "end_line": 5,
            "end_column": 44,
            "help": "did you mean `expectant_parent`?"
        })
    );
}

#[test]
fn a_field_of_every_member_is_checked_like_a_field_of_one() {
    // `family.members.x` projects a field from every member: a misspelt one is reported as for
    // one person, with the suggestion, or the fields when nothing is close.
    let d = only_error(
        "project.policy",
        concat!(family!(), "decision ages = family.members.date_of_brith\n"),
    );
    assert_eq!(d.message, "record `Person` has no field `date_of_brith`");
    assert_eq!(d.help.as_deref(), Some("did you mean `date_of_birth`?"));
    let d = only_error(
        "project.policy",
        concat!(family!(), "decision ages = family.members.postcode\n"),
    );
    assert_eq!(d.message, "record `Person` has no field `postcode`");
    assert_eq!(
        d.help.as_deref(),
        Some("the fields of Person are: role, date_of_birth, attendance_pct")
    );
}

#[test]
fn diagnostic_fields_duplicate_decision() {
    let d = only_error(
        "dup.policy",
        concat!(
            family!(),
            "decision eligible = true\n",
            "decision eligible = false\n"
        ),
    );
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.file, "dup.policy");
    assert_eq!((d.line, d.column, d.end_line, d.end_column), (6, 10, 6, 18));
    assert_eq!(d.message, "`eligible` is defined twice");
    assert_eq!(d.label.as_deref(), Some("defined again here"));
    assert_eq!(
        d.help.as_deref(),
        Some("the first definition is at dup.policy:5; rename one of them")
    );
    // The first definition, as a related location (for editors).
    assert_eq!(d.related.len(), 1);
    let first = &d.related[0];
    assert_eq!(
        (
            first.file.as_str(),
            first.line,
            first.column,
            first.end_column
        ),
        ("dup.policy", 5, 10, 18)
    );
    assert_eq!(first.message, "first defined here");
    let value = serde_json::to_value(&d).expect("serialises");
    let keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "severity",
            "message",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "label",
            "help",
            "related"
        ]
    );
    assert_eq!(value["label"], json!("defined again here"));
}

#[test]
fn diagnostic_fields_multi_line_span() {
    // A condition written over two lines: the span ends on the second line.
    let d = only_error(
        "span.policy",
        concat!(
            family!(),
            "group finances \"Financial stability\" {\n",
            "    need low_income \"Low income\" {\n",
            "        when family.income +\n",
            "            £100\n",
            "    }\n",
            "}\n",
            "decision eligible = finances\n"
        ),
    );
    assert_eq!(
        d.message,
        "the condition of `low_income` must be yes or no, but it is money"
    );
    assert_eq!((d.line, d.column, d.end_line, d.end_column), (7, 14, 8, 17));
    assert_eq!(d.help, None);
}

#[test]
fn diagnostic_fields_syntax_error() {
    let d = only_error(
        "syntax.policy",
        concat!(
            family!(),
            "decision low_income = family.income < * £15,400\n"
        ),
    );
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.file, "syntax.policy");
    assert_eq!((d.line, d.column, d.end_line, d.end_column), (5, 39, 5, 39));
    assert_eq!(d.message, "syntax error: expected an expression");
    assert_eq!(d.label, None);
    assert_eq!(d.help, None);
    let value = serde_json::to_value(&d).expect("serialises");
    assert_eq!(
        value,
        json!({
            "severity": "error",
            "message": "syntax error: expected an expression",
            "file": "syntax.policy",
            "line": 5,
            "column": 39,
            "end_line": 5,
            "end_column": 39
        })
    );
    assert!(
        value.get("snippet").is_none(),
        "the snippet is for terminals only"
    );
}

/// A comparison at the end of a line spans the comparison only, not the line end after it.
#[test]
fn diagnostic_fields_comparison_at_end_of_line() {
    let d = only_error(
        "cmp.policy",
        concat!(
            family!(),
            "decision absent = any p in family.members: p.attendance_pct < \"90%\"\n"
        ),
    );
    assert_eq!(d.message, "cannot compare percent with text");
    // `p.attendance_pct < "90%"`: columns 44 to 68, ending on line 5.
    assert_eq!((d.line, d.column, d.end_line, d.end_column), (5, 44, 5, 68));
}

/// A missing `=` is reported where it is missing.
#[test]
fn diagnostic_fields_missing_equals() {
    let d = only_error(
        "eq.policy",
        concat!(
            family!(),
            "decision eligible \"Eligible\" family.expectant_parent\n"
        ),
    );
    assert_eq!((d.line, d.column), (5, 30));
    assert!(d.message.contains('='), "{}", d.message);
}

#[test]
fn warning_fields_unused_param() {
    let policy = Policy::from_source(
        "warn.policy",
        concat!(
            family!(),
            "param limit: money = £100\n",
            "decision eligible = family.expectant_parent\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let [w] = policy.warnings() else {
        panic!("one warning expected: {:?}", policy.warnings())
    };
    assert_eq!(w.severity, Severity::Warning);
    assert!(!w.is_error());
    assert_eq!((w.line, w.column, w.end_line, w.end_column), (5, 7, 5, 12));
    assert_eq!(w.message, "param `limit` is never used");
    assert_eq!(w.help.as_deref(), Some("remove it, or use it in a rule"));
    assert_eq!(
        serde_json::to_value(w).expect("serialises"),
        json!({
            "severity": "warning",
            "message": "param `limit` is never used",
            "file": "warn.policy",
            "line": 5,
            "column": 7,
            "end_line": 5,
            "end_column": 12,
            "help": "remove it, or use it in a rule"
        })
    );
}

// ---------------------------------------------------------------- per-member decisions and dates

case!(
    per_member_over_a_list_of_dates,
    concat!(
        family!(),
        "decision births for each d in family.members.date_of_birth = d + 2 years\n"
    )
);

case!(
    per_member_without_an_id,
    concat!(
        family!(),
        "decision roles for each p in family.members = p.role\n"
    )
);

case!(
    per_member_decision_used_as_a_value,
    r#"record Person { id: text required, date_of_birth: date }
record Family { assessment_date: date, members: list of Person }
input family: Family
decision age for each p in family.members = years_between(p.date_of_birth, family.assessment_date)
decision old = age > 18
"#
);

case!(
    in_force_ends_before_it_starts,
    r#"policy backwards {
    in_force 2025-03-31 to 2022-10-03
}
record R { id: text required }
input r: R
decision x = true
"#
);

case!(
    calendar_builtin_given_a_number,
    concat!(
        family!(),
        "decision rising = any c in family.members: year_group(c.date_of_birth, 2024) < 0\n"
    )
);

case!(
    definition_hides_a_builtin,
    concat!(
        family!(),
        "decision year_group = any p in family.members: year_group(p.date_of_birth, family.assessment_date) < 0\n"
    )
);

// ---------------------------------------------------------------- decision tables

case!(
    table_declared_complete_has_a_gap,
    concat!(
        family!(),
        r#"let children = count of p in family.members where p.role is child
table limit "Income limit" (first) complete {
    inputs family.expectant_parent, children
    | true  | >= 2 | £38,600 |
    | true  | 1    | £34,500 |
    | false | -    | £26,500 |
}
decision under = family.income <= limit
"#
    )
);

case!(
    table_unique_rows_overlap,
    concat!(
        family!(),
        r#"table band (unique) {
    inputs family.income
    | < £10,000                   | "low"    |
    | between £10,000 and £20,000 | "middle" |
    | >= £20,000                  | "high"   |
}
decision income_band = band
"#
    )
);

case!(
    table_cell_of_the_wrong_type,
    concat!(
        family!(),
        r#"table t (first) {
    inputs family.expectant_parent
    | £100 | "a" |
    | -    | "b" |
}
decision d = t
"#
    )
);

case!(
    table_row_with_too_few_cells,
    concat!(
        family!(),
        r#"table t (first) {
    inputs family.expectant_parent, family.income
    | true | "a" |
    | -    | -   | "b" |
}
decision d = t
"#
    )
);

case!(
    table_outcomes_of_different_types,
    concat!(
        family!(),
        r#"table t (first) {
    inputs family.expectant_parent
    | true | "a" |
    | -    | 3   |
}
decision d = t
"#
    )
);

case!(
    table_comparison_on_a_yes_no_input,
    concat!(
        family!(),
        r#"table t (first) {
    inputs family.expectant_parent
    | >= true | "a" |
    | -       | "b" |
}
decision d = t
"#
    )
);

case!(
    table_condition_in_the_outcome_column,
    concat!(
        family!(),
        r#"table t (first) {
    inputs family.expectant_parent
    | true | >= 2 |
    | -    | "b"  |
}
decision d = t
"#
    )
);

#[test]
fn table_rows_that_can_never_match_are_warnings() {
    let text = concat!(
        family!(),
        r#"table band (first) {
    inputs family.expectant_parent, family.income
    | true  | < £10,000                   | "low"    |
    | false | -                           | "other"  |
    | true  | >= £10,000                  | "high"   |
    | -     | between £5,000 and £6,000   | "never"  |
    | -     | between £9,000 and £1,000   | "empty"  |
}
decision income_band = band
"#
    );
    let policy = Policy::from_source("table-rows-that-can-never-match.policy", text)
        .unwrap_or_else(|e| panic!("loads with warnings only:\n{e}"));
    assert!(policy
        .warnings()
        .iter()
        .all(|w| w.severity == Severity::Warning));
    let rendered: Vec<String> = policy.warnings().iter().map(ToString::to_string).collect();
    snapshot(
        "table_rows_that_can_never_match_are_warnings",
        text,
        &rendered.join("\n"),
    );
}
