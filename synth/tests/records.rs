//! The generated records: deterministic, valid against the reference schema, complete when
//! asked to be, and with unknowns that only ever hide values.

mod common;

use common::*;
use earlyhelp_synth::{family, write_jsonl, Options};
use serde_json::Value;

fn jsonl(families: u64, seed: u64, missing: f64) -> Vec<u8> {
    let mut out = Vec::new();
    write_jsonl(
        &Options {
            families,
            seed,
            missing,
        },
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn same_seed_gives_identical_bytes_and_other_seeds_differ() {
    let a = jsonl(200, 42, 0.08);
    assert_eq!(a, jsonl(200, 42, 0.08));
    assert_ne!(a, jsonl(200, 43, 0.08));
    // A family does not depend on how many others were generated with it.
    let first_ten: Vec<&[u8]> = a.split_inclusive(|&b| b == b'\n').take(10).collect();
    assert_eq!(first_ten.concat(), jsonl(10, 42, 0.08));
}

#[test]
fn each_line_is_the_serialised_family() {
    let out = String::from_utf8(jsonl(50, 9, 0.2)).unwrap();
    assert!(out.ends_with('\n'));
    for (line, index) in out.lines().zip(1..) {
        assert_eq!(line, serde_json::to_string(&family(9, index, 0.2)).unwrap());
    }
}

#[test]
fn records_validate_against_the_reference_schema() {
    let schema: Value = serde_json::from_str(include_str!("family-record.schema.json")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    for seed in [1, 2, 3] {
        for missing in [0.0, 0.08, 0.5, 1.0] {
            for index in 1..=300 {
                let f = family(seed, index, missing);
                let errors: Vec<String> = validator
                    .iter_errors(&f)
                    .map(|e| format!("{} at {}", e, e.instance_path))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "seed {seed}, missing {missing}, family {index}: {errors:?}"
                );
            }
        }
    }
}

/// Fields of each sub-record that must be present (and not null) for a member of this age
/// and role when nothing is missing; the others do not apply to them and are left out. A child
/// `at_school` (Reception to Year 11, or of compulsory school age) has school data; a
/// `year_group` is recorded only for a child out of their chronological year.
fn expected_fields(
    role: &str,
    age: i32,
    at_school: bool,
    year_recorded: bool,
) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut records = vec![
        (
            "health",
            vec![
                "mental_health_concern",
                "physical_health_concern",
                "substance_misuse",
                "substance_treatment",
            ],
        ),
        (
            "offending",
            vec!["offences", "anti_social_behaviour", "youth_justice"],
        ),
        (
            "safeguarding",
            vec![
                "missing_episodes",
                "exploitation_risk",
                "young_carer",
                "domestic_abuse_victim",
                "domestic_abuse_perpetrator",
            ],
        ),
    ];
    if role == "child" {
        let mut education = vec!["suspensions", "permanent_exclusions", "sen"];
        if at_school {
            education.extend([
                "attendance_pct",
                "missing_education",
                "elective_home_education",
            ]);
        }
        if age < 5 {
            education.push("development_concern");
        }
        if (2..=4).contains(&age) {
            education.push("early_years_place");
        }
        if year_recorded {
            education.push("year_group");
        }
        records.push(("education", education));
    }
    if role != "child" || age >= 16 {
        records.push(("employment", vec!["status", "out_of_work_benefits"]));
    }
    records
}

#[test]
fn nothing_is_unknown_at_missing_zero() {
    let known = |v: &Value| !v.is_null();
    for seed in [1, 5] {
        for index in 1..=500 {
            let f = family(seed, index, 0.0);
            for key in [
                "local_authority",
                "postcode",
                "expectant_parent",
                "no_recourse_to_public_funds",
                "incidents",
            ] {
                assert!(known(&f[key]), "{key} in {}", f["id"]);
            }
            for (record, fields) in [
                (
                    "housing",
                    &["status", "rent_arrears", "eviction_notices"][..],
                ),
                (
                    "finances",
                    &[
                        "problem_debt",
                        "free_school_meals",
                        "benefits",
                        "net_earned_income",
                        "gross_income",
                        "savings",
                        "net_income",
                    ][..],
                ),
                (
                    "relationships",
                    &["parental_conflict", "parent_child_conflict"][..],
                ),
                ("social_care", &["status"][..]),
            ] {
                for field in fields {
                    assert!(known(&f[record][field]), "{record}.{field} in {}", f["id"]);
                }
            }
            for m in members(&f) {
                let role = m["role"].as_str().unwrap();
                let age = age_of(&f, m).expect("date_of_birth");
                assert!(known(&m["disability_living_allowance"]));
                assert_eq!(known(&m["left_care_under_order"]), role == "child");
                assert_eq!(known(&m["looked_after"]), role == "child");
                let dob = ymd(&m["date_of_birth"]).unwrap();
                let recorded = m["education"]["year_group"].as_i64();
                let year = recorded.map_or(year_group(dob, today(&f)), |y| y as i32);
                let at_school = role == "child"
                    && ((0..=11).contains(&year) || compulsory_school_age(dob, today(&f)));
                for (record, fields) in expected_fields(role, age, at_school, recorded.is_some()) {
                    let r = m[record]
                        .as_object()
                        .unwrap_or_else(|| panic!("{record} of {} in {}", m["id"], f["id"]));
                    for field in &fields {
                        assert!(
                            r.get(*field).is_some_and(known),
                            "{record}.{field} of {} (age {age}) in {}",
                            m["id"],
                            f["id"]
                        );
                    }
                    assert_eq!(
                        r.len(),
                        fields.len(),
                        "{record} of {} in {}",
                        m["id"],
                        f["id"]
                    );
                }
            }
        }
    }
}

#[test]
fn only_required_fields_at_missing_one() {
    for index in 1..=200 {
        let f = family(3, index, 1.0);
        let keys = |v: &Value| -> Vec<String> {
            v.as_object()
                .unwrap()
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k.clone())
                .collect()
        };
        assert_eq!(keys(&f), ["id", "assessment_date", "members"]);
        for m in members(&f) {
            assert_eq!(keys(m), ["id", "role"]);
        }
    }
}

/// Every value present at a higher missing rate is the same value at missing 0.
fn assert_hides_only(shown: &Value, truth: &Value, path: &str) {
    match (shown, truth) {
        (Value::Null, _) => {}
        (Value::Object(s), Value::Object(t)) => {
            for (k, v) in s {
                let inner = t.get(k).unwrap_or_else(|| panic!("{path}.{k} is invented"));
                assert_hides_only(v, inner, &format!("{path}.{k}"));
            }
        }
        (Value::Array(s), Value::Array(t)) => {
            assert_eq!(s.len(), t.len(), "{path}");
            for (i, (a, b)) in s.iter().zip(t).enumerate() {
                assert_hides_only(a, b, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(shown, truth, "{path}"),
    }
}

#[test]
fn missing_data_only_hides_values() {
    for index in 1..=200 {
        let truth = family(4, index, 0.0);
        for missing in [0.08, 0.3, 0.9] {
            assert_hides_only(&family(4, index, missing), &truth, "$");
        }
        // A higher rate hides everything that a lower one hides, and more.
        assert_hides_only(&family(4, index, 0.4), &family(4, index, 0.1), "$");
    }
}

#[test]
fn unknowns_come_as_null_and_absent_and_empty_lists_stay() {
    let (mut nulls, mut absent_dob, mut empty_lists) = (0, 0, 0);
    for index in 1..=300 {
        let f = family(1, index, Options::default().missing);
        for m in members(&f) {
            match m.get("date_of_birth") {
                Some(Value::Null) => nulls += 1,
                None => absent_dob += 1,
                Some(_) => {}
            }
            if m["offending"]["offences"]
                .as_array()
                .is_some_and(Vec::is_empty)
            {
                empty_lists += 1;
            }
        }
    }
    assert!(nulls > 10 && absent_dob > 10 && empty_lists > 100);
}

#[test]
fn households_are_consistent() {
    for index in 1..=2000 {
        let f = family(8, index, 0.0);
        let id = f["id"].as_str().unwrap();
        assert_eq!(id, format!("F{index:07}"));
        let today = today(&f);
        assert!(((2016, 4, 1)..=(2025, 12, 31)).contains(&today), "{id}");
        let la = f["local_authority"].as_str().unwrap();
        assert!(
            la.len() == 9 && la.starts_with('E') && la[1..].bytes().all(|b| b.is_ascii_digit())
        );
        let postcode = f["postcode"].as_str().unwrap();
        let (outward, inward) = postcode.split_once(' ').unwrap();
        assert!(
            (2..=4).contains(&outward.len()) && inward.len() == 3,
            "{postcode}"
        );

        let ms = members(&f);
        let ids: Vec<&str> = ms.iter().map(|m| m["id"].as_str().unwrap()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{id}");
        let ages = |role: &str| -> Vec<i32> {
            ms.iter()
                .filter(|m| m["role"] == role)
                .map(|m| age_of(&f, m).unwrap())
                .collect()
        };
        let (parents, children) = (ages("parent_carer"), ages("child"));
        assert!((1..=2).contains(&parents.len()), "{id}");
        for &p in &parents {
            assert!(p >= 16, "{id}: parent aged {p}");
            for &c in &children {
                assert!(p >= c + 16, "{id}: parent {p}, child {c}");
            }
        }
        assert!(children.iter().all(|&c| c <= 22), "{id}");
        for i in f["incidents"].as_array().unwrap() {
            for p in i["person_ids"].as_array().unwrap() {
                assert!(ids.contains(&p.as_str().unwrap()), "{id}: {p}");
            }
        }
    }
}

#[test]
fn committed_example_file_is_current() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policies/examples/families-1000.jsonl"
    );
    let committed = std::fs::read(path).unwrap();
    let fresh = jsonl(1000, 1, Options::default().missing);
    assert!(
        committed == fresh,
        "policies/examples/families-1000.jsonl is stale: regenerate it with \
         `cargo run -p earlyhelp-synth --example generate -- 1000 1 > policies/examples/families-1000.jsonl`"
    );
}

/// Counts the optional leaf values of `truth` (lists count as one value) and how many of them
/// are unknown (absent or null) in `shown`.
fn count_hidden(shown: Option<&Value>, truth: &Value, key: &str, tally: &mut (u32, u32)) {
    const REQUIRED: &[&str] = &["id", "role", "assessment_date", "type", "date"];
    let shown = shown.filter(|v| !v.is_null());
    match truth {
        Value::Object(t) => {
            for (k, v) in t {
                count_hidden(shown.and_then(|s| s.get(k)), v, k, tally);
            }
        }
        Value::Array(t) if t.iter().any(Value::is_object) => {
            for (i, v) in t.iter().enumerate() {
                count_hidden(shown.and_then(|s| s.get(i)), v, key, tally);
            }
        }
        _ if REQUIRED.contains(&key) => {}
        _ => {
            tally.0 += u32::from(shown.is_none());
            tally.1 += 1;
        }
    }
}

#[test]
fn the_missing_rate_is_the_share_of_unknown_fields() {
    for missing in [0.08, 0.25, 0.6] {
        let mut tally = (0, 0);
        for index in 1..=400 {
            let truth = family(6, index, 0.0);
            count_hidden(Some(&family(6, index, missing)), &truth, "", &mut tally);
        }
        let share = f64::from(tally.0) / f64::from(tally.1);
        assert!(
            (share - missing).abs() < 0.02,
            "missing {missing}: {share:.3} of {} fields unknown",
            tally.1
        );
    }
}
