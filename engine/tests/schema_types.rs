//! `use types from` the reference JSON Schema: a policy whose records come from the schema decides
//! every example family exactly as the shipped one, which declares them with `record` and `enum`.

use earlyhelp::{Options, Policy};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Copies `from` into `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creates");
    for entry in std::fs::read_dir(from).expect("reads") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copies");
        }
    }
}

/// Every record of every example file under `dir` (one JSON record, or JSON Lines).
fn examples(dir: &Path, out: &mut Vec<Value>) {
    for entry in std::fs::read_dir(dir).expect("reads") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            examples(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonl")
            && path.parent().is_some_and(|p| p.ends_with("examples"))
        {
            let text = std::fs::read_to_string(&path).expect("reads");
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => out.push(v),
                Err(_) => out.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok())),
            }
        }
    }
}

#[test]
fn a_policy_with_record_types_from_the_schema_decides_as_the_shipped_one() {
    let scratch = std::env::temp_dir().join(format!("earlyhelp-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    copy_tree(&repo().join("policies"), &scratch);
    let mut records = Vec::new();
    examples(&repo().join("policies"), &mut records);
    assert!(records.len() > 1000, "{} example records", records.len());
    let options = Options::default().outside_in_force(true);
    let mut compared = 0;
    for policy in [
        "supporting-families/supporting-families.policy",
        "early-education-two-year-olds/early-education-two-year-olds.policy",
        "continuum-of-need/continuum-of-need.policy",
        "area-deprivation/area-deprivation.policy",
    ] {
        let shipped = Policy::from_file(repo().join("policies").join(policy)).expect("loads");
        let path = scratch.join(policy);
        let text = std::fs::read_to_string(&path).expect("reads");
        let from_schema_text = text.replace(
            "import \"../shared/family-record.policy\"",
            "import \"../shared/family-record.schema.policy\"",
        );
        assert_ne!(text, from_schema_text, "{policy} imports the record");
        std::fs::write(&path, from_schema_text).expect("writes");
        let from_schema = Policy::from_file(&path).unwrap_or_else(|e| panic!("{policy}: {e}"));
        for record in &records {
            let a = shipped.evaluate_with(record, &options);
            let b = from_schema.evaluate_with(record, &options);
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.outputs(), b.outputs(), "{policy}, record {:?}", a.id());
                    assert_eq!(a.missing(), b.missing(), "{policy}, record {:?}", a.id());
                }
                (Err(a), Err(b)) => assert_eq!(a.message, b.message, "{policy}"),
                (a, b) => panic!("{policy}: {a:?} against {b:?}"),
            }
            compared += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(compared > 4000);
}

#[test]
fn a_schema_that_cannot_be_mapped_is_an_error_pointing_into_it() {
    let scratch = std::env::temp_dir().join(format!("earlyhelp-bad-schema-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("creates");
    std::fs::write(
        scratch.join("r.schema.json"),
        "{\n  \"title\": \"R\",\n  \"properties\": {\n    \"id\": {\"type\": \"string\"},\n    \"score\": {\"anyOf\": [{\"type\": \"number\"}]}\n  }\n}\n",
    )
    .expect("writes");
    std::fs::write(
        scratch.join("p.policy"),
        "use types from \"r.schema.json\"\ninput r: R\ndecision x = r.id\n",
    )
    .expect("writes");
    let err = Policy::from_file(scratch.join("p.policy")).expect_err("does not load");
    let d = &err.diagnostics[0];
    assert!(d.file.ends_with("r.schema.json"), "{err}");
    assert_eq!((d.line, d.column), (5, 5), "{err}");
    assert!(d.message.contains("`R.score` has no single type"), "{err}");
    let _ = std::fs::remove_dir_all(&scratch);
}
