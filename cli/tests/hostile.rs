//! The same hostile files (`tests/hostile/files.json`: garbage lines, a line that is not UTF-8,
//! a truncated last line, a huge line, a JSON array, a byte-order mark) give the same rows, byte
//! for byte, from the command line and from the Rust API; and `diff` reads them as `eval` does.
//! `bindings/python/tests/test_batch_faces.py` holds Python's faces to the same rows.

use earlyhelp::batch::{Batch, CsvWriter, JsonLines, JsonlWriter};
use earlyhelp::Policy;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const POLICY: &str = "policies/supporting-families/supporting-families.policy";

fn family(id: &str, note: &str) -> String {
    format!(
        r#"{{"id":"{id}","assessment_date":"2024-06-01","notes":"{note}","members":[{{"id":"P1","role":"parent_carer","date_of_birth":"1990-01-01"}}]}}"#
    )
}

/// One line of the recipe, its placeholders filled in.
fn line(recipe: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = recipe;
    while let Some(start) = rest.find("<<") {
        out.extend_from_slice(&rest.as_bytes()[..start]);
        let end = start + rest[start..].find(">>").expect("a closed placeholder");
        let token = &rest[start + 2..end];
        match token.split_once(':') {
            Some(("FAMILY", id)) => out.extend_from_slice(family(id, "").as_bytes()),
            Some(("BIG_FAMILY", id)) => {
                out.extend_from_slice(family(id, &"x".repeat(3 << 20)).as_bytes())
            }
            _ if token == "BOM" => out.extend_from_slice("\u{feff}".as_bytes()),
            _ if token == "NOT_UTF8" => out.extend_from_slice(&[0xff, 0xfe]),
            _ => panic!("unknown placeholder {token}"),
        }
        rest = &rest[end + 2..];
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// The hostile files, by name, as bytes.
fn files() -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(repo().join("cli/tests/hostile/files.json"))
        .expect("the recipe is readable");
    let recipe: Value = serde_json::from_str(&text).expect("the recipe is JSON");
    let files = recipe["files"].as_object().expect("files");
    files
        .iter()
        .map(|(name, f)| {
            let lines: Vec<Vec<u8>> = f["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|l| line(l.as_str().expect("a line is text")))
                .collect();
            let mut bytes = lines.join(&b'\n');
            if f["end_newline"] == Value::Bool(true) {
                bytes.push(b'\n');
            }
            (name.clone(), bytes)
        })
        .collect()
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("earlyhelp-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("written");
    path
}

fn cli(args: &[&str]) -> (Vec<u8>, i32) {
    let output = Command::new(env!("CARGO_BIN_EXE_earlyhelp"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("runs");
    (output.stdout, output.status.code().unwrap_or(-1))
}

#[test]
fn the_command_line_and_the_rust_api_give_the_same_rows() {
    let policy = Policy::from_file(repo().join(POLICY)).expect("loads");
    for (name, bytes) in files() {
        let path = write(&name, &bytes);
        let file = path.to_str().expect("a UTF-8 temp path");
        let (jsonl, code) = cli(&["eval", POLICY, "--records", file]);
        let (csv, _) = cli(&["eval", POLICY, "--records", file, "--format", "csv"]);
        let (jsonl_one_job, _) = cli(&["eval", POLICY, "--records", file, "--jobs", "1"]);
        assert_eq!(code, 1, "{name}: some rows failed");

        let batch = Batch::new(&policy);
        let mut ours = Vec::new();
        let summary = batch
            .write(
                &mut JsonLines::new(bytes.as_slice()),
                &mut JsonlWriter::new(),
                &mut ours,
            )
            .expect("runs");
        assert!(ours == jsonl, "{name}: JSON Lines differ");
        assert!(jsonl_one_job == jsonl, "{name}: --jobs 1 differs");
        let mut ours_csv = Vec::new();
        batch
            .write(
                &mut JsonLines::new(bytes.as_slice()),
                &mut CsvWriter::new(&policy),
                &mut ours_csv,
            )
            .expect("runs");
        assert!(ours_csv == csv, "{name}: CSV differs");

        // What the rows say, so that agreeing on something wrong cannot pass.
        let rows: Vec<Value> = String::from_utf8_lossy(&jsonl)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a row is JSON"))
            .collect();
        assert_eq!(rows.len(), summary.rows, "{name}");
        let decided: Vec<(usize, &str)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.get("outputs").is_some())
            .map(|(i, r)| (i + 1, r["id"].as_str().unwrap_or("")))
            .collect();
        let failed: Vec<(u64, Value)> = rows
            .iter()
            .filter_map(|r| Some((r.get("line")?.as_u64()?, r["id"].clone())))
            .collect();
        match name.as_str() {
            "lines.jsonl" => {
                assert_eq!(
                    decided,
                    [(1, "G1"), (4, "G4"), (9, "G9"), (10, "G10")],
                    "{rows:?}"
                );
                assert_eq!(
                    failed.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
                    [2, 3, 5, 6, 7, 8, 11]
                );
                assert_eq!(failed[2].1, "B5", "an error row keeps its record's id");
                assert_eq!(failed[5].1, "7", "a numeric id reads as its digits");
                assert_eq!(rows[5]["error"], "the line is not UTF-8 text");
            }
            "array.json" => {
                assert_eq!(decided, [(1, "A1"), (5, "A5")], "{rows:?}");
                assert_eq!(
                    failed.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
                    [2, 3, 4]
                );
            }
            "unclosed.jsonl" => {
                assert_eq!(decided, [(3, "U3"), (4, "U4")], "{rows:?}");
                assert_eq!(failed.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [1, 2]);
            }
            other => panic!("a file this test does not know: {other}"),
        }
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn diff_reads_records_as_eval_does() {
    let policy = Policy::from_file(repo().join(POLICY)).expect("loads");
    for (name, bytes) in files() {
        let path = write(&format!("diff-{name}"), &bytes);
        let file = path.to_str().expect("a UTF-8 temp path");
        let (out, code) = cli(&[
            "diff",
            POLICY,
            POLICY,
            "--records",
            file,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0);
        let cli_impact: Value = serde_json::from_slice(&out).expect("JSON");
        let impact = Batch::new(&policy)
            .compare(&policy, &mut JsonLines::new(bytes.as_slice()))
            .expect("runs");
        assert_eq!(cli_impact, impact.to_json(), "{name}");
        // Every line is a record (the one that is not UTF-8 too), counted as eval counts rows.
        let (rows, _) = cli(&["eval", POLICY, "--records", file]);
        let lines = String::from_utf8_lossy(&rows).lines().count();
        assert_eq!(impact.records, lines, "{name}");
        let failed = String::from_utf8_lossy(&rows)
            .lines()
            .filter(|l| l.contains("\"error\":"))
            .count();
        assert_eq!(impact.errors, failed, "{name}");
        let _ = std::fs::remove_file(&path);
    }
}
