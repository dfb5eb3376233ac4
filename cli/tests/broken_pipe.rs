//! A reader that stops early (`earlyhelp test | head -1`) is not a failure: every command whose
//! standard output is a pipe closed early ends quietly with status 0 — no panic, nothing on stderr.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const POLICY: &str = "policies/supporting-families/supporting-families.policy";
const TESTS: &str = "policies/supporting-families/supporting-families.tests.policy";
const RECORDS: &str = "policies/examples/families-1000.jsonl";
const FAMILY: &str = "policies/examples/eligible-family.json";

/// Runs `earlyhelp args` with its output a pipe, reads up to `read` bytes of it (none: nothing
/// is read), closes the pipe and returns the exit status and stderr.
fn closed_early(args: &[&str], read: usize) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_earlyhelp"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdout = child.stdout.take().expect("piped");
    if read > 0 {
        let n = stdout.read(&mut vec![0; read]).expect("reads");
        assert!(n > 0, "earlyhelp {} wrote nothing", args.join(" "));
    }
    drop(stdout);
    let output = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[test]
fn a_reader_that_stops_early_is_not_a_failure() {
    let commands: &[&[&str]] = &[
        &["test", TESTS],
        &["test", "--coverage", TESTS],
        &["synth", "--families", "20000", "--seed", "1"],
        &["eval", POLICY, "--records", RECORDS],
        &["eval", POLICY, "--records", RECORDS, "--format", "csv"],
        &["eval", POLICY, "--records", RECORDS, "--format", "table"],
        &["explain", POLICY, FAMILY],
        &["explain", "--trace", POLICY, FAMILY],
        &["explain", "--json", POLICY, FAMILY],
        &["diff", POLICY, POLICY, "--records", RECORDS],
        &["check", "--format", "json", POLICY],
    ];
    for args in commands {
        // Closed before anything is read, every write fails; after a few bytes, the later ones.
        for read in [0, 8] {
            let (status, stderr) = closed_early(args, read);
            let shown = format!(
                "earlyhelp {} (pipe closed after {read} bytes)",
                args.join(" ")
            );
            assert!(!stderr.contains("panicked"), "{shown} panicked:\n{stderr}");
            assert_eq!(status, Some(0), "{shown}: stderr:\n{stderr}");
            assert!(stderr.is_empty(), "{shown} is not quiet:\n{stderr}");
        }
    }
}
