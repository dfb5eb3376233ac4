//! Edge cases of the Supporting Families rules v2 (`shared/spec/supporting-families.md`, with
//! `english-calendar.md`) for the native oracle, one tiny family per case. Cases that v2
//! changed cite the spec's line.

use earlyhelp_benches::native::{decode, evaluate_json, evaluate_json_with, Settings};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The headline each need belongs to (written out again here, independently of
/// the implementation, so that `check` also checks the `headlines` output).
fn headline_of(need: &str) -> &'static str {
    match need {
        "persistent_absence" | "suspension_or_exclusion" | "missing_education" | "neet" => {
            "education"
        }
        "development_concern" | "no_early_education" => "early_years",
        "mental_health" | "physical_health" => "health",
        "substance_misuse" => "substance_use",
        "parental_conflict" | "parent_child_conflict" | "young_carer" => "relationships",
        "exploitation" | "missing_episodes" | "social_care" | "child_protection_concern" => {
            "safeguarding"
        }
        "offending" | "anti_social_behaviour" => "crime",
        "domestic_abuse_incident" | "domestic_abuse_involved" => "domestic_abuse",
        "housing_need" | "eviction_or_arrears" => "housing",
        "worklessness" | "problem_debt" => "financial",
        other => panic!("unknown need {other}"),
    }
}

/// Evaluates `json` and asserts eligibility and the needs known present; the
/// headlines must be exactly those of the needs, in order. Records outside the
/// programme period are evaluated (as a caller may ask), so that the rules can be
/// tested on any date; the period itself has its own test.
fn check(json: &str, expected: (Option<bool>, &[&str])) {
    let (eligible, needs) = expected;
    let anywhen = Settings {
        outside_period: true,
        ..Settings::default()
    };
    let out = evaluate_json_with(json, &anywhen).unwrap_or_else(|e| panic!("{e}\n{json}"));
    assert_eq!(out.needs, needs, "needs of {json}");
    assert_eq!(out.eligible, eligible, "eligible of {json}");
    let mut headlines: Vec<&str> = needs.iter().map(|n| headline_of(n)).collect();
    headlines.dedup();
    assert_eq!(out.headlines, headlines, "headlines of {json}");
}

/// A one-member family assessed on `today`, with family-level `extra` fields.
fn one(today: &str, member: &str, extra: &str) -> String {
    format!(
        r#"{{"id":"F1","assessment_date":"{today}","members":[{{"id":"M1",{member}}}]{extra}}}"#
    )
}

/// A member with every field the rules read known, and no need present.
fn person(role: &str, dob: &str) -> Value {
    json!({
        "id": format!("{role}-{dob}"), "role": role, "date_of_birth": dob,
        "education": {"attendance_pct": 97.5, "suspensions": [], "permanent_exclusions": [],
                      "missing_education": false, "early_years_place": true,
                      "development_concern": false},
        "employment": {"status": if role == "child" { "in_education" } else { "employed" },
                       "out_of_work_benefits": false},
        "health": {"mental_health_concern": false, "physical_health_concern": false,
                   "substance_misuse": "none"},
        "offending": {"offences": [], "anti_social_behaviour": [], "youth_justice": false},
        "safeguarding": {"missing_episodes": [], "exploitation_risk": "none", "young_carer": false,
                         "domestic_abuse_victim": false, "domestic_abuse_perpetrator": false}
    })
}

/// Assessed 2024-06-01: a parent (34, `/members/0`) and a dependent child
/// (10, `/members/1`); everything
/// known, no need present, so not eligible.
fn base() -> Value {
    json!({
        "id": "F1", "assessment_date": "2024-06-01", "expectant_parent": false,
        "members": [person("parent_carer", "1990-01-01"), person("child", "2014-01-01")],
        "incidents": [],
        "housing": {"status": "settled", "rent_arrears": false, "eviction_notices": []},
        "finances": {"problem_debt": false},
        "relationships": {"parental_conflict": false, "parent_child_conflict": false},
        "social_care": {"status": "none"}
    })
}

/// A JSON value from its literal text (keeps decimals exact, e.g. `89.99`).
fn lit(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Sets the value at a JSON pointer whose parent exists; `-` appends to an array.
fn set(mut v: Value, pointer: &str, x: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"))
    {
        Value::Object(map) => {
            map.insert(key.to_owned(), x);
        }
        Value::Array(items) if key == "-" => items.push(x),
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = x,
        other => panic!("cannot set {key} in {other}"),
    }
    v
}

/// Removes the key at a JSON pointer (absent, as opposed to `null`).
fn remove(mut v: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|m| m.shift_remove(key))
        .unwrap_or_else(|| panic!("no {pointer}"));
    v
}

/// Applies `(pointer, value)` edits to `base()`.
fn edit(edits: &[(&str, Value)]) -> Value {
    edits.iter().fold(base(), |v, (p, x)| set(v, p, x.clone()))
}

/// The three-valued truth of `need` in `family` (a fully known family with a
/// dependent child): two known headlines other than the need's are added, so
/// that eligibility is exactly the need's own truth.
fn need(family: Value, id: &str) -> Option<bool> {
    let fillers = [
        (
            "/relationships/parent_child_conflict",
            json!(true),
            "relationships",
        ),
        ("/finances/problem_debt", json!(true), "financial"),
        ("/housing/status", json!("homeless"), "housing"),
    ];
    let family = fillers
        .into_iter()
        .filter(|(_, _, h)| *h != headline_of(id))
        .take(2)
        .fold(family, |v, (p, x, _)| set(v, p, x));
    let out = evaluate_json(&family.to_string()).unwrap();
    assert_eq!(
        out.eligible == Some(true),
        out.needs.contains(&id),
        "{id} in {family}"
    );
    out.eligible
}

// ---------------------------------------------------------------------------
// Every need: present, absent, unknown.
// ---------------------------------------------------------------------------

#[test]
fn base_family_has_no_needs_and_every_need_is_known_absent() {
    check(&base().to_string(), (Some(false), &[]));
    for n in [
        "persistent_absence",
        "suspension_or_exclusion",
        "missing_education",
        "neet",
        "development_concern",
        "no_early_education",
        "mental_health",
        "physical_health",
        "substance_misuse",
        "parental_conflict",
        "parent_child_conflict",
        "young_carer",
        "exploitation",
        "missing_episodes",
        "social_care",
        "child_protection_concern",
        "offending",
        "anti_social_behaviour",
        "domestic_abuse_incident",
        "domestic_abuse_involved",
        "housing_need",
        "eviction_or_arrears",
        "worklessness",
        "problem_debt",
    ] {
        assert_eq!(need(base(), n), Some(false), "{n}");
    }
}

#[test]
fn fillers_alone_make_three_headlines_eligible() {
    let v = edit(&[
        ("/relationships/parent_child_conflict", json!(true)),
        ("/finances/problem_debt", json!(true)),
        ("/housing/status", json!("homeless")),
    ]);
    check(
        &v.to_string(),
        (
            Some(true),
            &["parent_child_conflict", "housing_need", "problem_debt"],
        ),
    );
}

/// `(need, edits, expected truth)`.
type Case<'a> = (&'a str, Vec<(&'a str, Value)>, Option<bool>);

fn run(cases: Vec<Case>) {
    for (n, edits, expected) in cases {
        assert_eq!(need(edit(&edits), n), expected, "{n} with {edits:?}");
    }
}

/// A second child born on `dob`, with `field` of `object` set to `value`.
fn child_with(dob: &str, object: &str, field: &str, value: Value) -> Value {
    let mut c = person("child", dob);
    c[object][field] = value;
    c
}

/// A second child of unknown age with the given attendance.
fn unknown_age(pct: &str) -> Value {
    let mut c = child_with("2014-01-01", "education", "attendance_pct", lit(pct));
    c["date_of_birth"] = Value::Null;
    c
}

#[test]
fn education_needs() {
    let t = Some(true);
    let f = Some(false);
    run(vec![
        (
            "persistent_absence",
            vec![("/members/1/education/attendance_pct", lit("85"))],
            t,
        ),
        (
            "persistent_absence",
            vec![("/members/1/education/attendance_pct", Value::Null)],
            None,
        ),
        (
            "persistent_absence",
            vec![("/members/1/education", Value::Null)],
            None,
        ),
        // A parent's attendance is not a child's, whatever else is unknown.
        (
            "persistent_absence",
            vec![("/members/0/education/attendance_pct", lit("50"))],
            f,
        ),
        (
            "persistent_absence",
            vec![
                ("/members/0/date_of_birth", Value::Null),
                ("/members/0/education", Value::Null),
            ],
            f,
        ),
        // A child of unknown age: good attendance settles it, poor does not.
        (
            "persistent_absence",
            vec![("/members/-", unknown_age("99"))],
            f,
        ),
        (
            "persistent_absence",
            vec![("/members/-", unknown_age("80"))],
            None,
        ),
        (
            "suspension_or_exclusion",
            vec![("/members/1/education/suspensions", json!(["2024-01-10"]))],
            t,
        ),
        (
            "suspension_or_exclusion",
            vec![(
                "/members/1/education/permanent_exclusions",
                json!(["2023-12-01"]),
            )],
            t,
        ),
        (
            "suspension_or_exclusion",
            vec![("/members/1/education/suspensions", Value::Null)],
            None,
        ),
        // An unknown list does not stop a known recent date in the other list.
        (
            "suspension_or_exclusion",
            vec![
                ("/members/1/education/suspensions", Value::Null),
                (
                    "/members/1/education/permanent_exclusions",
                    json!(["2024-05-31"]),
                ),
            ],
            t,
        ),
        (
            "suspension_or_exclusion",
            vec![("/members/1/education/suspensions", json!(["2020-01-10"]))],
            f,
        ),
        (
            "suspension_or_exclusion",
            vec![("/members/0/education/suspensions", json!(["2024-01-10"]))],
            f,
        ),
        (
            "missing_education",
            vec![("/members/1/education/missing_education", json!(true))],
            t,
        ),
        (
            "missing_education",
            vec![("/members/1/education/missing_education", Value::Null)],
            None,
        ),
        (
            "missing_education",
            vec![("/members/0/education/missing_education", json!(true))],
            f,
        ),
        // neet: any member, any role, aged 16 or 17.
        (
            "neet",
            vec![(
                "/members/-",
                child_with("2007-09-01", "employment", "status", json!("neet")),
            )],
            t,
        ),
        (
            "neet",
            vec![("/members/-", {
                let mut p = person("other_adult", "2007-09-01");
                p["employment"]["status"] = json!("neet");
                p
            })],
            t,
        ),
        (
            "neet",
            vec![(
                "/members/-",
                child_with("2007-09-01", "employment", "status", Value::Null),
            )],
            None,
        ),
        (
            "neet",
            vec![(
                "/members/-",
                child_with("2007-09-01", "employment", "status", json!("in_education")),
            )],
            f,
        ),
        (
            "neet",
            vec![("/members/0/employment/status", json!("neet"))],
            f,
        ), // aged 34
        (
            "neet",
            vec![("/members/1/employment/status", json!("neet"))],
            f,
        ), // aged 10
        (
            "neet",
            vec![
                ("/members/0/employment/status", json!("neet")),
                ("/members/0/date_of_birth", Value::Null),
            ],
            None,
        ),
    ]);
}

#[test]
fn early_years_needs() {
    let (t, f) = (Some(true), Some(false));
    run(vec![
        (
            "development_concern",
            vec![(
                "/members/-",
                child_with(
                    "2021-01-01",
                    "education",
                    "development_concern",
                    json!(true),
                ),
            )],
            t,
        ),
        (
            "development_concern",
            vec![(
                "/members/-",
                child_with(
                    "2021-01-01",
                    "education",
                    "development_concern",
                    Value::Null,
                ),
            )],
            None,
        ),
        (
            "development_concern",
            vec![("/members/1/education/development_concern", json!(true))],
            f,
        ),
        (
            "no_early_education",
            vec![(
                "/members/-",
                child_with("2021-01-01", "education", "early_years_place", json!(false)),
            )],
            t,
        ),
        (
            "no_early_education",
            vec![(
                "/members/-",
                child_with("2021-01-01", "education", "early_years_place", Value::Null),
            )],
            None,
        ),
        // Aged 2: too young for this need.
        (
            "no_early_education",
            vec![(
                "/members/-",
                child_with("2022-01-01", "education", "early_years_place", json!(false)),
            )],
            f,
        ),
        (
            "no_early_education",
            vec![("/members/1/education/early_years_place", json!(false))],
            f,
        ),
    ]);
}

#[test]
fn health_and_substance_needs() {
    let (t, f) = (Some(true), Some(false));
    run(vec![
        (
            "mental_health",
            vec![("/members/0/health/mental_health_concern", json!(true))],
            t,
        ),
        (
            "mental_health",
            vec![("/members/1/health/mental_health_concern", json!(true))],
            t,
        ),
        (
            "mental_health",
            vec![("/members/0/health/mental_health_concern", Value::Null)],
            None,
        ),
        (
            "mental_health",
            vec![("/members/0/health", Value::Null)],
            None,
        ),
        // Unknown for one member, true for another: true.
        (
            "mental_health",
            vec![
                ("/members/0/health", Value::Null),
                ("/members/1/health/mental_health_concern", json!(true)),
            ],
            t,
        ),
        (
            "physical_health",
            vec![("/members/0/health/physical_health_concern", json!(true))],
            t,
        ),
        (
            "physical_health",
            vec![("/members/1/health/physical_health_concern", Value::Null)],
            None,
        ),
        (
            "substance_misuse",
            vec![("/members/0/health/substance_misuse", json!("alcohol"))],
            t,
        ),
        (
            "substance_misuse",
            vec![("/members/0/health/substance_misuse", json!("drugs"))],
            t,
        ),
        (
            "substance_misuse",
            vec![("/members/1/health/substance_misuse", json!("both"))],
            t,
        ),
        (
            "substance_misuse",
            vec![("/members/0/health/substance_misuse", Value::Null)],
            None,
        ),
        (
            "substance_misuse",
            vec![("/members/0/health/substance_misuse", json!("none"))],
            f,
        ),
    ]);
}

#[test]
fn relationship_needs() {
    let (t, f) = (Some(true), Some(false));
    run(vec![
        (
            "parental_conflict",
            vec![("/relationships/parental_conflict", json!(true))],
            t,
        ),
        (
            "parental_conflict",
            vec![("/relationships/parental_conflict", Value::Null)],
            None,
        ),
        (
            "parental_conflict",
            vec![("/relationships", Value::Null)],
            None,
        ),
        (
            "parent_child_conflict",
            vec![("/relationships/parent_child_conflict", json!(true))],
            t,
        ),
        (
            "parent_child_conflict",
            vec![("/relationships/parent_child_conflict", Value::Null)],
            None,
        ),
        (
            "young_carer",
            vec![("/members/1/safeguarding/young_carer", json!(true))],
            t,
        ),
        (
            "young_carer",
            vec![("/members/1/safeguarding/young_carer", Value::Null)],
            None,
        ),
        (
            "young_carer",
            vec![("/members/0/safeguarding/young_carer", json!(true))],
            f,
        ),
    ]);
}

#[test]
fn safeguarding_needs() {
    let (t, f) = (Some(true), Some(false));
    run(vec![
        (
            "exploitation",
            vec![(
                "/members/1/safeguarding/exploitation_risk",
                json!("criminal"),
            )],
            t,
        ),
        (
            "exploitation",
            vec![("/members/1/safeguarding/exploitation_risk", json!("sexual"))],
            t,
        ),
        (
            "exploitation",
            vec![("/members/1/safeguarding/exploitation_risk", json!("both"))],
            t,
        ),
        (
            "exploitation",
            vec![("/members/1/safeguarding/exploitation_risk", Value::Null)],
            None,
        ),
        (
            "exploitation",
            vec![("/members/0/safeguarding/exploitation_risk", json!("sexual"))],
            f,
        ),
        (
            "missing_episodes",
            vec![(
                "/members/1/safeguarding/missing_episodes",
                json!(["2024-05-01"]),
            )],
            t,
        ),
        (
            "missing_episodes",
            vec![("/members/1/safeguarding/missing_episodes", Value::Null)],
            None,
        ),
        (
            "missing_episodes",
            vec![(
                "/members/1/safeguarding/missing_episodes",
                json!(["2023-05-01"]),
            )],
            f,
        ),
        (
            "missing_episodes",
            vec![(
                "/members/0/safeguarding/missing_episodes",
                json!(["2024-05-01"]),
            )],
            f,
        ),
        (
            "social_care",
            vec![("/social_care/status", json!("child_in_need"))],
            t,
        ),
        (
            "social_care",
            vec![("/social_care/status", json!("child_protection"))],
            t,
        ),
        (
            "social_care",
            vec![("/social_care/status", json!("early_help"))],
            f,
        ),
        (
            "social_care",
            vec![("/social_care/status", json!("looked_after"))],
            f,
        ),
        (
            "social_care",
            vec![("/social_care/status", Value::Null)],
            None,
        ),
        ("social_care", vec![("/social_care", Value::Null)], None),
        (
            "child_protection_concern",
            vec![(
                "/incidents",
                json!([{"type": "child_protection_concern", "date": "2024-05-01"}]),
            )],
            t,
        ),
        (
            "child_protection_concern",
            vec![(
                "/incidents",
                json!([{"type": "child_protection_concern", "date": "2023-05-01"}]),
            )],
            f,
        ),
        (
            "child_protection_concern",
            vec![(
                "/incidents",
                json!([{"type": "police_callout", "date": "2024-05-01"}]),
            )],
            f,
        ),
        (
            "child_protection_concern",
            vec![("/incidents", Value::Null)],
            None,
        ),
    ]);
}

#[test]
fn crime_needs() {
    let (t, f) = (Some(true), Some(false));
    run(vec![
        (
            "offending",
            vec![("/members/0/offending/offences", json!(["2024-01-01"]))],
            t,
        ),
        (
            "offending",
            vec![("/members/1/offending/youth_justice", json!(true))],
            t,
        ),
        (
            "offending",
            vec![("/members/0/offending/offences", Value::Null)],
            None,
        ),
        (
            "offending",
            vec![("/members/0/offending/youth_justice", Value::Null)],
            None,
        ),
        (
            "offending",
            vec![("/members/0/offending", Value::Null)],
            None,
        ),
        (
            "offending",
            vec![
                ("/members/0/offending/offences", Value::Null),
                ("/members/0/offending/youth_justice", json!(true)),
            ],
            t,
        ),
        (
            "offending",
            vec![(
                "/members/0/offending/offences",
                json!(["2023-01-01", "2025-01-01"]),
            )],
            f,
        ),
        (
            "anti_social_behaviour",
            vec![(
                "/members/0/offending/anti_social_behaviour",
                json!(["2024-01-01"]),
            )],
            t,
        ),
        (
            "anti_social_behaviour",
            vec![("/members/0/offending/anti_social_behaviour", Value::Null)],
            None,
        ),
        (
            "anti_social_behaviour",
            vec![(
                "/incidents",
                json!([{"type": "anti_social_behaviour", "date": "2024-01-01"}]),
            )],
            t,
        ),
        (
            "anti_social_behaviour",
            vec![(
                "/incidents",
                json!([{"type": "anti_social_behaviour", "date": "2022-01-01"}]),
            )],
            f,
        ),
        // An unknown incident list leaves it open ...
        (
            "anti_social_behaviour",
            vec![("/incidents", Value::Null)],
            None,
        ),
        // ... unless a member's own record settles it.
        (
            "anti_social_behaviour",
            vec![
                ("/incidents", Value::Null),
                (
                    "/members/1/offending/anti_social_behaviour",
                    json!(["2024-05-31"]),
                ),
            ],
            t,
        ),
    ]);
}

#[test]
fn domestic_abuse_needs() {
    let (t, f) = (Some(true), Some(false));
    run(vec![
        (
            "domestic_abuse_incident",
            vec![(
                "/incidents",
                json!([{"type": "domestic_abuse", "date": "2024-05-01", "risk": "high"}]),
            )],
            t,
        ),
        (
            "domestic_abuse_incident",
            vec![(
                "/incidents",
                json!([{"type": "missing_person", "date": "2024-05-01"}]),
            )],
            f,
        ),
        (
            "domestic_abuse_involved",
            vec![("/members/0/safeguarding/domestic_abuse_victim", json!(true))],
            t,
        ),
        (
            "domestic_abuse_involved",
            vec![(
                "/members/0/safeguarding/domestic_abuse_perpetrator",
                json!(true),
            )],
            t,
        ),
        (
            "domestic_abuse_involved",
            vec![("/members/1/safeguarding/domestic_abuse_victim", Value::Null)],
            None,
        ),
        (
            "domestic_abuse_involved",
            vec![
                ("/members/0/safeguarding/domestic_abuse_victim", Value::Null),
                (
                    "/members/0/safeguarding/domestic_abuse_perpetrator",
                    json!(true),
                ),
            ],
            t,
        ),
    ]);
}

#[test]
fn housing_and_financial_needs() {
    let (t, f) = (Some(true), Some(false));
    run(vec![
        (
            "housing_need",
            vec![("/housing/status", json!("homeless"))],
            t,
        ),
        (
            "housing_need",
            vec![("/housing/status", json!("temporary_accommodation"))],
            t,
        ),
        (
            "housing_need",
            vec![("/housing/status", json!("at_risk_of_homelessness"))],
            t,
        ),
        ("housing_need", vec![("/housing/status", Value::Null)], None),
        ("housing_need", vec![("/housing", Value::Null)], None),
        (
            "eviction_or_arrears",
            vec![("/housing/rent_arrears", json!(true))],
            t,
        ),
        (
            "eviction_or_arrears",
            vec![("/housing/eviction_notices", json!(["2024-03-01"]))],
            t,
        ),
        (
            "eviction_or_arrears",
            vec![("/housing/eviction_notices", json!(["2023-03-01"]))],
            f,
        ),
        (
            "eviction_or_arrears",
            vec![("/housing/rent_arrears", Value::Null)],
            None,
        ),
        (
            "eviction_or_arrears",
            vec![("/housing/eviction_notices", Value::Null)],
            None,
        ),
        (
            "eviction_or_arrears",
            vec![
                ("/housing/eviction_notices", Value::Null),
                ("/housing/rent_arrears", json!(true)),
            ],
            t,
        ),
        (
            "worklessness",
            vec![(
                "/members/0/employment",
                json!({"status": "unemployed", "out_of_work_benefits": true}),
            )],
            t,
        ),
        (
            "worklessness",
            vec![(
                "/members/0/employment",
                json!({"status": "economically_inactive", "out_of_work_benefits": true}),
            )],
            t,
        ),
        (
            "worklessness",
            vec![(
                "/members/0/employment",
                json!({"status": "unemployed", "out_of_work_benefits": false}),
            )],
            f,
        ),
        (
            "worklessness",
            vec![(
                "/members/0/employment",
                json!({"status": "employed", "out_of_work_benefits": true}),
            )],
            f,
        ),
        (
            "worklessness",
            vec![("/members/0/employment", json!({"status": "unemployed"}))],
            None,
        ),
        (
            "worklessness",
            vec![(
                "/members/0/employment",
                json!({"out_of_work_benefits": true}),
            )],
            None,
        ),
        // false and unknown is false.
        (
            "worklessness",
            vec![(
                "/members/0/employment",
                json!({"out_of_work_benefits": false}),
            )],
            f,
        ),
        // Children are not adults.
        (
            "worklessness",
            vec![(
                "/members/1/employment",
                json!({"status": "unemployed", "out_of_work_benefits": true}),
            )],
            f,
        ),
        (
            "worklessness",
            vec![("/members/-", {
                let mut p = person("other_adult", "1970-01-01");
                p["employment"] = json!({"status": "unemployed", "out_of_work_benefits": true});
                p
            })],
            t,
        ),
        (
            "problem_debt",
            vec![("/finances/problem_debt", json!(true))],
            t,
        ),
        (
            "problem_debt",
            vec![("/finances/problem_debt", Value::Null)],
            None,
        ),
        ("problem_debt", vec![("/finances", Value::Null)], None),
    ]);
}

#[test]
fn absent_is_unknown_like_null() {
    for (pointer, n) in [
        ("/members/1/education/attendance_pct", "persistent_absence"),
        ("/members/0/health", "mental_health"),
        ("/members/0/offending/offences", "offending"),
        ("/incidents", "domestic_abuse_incident"),
        ("/housing/rent_arrears", "eviction_or_arrears"),
        ("/finances", "problem_debt"),
    ] {
        assert_eq!(need(remove(base(), pointer), n), None, "{pointer}");
    }
}

// ---------------------------------------------------------------------------
// Exact decimals
// ---------------------------------------------------------------------------

fn attendance(pct: &str) -> String {
    one(
        "2024-06-01",
        &format!(
            r#""role":"child","date_of_birth":"2014-01-01","education":{{"attendance_pct":{pct}}}"#
        ),
        "",
    )
}

/// "any child with `csa(c)` has `education.attendance_pct` <= 90 (DfE: absent from 10% or more
/// of sessions)"; "All comparisons of percentages and money are exact decimals (90 <= 90; 90.01
/// is not <= 90)".
#[test]
fn attendance_threshold_is_exact() {
    let pa: &[&str] = &["persistent_absence"];
    check(&attendance("89.99"), (None, pa));
    check(&attendance("90"), (None, pa));
    check(&attendance("90.0"), (None, pa));
    check(&attendance("90.01"), (None, &[]));
    check(&attendance("89.99999999999999999999"), (None, pa));
    check(&attendance("90.00000000000000000001"), (None, &[]));
    check(&attendance("8.999e1"), (None, pa));
    check(&attendance("9E+1"), (None, pa));
    check(&attendance("9000e-2"), (None, pa));
    check(&attendance("9001e-2"), (None, &[]));
    check(&attendance("0"), (None, pa));
    check(&attendance("null"), (None, &[]));
}

// ---------------------------------------------------------------------------
// Dates: the 12-month window and ages
// ---------------------------------------------------------------------------

fn suspended(today: &str, date: &str) -> String {
    one(
        today,
        &format!(r#""role":"child","education":{{"suspensions":["{date}"]}}"#),
        "",
    )
}

#[test]
fn twelve_month_window() {
    let hit: &[&str] = &["suspension_or_exclusion"];
    check(&suspended("2024-06-01", "2023-06-01"), (None, &[]));
    check(&suspended("2024-06-01", "2023-06-02"), (None, hit));
    check(&suspended("2024-06-01", "2024-06-01"), (None, hit));
    check(&suspended("2024-06-01", "2024-06-02"), (None, &[])); // the future
                                                                // Leap-day assessment: 12 months before 2024-02-29 is 2023-02-28.
    check(&suspended("2024-02-29", "2023-02-28"), (None, &[]));
    check(&suspended("2024-02-29", "2023-03-01"), (None, hit));
    // ... and 12 months before 2025-02-28 is 2024-02-28, so the leap day counts.
    check(&suspended("2025-02-28", "2024-02-28"), (None, &[]));
    check(&suspended("2025-02-28", "2024-02-29"), (None, hit));
    check(&suspended("2024-03-31", "2023-03-31"), (None, &[]));
    check(&suspended("2024-03-31", "2023-04-01"), (None, hit));
    // Suspensions and exclusions count for a child of any age (here 24, so
    // not a dependant: not eligible).
    check(
        &one(
            "2024-06-01",
            r#""role":"child","date_of_birth":"2000-01-01",
               "education":{"permanent_exclusions":["2024-01-01"]}"#,
            r#","expectant_parent":false"#,
        ),
        (Some(false), &["suspension_or_exclusion"]),
    );
}

fn child_born(today: &str, dob: &str) -> String {
    one(
        today,
        &format!(
            r#""role":"child","date_of_birth":"{dob}","education":{{"attendance_pct":80,
               "missing_education":true,"development_concern":true,"early_years_place":false}},
               "employment":{{"status":"neet"}}"#
        ),
        r#","expectant_parent":false"#,
    )
}

/// v2 reads compulsory school age and year groups (`english-calendar.md`) where v1 read ages
/// 5–15 and 3–4; ages themselves are completed years.
#[test]
fn ages_are_completed_years() {
    let school: &[&str] = &["persistent_absence", "missing_education"];
    let under_five: &[&str] = &["development_concern", "no_early_education"];
    let neet: &[&str] = &["neet"];
    // Fifth birthday on the assessment date: 5, no longer under 5, but not yet of compulsory
    // school age (it starts on the next prescribed day, 31 August 2024).
    check(&child_born("2024-06-01", "2019-06-01"), (None, &[]));
    check(&child_born("2024-09-02", "2019-06-01"), (None, school));
    // A 4-year-old in Reception (year(c) = 0) is not "without early education": "any child
    // with 3 ≤ age ≤ 4 and `year(c)` < 0 (below Reception)".
    check(
        &child_born("2024-06-01", "2019-06-02"),
        (None, &["development_concern"]),
    );
    // Third birthday: now 3 and below Reception.
    check(&child_born("2024-06-01", "2021-06-01"), (None, under_five));
    check(
        &child_born("2024-06-01", "2021-06-02"),
        (None, &["development_concern"]),
    );
    // 15, in Year 11: of compulsory school age.
    check(&child_born("2024-06-01", "2008-06-02"), (None, school));
    // 16 on the assessment date and still in Year 11: of compulsory school age to the last
    // Friday in June (28 June 2024), and NEET; not a dependant (NEET, not in education).
    let school_and_neet: &[&str] = &["persistent_absence", "missing_education", "neet"];
    check(
        &child_born("2024-06-01", "2008-06-01"),
        (Some(false), school_and_neet),
    );
    check(
        &child_born("2024-06-28", "2008-06-01"),
        (Some(false), school_and_neet),
    );
    check(&child_born("2024-06-29", "2008-06-01"), (Some(false), neet));
    // 17 vs 18: NEET, so not an ONS dependent child either way.
    check(&child_born("2024-06-01", "2006-06-02"), (Some(false), neet));
    check(&child_born("2024-06-01", "2006-06-01"), (Some(false), &[]));
    // Born on 29 February: the birthday is 1 March in non-leap years.
    check(&child_born("2024-02-28", "2008-02-29"), (None, school)); // 15
    check(
        &child_born("2024-02-29", "2008-02-29"),
        (Some(false), school_and_neet),
    ); // 16, Year 11
    check(
        &child_born("2023-02-28", "2007-02-28"),
        (Some(false), school_and_neet),
    ); // 16, Year 11
    check(&child_born("2022-02-28", "2004-02-29"), (Some(false), neet)); // 17
    check(&child_born("2022-03-01", "2004-02-29"), (Some(false), &[])); // 18
                                                                        // Unknown date of birth: every age-bounded need is unknown, not true.
    check(
        &one(
            "2024-06-01",
            r#""role":"child","education":{"attendance_pct":80}"#,
            "",
        ),
        (None, &[]),
    );
    // Born after the assessment date: a negative age is under 5.
    check(
        &child_born("2024-06-01", "2024-07-01"),
        (None, &["development_concern"]),
    );
}

// ---------------------------------------------------------------------------
// Dependants and the count of headlines
// ---------------------------------------------------------------------------

/// Three known headlines (housing, financial, health) with `members` and
/// `expectant` (a JSON literal or empty for absent).
fn three_headlines(members: &str, expectant: &str) -> String {
    let expectant = if expectant.is_empty() {
        String::new()
    } else {
        format!(r#","expectant_parent":{expectant}"#)
    };
    format!(
        r#"{{"id":"F1","assessment_date":"2024-06-01","members":[{members}]{expectant},
            "housing":{{"status":"homeless"}},"finances":{{"problem_debt":true}},
            "relationships":{{"parental_conflict":true}}}}"#
    )
}

const NEEDS3: &[&str] = &["parental_conflict", "housing_need", "problem_debt"];
const ADULT: &str = r#"{"id":"P1","role":"parent_carer","date_of_birth":"1990-01-01"}"#;

#[test]
fn dependants() {
    let child = |dob: &str| format!(r#"{{"id":"C1","role":"child","date_of_birth":"{dob}"}}"#);
    let status = |dob: &str, status: &str| {
        format!(
            r#"{{"id":"C1","role":"child","date_of_birth":"{dob}","employment":{{"status":"{status}"}}}}"#
        )
    };
    let under_18 = Settings {
        every_child_under_18: true,
        ..Settings::default()
    };
    let with =
        |json: &str, settings: &Settings| evaluate_json_with(json, settings).unwrap().eligible;
    // No dependants but three headlines: not eligible.
    check(&three_headlines(ADULT, "false"), (Some(false), NEEDS3));
    check(&three_headlines("", "false"), (Some(false), NEEDS3));
    // Expectant parent unknown (absent or null) and no children: undetermined.
    check(&three_headlines(ADULT, ""), (None, NEEDS3));
    check(&three_headlines(ADULT, "null"), (None, NEEDS3));
    check(&three_headlines(ADULT, "true"), (Some(true), NEEDS3));
    // "A dependent child (ONS) is a child aged under 16, or aged 16 to 18 whose
    // `employment.status` is `in_education`". Under 16 settles it whatever the expectant parent.
    let c15 = format!("{ADULT},{}", child("2008-06-02"));
    check(&three_headlines(&c15, ""), (Some(true), NEEDS3));
    // 16 in education is dependent; 16 in work is not; 16 of unknown status may be.
    let c16 = |s: &str| format!("{ADULT},{}", status("2008-06-01", s));
    check(
        &three_headlines(&c16("in_education"), ""),
        (Some(true), NEEDS3),
    );
    check(
        &three_headlines(&c16("employed"), "false"),
        (Some(false), NEEDS3),
    );
    let c17 = format!("{ADULT},{}", child("2006-06-02"));
    check(&three_headlines(&c17, ""), (None, NEEDS3));
    check(&three_headlines(&c17, "false"), (None, NEEDS3));
    // 18 in education still counts ("16 to 18"); 19 never does.
    let c18 = format!("{ADULT},{}", status("2006-06-01", "in_education"));
    check(&three_headlines(&c18, "false"), (Some(true), NEEDS3));
    let c19 = format!("{ADULT},{}", status("2005-06-01", "in_education"));
    check(&three_headlines(&c19, "false"), (Some(false), NEEDS3));
    check(&three_headlines(&c19, "true"), (Some(true), NEEDS3));
    // The council variant "counts every child under 18": 17 of unknown status is
    // dependent, 18 in education is not.
    assert_eq!(with(&three_headlines(&c17, "false"), &under_18), Some(true));
    assert_eq!(
        with(&three_headlines(&c18, "false"), &under_18),
        Some(false)
    );
    // A child of unknown age may or may not be a dependant.
    let unknown_age = format!(r#"{ADULT},{{"id":"C1","role":"child"}}"#);
    check(&three_headlines(&unknown_age, "false"), (None, NEEDS3));
    check(&three_headlines(&unknown_age, "true"), (Some(true), NEEDS3));
}

/// "A family counts … when it … shows at least three family needs"; counting three headline
/// outcomes instead is "a council variant, switched on by one param, never the default".
#[test]
fn count_of_needs_and_of_headlines() {
    let headlines = Settings {
        count_headlines: true,
        ..Settings::default()
    };
    let variant = |v: &Value| {
        evaluate_json_with(&v.to_string(), &headlines)
            .unwrap()
            .eligible
    };
    // Three needs in two headlines: eligible nationally, not under the variant.
    let two_in_one = edit(&[
        ("/relationships/parental_conflict", json!(true)),
        ("/relationships/parent_child_conflict", json!(true)),
        ("/finances/problem_debt", json!(true)),
    ]);
    let three_needs: &[&str] = &["parental_conflict", "parent_child_conflict", "problem_debt"];
    check(&two_in_one.to_string(), (Some(true), three_needs));
    assert_eq!(variant(&two_in_one), Some(false));
    // Two known headlines and one undetermined: undetermined under the variant only.
    let open = set(two_in_one.clone(), "/housing/status", Value::Null);
    check(&open.to_string(), (Some(true), three_needs));
    assert_eq!(variant(&open), None);
    // Three known headlines settle it even with other headlines unknown.
    let settled = set(open, "/social_care/status", json!("child_protection"));
    check(
        &settled.to_string(),
        (
            Some(true),
            &[
                "parental_conflict",
                "parent_child_conflict",
                "social_care",
                "problem_debt",
            ],
        ),
    );
    assert_eq!(variant(&settled), Some(true));
    // Two needs known and one undetermined: undetermined.
    let two_and_open = edit(&[
        ("/relationships/parental_conflict", json!(true)),
        ("/finances/problem_debt", json!(true)),
        ("/housing/status", Value::Null),
    ]);
    check(
        &two_and_open.to_string(),
        (None, &["parental_conflict", "problem_debt"]),
    );
    // One known + one unknown need can never reach three: not eligible.
    let short = edit(&[
        ("/finances/problem_debt", json!(true)),
        ("/housing/status", Value::Null),
    ]);
    check(&short.to_string(), (Some(false), &["problem_debt"]));
    // With the whole housing record unknown, two housing needs are open: three possible.
    let open_housing = edit(&[
        ("/finances/problem_debt", json!(true)),
        ("/housing", Value::Null),
    ]);
    check(&open_housing.to_string(), (None, &["problem_debt"]));
    assert_eq!(variant(&open_housing), Some(false));
    // Dependants false and count unknown: false.
    check(
        &one(
            "2024-06-01",
            r#""role":"parent_carer""#,
            r#","expectant_parent":false"#,
        ),
        (Some(false), &[]),
    );
    // Nothing known at all: undetermined.
    check(&one("2024-06-01", r#""role":"child""#, ""), (None, &[]));
}

#[test]
fn incidents_absent_empty_and_old() {
    let incidents = |list: &str| one("2024-06-01", r#""role":"child""#, list);
    check(
        &incidents(
            r#","incidents":[{"type":"domestic_abuse","date":"2024-05-31"},
                {"type":"child_protection_concern","date":"2024-01-01"},
                {"type":"anti_social_behaviour","date":"2023-06-02"}]"#,
        ),
        (
            None,
            &[
                "child_protection_concern",
                "anti_social_behaviour",
                "domestic_abuse_incident",
            ],
        ),
    );
    check(
        &incidents(r#","incidents":[{"type":"domestic_abuse","date":"2024-06-02"}]"#),
        (None, &[]),
    );
    // Empty list: incident needs known false; still undetermined elsewhere.
    let empty = set(base(), "/incidents", json!([]));
    assert_eq!(need(empty, "domestic_abuse_incident"), Some(false));
}

#[test]
fn unknown_incidents_leave_each_incident_need_open() {
    // Two headlines known from members' own records; the third could only come
    // from the unknown incident list.
    let social_care = ("/social_care/status", json!("child_in_need")); // safeguarding
    let youth_justice = ("/members/1/offending/youth_justice", json!(true)); // crime
    let victim = ("/members/0/safeguarding/domestic_abuse_victim", json!(true)); // domestic abuse
    let no_incidents = ("/incidents", Value::Null);
    for (edits, open) in [
        (
            [social_care.clone(), youth_justice.clone()],
            "domestic_abuse_incident",
        ),
        ([youth_justice, victim.clone()], "child_protection_concern"),
        ([social_care, victim], "anti_social_behaviour"),
    ] {
        let known = edit(&edits);
        assert_eq!(
            evaluate_json(&known.to_string()).unwrap().eligible,
            Some(false)
        );
        let unknown = set(known, no_incidents.0, no_incidents.1.clone());
        let out = evaluate_json(&unknown.to_string()).unwrap();
        assert_eq!(out.eligible, None, "{open}");
        assert_eq!(out.headlines.len(), 2, "{open}");
    }
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

#[test]
fn extra_fields_are_ignored() {
    let v = set(base(), "/postcode", json!("B11 1AA"));
    let v = set(v, "/members/0/disability_living_allowance", json!(true));
    let v = set(v, "/finances/benefits", json!(["universal_credit"]));
    let v = set(
        v,
        "/incidents",
        json!([{"type": "police_callout", "date": "2024-01-01",
        "source": "police", "person_ids": ["P1"]}]),
    );
    check(&v.to_string(), (Some(false), &[]));
}

#[test]
fn wrong_types_and_bad_dates_are_errors() {
    let base = base();
    let bad = |pointer: &str, x: Value| {
        let json = set(base.clone(), pointer, x).to_string();
        assert!(decode(&json).is_err(), "{pointer} accepted: {json}");
        assert!(evaluate_json(&json).is_err());
    };
    bad("/members/1/education/attendance_pct", json!("90"));
    bad("/members/1/education/attendance_pct", json!(true));
    bad("/members/1/education/attendance_pct", lit("1e40"));
    bad("/members/1/date_of_birth", json!("2014-13-01"));
    bad("/members/1/date_of_birth", json!("2023-02-29"));
    bad("/members/1/date_of_birth", json!("2014-1-01"));
    bad("/members/1/date_of_birth", json!("01/01/2014"));
    bad("/members/1/date_of_birth", json!(20140101));
    bad("/members/1/role", json!("baby"));
    bad("/members/1/role", Value::Null);
    bad("/members/1/health/substance_misuse", json!("tobacco"));
    bad("/members/1/health/mental_health_concern", json!("yes"));
    bad("/members/1/education", json!([]));
    bad("/members/1/education/suspensions", json!("2024-01-01"));
    bad("/members/1/education/suspensions", json!([null]));
    bad("/members/1", Value::Null);
    bad("/members", Value::Null);
    bad("/assessment_date", json!("2024-06-31"));
    bad("/assessment_date", Value::Null);
    bad("/expectant_parent", json!(1));
    bad("/incidents", json!([{"type": "domestic_abuse"}]));
    bad(
        "/incidents",
        json!([{"type": "fire", "date": "2024-01-01"}]),
    );
    bad("/incidents", json!([{"date": "2024-01-01"}]));
    bad("/incidents", json!({}));
    bad("/housing/status", json!("castle"));
    bad("/social_care", json!("none"));
    assert!(decode(&remove(base.clone(), "/members").to_string()).is_err());
    assert!(decode(&remove(base.clone(), "/assessment_date").to_string()).is_err());
    assert!(decode(&remove(base.clone(), "/members/0/role").to_string()).is_err());
    for text in ["", "null", "[]", "{", "not json", r#"{"id":"F1"}"#] {
        assert!(decode(text).is_err(), "{text:?}");
    }
    assert!(decode(&format!("{} x", base)).is_err());
}

#[test]
fn decode_keeps_decimals_and_dates() {
    let family = decode(&attendance("89.990")).unwrap();
    let pct = family.members[0]
        .education
        .as_ref()
        .unwrap()
        .attendance_pct
        .unwrap();
    // Exactly 89.99 (trailing zeros carry no value and are dropped).
    assert_eq!(pct.to_string(), "89.99");
    assert_eq!(family.assessment_date.to_string(), "2024-06-01");
    assert_eq!(family.incidents, None);
}

#[test]
fn mangled_input_never_panics() {
    let text = base().to_string();
    for i in 0..text.len() {
        let _ = evaluate_json(&text[..i]);
        for c in ["", "0", "\"", "]", "9e9999", "null", "-", "{}"] {
            if text.is_char_boundary(i) && text.is_char_boundary(i + 1) {
                let mangled = format!("{}{c}{}", &text[..i], &text[i + 1..]);
                let _ = evaluate_json(&mangled);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// v2: the calendar, recorded year groups and the programme period
// ---------------------------------------------------------------------------

/// "`year(c)` is `c.education.year_group` when it is known, else `year_group(c.date_of_birth,
/// today)`": a recorded year group overrides the chronological one.
#[test]
fn recorded_year_group_decides_below_reception() {
    let child = |dob: &str, year: &str| {
        one(
            "2024-06-01",
            &format!(
                r#""role":"child","date_of_birth":"{dob}",
                   "education":{{"early_years_place":false,"year_group":{year}}}"#
            ),
            "",
        )
    };
    let none: &[&str] = &[];
    let no_place: &[&str] = &["no_early_education"];
    // Aged 4, chronologically in Reception: counts only if recorded below it (deferred).
    check(&child("2019-06-02", "null"), (None, none));
    check(&child("2019-06-02", "-1"), (None, no_place));
    check(&child("2019-06-02", "0"), (None, none));
    // Aged 4, chronologically the year before Reception (born 2020-06-01: 3 on 31 August
    // 2023): counts, unless recorded as already in Reception.
    check(&child("2020-06-01", "null"), (None, no_place));
    check(&child("2020-06-01", "0"), (None, none));
    // Age unknown: undetermined whatever the year group.
    let unknown = one(
        "2024-06-01",
        r#""role":"child","education":{"early_years_place":false,"year_group":-1}"#,
        "",
    );
    check(&unknown, (None, none));
    // A place taken up settles it false even with the age unknown.
    let placed = one(
        "2024-06-01",
        r#""role":"child","education":{"early_years_place":true}"#,
        r#","expectant_parent":false,"incidents":[]"#,
    );
    let out = evaluate_json(&placed).unwrap();
    assert!(!out.needs.contains(&"no_early_education"));
}

/// "any child with `csa(c)` has `education.missing_education` true": compulsory school age,
/// including a 16-year-old in Year 11 and excluding a 4-year-old in Reception.
#[test]
fn missing_education_reads_compulsory_school_age() {
    let child = |today: &str, dob: &str| {
        one(
            today,
            &format!(
                r#""role":"child","date_of_birth":"{dob}","education":{{"missing_education":true}}"#
            ),
            "",
        )
    };
    let hit: &[&str] = &["missing_education"];
    // english-calendar.md: born 2019-12-31, of compulsory school age from 2024-12-31.
    check(&child("2024-12-30", "2019-12-31"), (None, &[]));
    check(&child("2024-12-31", "2019-12-31"), (None, hit));
    // Born 2008-01-20: to Friday 28 June 2024, not the 29th.
    check(&child("2024-06-28", "2008-01-20"), (None, hit));
    check(&child("2024-06-29", "2008-01-20"), (None, &[]));
}

/// "The programme's period is 2022-10-03 to 2025-03-31 … A record whose `assessment_date` lies
/// outside it is not evaluated: it becomes an error row that names the period (a caller may
/// explicitly ask to evaluate outside it)".
#[test]
fn the_programme_period_is_enforced() {
    let on = |date: &str| one(date, r#""role":"child","date_of_birth":"2014-01-01""#, "");
    for inside in ["2022-10-03", "2024-06-01", "2025-03-31"] {
        assert!(evaluate_json(&on(inside)).is_ok(), "{inside}");
    }
    for outside in ["2022-10-02", "2025-04-01", "2019-01-01"] {
        let err = evaluate_json(&on(outside)).unwrap_err();
        assert!(
            err.contains("2022-10-03") && err.contains("2025-03-31"),
            "{err}"
        );
        let asked = Settings {
            outside_period: true,
            ..Settings::default()
        };
        assert!(evaluate_json_with(&on(outside), &asked).is_ok());
    }
}
