//! Snapshots of explanations, in JSON and in English, for a handful of families. Reviewed like
//! code: a change in wording or structure shows up in review.

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

fn explain(policy: &Policy, record: &Value) -> (String, Value) {
    let options = Options::default().explain(true);
    let decision = policy.evaluate_with(record, &options).expect("evaluates");
    let explanation = decision.explanation().expect("asked for");
    (explanation.to_text(), explanation.to_json())
}

#[test]
fn eligible_family() {
    let (text, json) = explain(&supporting_families(), &base_family());
    insta::assert_snapshot!("eligible_family_text", text);
    insta::assert_json_snapshot!("eligible_family_json", json);
}

#[test]
fn undetermined_family_names_what_is_missing() {
    let mut record = base_family();
    record["housing"] = Value::Null;
    record["members"][0]["health"]["mental_health_concern"] = Value::Null;
    let (text, json) = explain(&supporting_families(), &record);
    insta::assert_snapshot!("undetermined_family_text", text);
    insta::assert_json_snapshot!("undetermined_family_json", json);
}

#[test]
fn family_without_dependants() {
    let mut record = base_family();
    record["members"][1]["role"] = json!("other_adult");
    record["members"][1]["date_of_birth"] = json!("2000-01-01");
    let (text, _) = explain(&supporting_families(), &record);
    insta::assert_snapshot!("no_dependants_text", text);
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
    let (text, _) = explain(&policy, &record);
    insta::assert_snapshot!("thresholds_text", text);
}
