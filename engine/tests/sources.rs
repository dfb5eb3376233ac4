//! A policy's files travel without the disk: `Policy::sources` gives every file (imports and
//! scripts included) and `Policy::from_sources` loads them back elsewhere (a Spark executor), to
//! the same policy: the same content hash and the same decisions.

use earlyhelp::Policy;

const POLICY: &str = "../policies/area-deprivation/area-deprivation.policy";

#[test]
fn a_policy_with_imports_and_a_script_loads_back_from_its_sources() {
    let policy = Policy::from_file(POLICY).expect("the shipped policy loads");
    let sources = policy.sources();
    let names: Vec<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[0], POLICY);
    assert!(names.contains(&"../policies/shared/family-record.policy"));
    assert!(names.contains(&"../policies/shared/family-words.policy"));
    assert!(names.contains(&"../policies/area-deprivation/deprivation.rhai"));

    let back = Policy::from_sources(&sources).expect("loads from its sources");
    assert_eq!(back.content_hash(), policy.content_hash());
    let text = std::fs::read_to_string("../policies/area-deprivation/examples/leeds-family.json")
        .expect("the example family");
    let record: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let (a, b) = (policy.evaluate(&record), back.evaluate(&record));
    assert_eq!(
        a.expect("evaluates").to_json(),
        b.expect("evaluates").to_json()
    );
}

#[test]
fn a_file_left_out_of_the_sources_is_a_load_error_not_a_disk_read() {
    let policy = Policy::from_file(POLICY).expect("the shipped policy loads");
    let mut sources = policy.sources();
    sources.retain(|(n, _)| !n.ends_with(".rhai"));
    let e = Policy::from_sources(&sources).expect_err("the script is missing");
    assert!(e
        .to_string()
        .contains("deprivation.rhai is not among the policy's files"));
    assert!(Policy::from_sources(&[]).is_err());
}
