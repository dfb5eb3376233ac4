//! Policy test files (`tests for "x.policy"`) run as their policy runs.

use earlyhelp::Policy;
use std::path::PathBuf;

fn case(dir: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/policy-tests")
        .join(dir)
        .join(file)
}

/// A sibling tests file used to lose the tested policy's header, so its `as_at` was ignored and
/// dated params were chosen by today's date: the result of a test depended on the day it ran.
#[test]
fn a_sibling_tests_file_applies_the_policy_at_its_header_as_at() {
    let dir = "sibling-file-uses-the-policy-header";
    let tests = Policy::from_file(case(dir, "limit.tests.policy")).expect("loads");
    let report = tests.run_tests();
    assert_eq!(report.results.len(), 2);
    assert!(report.ok(), "{report}");
    // The same header as the policy itself: name and in-force window.
    let policy = Policy::from_file(case(dir, "limit.policy")).expect("loads");
    assert_eq!(tests.name(), policy.name());
    assert_eq!(tests.in_force(), policy.in_force());
}

/// The playground runs a policy's tests against the text being edited: the tests file and the
/// other files come from disk, the tested policy from the text.
#[test]
fn a_tests_file_runs_against_an_edited_text_of_its_policy() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policies/supporting-families");
    let tests = dir.join("supporting-families.tests.policy");
    let path = dir.join("supporting-families.policy");
    let shipped = std::fs::read_to_string(&path).expect("reads");

    let same = Policy::tests_against_text(&tests, &path, &shipped).expect("loads");
    let report = same.run_tests();
    assert!(report.results.len() > 10);
    assert!(report.ok(), "{report}");

    // Four needs instead of three: the tests that count on three fail, the file is not touched.
    let edited = shipped.replace(
        "param needs_needed: number = 3",
        "param needs_needed: number = 4",
    );
    assert_ne!(edited, shipped);
    let report = Policy::tests_against_text(&tests, &path, &edited)
        .expect("loads")
        .run_tests();
    assert!(report.failed() > 0, "{report}");
    assert!(report.passed() > 0, "{report}");
    assert_eq!(std::fs::read_to_string(&path).expect("reads"), shipped);

    // An edit that does not check is the load's error, naming the policy's file.
    let broken = shipped.replace(
        "param needs_needed: number = 3",
        "param needs_needed: number = ",
    );
    let error = Policy::tests_against_text(&tests, &path, &broken).expect_err("does not load");
    assert!(error.diagnostics.iter().any(|d| d
        .file
        .ends_with("supporting-families/supporting-families.policy")));
}
