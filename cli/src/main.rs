//! `earlyhelp`: the command line for policy teams and analysts. Argument parsing, IO and
//! rendering only; every rule lives in the engine.
//!
//! Exit status: 0 success; 1 the command ran and found problems (errors in a policy, failing
//! tests, records that could not be evaluated, unformatted files); 2 it could not run (a policy
//! that does not load, a file that cannot be read).

mod check;
mod diff;
mod eval;
mod fmt;
mod out;
mod serve;
mod test;

use clap::{Parser, Subcommand};
use out::{out, outln};

/// Evaluation allocates many small, short-lived values per record; mimalloc serves those much
/// faster than the system allocator (measured in benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use earlyhelp::Policy;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "earlyhelp", version, about = "Check, test, run and explain early-help policies", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy files and print every diagnostic. Exit 0 when clean, 1 on errors.
    #[command(
        after_help = "Examples:\n  earlyhelp check policies/supporting-families/supporting-families.policy\n  earlyhelp check --format json policies/*/*.policy"
    )]
    Check(check::Args),
    /// Format policy files in the one canonical layout (comments kept).
    #[command(
        after_help = "Examples:\n  earlyhelp fmt policies/supporting-families/supporting-families.policy\n  earlyhelp fmt --check policies/*/*.policy   # exit 1 if any file would change"
    )]
    Fmt(fmt::Args),
    /// Run the `test` blocks of policies: files, or folders searched for `.policy` files.
    #[command(
        after_help = "Examples:\n  earlyhelp test policies\n  earlyhelp test --coverage policies/supporting-families"
    )]
    Test(test::Args),
    /// Evaluate a policy over records and print one row per record, in input order.
    #[command(
        after_help = "Examples:\n  earlyhelp eval policies/supporting-families/supporting-families.policy --records policies/examples/families-1000.jsonl\n  earlyhelp eval POLICY --records families.jsonl --format csv > decisions.csv\n  cat family.json | earlyhelp eval POLICY --records - --explain"
    )]
    Eval(eval::Args),
    /// Explain the decisions for one family, in plain English for a practitioner: each decision,
    /// the needs met and whom they are about, and what is not known (--trace for every
    /// condition, --json for systems).
    #[command(
        after_help = "Example:\n  earlyhelp explain policies/supporting-families/supporting-families.policy policies/examples/eligible-family.json"
    )]
    Explain {
        policy: PathBuf,
        /// The family record, as a JSON file.
        record: PathBuf,
        /// Apply the policy as at this date (YYYY-MM-DD).
        #[arg(long, value_parser = eval::parse_date)]
        as_at: Option<earlyhelp::NaiveDate>,
        /// Print the explanation as JSON.
        #[arg(long)]
        json: bool,
        /// Print the full trace: every condition each decision and need rested on, with the
        /// values compared.
        #[arg(long, conflicts_with = "json")]
        trace: bool,
        /// Explain the policy's internal decisions too.
        #[arg(long)]
        internal: bool,
    },
    /// Compare two versions of a policy over a population: what changes, how, and why.
    #[command(
        after_help = "Example:\n  earlyhelp diff old.policy new.policy --records policies/examples/families-1000.jsonl --format markdown"
    )]
    Diff(diff::Args),
    /// Serve decisions over HTTP to case systems, and the policy playground (see docs/service.md).
    #[command(
        after_help = "Example:\n  earlyhelp serve --policies policies --listen 127.0.0.1:8080 --no-auth"
    )]
    Serve(serve::Args),
    /// Serve editors over the Language Server Protocol on standard input and output (see
    /// docs/editor.md).
    Lsp,
    /// Write synthetic families in the reference record shape, as JSON Lines.
    #[command(
        after_help = "Example:\n  earlyhelp synth --families 100000 --seed 7 > families.jsonl"
    )]
    Synth {
        /// How many families.
        #[arg(long, default_value_t = 1000)]
        families: u64,
        /// The seed: the same seed always gives the same families.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The share of optional fields left unknown, 0 to 1 (default: a realistic share).
        #[arg(long)]
        missing: Option<f64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Explain {
            policy,
            record,
            as_at,
            json,
            trace,
            internal,
        } => explain(&policy, &record, as_at, json, trace, internal),
        Command::Diff(args) => diff::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Lsp => match earlyhelp_lsp::serve_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: earlyhelp lsp: {e}");
                ExitCode::from(2)
            }
        },
        Command::Synth {
            families,
            seed,
            missing,
        } => synth(families, seed, missing),
    }
}

/// Loads a policy, printing its diagnostics when it does not load.
pub(crate) fn load(path: &Path) -> Option<Policy> {
    match Policy::from_file(path) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("{e}");
            None
        }
    }
}

fn explain(
    policy: &Path,
    record: &Path,
    as_at: Option<earlyhelp::NaiveDate>,
    json: bool,
    trace: bool,
    internal: bool,
) -> ExitCode {
    let Some(policy) = load(policy) else {
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(record) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", record.display());
            return ExitCode::from(2);
        }
    };
    let options = earlyhelp::Options::default()
        .as_at(as_at)
        .explain(true)
        .internal(internal);
    match policy.evaluate_json(&text, &options) {
        Ok(d) => {
            let explanation = d.explanation();
            if json {
                let out = explanation.map(|e| e.to_json()).unwrap_or_default();
                outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else if trace {
                out!("{}", explanation.map(|e| e.to_trace()).unwrap_or_default());
            } else {
                out!("{}", explanation.map(|e| e.to_text()).unwrap_or_default());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn synth(families: u64, seed: u64, missing: Option<f64>) -> ExitCode {
    let defaults = earlyhelp_synth::Options::default();
    let options = earlyhelp_synth::Options {
        families,
        seed,
        missing: missing.unwrap_or(defaults.missing),
    };
    if !(0.0..=1.0).contains(&options.missing) {
        eprintln!("error: --missing must be between 0 and 1");
        return ExitCode::from(2);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match earlyhelp_synth::write_jsonl(&options, &mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
    {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of the output went away (`| head`): not a failure of this command.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Policy files named, or found under named folders, in a stable order.
pub(crate) fn policy_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for e in entries {
                if e.is_dir() || e.extension().is_some_and(|x| x == "policy") {
                    walk(&e, out);
                }
            }
        } else {
            out.push(path.to_path_buf());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out);
    }
    out
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
