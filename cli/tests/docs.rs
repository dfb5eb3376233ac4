//! Every example in docs/cli.md is run, and its output compared with the page: the docs cannot
//! drift from what the command does. In an expected line, `[..]` matches any text; a last line
//! `[exit: N]` gives the exit status (0 otherwise). Output is standard output, then standard error.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Example {
    line: usize,
    args: Vec<String>,
    expected: Vec<String>,
    exit: i32,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn examples(markdown: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_console = false;
    for (n, line) in markdown.lines().enumerate() {
        if line.starts_with("```") {
            in_console = line == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ earlyhelp ") {
            let args = command.split_whitespace().map(String::from).collect();
            out.push(Example {
                line: n + 1,
                args,
                expected: Vec::new(),
                exit: 0,
            });
        } else if let Some(example) = out.last_mut() {
            match line
                .strip_prefix("[exit: ")
                .and_then(|l| l.strip_suffix(']'))
            {
                Some(code) => example.exit = code.parse().expect("exit status is a number"),
                None => example.expected.push(line.to_string()),
            }
        }
    }
    out
}

/// `pattern` with `[..]` standing for any text.
fn matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split("[..]");
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

#[test]
fn every_example_in_the_cli_docs_runs_as_shown() {
    runs_as_shown("docs/cli.md", 12);
}

#[test]
fn every_example_in_the_language_reference_runs_as_shown() {
    runs_as_shown("docs/language.md", 1);
}

/// Every built-in is in the language reference's table, with its signature as the engine has it.
#[test]
fn the_language_reference_lists_every_built_in() {
    let doc = std::fs::read_to_string(repo().join("docs/language.md")).expect("docs/language.md");
    for b in earlyhelp::BUILTINS {
        assert!(
            doc.contains(&format!("| `{}` |", b.signature)),
            "docs/language.md does not list `{}`",
            b.signature
        );
    }
}

/// Runs the `console` examples of `page`, which must have at least `at_least` of them.
fn runs_as_shown(page: &str, at_least: usize) {
    let doc = std::fs::read_to_string(repo().join(page)).expect("the page");
    let all = examples(&doc);
    assert!(
        all.len() >= at_least,
        "{page} has its examples ({} found)",
        all.len()
    );
    let mut failures = Vec::new();
    for ex in &all {
        let output = Command::new(env!("CARGO_BIN_EXE_earlyhelp"))
            .args(&ex.args)
            .current_dir(repo())
            .output()
            .expect("runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let got: Vec<&str> = text.lines().collect();
        let mut expected: Vec<&str> = ex.expected.iter().map(String::as_str).collect();
        while expected.last() == Some(&"") {
            expected.pop();
        }
        let mut got = got;
        while got.last() == Some(&"") {
            got.pop();
        }
        let same =
            got.len() == expected.len() && got.iter().zip(&expected).all(|(g, e)| matches(e, g));
        let code = output.status.code().unwrap_or(-1);
        if !same || code != ex.exit {
            failures.push(format!(
                "{page}:{}: earlyhelp {}\n--- expected (exit {})\n{}\n--- got (exit {code})\n{}",
                ex.line,
                ex.args.join(" "),
                ex.exit,
                expected.join("\n"),
                got.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn wildcards_match_only_what_they_should() {
    assert!(matches("sha256:[..]\"}", "sha256:abc\"}"));
    assert!(matches("{\"id\":\"F1\",[..]}", "{\"id\":\"F1\",\"x\":1}"));
    assert!(!matches("{\"id\":\"F1\",[..]}", "{\"id\":\"F2\",\"x\":1}"));
    assert!(matches("exact", "exact"));
    assert!(!matches("exact", "exactly"));
}
