//! `earlyhelp eval`: records in, one row per record out, in input order. JSON Lines are streamed in
//! chunks evaluated on all cores, so memory stays flat however large the file. A bad line becomes
//! an error row with its line number and the run goes on; the exit status says whether any failed.

use earlyhelp::{Decision, DecisionInfo, Options, Policy};
use rayon::prelude::*;
use serde_json::{json, Value as Json};
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per record (the stable output shape).
    Jsonl,
    /// One column per decision (lists joined with `;`), then `missing` and `error`.
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
    /// Threads to use (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
}

pub(crate) fn parse_date(s: &str) -> Result<earlyhelp::NaiveDate, String> {
    earlyhelp::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// Lines are evaluated in chunks of this many, in parallel, and written in order.
const CHUNK: usize = 8192;

/// Inputs larger than this show a progress bar (when stderr is a terminal).
const PROGRESS_BYTES: u64 = 64 * 1024 * 1024;

pub(crate) fn run(args: &Args) -> ExitCode {
    let policy = match crate::load(&args.policy) {
        Some(p) => p,
        None => return ExitCode::from(2),
    };
    if let Some(jobs) = args.jobs {
        // Only fails if the pool was already built, which it is not at this point.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global();
    }
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = if args.records.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        match std::fs::File::open(&args.records) {
            Ok(f) => {
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(f), size)
            }
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", args.records.display());
                return ExitCode::from(2);
            }
        }
    };
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
        Some(bar) => Box::new(bar.wrap_read(input)),
        None => input,
    };
    let options = Options {
        as_at: args.as_at,
        explain: args.explain,
        outside_in_force: args.outside_in_force,
        internal: args.internal,
    };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let stdout = std::io::stdout();
    let out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let decisions = policy.decisions();
    let mut sink = Sink {
        out,
        rows: 0,
        failed: 0,
        policy: &policy,
        options: &options,
        format: args.format,
        decisions: &decisions,
        widths: None,
    };
    let result = sink
        .header()
        .and_then(|()| read_while_evaluating(&mut reader, &mut sink))
        .and_then(|()| sink.out.flush());
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Err(e) = result {
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

/// One record's outcome: its decision, or why it has none.
enum Outcome {
    Decided(Box<Decision>),
    Failed {
        line: usize,
        id: Option<String>,
        error: String,
    },
}

impl Outcome {
    fn failed(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }
}

fn evaluate(policy: &Policy, line_no: usize, line: Option<&str>, options: &Options) -> Outcome {
    let Some(line) = line else {
        return Outcome::Failed {
            line: line_no,
            id: None,
            error: "the line is not UTF-8 text".into(),
        };
    };
    if line.trim().is_empty() {
        return Outcome::Failed {
            line: line_no,
            id: None,
            error: "empty line".into(),
        };
    }
    match policy.evaluate_json(line, options) {
        Ok(d) => Outcome::Decided(Box::new(d)),
        Err(e) => Outcome::Failed {
            line: line_no,
            id: e.id.clone(),
            error: e.to_string(),
        },
    }
}

struct Sink<'a, W: Write> {
    out: W,
    rows: usize,
    failed: usize,
    policy: &'a Policy,
    options: &'a Options,
    format: Format,
    decisions: &'a [DecisionInfo],
    /// Column widths of the table, fixed by the first chunk.
    widths: Option<Vec<usize>>,
}

impl<W: Write> Sink<'_, W> {
    fn header(&mut self) -> std::io::Result<()> {
        if self.format == Format::Csv {
            let mut names: Vec<&str> = vec!["id"];
            names.extend(self.decisions.iter().map(|d| d.name.as_str()));
            names.extend(["missing", "error"]);
            self.csv_row(&names)?;
        }
        Ok(())
    }

    fn csv_row(&mut self, cells: &[&str]) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(cells).map_err(std::io::Error::other)?;
        let bytes = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.out.write_all(&bytes)
    }

    /// Evaluates a chunk of numbered lines in parallel and writes the rows in order.
    fn emit(&mut self, chunk: &[(usize, Option<String>)]) -> std::io::Result<()> {
        let (policy, options) = (self.policy, self.options);
        let evaluate =
            |(n, line): &(usize, Option<String>)| evaluate(policy, *n, line.as_deref(), options);
        let failed = match self.format {
            Format::Jsonl => {
                // Each row is written out on the core that evaluated it; only copying is serial.
                let rows: Vec<(bool, Vec<u8>)> = chunk
                    .par_iter()
                    .map(|item| {
                        let o = evaluate(item);
                        Ok((o.failed(), jsonl_row(&o)?))
                    })
                    .collect::<std::io::Result<_>>()?;
                for (_, row) in &rows {
                    self.out.write_all(row)?;
                }
                rows.iter().filter(|(failed, _)| *failed).count()
            }
            Format::Csv | Format::Table => {
                let outcomes: Vec<Outcome> = chunk.par_iter().map(evaluate).collect();
                let rows: Vec<Vec<String>> = outcomes.iter().map(|o| self.cells(o)).collect();
                for row in &rows {
                    if self.format == Format::Csv {
                        let refs: Vec<&str> = row.iter().map(String::as_str).collect();
                        self.csv_row(&refs)?;
                    } else {
                        self.table_row(row, &rows)?;
                    }
                }
                outcomes.iter().filter(|o| o.failed()).count()
            }
        };
        self.rows += chunk.len();
        self.failed += failed;
        Ok(())
    }

    fn cells(&self, o: &Outcome) -> Vec<String> {
        match o {
            Outcome::Decided(d) => {
                let mut row = vec![d.id().unwrap_or("").to_string()];
                row.extend(
                    self.decisions
                        .iter()
                        .map(|info| cell(d.output(&info.name).unwrap_or(&Json::Null))),
                );
                row.push(d.missing().join(";"));
                row.push(String::new());
                row
            }
            Outcome::Failed { line, id, error } => {
                let mut row = vec![id.clone().unwrap_or_default()];
                row.extend(self.decisions.iter().map(|_| String::new()));
                row.push(String::new());
                row.push(format!("line {line}: {error}"));
                row
            }
        }
    }

    fn table_row(&mut self, row: &[String], chunk: &[Vec<String>]) -> std::io::Result<()> {
        if self.widths.is_none() {
            let mut header: Vec<String> = vec!["id".into()];
            header.extend(self.decisions.iter().map(|d| d.name.clone()));
            header.extend(["missing".into(), "error".into()]);
            let widths: Vec<usize> = (0..header.len())
                .map(|i| {
                    let longest = chunk
                        .iter()
                        .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                        .max()
                        .unwrap_or(0);
                    longest.max(header[i].len()).min(40)
                })
                .collect();
            let line = join_padded(&header, &widths);
            writeln!(self.out, "{line}")?;
            writeln!(
                self.out,
                "{}",
                widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  ")
            )?;
            self.widths = Some(widths);
        }
        let widths = self.widths.as_deref().unwrap_or(&[]);
        writeln!(self.out, "{}", join_padded(row, widths).trim_end())
    }
}

fn join_padded(cells: &[String], widths: &[usize]) -> String {
    cells
        .iter()
        .zip(widths)
        .map(|(c, w)| {
            let shown: String = if c.chars().count() > *w {
                c.chars().take(w.saturating_sub(1)).chain(['…']).collect()
            } else {
                c.clone()
            };
            format!("{shown:w$}")
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// A decision's value in one CSV or table cell: unknown is empty, lists are joined with `;`.
fn cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// One JSON Lines row, newline included: the decision, or the error with its line number.
fn jsonl_row(o: &Outcome) -> std::io::Result<Vec<u8>> {
    let mut row = match o {
        Outcome::Decided(d) => serde_json::to_vec(d),
        Outcome::Failed { line, id, error } => {
            serde_json::to_vec(&json!({"id": id, "line": line, "error": error}))
        }
    }?;
    row.push(b'\n');
    Ok(row)
}

/// Numbered lines (`None`: not UTF-8), a chunk at a time.
type Chunk = Vec<(usize, Option<String>)>;

/// Reads the next chunk on its own thread while the current one is evaluated, so reading is not
/// a serial step between parallel ones. Two chunks at most are held: memory stays flat. With one
/// job, everything runs in turn, on one core.
fn read_while_evaluating<W: Write>(
    reader: &mut (impl BufRead + Send),
    sink: &mut Sink<'_, W>,
) -> std::io::Result<()> {
    if rayon::current_num_threads() == 1 {
        return read_records(reader, &mut |chunk| sink.emit(&chunk));
    }
    std::thread::scope(|scope| {
        let (chunks, next) = std::sync::mpsc::sync_channel::<Chunk>(0);
        let reading = scope.spawn(move || {
            read_records(reader, &mut |chunk| {
                chunks
                    .send(chunk)
                    .map_err(|_| std::io::Error::other("the output stopped"))
            })
        });
        // If writing fails, `next` is dropped here, and the reader stops at its next chunk.
        let written = next.into_iter().try_for_each(|chunk| sink.emit(&chunk));
        let read = reading
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the reader stopped unexpectedly")));
        written.and(read)
    })
}

/// JSON Lines, streamed in chunks; or, when the input is one JSON array or one pretty-printed
/// record, that document.
fn read_records(
    reader: &mut impl BufRead,
    emit: &mut impl FnMut(Chunk) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut lines = Vec::with_capacity(CHUNK);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        // A line that is not UTF-8 becomes an error row, like any other unreadable record.
        let line = std::str::from_utf8(&buf)
            .ok()
            .map(|text| text.trim_end_matches(['\n', '\r']).to_string());
        // Only the first line can open a document (checked by parsing it: never every line).
        let opens_document = line_no == 1 && line.as_deref().is_some_and(starts_document);
        if let (true, Some(first)) = (opens_document, line.as_deref()) {
            // The first line is not a whole record: read the document whole. Bytes, not a
            // string: a line that is not UTF-8 must become an error row, not end the run.
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest)?;
            let chunk = match std::str::from_utf8(&rest) {
                Ok(rest) => {
                    let text = format!("{first}\n{rest}");
                    whole_document(&text).unwrap_or_else(|| {
                        text.lines()
                            .enumerate()
                            .map(|(i, l)| (i + 1, Some(l.to_string())))
                            .collect()
                    })
                }
                Err(_) => std::iter::once(Some(first.to_string()))
                    .chain(
                        rest.strip_suffix(b"\n")
                            .unwrap_or(&rest)
                            .split(|&b| b == b'\n')
                            .map(|l| {
                                std::str::from_utf8(l)
                                    .ok()
                                    .map(|t| t.trim_end_matches('\r').to_string())
                            }),
                    )
                    .enumerate()
                    .map(|(i, l)| (i + 1, l))
                    .collect(),
            };
            for part in chunk.chunks(CHUNK) {
                emit(part.to_vec())?;
            }
            return Ok(());
        }
        lines.push((line_no, line));
        if lines.len() == CHUNK {
            emit(std::mem::replace(&mut lines, Vec::with_capacity(CHUNK)))?;
        }
    }
    emit(lines)
}

/// A first line that opens an array, or an object that does not close on the same line.
fn starts_document(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches('\u{feff}');
    t.starts_with('[')
        || (t.starts_with('{')
            && serde_json::from_str::<serde::de::IgnoredAny>(t).is_err()
            && !t.trim_end().ends_with('}'))
}

/// A file holding one JSON array of records, or one record.
fn whole_document(text: &str) -> Option<Vec<(usize, Option<String>)>> {
    match serde_json::from_str::<Json>(text.trim_start_matches('\u{feff}')).ok()? {
        Json::Array(records) => Some(
            records
                .iter()
                .enumerate()
                .map(|(i, r)| (i + 1, Some(r.to_string())))
                .collect(),
        ),
        record @ Json::Object(_) => Some(vec![(1, Some(record.to_string()))]),
        _ => None,
    }
}
