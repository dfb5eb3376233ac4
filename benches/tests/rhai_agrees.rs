//! Differential test of the rhai yardstick against the native implementation:
//! the same decisions on synthetic families (complete ones and ones with much
//! unknown data), through both ways into the script, and on hand-made edge cases
//! (exact decimals, the leap-day look-back, 29 February birthdays, future
//! dates, unknown lists).

use earlyhelp_benches::native;
use earlyhelp_benches::rhai_yardstick::{parse, to_dynamic, Outcome, Yardstick};
use serde_json::{json, Value};

fn describe(out: &Outcome) -> String {
    format!("{:?} {:?} {:?}", out.eligible, out.headlines, out.needs)
}

#[test]
fn rhai_and_native_agree_on_synthetic_families() {
    let rhai = Yardstick::new();
    let mut compared = 0;
    let mut answers = [0usize; 3];
    let mut disagreements = Vec::new();
    let mut refused = 0;
    for (seed, missing) in [(11, 0.0), (12, 0.08), (13, 0.3)] {
        for index in 1..=2000 {
            let family = earlyhelp_synth::family(seed, index, missing);
            let text = family.to_string();
            // Both refuse a record outside the programme period, and only those.
            let (theirs, from_text) =
                match (native::evaluate_json(&text), rhai.evaluate_json(&text)) {
                    (Ok(theirs), Ok(ours)) => (theirs, ours),
                    (Err(a), Err(b)) => {
                        assert!(
                            a.contains("2022-10-03") && b.contains("2022-10-03"),
                            "{a} / {b}"
                        );
                        refused += 1;
                        compared += 1;
                        continue;
                    }
                    (a, b) => panic!("seed {seed} family {index}: native {a:?}, rhai {b:?}"),
                };
            // Every tenth family also through an already-parsed record.
            if index % 10 == 0 {
                let prepared = to_dynamic(&family).expect("converts");
                assert_eq!(rhai.evaluate(prepared).expect("the script runs"), from_text);
            }
            compared += 1;
            answers[match theirs.eligible {
                Some(false) => 0,
                Some(true) => 1,
                None => 2,
            }] += 1;
            if !from_text.agrees_with(&theirs) {
                disagreements.push(format!(
                    "seed {seed} family {index} (missing {missing}): rhai {}, native {:?} {:?} {:?}",
                    describe(&from_text),
                    theirs.eligible,
                    theirs.headlines,
                    theirs.needs
                ));
            }
        }
    }
    assert_eq!(compared, 6000);
    assert!(
        disagreements.is_empty(),
        "{} of {compared} differ:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The sample exercises every answer, and the period.
    assert!(answers.iter().all(|&n| n > 50), "{answers:?}");
    assert!(refused > 50, "{refused}");
}

/// A family assessed on `today` with the given members and family-level fields.
fn family(today: &str, members: Value, extra: Value) -> Value {
    let mut f = json!({"id": "F1", "assessment_date": today, "members": members});
    if let (Some(f), Some(extra)) = (f.as_object_mut(), extra.as_object()) {
        f.extend(extra.clone());
    }
    f
}

/// JSON from text, so number literals keep their exact digits (`json!` goes through `f64`).
fn raw(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn child(dob: Value, education: Value) -> Value {
    json!({"id": "C1", "role": "child", "date_of_birth": dob, "education": education})
}

#[test]
fn rhai_and_native_agree_on_edge_cases() {
    // Three headlines besides education, so education decides eligibility.
    let two = json!({"housing": {"status": "homeless"}, "finances": {"problem_debt": true}});
    let three = json!({"housing": {"status": "homeless"}, "finances": {"problem_debt": true},
                       "relationships": {"parental_conflict": true}});
    let cases = vec![
        // Exact decimals around 90 %.
        family(
            "2024-06-01",
            json!([child(
                json!("2014-01-01"),
                raw(r#"{"attendance_pct": 89.99}"#)
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2014-01-01"), raw(r#"{"attendance_pct": 90}"#))]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2014-01-01"),
                raw(r#"{"attendance_pct": 90.0}"#)
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2014-01-01"),
                raw(r#"{"attendance_pct": 89.999999999999999999}"#)
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2014-01-01"),
                raw(r#"{"attendance_pct": 8.999e1}"#)
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2014-01-01"), json!({"attendance_pct": null}))]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2014-01-01"), json!({}))]),
            two.clone(),
        ),
        // Ages: the fifth birthday, 29 February birthdays, unknown dates of birth.
        family(
            "2024-06-01",
            json!([child(json!("2019-06-01"), json!({"attendance_pct": 50}))]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2019-06-02"), json!({"attendance_pct": 50}))]),
            two.clone(),
        ),
        family(
            "2023-02-28",
            json!([child(json!("2008-02-29"), json!({"attendance_pct": 50}))]),
            two.clone(),
        ),
        family(
            "2023-03-01",
            json!([child(json!("2008-02-29"), json!({"attendance_pct": 50}))]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(Value::Null, json!({"attendance_pct": 50}))]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(Value::Null, json!({"attendance_pct": 95}))]),
            three.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2006-06-01"), json!({}))]),
            three.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2006-06-02"), json!({}))]),
            three.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2021-01-01"),
                json!({"early_years_place": false})
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2021-01-01"),
                json!({"early_years_place": null})
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2022-01-01"),
                json!({"development_concern": true})
            )]),
            two.clone(),
        ),
        // The look-back window, leap day and month-end clamping, future dates.
        family(
            "2024-02-29",
            json!([child(
                json!("2014-01-01"),
                json!({"suspensions": ["2023-02-28"]})
            )]),
            two.clone(),
        ),
        family(
            "2024-02-29",
            json!([child(
                json!("2014-01-01"),
                json!({"suspensions": ["2023-03-01"]})
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2014-01-01"),
                json!({"suspensions": ["2023-06-01"]})
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2014-01-01"),
                json!({"suspensions": ["2023-06-02"]})
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2014-01-01"),
                json!({"permanent_exclusions": ["2024-06-01"]})
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(
                json!("2014-01-01"),
                json!({"permanent_exclusions": ["2024-06-02"]})
            )]),
            two.clone(),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2014-01-01"), json!({"suspensions": []}))]),
            two.clone(),
        ),
        // Incidents: unknown list, empty list, recent and old ones.
        family(
            "2024-06-01",
            json!([child(json!("2014-01-01"), json!({}))]),
            json!({"housing": {"status": "homeless"}}),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2014-01-01"), json!({}))]),
            json!({"incidents": [], "housing": {"status": "homeless"}}),
        ),
        family(
            "2024-06-01",
            json!([child(json!("2014-01-01"), json!({}))]),
            json!({"incidents": [{"type": "domestic_abuse", "date": "2024-01-01"},
                                 {"type": "anti_social_behaviour", "date": "2020-01-01"},
                                 {"type": "police_callout", "date": "2024-01-01"},
                                 {"type": "child_protection_concern", "date": "2024-05-01"}],
                   "housing": {"status": "settled"}}),
        ),
        // Adults: worklessness needs both facts; an adult's child-only fields do not count.
        family(
            "2024-06-01",
            json!([
            {"id": "P1", "role": "parent_carer", "date_of_birth": "1990-01-01",
             "employment": {"status": "unemployed", "out_of_work_benefits": true},
             "education": {"attendance_pct": 10}},
            {"id": "P2", "role": "other_adult", "employment": {"status": "economically_inactive", "out_of_work_benefits": null}},
            child(json!("2014-01-01"), json!({"attendance_pct": 95}))]),
            three.clone(),
        ),
        family(
            "2024-06-01",
            json!([
            {"id": "P1", "role": "parent_carer", "employment": {"status": "neet"}, "date_of_birth": "2007-01-01"}]),
            json!({"expectant_parent": true, "housing": {"status": "homeless"}, "finances": {"problem_debt": true}}),
        ),
        family(
            "2024-06-01",
            json!([
            {"id": "P1", "role": "parent_carer", "date_of_birth": "1990-01-01"}]),
            json!({"expectant_parent": null, "housing": {"status": "homeless"}, "finances": {"problem_debt": true},
                   "social_care": {"status": "child_in_need"}}),
        ),
    ];
    // v2: compulsory school age, year groups, the ONS dependent child (supporting-families.md).
    let mut cases = cases;
    for (today, dob, education, employment) in [
        // A 16-year-old in Year 11 (to the last Friday in June), then not.
        (
            "2024-06-28",
            "2008-06-01",
            json!({"attendance_pct": 90}),
            json!({"status": "in_education"}),
        ),
        (
            "2024-06-29",
            "2008-06-01",
            json!({"attendance_pct": 90}),
            json!({"status": "in_education"}),
        ),
        // A 4-year-old in Reception; one recorded a year below; a 3-year-old.
        (
            "2024-06-01",
            "2019-06-02",
            json!({"early_years_place": false}),
            json!(null),
        ),
        (
            "2024-06-01",
            "2019-06-02",
            json!({"early_years_place": false, "year_group": -1}),
            json!(null),
        ),
        (
            "2024-06-01",
            "2021-06-01",
            json!({"early_years_place": false}),
            json!(null),
        ),
        (
            "2024-06-01",
            "2020-06-01",
            json!({"early_years_place": false, "year_group": 0}),
            json!(null),
        ),
        // 18 in education is dependent; 17 in work is not; 17 of unknown status may be.
        (
            "2024-06-01",
            "2006-06-01",
            json!({}),
            json!({"status": "in_education"}),
        ),
        (
            "2024-06-01",
            "2006-06-02",
            json!({}),
            json!({"status": "employed"}),
        ),
        ("2024-06-01", "2006-06-02", json!({}), json!({})),
    ] {
        let mut c = child(json!(dob), education);
        c["employment"] = employment;
        cases.push(family(today, json!([c]), three.clone()));
        cases.push(family(today, json!([c]), two.clone()));
    }
    let rhai = Yardstick::new();
    // Outside the programme period both refuse.
    for today in ["2022-10-02", "2025-04-01"] {
        let text = family(today, json!([]), two.clone()).to_string();
        assert!(native::evaluate_json(&text).is_err());
        let err = rhai.evaluate_json(&text).unwrap_err();
        assert!(err.contains("2025-03-31"), "{err}");
    }
    for case in cases {
        let text = case.to_string();
        let theirs = native::evaluate_json(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let ours = rhai
            .evaluate_json(&text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(
            ours.agrees_with(&theirs),
            "{text}\nrhai {}\nnative {theirs:?}",
            describe(&ours)
        );
        let prepared = rhai.evaluate(to_dynamic(&case).unwrap()).unwrap();
        assert_eq!(prepared, ours, "{text}");
        assert_eq!(
            parse(&text).unwrap().to_string(),
            to_dynamic(&case).unwrap().to_string()
        );
    }
}
