//! A batch of N input lines always gives N output rows, in order, whatever the lines hold; bad
//! lines become error rows with their line number; no record content leaks into errors or logs.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const POLICY: &str = "policies/supporting-families/supporting-families.policy";

fn good(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","assessment_date":"2024-06-01","members":[{{"id":"P1","role":"parent_carer","date_of_birth":"1990-01-01"}}]}}"#
    )
}

fn eval(input: &[u8]) -> (Vec<Value>, String, i32) {
    let dir = std::env::temp_dir().join(format!("earlyhelp-nothing-lost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("records-{}.jsonl", input.len()));
    std::fs::File::create(&file)
        .and_then(|mut f| f.write_all(input))
        .expect("written");
    let output = Command::new(env!("CARGO_BIN_EXE_earlyhelp"))
        .args(["eval", POLICY, "--records"])
        .arg(&file)
        .current_dir(repo())
        .output()
        .expect("runs");
    let _ = std::fs::remove_file(&file);
    let rows = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every row is JSON"))
        .collect();
    (
        rows,
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

#[test]
fn every_line_gives_one_row_in_order() {
    let big_note = "x".repeat(50 * 1024 * 1024);
    let mut input: Vec<u8> = Vec::new();
    let lines: Vec<Vec<u8>> = vec![
        good("G1").into_bytes(),
        b"{\"id\": \"B2\", \"assessment_date\": \"2024-06-01\", \"members\": [".to_vec(), // broken JSON
        good("G3")
            .replace("\"1990-01-01\"", "19900101")
            .into_bytes(), // wrong type
        Vec::new(),                                     // empty line
        format!("\u{feff}{}", good("G5")).into_bytes(), // byte-order mark
        format!("{}\r", good("G6")).into_bytes(),       // CRLF line end
        vec![b'{', 0xff, 0xfe, b'}'],                   // not UTF-8
        good("G8")
            .replace(
                "\"members\"",
                &format!("\"notes\":\"{big_note}\",\"members\""),
            )
            .into_bytes(), // 50 MB line
        good("G9")
            .replace("parent_carer", "grandparent")
            .into_bytes(), // unknown enum value
        b"[1, 2, 3]".to_vec(),                          // not an object
        good("G11").into_bytes(),
        b"{\"id\": \"T12\", \"assessment_date\": \"2024-06".to_vec(), // truncated last line, no newline
    ];
    for (i, line) in lines.iter().enumerate() {
        input.extend_from_slice(line);
        if i + 1 < lines.len() {
            input.push(b'\n');
        }
    }
    let (rows, stderr, code) = eval(&input);
    assert_eq!(rows.len(), lines.len(), "one row per line");
    let ok = |i: usize| rows[i].get("outputs").is_some();
    let line_of = |i: usize| rows[i].get("line").and_then(Value::as_u64);
    for (i, expect_ok) in [
        true, false, false, false, true, true, false, true, false, false, true, false,
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(ok(i), *expect_ok, "row {}: {}", i + 1, rows[i]);
        if !expect_ok {
            assert_eq!(
                line_of(i),
                Some(i as u64 + 1),
                "error rows carry their line number: {}",
                rows[i]
            );
        }
    }
    assert_eq!(rows[0]["id"], "G1");
    assert_eq!(rows[7]["id"], "G8");
    assert_eq!(rows[10]["id"], "G11");
    assert_eq!(rows[2]["id"], "G3", "an error row keeps the record's id");
    assert!(rows[2]["error"]
        .as_str()
        .unwrap_or("")
        .contains("members[0].date_of_birth"));
    assert!(rows[6]["error"]
        .as_str()
        .unwrap_or("")
        .contains("not UTF-8"));
    assert_eq!(code, 1, "the exit status says rows failed");
    assert!(stderr.contains("12 records, 7 failed"), "{stderr}");
}

#[test]
fn a_first_line_that_opens_a_document_loses_nothing() {
    // A first line that does not close is read as the start of one JSON document; when the
    // whole is not one document, every line is still a row — including one that is not UTF-8.
    let lines: Vec<Vec<u8>> = vec![
        b"{\"id\": \"B1\", \"members\": [".to_vec(),
        vec![b'{', 0xff, 0xfe, b'}'],
        good("G3").into_bytes(),
        format!("{}\r", good("G4")).into_bytes(),
    ];
    let (rows, _, code) = eval(&lines.join(&b'\n'));
    assert_eq!(rows.len(), 4, "one row per line: {rows:?}");
    assert_eq!(rows[0]["line"], 1);
    assert!(rows[1]["error"]
        .as_str()
        .unwrap_or("")
        .contains("not UTF-8"));
    assert_eq!(rows[2]["id"], "G3");
    assert!(rows[2].get("outputs").is_some(), "{}", rows[2]);
    assert_eq!(rows[3]["id"], "G4");
    assert!(rows[3].get("outputs").is_some(), "{}", rows[3]);
    assert_eq!(code, 1);
}

#[test]
fn record_content_never_appears_in_errors() {
    const SENTINEL: &str = "SENTINEL-7f3a9c";
    let cases = [
        good("S1").replace("\"1990-01-01\"", &format!("\"{SENTINEL}\"")), // not a date
        good("S2").replace("parent_carer", SENTINEL),                      // not an enum value
        good("S3").replace("\"P1\"", "42").replace("\"role\"", &format!("\"{SENTINEL}\":1,\"role\"")),
        format!("{{\"id\":\"S4\",\"assessment_date\":\"{SENTINEL}\",\"members\":[]}}"),
        format!("{{\"id\":\"S5\",\"{SENTINEL}\""),
        format!("{{\"id\":\"S6\",\"assessment_date\":\"2024-06-01\",\"members\":[],\"expectant_parent\":\"{SENTINEL}\"}}"),
    ];
    let (rows, stderr, _) = eval(cases.join("\n").as_bytes());
    assert_eq!(rows.len(), cases.len());
    for row in &rows {
        let error = row["error"].as_str().unwrap_or("");
        assert!(
            !error.is_empty(),
            "each of these records is rejected: {row}"
        );
        assert!(
            !error.contains(SENTINEL),
            "an error message leaks record content: {error}"
        );
    }
    assert!(
        !stderr.contains(SENTINEL),
        "stderr leaks record content: {stderr}"
    );
}
