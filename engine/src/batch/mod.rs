//! Batches: many records evaluated on all cores, one [`Row`] per record in input order, with
//! memory flat in the number of records. The one pipeline behind `earlyhelp eval` and `diff`,
//! Python's `evaluate_many` and `earlyhelp.diff`, and any case system that streams records: the
//! faces do argument handling, progress and presentation; reading, evaluating, error rows, the
//! impact fold and the output formats live here, so the same input gives the same rows
//! everywhere.
//!
//! A [`Source`] hands out records a chunk at a time on a thread of its own ([`JsonLines`] from any
//! reader — JSON Lines, a JSON array or one record; [`Values`] already parsed; [`Columns`] for
//! columnar input); each chunk is evaluated in parallel and handed on in order — to a
//! [`RowWriter`] ([`JsonlWriter`], [`CsvWriter`], [`TableWriter`]), to a closure
//! ([`Batch::for_each_chunk`]), or folded into an [`Impact`] ([`Batch::compare`]). At most a few
//! chunks are alive at once. This module does no IO of its own: readers and writers are the
//! caller's.
//!
//! ```
//! use earlyhelp::batch::{Batch, JsonLines};
//! use earlyhelp::Policy;
//!
//! let policy: Policy = r#"
//!     policy attendance { version "1" }
//!     record Child { id: text required, attendance_pct: percent }
//!     input child: Child
//!     decision persistent_absence = child.attendance_pct < 90%
//! "#.parse()?;
//!
//! // Any `Read`: a file, standard input, a socket. Bad lines become error rows.
//! let input = "{\"id\": \"C1\", \"attendance_pct\": 85}\nnot JSON\n{\"id\": \"C3\"}\n";
//! let mut seen = Vec::new();
//! Batch::new(&policy).for_each(&mut JsonLines::new(input.as_bytes()), |row| {
//!     match &row.outcome {
//!         Ok(decision) => seen.push(format!("{:?}: {}", row.id(), decision.outputs()["persistent_absence"])),
//!         Err(error) => seen.push(format!("line {}: {error}", row.line)),
//!     }
//!     Ok(())
//! })?;
//! assert_eq!(seen[0], r#"Some("C1"): true"#);
//! assert!(seen[1].starts_with("line 2: not valid JSON"));
//! assert_eq!(seen[2], r#"Some("C3"): null"#);
//!
//! // Or straight to an output format.
//! let mut out = Vec::new();
//! let summary = Batch::new(&policy).write(
//!     &mut JsonLines::new(input.as_bytes()),
//!     &mut earlyhelp::batch::CsvWriter::new(&policy),
//!     &mut out,
//! )?;
//! assert_eq!((summary.rows, summary.failed), (3, 1));
//! assert!(String::from_utf8(out)?.starts_with("id,persistent_absence,missing,error\nC1,true,,\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod csv;
mod impact;
mod jsonl;
mod row;
mod source;
mod table;

pub use self::csv::CsvWriter;
pub use impact::{DecisionImpact, Impact, Transition};
pub use jsonl::JsonlWriter;
pub use row::{flat, Row};
pub use source::{Columnar, Columns, Input, JsonLines, Source, Values};
pub use table::TableWriter;

use crate::{Options, Policy};
use rayon::prelude::*;
use std::io::{self, Write};

/// An output format: rows in, bytes out. Each row is prepared (rendered) on the core that
/// evaluated it; prepared rows are written in input order, one chunk at a time.
pub trait RowWriter: Sync {
    /// A row made ready to write (its bytes, its cells).
    type Prepared: Send;
    /// Writes what comes before the first row (a header).
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let _ = out;
        Ok(())
    }
    /// Prepares one row; called in parallel.
    fn prepare(&self, row: Row) -> io::Result<Self::Prepared>;
    /// Writes a chunk of prepared rows, in order.
    fn write(&mut self, out: &mut dyn Write, rows: Vec<Self::Prepared>) -> io::Result<()>;
}

/// What a batch wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Rows written (one per record read).
    pub rows: usize,
    /// Rows that are errors.
    pub failed: usize,
}

/// One batch run: a policy, how to evaluate, and how many threads.
#[derive(Clone, Debug)]
pub struct Batch<'p> {
    policy: &'p Policy,
    options: Options,
    jobs: usize,
}

impl<'p> Batch<'p> {
    /// A batch of `policy` with default options on one thread per core.
    pub fn new(policy: &'p Policy) -> Self {
        Batch {
            policy,
            options: Options::default(),
            jobs: 0,
        }
    }

    /// How to evaluate each record.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// How many threads evaluate: `0` (the default) means one per core — the pool the caller runs
    /// in, else rayon's global pool; `n` a pool of `n` threads for this batch. Reading runs on
    /// one more thread, so it overlaps evaluation — except with one thread, where it runs in turn
    /// unless the source is [`costly`](Source::costly). The rows never depend on it.
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// Evaluates one record on this thread, as a batch would: the row a one-record batch gives,
    /// without its threads (for a face that answers one record at a time).
    pub fn row(&self, input: &Input) -> Row {
        row::evaluate(self.policy, input, &self.options)
    }

    /// Evaluates every record of `source` and writes the rows to `out` with `writer` (flushed at
    /// the end). An `Err` is a failure to read or write, never a record's: those are rows.
    pub fn write<W: RowWriter>(
        &self,
        source: &mut dyn Source,
        writer: &mut W,
        out: &mut dyn Write,
    ) -> io::Result<Summary> {
        let serial = self.serial(source);
        let pool = self.pool(serial)?;
        let mut summary = Summary::default();
        writer.begin(out)?;
        drive(source, serial, |chunk| {
            let rows = map(pool.as_ref(), serial, chunk, |input| {
                let row = row::evaluate(self.policy, &input, &self.options);
                Ok((row.failed(), writer.prepare(row)?))
            })
            .into_iter()
            .collect::<io::Result<Vec<_>>>()?;
            summary.rows += rows.len();
            summary.failed += rows.iter().filter(|(failed, _)| *failed).count();
            writer.write(out, rows.into_iter().map(|(_, r)| r).collect())
        })?;
        out.flush()?;
        Ok(summary)
    }

    /// Evaluates every record of `source`, handing the rows to `each` a chunk at a time, in
    /// order, on this thread. An `Err` from `each` stops the batch and is returned.
    pub fn for_each_chunk(
        &self,
        source: &mut dyn Source,
        mut each: impl FnMut(Vec<Row>) -> io::Result<()>,
    ) -> io::Result<()> {
        let serial = self.serial(source);
        let pool = self.pool(serial)?;
        drive(source, serial, |chunk| {
            let rows = map(pool.as_ref(), serial, chunk, |input| {
                row::evaluate(self.policy, &input, &self.options)
            });
            each(rows)
        })
    }

    /// Evaluates every record of `source`, handing each row to `each`, in order.
    pub fn for_each(
        &self,
        source: &mut dyn Source,
        mut each: impl FnMut(Row) -> io::Result<()>,
    ) -> io::Result<()> {
        self.for_each_chunk(source, |rows| rows.into_iter().try_for_each(&mut each))
    }

    /// The impact of changing this batch's policy into `new` over the records of `source`: both
    /// policies evaluate every record (with explanations, which name the needs that drive a
    /// change) and the outcomes are folded into one [`Impact`], finished for reporting.
    pub fn compare(&self, new: &Policy, source: &mut dyn Source) -> io::Result<Impact> {
        let pool = self.pool(false)?;
        let mut options = self.options.clone();
        options.explain = true;
        let mut impact = Impact::default();
        let serial = self.serial(source);
        drive(source, serial, |chunk| {
            let part = on(pool.as_ref(), || {
                chunk
                    .par_iter()
                    .fold(Impact::default, |mut acc, input| {
                        let before = row::evaluate(self.policy, input, &options);
                        let after = row::evaluate(new, input, &options);
                        acc.add(&before.outcome, &after.outcome);
                        acc
                    })
                    .reduce(Impact::default, |mut a, b| {
                        a.merge(b);
                        a
                    })
            });
            impact.merge(part);
            Ok(())
        })?;
        Ok(impact.finish())
    }

    /// Whether to read in turn with evaluating: with one thread, a reader thread on the same
    /// core only adds switching — unless reading is costly work of its own
    /// ([`Source::costly`]).
    fn serial(&self, source: &dyn Source) -> bool {
        let threads = match self.jobs {
            0 => rayon::current_num_threads(),
            n => n,
        };
        threads == 1 && !source.costly()
    }

    /// The pool of `jobs` threads, if any: none for the default (the current pool), nor for a
    /// serial batch, which evaluates on this thread.
    fn pool(&self, serial: bool) -> io::Result<Option<rayon::ThreadPool>> {
        if self.jobs == 0 || serial {
            return Ok(None);
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.jobs)
            .thread_name(|i| format!("earlyhelp-{i}"))
            .build()
            .map(Some)
            .map_err(|e| io::Error::other(format!("cannot start {} threads: {e}", self.jobs)))
    }
}

/// A record's `id` as rows and errors give it (a text, or a number's digits), for a face that
/// reads records itself and must name one that fails before the engine sees it.
pub fn record_id(record: &serde_json::Value) -> Option<String> {
    crate::policy::record_id(record)
}

/// `f` over a chunk's inputs, in order: in parallel on `pool` (or the current one), or, for a
/// serial batch, one after another on this thread, the one that read them. That spares a pool of
/// one thread and the hand-over of every chunk to it, and each line is freed by the thread that
/// allocated it (2–3% of a one-core run's time, benches/README.md).
fn map<T: Send>(
    pool: Option<&rayon::ThreadPool>,
    serial: bool,
    chunk: Vec<Input>,
    f: impl Fn(Input) -> T + Sync + Send,
) -> Vec<T> {
    if serial {
        return chunk.into_iter().map(f).collect();
    }
    on(pool, || chunk.into_par_iter().map(f).collect())
}

/// Runs `f` (which uses rayon) on `pool`, or on the current one.
fn on<R: Send>(pool: Option<&rayon::ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Reads chunks from `source` on a thread of its own while `step` handles the previous one on
/// this thread — or, when `serial`, both in turn on this thread. The hand-over holds nothing (a rendezvous), so two chunks are alive at most — the
/// one read and the one handled — and memory stays flat. If `step` fails the reader stops at its
/// next chunk; if reading fails, the chunks read before are still handled.
fn drive(
    source: &mut dyn Source,
    serial: bool,
    mut step: impl FnMut(Vec<Input>) -> io::Result<()>,
) -> io::Result<()> {
    if serial {
        loop {
            let mut chunk = Vec::new();
            source.next_chunk(&mut chunk)?;
            if chunk.is_empty() {
                return Ok(());
            }
            step(chunk)?;
        }
    }
    std::thread::scope(|scope| {
        let (chunks, next) = std::sync::mpsc::sync_channel::<Vec<Input>>(0);
        let reading = scope.spawn(move || -> io::Result<()> {
            loop {
                let mut chunk = Vec::new();
                source.next_chunk(&mut chunk)?;
                if chunk.is_empty() || chunks.send(chunk).is_err() {
                    return Ok(());
                }
            }
        });
        let stepped = next.iter().try_for_each(&mut step);
        drop(next);
        let read = reading
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader stopped unexpectedly")));
        stepped.and(read)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> Policy {
        r#"
            policy p { version "1" }
            record R { id: text required, n: number }
            input r: R
            decision big = r.n > 10
        "#
        .parse()
        .expect("loads")
    }

    #[test]
    fn rows_come_in_input_order_whatever_the_threads() {
        let policy = policy();
        let records: Vec<_> = (0..20_000)
            .map(|i| json!({"id": format!("R{i}"), "n": i % 20}))
            .collect();
        for jobs in [0, 1, 3] {
            let mut ids = Vec::new();
            Batch::new(&policy)
                .jobs(jobs)
                .for_each(&mut Values::new(records.clone()), |row| {
                    ids.push((row.line, row.id().map(str::to_string)));
                    Ok(())
                })
                .expect("runs");
            assert_eq!(ids.len(), records.len());
            for (i, (line, id)) in ids.iter().enumerate() {
                assert_eq!(*line, i + 1);
                assert_eq!(id.as_deref(), Some(format!("R{i}").as_str()));
            }
        }
    }

    #[test]
    fn a_failing_consumer_stops_the_batch() {
        let policy = policy();
        let text = "{\"id\":\"A\",\"n\":1}\n".repeat(3 * source::CHUNK);
        let mut chunks = 0;
        let result =
            Batch::new(&policy).for_each_chunk(&mut JsonLines::new(text.as_bytes()), |_| {
                chunks += 1;
                Err(io::Error::other("stop"))
            });
        assert_eq!(result.map_err(|e| e.to_string()), Err("stop".into()));
        assert_eq!(chunks, 1);
    }

    #[test]
    fn a_failing_source_keeps_the_rows_before_it() {
        struct Failing(bool);
        impl Source for Failing {
            fn next_chunk(&mut self, chunk: &mut Vec<Input>) -> io::Result<()> {
                if std::mem::replace(&mut self.0, true) {
                    return Err(io::Error::other("broken"));
                }
                chunk.push(Input::value(1, json!({"id": "A", "n": 11})));
                Ok(())
            }
        }
        let policy = policy();
        let mut rows = Vec::new();
        let result = Batch::new(&policy).for_each(&mut Failing(false), |row| {
            rows.push(row);
            Ok(())
        });
        assert!(result.is_err());
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].outcome.as_ref().ok().and_then(|d| d.output("big")),
            Some(&json!(true))
        );
    }

    #[test]
    fn columnar_input_is_numbered_by_row() {
        struct Two;
        impl Columnar for Two {
            fn rows(&self) -> usize {
                2
            }
            fn record(&self, i: usize) -> Result<serde_json::Value, crate::RecordError> {
                match i {
                    0 => Ok(json!({"id": "A", "n": 3})),
                    _ => Err(crate::RecordError::new(
                        Some("n".into()),
                        "a set has no JSON form".into(),
                    )),
                }
            }
        }
        let policy = policy();
        let mut out = Vec::new();
        let summary = Batch::new(&policy)
            .write(&mut Columns::new(Two), &mut JsonlWriter::new(), &mut out)
            .expect("runs");
        assert_eq!((summary.rows, summary.failed), (2, 1));
        let text = String::from_utf8(out).expect("UTF-8");
        let rows: Vec<&str> = text.lines().collect();
        assert!(
            rows[0].starts_with(r#"{"id":"A","outputs":{"big":false}"#),
            "{}",
            rows[0]
        );
        assert_eq!(
            rows[1],
            r#"{"id":null,"line":2,"error":"n: a set has no JSON form"}"#
        );
    }

    #[test]
    fn a_column_of_json_texts_gives_the_rows_of_the_same_lines() {
        const LINES: [&str; 3] = [r#"{"id": "A", "n": 3}"#, "not JSON", r#"{"id": "C"}"#];
        struct Texts;
        impl Columnar for Texts {
            fn rows(&self) -> usize {
                LINES.len()
            }
            fn record(&self, _: usize) -> Result<serde_json::Value, crate::RecordError> {
                unreachable!("texts are handed over as texts")
            }
            fn input(&self, i: usize, line: usize) -> Input {
                Input::text(line, LINES[i].to_string())
            }
        }
        let policy = policy();
        let (mut columnar, mut lines) = (Vec::new(), Vec::new());
        Batch::new(&policy)
            .write(
                &mut Columns::new(Texts),
                &mut JsonlWriter::new(),
                &mut columnar,
            )
            .expect("runs");
        let text = LINES.join("\n");
        Batch::new(&policy)
            .write(
                &mut JsonLines::new(text.as_bytes()),
                &mut JsonlWriter::new(),
                &mut lines,
            )
            .expect("runs");
        let lines = String::from_utf8(lines).expect("UTF-8");
        assert_eq!(String::from_utf8(columnar).expect("UTF-8"), lines);
        assert!(
            lines.contains(r#""line":2,"error":"not valid JSON"#),
            "{lines}"
        );
    }
}
