//! `earlyhelp fmt`: rewrite policy files in the canonical layout, or (`--check`) say which would
//! change. A file that does not parse is left alone and its syntax error reported.

use crate::plural;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Policy files, or folders to search for them.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Change nothing; exit 1 if any file is not formatted.
    #[arg(long)]
    check: bool,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let (mut unformatted, mut broken) = (0, 0);
    for file in crate::policy_files(&args.files) {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", file.display());
                broken += 1;
                continue;
            }
        };
        let formatted = match earlyhelp_grammar::format(&text) {
            Ok(f) => f,
            Err(e @ earlyhelp_grammar::FormatError::Unstable(_)) => {
                eprintln!("error: {}: {e}", file.display());
                broken += 1;
                continue;
            }
            Err(e) => {
                // Let the engine render the syntax error with its caret.
                match earlyhelp::Policy::from_source(&file.display().to_string(), &text) {
                    Err(load) => eprintln!("{load}"),
                    Ok(_) => eprintln!("error: {}: {e}", file.display()),
                }
                broken += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if args.check {
            eprintln!("would reformat {}", file.display());
        } else if let Err(e) = std::fs::write(&file, formatted) {
            eprintln!("error: cannot write {}: {e}", file.display());
            broken += 1;
        } else {
            eprintln!("formatted {}", file.display());
        }
    }
    if broken > 0 {
        ExitCode::from(2)
    } else if args.check && unformatted > 0 {
        eprintln!("{unformatted} file{} not formatted", plural(unformatted));
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
