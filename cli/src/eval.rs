//! `earlyhelp eval`: records in, one decision per record out, in input order. A bad record becomes
//! an error row and the run goes on; the exit status says whether any row failed.

use earlyhelp::{Options, Policy};
use rayon::prelude::*;
use serde_json::{json, Value as Json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// Records: a JSON Lines file (one family per line), a JSON file holding one record or an
    /// array of records, or `-` for standard input.
    #[arg(long)]
    records: PathBuf,
    /// Apply the policy as at this date (YYYY-MM-DD) instead of its default.
    #[arg(long, value_parser = parse_date)]
    as_at: Option<earlyhelp::NaiveDate>,
    /// Add the explanation of every decision to each row.
    #[arg(long)]
    explain: bool,
}

pub(crate) fn parse_date(s: &str) -> Result<earlyhelp::NaiveDate, String> {
    earlyhelp::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// Lines are evaluated in chunks of this many, in parallel, and written in order.
const CHUNK: usize = 4096;

pub(crate) fn run(args: &Args) -> ExitCode {
    let policy = match Policy::from_file(&args.policy) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let input: Box<dyn Read> = if args.records.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(&args.records) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", args.records.display());
                return ExitCode::from(2);
            }
        }
    };
    let options = Options {
        as_at: args.as_at,
        explain: args.explain,
    };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let stdout = std::io::stdout();
    let out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut sink = Sink {
        out,
        rows: 0,
        failed: 0,
        policy: &policy,
        options: &options,
    };
    let result = read_records(&mut reader, &mut sink);
    if let Err(e) = result.and_then(|()| sink.out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    if sink.failed > 0 {
        eprintln!("{} records, {} failed", sink.rows, sink.failed);
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

struct Sink<'a, W: Write> {
    out: W,
    rows: usize,
    failed: usize,
    policy: &'a Policy,
    options: &'a Options,
}

impl<W: Write> Sink<'_, W> {
    /// Evaluates a chunk of numbered lines in parallel and writes the rows in order.
    fn emit(&mut self, chunk: &[(usize, String)]) -> std::io::Result<()> {
        let (policy, options) = (self.policy, self.options);
        let results: Vec<(String, bool)> = chunk
            .par_iter()
            .map(|(n, line)| row(policy, *n, line, options))
            .collect();
        for (r, ok) in results {
            self.rows += 1;
            self.failed += usize::from(!ok);
            self.out.write_all(r.as_bytes())?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// JSON Lines, streamed in chunks; or, when the input starts with `[`, one JSON array.
fn read_records<W: Write>(
    reader: &mut impl BufRead,
    sink: &mut Sink<'_, W>,
) -> std::io::Result<()> {
    let first = reader
        .fill_buf()?
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace());
    if first == Some(b'[') {
        let mut text = String::new();
        reader.read_to_string(&mut text)?;
        return match serde_json::from_str::<Vec<Json>>(&text) {
            Ok(records) => {
                let chunk: Vec<(usize, String)> = records
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (i + 1, r.to_string()))
                    .collect();
                sink.emit(&chunk)
            }
            Err(e) => {
                let row = json!({"id": null, "line": 1, "error": format!("not a valid JSON array of records ({e})")});
                sink.rows += 1;
                sink.failed += 1;
                writeln!(sink.out, "{row}")
            }
        };
    }
    let mut lines = Vec::with_capacity(CHUNK);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        let line = String::from_utf8_lossy(&buf)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        lines.push((line_no, line));
        if lines.len() == CHUNK {
            sink.emit(&lines)?;
            lines.clear();
        }
    }
    sink.emit(&lines)
}

/// One output row: the decision, or `{"id", "line", "error"}`; and whether it succeeded.
fn row(policy: &Policy, line_no: usize, line: &str, options: &Options) -> (String, bool) {
    if line.trim().is_empty() {
        return (
            json!({"id": null, "line": line_no, "error": "empty line"}).to_string(),
            false,
        );
    }
    match policy.evaluate_json(line, options) {
        Ok(d) => (d.to_json().to_string(), true),
        Err(e) => (
            json!({"id": e.id, "line": line_no, "error": e.to_string()}).to_string(),
            false,
        ),
    }
}
