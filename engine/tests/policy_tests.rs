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
