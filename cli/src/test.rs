//! `earlyhelp test`: run policies' test blocks; `--coverage` lists the needs, groups and decision
//! outcomes that no test has seen.

use crate::out::{out, outln};
use earlyhelp::{Coverage, Policy};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Policy or tests files, or folders to search for them.
    #[arg(default_value = "policies")]
    paths: Vec<PathBuf>,
    /// Report, for every need, group and decision, whether some test saw it true, false and
    /// undetermined — and list the gaps.
    #[arg(long)]
    coverage: bool,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    for file in crate::policy_files(&args.paths) {
        // A file with no test blocks has nothing to run; it may be a part of a policy that only
        // checks as part of one (policies/shared/family-words.policy).
        if !has_tests(&file) {
            continue;
        }
        let policy = match Policy::from_file(&file) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                broken += 1;
                continue;
            }
        };
        let report = policy.run_tests();
        if report.results.is_empty() {
            continue;
        }
        out!("{report}");
        if args.coverage {
            out!("{}", Coverage::of(&policy, &report));
        }
        passed += report.passed();
        failed += report.failed();
    }
    outln!("\ntotal: {passed} passed, {failed} failed");
    if broken > 0 {
        eprintln!("{broken} file{} did not load", crate::plural(broken));
    }
    if failed > 0 || broken > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Whether the file holds a `test` block (true when it cannot be read or parsed: loading it then
/// reports why).
fn has_tests(file: &std::path::Path) -> bool {
    let Ok(text) = std::fs::read_to_string(file) else {
        return true;
    };
    earlyhelp_grammar::parse(&text).map_or(true, |m| {
        m.items
            .iter()
            .any(|i| matches!(i, earlyhelp_grammar::ast::Item::Test(_)))
    })
}
