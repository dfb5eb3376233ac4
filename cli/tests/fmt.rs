//! `earlyhelp fmt` on copies of the shipped policies: the formatted files are within the width
//! (but for long texts and comments), formatting them again changes nothing, and they still load
//! and pass their own tests.

use std::path::{Path, PathBuf};
use std::process::Command;

fn earlyhelp(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_earlyhelp"))
        .args(args)
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

fn policy_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            policy_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "policy") {
            out.push(path);
        }
    }
}

/// The line without a comment at its end (outside texts).
fn code(line: &str) -> &str {
    let mut in_text = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_text => escaped = true,
            '"' => in_text = !in_text,
            '#' if !in_text => return line[..i].trim_end(),
            _ => {}
        }
    }
    line.trim_end()
}

/// A line over the width is allowed only where a text forces it: the text ends the line (but
/// for ` {`, ` =`, `,`, `)` or `:` after it), or the line is a comment.
fn forced(line: &str) -> bool {
    let code = code(line);
    if code.chars().count() <= 100 {
        return true;
    }
    let end = [" {", " =", ",", ")", ":"]
        .iter()
        .find_map(|s| code.strip_suffix(s))
        .unwrap_or(code);
    end.ends_with('"')
}

#[test]
fn formatted_shipped_policies_fit_the_width_and_still_pass_their_tests() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!("earlyhelp-fmt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&repo.join("policies"), &dir.join("policies"));
    let policies = dir.join("policies");
    let policies = policies.to_str().expect("a UTF-8 path");

    let (code, out) = earlyhelp(&["fmt", policies]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = earlyhelp(&["fmt", "--check", policies]);
    assert_eq!(code, 0, "formatting again changes nothing: {out}");

    let mut files = Vec::new();
    policy_files(Path::new(policies), &mut files);
    assert!(files.len() >= 8, "the shipped policies are found");
    let mut too_long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for (n, line) in text.lines().enumerate() {
            if !forced(line) {
                too_long.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "lines over 100 characters:\n{}",
        too_long.join("\n")
    );

    let (code, out) = earlyhelp(&["test", policies]);
    assert_eq!(code, 0, "the formatted policies pass their tests: {out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_texts_and_comments_may_pass_the_width() {
    let long = "x".repeat(120);
    assert!(forced(&format!("    source \"{long}\"")));
    assert!(forced(&format!("    need n \"{long}\" {{")));
    assert!(forced(&format!("# {long}")));
    assert!(forced(&format!("let a = b  # {long}")));
    assert!(!forced(&format!("let a = {long}")));
    assert!(!forced(&format!("let a = \"{long}\" and b")));
}
