//! `earlyhelp check`: every diagnostic of every file, for people or (`--format json`) for editors.

use crate::out::outln;
use crate::plural;
use earlyhelp::{Diagnostic, Policy};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Policy files, or folders to search for them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// `text` for people, `json` (one array of diagnostics) for editors and CI.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut errors = 0;
    for file in crate::policy_files(&args.files) {
        let diagnostics = earlyhelp::diagnostics(&Policy::from_file(&file)).to_vec();
        let n = diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = diagnostics.len() - n;
        errors += n;
        if args.format == Format::Text {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            let verdict = if n == 0 {
                "ok".to_string()
            } else {
                format!("{n} error{}", plural(n))
            };
            eprintln!(
                "{}: {verdict}, {warnings} warning{}",
                file.display(),
                plural(warnings)
            );
        }
        all.extend(diagnostics);
    }
    if args.format == Format::Json {
        outln!("{}", earlyhelp::diagnostics_json(&all));
    }
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
