//! `earlyhelp`: the command line for policy teams and analysts. Argument parsing, IO and
//! rendering only; every rule lives in the engine.

mod eval;

use clap::{Parser, Subcommand};
use earlyhelp::Policy;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "earlyhelp", version, about = "Check, run and explain early-help policies", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy files and print every diagnostic. Exit 0 when clean, 1 on errors.
    ///
    /// Example: earlyhelp check policies/supporting-families/supporting-families.policy
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Evaluate a policy over records (JSON or JSON Lines) and print one decision per record.
    ///
    /// Example: earlyhelp eval policies/supporting-families/supporting-families.policy --records policies/examples/families-1000.jsonl
    Eval(eval::Args),
    /// Explain the decisions for one family, in plain English (or JSON with --json).
    ///
    /// Example: earlyhelp explain policies/supporting-families/supporting-families.policy policies/supporting-families/examples/three-headlines.json
    Explain {
        policy: PathBuf,
        record: PathBuf,
        /// Apply the policy as at this date (YYYY-MM-DD).
        #[arg(long, value_parser = eval::parse_date)]
        as_at: Option<earlyhelp::NaiveDate>,
        /// Print the explanation as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the `test` blocks of policies: files, or folders searched for `.policy` files.
    ///
    /// Example: earlyhelp test policies/
    Test {
        #[arg(default_value = "policies")]
        paths: Vec<PathBuf>,
    },
    /// Write synthetic families in the reference record shape, as JSON Lines.
    ///
    /// Example: earlyhelp synth --families 1000 --seed 7 > families.jsonl
    Synth {
        /// How many families.
        #[arg(long, default_value_t = 1000)]
        families: u64,
        /// The seed: the same seed always gives the same families.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The share of optional fields left unknown (0 to 1).
        #[arg(long)]
        missing: Option<f64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Eval(args) => eval::run(&args),
        Command::Test { paths } => test(&paths),
        Command::Explain {
            policy,
            record,
            as_at,
            json,
        } => explain(&policy, &record, as_at, json),
        Command::Synth {
            families,
            seed,
            missing,
        } => synth(families, seed, missing),
    }
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut errors = 0;
    for file in files {
        match Policy::from_file(file) {
            Ok(policy) => {
                for w in policy.warnings() {
                    eprintln!("{w}");
                }
                eprintln!(
                    "{}: ok ({} warning{})",
                    file.display(),
                    policy.warnings().len(),
                    plural(policy.warnings().len())
                );
            }
            Err(e) => {
                eprintln!("{e}");
                let n = e.diagnostics.iter().filter(|d| d.is_error()).count();
                eprintln!("{}: {n} error{}", file.display(), plural(n));
                errors += n;
            }
        }
    }
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn explain(
    policy: &std::path::Path,
    record: &std::path::Path,
    as_at: Option<earlyhelp::NaiveDate>,
    json: bool,
) -> ExitCode {
    let policy = match Policy::from_file(policy) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(record) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", record.display());
            return ExitCode::from(2);
        }
    };
    let options = earlyhelp::Options {
        as_at,
        explain: true,
    };
    match policy.evaluate_json(&text, &options) {
        Ok(d) => {
            let explanation = d.explanation();
            if json {
                let out = explanation.map(|e| e.to_json()).unwrap_or_default();
                println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else {
                print!("{}", explanation.map(|e| e.to_text()).unwrap_or_default());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn test(paths: &[PathBuf]) -> ExitCode {
    let mut files = Vec::new();
    for p in paths {
        collect_policies(p, &mut files);
    }
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    for file in &files {
        match Policy::from_file(file) {
            Ok(policy) => {
                let report = policy.run_tests();
                if report.results.is_empty() {
                    continue;
                }
                print!("{report}");
                passed += report.passed();
                failed += report.failed();
            }
            Err(e) => {
                eprintln!("{e}");
                broken += 1;
            }
        }
    }
    println!("\ntotal: {passed} passed, {failed} failed");
    if broken > 0 {
        eprintln!("{broken} file{} did not load", plural(broken));
    }
    if failed > 0 || broken > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Policy files under `path`, in a stable order.
fn collect_policies(path: &std::path::Path, out: &mut Vec<PathBuf>) {
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
                collect_policies(&e, out);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
}

fn synth(_families: u64, _seed: u64, _missing: Option<f64>) -> ExitCode {
    eprintln!("TODO synth");
    ExitCode::from(2)
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
