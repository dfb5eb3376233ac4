//! `earlyhelp eval`: records in, one row per record out, in input order — arguments, progress and
//! the exit status; reading, evaluating and the output formats are the engine's batch pipeline
//! (`earlyhelp::batch`), shared with Python. A bad line becomes an error row with its line number
//! and the run goes on; the exit status says whether any failed.

use earlyhelp::batch::{Batch, CsvWriter, JsonLines, JsonlWriter, TableWriter};
use earlyhelp::Options;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per record (the stable output shape).
    Jsonl,
    /// One column per decision (lists joined with `;`, objects as `key=value;…`), then `missing`
    /// and `error`.
    Csv,
    /// Aligned columns, for a person.
    Table,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// Records: JSON Lines (one family per line), a JSON file holding one record or an array of
    /// records, or `-` for standard input.
    #[arg(long)]
    records: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// Apply the policy as at this date (YYYY-MM-DD) instead of its default.
    #[arg(long, value_parser = parse_date)]
    as_at: Option<earlyhelp::NaiveDate>,
    /// Add the explanation of every decision to each row (JSON Lines only).
    #[arg(long)]
    explain: bool,
    /// Evaluate records whose as-at date lies outside the policy's `in_force` window (for
    /// historical analysis); each such row says `"outside_in_force": true`. Without it they are
    /// error rows that name the window.
    #[arg(long)]
    outside_in_force: bool,
    /// Output the policy's internal decisions too (JSON Lines only).
    #[arg(long)]
    internal: bool,
    /// Threads to evaluate with (default, or 0: one per core).
    #[arg(long)]
    jobs: Option<usize>,
}

pub(crate) fn parse_date(s: &str) -> Result<earlyhelp::NaiveDate, String> {
    earlyhelp::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// Inputs larger than this show a progress bar (when stderr is a terminal).
const PROGRESS_BYTES: u64 = 64 * 1024 * 1024;

pub(crate) fn run(args: &Args) -> ExitCode {
    let policy = match crate::load(&args.policy) {
        Some(p) => p,
        None => return ExitCode::from(2),
    };
    let Some((input, progress)) = open(&args.records) else {
        return ExitCode::from(2);
    };
    let batch = Batch::new(&policy)
        .options(
            Options::default()
                .as_at(args.as_at)
                .explain(args.explain)
                .outside_in_force(args.outside_in_force)
                .internal(args.internal),
        )
        .jobs(args.jobs.unwrap_or(0));
    let mut source = JsonLines::new(input);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let written = match args.format {
        Format::Jsonl => batch.write(&mut source, &mut JsonlWriter::new(), &mut out),
        Format::Csv => batch.write(&mut source, &mut CsvWriter::new(&policy), &mut out),
        Format::Table => batch.write(&mut source, &mut TableWriter::new(&policy), &mut out),
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    match written {
        Ok(s) if s.failed > 0 => {
            eprintln!("{} records, {} failed", s.rows, s.failed);
            ExitCode::from(1)
        }
        Ok(_) => ExitCode::SUCCESS,
        // The reader of the output went away (`| head`): not a failure of this command.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The records file (`-`: standard input), with a progress bar over a large file read by a
/// person. `None` (said on stderr) when it cannot be opened.
pub(crate) fn open(
    records: &Path,
) -> Option<(Box<dyn Read + Send>, Option<indicatif::ProgressBar>)> {
    if records.as_os_str() == "-" {
        return Some((Box::new(std::io::stdin()), None));
    }
    let file = match std::fs::File::open(records) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", records.display());
            return None;
        }
    };
    let size = file.metadata().ok().map(|m| m.len());
    let progress = size
        .filter(|s| *s >= PROGRESS_BYTES && std::io::stderr().is_terminal())
        .map(|s| {
            let bar = indicatif::ProgressBar::new(s);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
    let input: Box<dyn Read + Send> = match &progress {
        Some(bar) => Box::new(bar.wrap_read(file)),
        None => Box::new(file),
    };
    Some((input, progress))
}
