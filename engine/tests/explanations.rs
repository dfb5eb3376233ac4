//! Snapshots of explanations, in JSON, in English for the practitioner, and as the full trace, for
//! a handful of families of every shipped policy. Reviewed like code, and for wording as a family
//! support worker would read them: a change shows up in review.

use earlyhelp::{Options, Policy};
use serde_json::{json, Value};
use std::path::PathBuf;

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

fn supporting_families() -> Policy {
    Policy::from_file(repo(
        "policies/supporting-families/supporting-families.policy",
    ))
    .expect("the shipped policy loads")
}

fn base_family() -> Value {
    let text = std::fs::read_to_string(repo(
        "policies/supporting-families/examples/three-headlines.json",
    ))
    .expect("example");
    serde_json::from_str(&text).expect("example is JSON")
}

/// The practitioner's text, the trace and the JSON of one explained record.
fn explain3(policy: &Policy, record: &Value) -> (String, String, Value) {
    let options = Options::default().explain(true);
    let decision = policy.evaluate_with(record, &options).expect("evaluates");
    let explanation = decision.explanation().expect("asked for");
    (
        explanation.to_text(),
        explanation.to_trace(),
        explanation.to_json(),
    )
}

fn explain(policy: &Policy, record: &Value) -> (String, String) {
    let (text, trace, _) = explain3(policy, record);
    (text, trace)
}

fn shipped(policy: &str, example: &str) -> (Policy, Value) {
    let policy = Policy::from_file(repo(policy)).expect("the shipped policy loads");
    let text = std::fs::read_to_string(repo(example)).expect("example");
    (
        policy,
        serde_json::from_str(&text).expect("example is JSON"),
    )
}

#[test]
fn eligible_family() {
    let (text, trace, json) = explain3(&supporting_families(), &base_family());
    insta::assert_snapshot!("eligible_family_text", text);
    insta::assert_snapshot!("eligible_family_trace", trace);
    insta::assert_json_snapshot!("eligible_family_json", json);
}

#[test]
fn undetermined_family_names_what_is_missing() {
    let mut record = base_family();
    record["housing"] = Value::Null;
    record["members"][0]["health"]["mental_health_concern"] = Value::Null;
    let (text, trace, json) = explain3(&supporting_families(), &record);
    insta::assert_snapshot!("undetermined_family_text", text);
    insta::assert_snapshot!("undetermined_family_trace", trace);
    insta::assert_json_snapshot!("undetermined_family_json", json);
}

#[test]
fn family_without_dependants() {
    let mut record = base_family();
    record["members"][1]["role"] = json!("other_adult");
    record["members"][1]["date_of_birth"] = json!("2000-01-01");
    let (text, trace) = explain(&supporting_families(), &record);
    insta::assert_snapshot!("no_dependants_text", text);
    insta::assert_snapshot!("no_dependants_trace", trace);
}

#[test]
fn small_policy_shows_values_against_thresholds() {
    let policy: Policy = r#"
        policy attendance { version "1" }
        record Child { id: text required, attendance_pct: percent, suspensions: list of date, assessed: date required }
        input child: Child
        param threshold: percent = 90%
        decision persistent_absence "Attends less than 90% of sessions" = child.attendance_pct < threshold
        decision suspended "Suspended in the year before assessment" =
            any d in child.suspensions: d within 12 months before child.assessed
    "#
    .parse()
    .expect("loads");
    let record = json!({"id": "C1", "attendance_pct": 84.5, "suspensions": ["2023-01-01", "2024-03-01"], "assessed": "2024-06-01"});
    let (_, trace) = explain(&policy, &record);
    insta::assert_snapshot!("thresholds_trace", trace);
}

#[test]
fn continuum_a_looked_after_foster_child() {
    let (policy, record) = shipped(
        "policies/continuum-of-need/continuum-of-need.policy",
        "policies/continuum-of-need/examples/foster-family.json",
    );
    insta::assert_snapshot!("continuum_foster_family_text", explain(&policy, &record).0);
}

#[test]
fn continuum_a_concern_whose_outcome_is_not_known() {
    let (policy, mut record) = shipped(
        "policies/continuum-of-need/continuum-of-need.policy",
        "policies/continuum-of-need/examples/universal.json",
    );
    record["incidents"] =
        json!([{"type": "child_protection_concern", "date": "2024-04-02", "source": "school"}]);
    record["members"][0]["health"]["mental_health_concern"] = json!(true);
    insta::assert_snapshot!("continuum_open_concern_text", explain(&policy, &record).0);
}

#[test]
fn continuum_escalated_family() {
    let (policy, record) = shipped(
        "policies/continuum-of-need/continuum-of-need.policy",
        "policies/continuum-of-need/examples/escalated.json",
    );
    insta::assert_snapshot!("continuum_escalated_text", explain(&policy, &record).0);
}

#[test]
fn two_year_olds_each_childs_funding() {
    let (policy, mut record) = shipped(
        "policies/early-education-two-year-olds/early-education-two-year-olds.policy",
        "policies/early-education-two-year-olds/examples/universal-credit.json",
    );
    record["members"][2]["date_of_birth"] = Value::Null;
    insta::assert_snapshot!("two_year_olds_text", explain(&policy, &record).0);
}

#[test]
fn area_deprivation_family() {
    let (policy, record) = shipped(
        "policies/area-deprivation/area-deprivation.policy",
        "policies/area-deprivation/examples/leeds-family.json",
    );
    insta::assert_snapshot!("area_deprivation_text", explain(&policy, &record).0);
}
