//! Batches: many records evaluated on all cores with the GIL released.
//!
//! Records from a JSON Lines file are read and evaluated without the GIL by a worker thread,
//! exactly as `earlyhelp eval` reads them (same line handling, same error rows). Records from
//! Python objects must be converted holding the GIL; that runs on the calling thread chunk by
//! chunk while a worker thread evaluates the previous chunks on the rayon pool. Either way the
//! calling thread turns each evaluated chunk into Python values (the result's columns) as soon as
//! it is back, so that work, which needs the GIL too, overlaps evaluation instead of following
//! it. A record that cannot be converted or evaluated becomes an error row; only an error of
//! Python itself (a `KeyboardInterrupt`, an iterator that raises) stops the batch.

use crate::convert::{self, to_py, Failure};
use crate::{parse_as_at, type_name};
use earlyhelp::{Decision, Impact, Options, Policy, RecordError};
use pyo3::exceptions::{PyException, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMapping, PyString};
use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Records per chunk: large enough to keep every core busy, small enough that conversion and
/// evaluation overlap from the start.
const CHUNK: usize = 2048;

/// One record, ready for a worker thread.
pub(crate) enum Input {
    /// JSON text (a line of a file, a str in a list, or a Python object converted); `line`
    /// numbers the error of a file line.
    Text { text: String, line: Option<usize> },
    /// Could not be converted: the row is this error.
    Bad { id: Option<String>, error: String },
}

/// One record's outcome.
pub(crate) enum Outcome {
    Decided(Box<Decision>),
    Failed { id: Option<String>, error: String },
}

fn evaluate(policy: &Policy, input: &Input, options: &Options) -> Result<Decision, RecordError> {
    match input {
        Input::Text { text, line } => {
            let result = if text.trim().is_empty() {
                Err(RecordError {
                    id: None,
                    path: None,
                    message: "empty line".into(),
                })
            } else {
                policy.evaluate_json(text, options)
            };
            result.map_err(|mut e| {
                if let Some(n) = line {
                    // As the command line's CSV does: the line number first.
                    e.message = match e.path.take() {
                        Some(p) => format!("line {n}: {p}: {}", e.message),
                        None => format!("line {n}: {}", e.message),
                    };
                }
                e
            })
        }
        Input::Bad { id, error } => Err(RecordError {
            id: id.clone(),
            path: None,
            message: error.clone(),
        }),
    }
}

fn outcome(result: Result<Decision, RecordError>) -> Outcome {
    match result {
        Ok(d) => Outcome::Decided(Box::new(d)),
        Err(e) => Outcome::Failed {
            id: e.id.clone(),
            error: e.to_string(),
        },
    }
}

/// The `id` of a record given as a Python mapping, when it is text (for error rows).
pub(crate) fn record_id(record: &Bound<'_, PyAny>) -> Option<String> {
    let id = record.get_item("id").ok()?;
    id.cast::<PyString>()
        .ok()?
        .to_cow()
        .ok()
        .map(|s| s.into_owned())
}

/// Converts one Python item of a batch. `Err` only for an error that must stop the batch.
fn input(item: &Bound<'_, PyAny>, na_is_null: bool) -> PyResult<Input> {
    if let Ok(s) = item.cast::<PyString>() {
        return match s.to_cow() {
            Ok(text) => Ok(Input::Text {
                text: text.into_owned(),
                line: None,
            }),
            Err(e) if e.is_instance_of::<PyException>(item.py()) => Ok(Input::Bad {
                id: None,
                error: "the record is not valid Unicode text (it holds a lone surrogate)".into(),
            }),
            Err(e) => Err(e),
        };
    }
    if item.cast::<PyBytes>().is_ok() || item.cast::<PyByteArray>().is_ok() {
        let bytes: Vec<u8> = item.extract()?;
        return Ok(match String::from_utf8(bytes) {
            Ok(text) => Input::Text { text, line: None },
            Err(_) => Input::Bad {
                id: None,
                error: "the record is not UTF-8 text".into(),
            },
        });
    }
    if item.cast::<PyDict>().is_err() && item.cast::<PyMapping>().is_err() {
        return Ok(Input::Bad {
            id: None,
            error: format!(
                "a record is a dict (or other mapping) or JSON text, not {}",
                type_name(item)
            ),
        });
    }
    match convert::to_json_text(item, na_is_null) {
        Ok(text) => Ok(Input::Text { text, line: None }),
        Err(Failure::Record(e)) => Ok(Input::Bad {
            id: record_id(item),
            error: e.render(),
        }),
        // A Python error inside one record (a mapping whose items() raises…) is that record's
        // error; KeyboardInterrupt and SystemExit stop the batch.
        Err(Failure::Python(e)) if e.is_instance_of::<PyException>(item.py()) => Ok(Input::Bad {
            id: record_id(item),
            error: format!("cannot read the record: {e}"),
        }),
        Err(Failure::Python(e)) => Err(e),
    }
}

/// Converts the records of a Python iterable chunk by chunk on this thread (holding the GIL)
/// while a worker evaluates finished chunks with `work` on the rayon pool (without it). Each
/// chunk's result comes back to `take`, on this thread and in order, as soon as it is ready.
fn pipeline<T, W>(
    py: Python<'_>,
    records: &Bound<'_, PyAny>,
    na_is_null: bool,
    work: W,
    mut take: impl FnMut(T) -> PyResult<()>,
) -> PyResult<()>
where
    T: Send,
    W: Fn(&[Input]) -> T + Sync,
{
    let iter = records.try_iter()?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Input>>(2);
    // Unbounded: the worker must never wait for this thread, which may be waiting to send it
    // the next chunk. Results are kept until the end anyway (as columns).
    let (done_tx, done_rx) = std::sync::mpsc::channel::<T>();
    std::thread::scope(|scope| {
        let work = &work;
        let worker = scope.spawn(move || {
            for chunk in rx {
                if done_tx.send(work(&chunk)).is_err() {
                    break;
                }
            }
        });
        let send = |chunk: Vec<Input>| {
            // Waiting for the worker to take it: let other Python threads run meanwhile.
            py.detach(|| tx.send(chunk))
                .map_err(|_| PyRuntimeError::new_err("the evaluation worker stopped"))
        };
        let fed = (|| -> PyResult<()> {
            let mut chunk = Vec::with_capacity(CHUNK);
            for item in iter {
                chunk.push(input(&item?, na_is_null)?);
                if chunk.len() == CHUNK {
                    send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))?;
                    py.check_signals()?;
                    for done in done_rx.try_iter() {
                        take(done)?;
                    }
                }
            }
            if !chunk.is_empty() {
                send(chunk)?;
            }
            Ok(())
        })();
        // Closing the channel ends the worker once it has done what it was sent.
        drop(tx);
        // After a failure the worker's results are not wanted: dropping the receiver stops it at
        // its next one.
        let taken = fed.and_then(|()| receive(py, done_rx, &mut take));
        let joined = py.detach(|| worker.join());
        taken?;
        joined.map_err(|_| PyRuntimeError::new_err("internal error while evaluating records"))
    })
}

/// Hands each result to `take` as the worker sends it, until the worker is done.
fn receive<T: Send>(
    py: Python<'_>,
    mut done: std::sync::mpsc::Receiver<T>,
    take: &mut impl FnMut(T) -> PyResult<()>,
) -> PyResult<()> {
    loop {
        // Waiting without the GIL (the receiver goes along: it may not be shared).
        let (result, back) = py.detach(move || (done.recv(), done));
        done = back;
        let Ok(result) = result else { return Ok(()) };
        take(result)?;
        py.check_signals()?;
    }
}

/// Reads and evaluates the records of a file on a worker thread, without the GIL, chunk by chunk
/// with `work`; each chunk's result comes back to `take`, on this thread and in order.
fn from_path<T, W>(
    py: Python<'_>,
    path: &Path,
    work: W,
    mut take: impl FnMut(T) -> PyResult<()>,
) -> PyResult<()>
where
    T: Send,
    W: Fn(&[Input]) -> T + Sync,
{
    let (done_tx, done_rx) = std::sync::mpsc::channel::<T>();
    std::thread::scope(|scope| {
        let work = &work;
        let worker = scope.spawn(move || {
            // A failed send means this thread stopped taking results: stop reading.
            read_records(path, |chunk| done_tx.send(work(&chunk)).is_ok())
        });
        let taken = receive(py, done_rx, &mut take);
        let read = py.detach(|| worker.join());
        taken?;
        match read {
            Ok(result) => result.map_err(|e| read_error(path, e)),
            Err(_) => Err(PyRuntimeError::new_err(
                "internal error while evaluating records",
            )),
        }
    })
}

/// The most threads `jobs` may ask for.
const MAX_JOBS: usize = 1024;

/// A pool of `jobs` threads, or `None` for rayon's global pool (one thread per core).
pub(crate) fn pool(jobs: Option<usize>) -> PyResult<Option<ThreadPool>> {
    match jobs {
        None => Ok(None),
        Some(n) if n == 0 || n > MAX_JOBS => Err(PyValueError::new_err(format!(
            "jobs must be between 1 and {MAX_JOBS}, or None for one per core"
        ))),
        Some(n) => ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("earlyhelp-{i}"))
            .build()
            .map(Some)
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start {n} threads: {e}"))),
    }
}

/// Runs `f` (which uses rayon) on `pool`, or on the global pool.
fn on<R: Send>(pool: Option<&ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Evaluates a chunk of records in parallel, keeping their order.
fn evaluate_chunk(
    pool: Option<&ThreadPool>,
    policy: &Policy,
    chunk: &[Input],
    options: &Options,
) -> Vec<Outcome> {
    on(pool, || {
        chunk
            .par_iter()
            .map(|i| outcome(evaluate(policy, i, options)))
            .collect()
    })
}

/// The columns of `evaluate_many` for the records of a Python iterable (dicts, mappings or JSON
/// texts).
pub(crate) fn columns_from_records<'py>(
    py: Python<'py>,
    policy: &Policy,
    records: &Bound<'py, PyAny>,
    options: &Options,
    na_is_null: bool,
    pool: Option<&ThreadPool>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut columns = Columns::new(py, policy);
    let work = |chunk: &[Input]| evaluate_chunk(pool, policy, chunk, options);
    pipeline(py, records, na_is_null, work, |outcomes| {
        columns.add(&outcomes)
    })?;
    columns.finish()
}

/// The columns of `evaluate_many` for the records of a file (JSON Lines, or a JSON array).
pub(crate) fn columns_from_path<'py>(
    py: Python<'py>,
    policy: &Policy,
    path: &Path,
    options: &Options,
    pool: Option<&ThreadPool>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut columns = Columns::new(py, policy);
    let work = |chunk: &[Input]| evaluate_chunk(pool, policy, chunk, options);
    from_path(py, path, work, |outcomes| columns.add(&outcomes))?;
    columns.finish()
}

/// Reads a records file as `earlyhelp eval` does — JSON Lines, or one JSON array of records, or
/// one pretty-printed record — handing chunks of numbered texts to `each`, which says whether to
/// go on. Runs without the GIL.
fn read_records(path: &Path, mut each: impl FnMut(Vec<Input>) -> bool) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        let first = (line_no == 1)
            .then(|| std::str::from_utf8(&buf).ok())
            .flatten()
            .map(|l| l.trim_end_matches(['\n', '\r']))
            .filter(|l| starts_document(l));
        if let Some(first) = first {
            // The first line is not a whole record: read the document whole (a file that is
            // not one JSON document after all is read line by line, as JSON Lines).
            let mut text = format!("{first}\n").into_bytes();
            reader.read_to_end(&mut text)?;
            let all = match std::str::from_utf8(&text).ok().and_then(whole_document) {
                Some(records) => records,
                None => lines(&text),
            };
            let mut all = all.into_iter();
            loop {
                let part: Vec<Input> = all.by_ref().take(CHUNK).collect();
                if part.is_empty() || !each(part) {
                    break;
                }
            }
            return Ok(());
        }
        chunk.push(line_input(line_no, &buf));
        if chunk.len() == CHUNK && !each(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))) {
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        each(chunk);
    }
    Ok(())
}

/// Line `n` of a records file, without its line end. A line that is not UTF-8 is an error row,
/// like any other unreadable record (as in `earlyhelp eval`).
fn line_input(n: usize, bytes: &[u8]) -> Input {
    match std::str::from_utf8(bytes) {
        Ok(text) => Input::Text {
            text: text.trim_end_matches(['\n', '\r']).to_string(),
            line: Some(n),
        },
        Err(_) => Input::Bad {
            id: None,
            error: format!("line {n}: the line is not UTF-8 text"),
        },
    }
}

/// The lines of a text, numbered from 1 (a last line end ends the last line).
fn lines(text: &[u8]) -> Vec<Input> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    text.split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| line_input(i + 1, l))
        .collect()
}

/// A first line that opens an array, or an object that does not close on the same line (as the
/// command line decides).
fn starts_document(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches('\u{feff}');
    t.starts_with('[')
        || (t.starts_with('{')
            && serde_json::from_str::<Json>(t).is_err()
            && !t.trim_end().ends_with('}'))
}

/// A file holding one JSON array of records, or one record.
fn whole_document(text: &str) -> Option<Vec<Input>> {
    let input = |(i, r): (usize, &Json)| Input::Text {
        text: r.to_string(),
        line: Some(i + 1),
    };
    match serde_json::from_str::<Json>(text.trim_start_matches('\u{feff}')).ok()? {
        Json::Array(records) => Some(records.iter().enumerate().map(input).collect()),
        record @ Json::Object(_) => Some(vec![input((0, &record))]),
        _ => None,
    }
}

fn read_error(path: &Path, e: std::io::Error) -> PyErr {
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    let message = format!("cannot read {}: {why}", path.display());
    if e.kind() == std::io::ErrorKind::NotFound {
        pyo3::exceptions::PyFileNotFoundError::new_err(message)
    } else {
        PyOSError::new_err(message)
    }
}

/// Python texts made once per batch: decision values (need and group names, levels) and
/// missing paths repeat from row to row, so each distinct text becomes one Python `str` shared
/// by every row that holds it.
struct Texts<'py> {
    py: Python<'py>,
    made: HashMap<String, Bound<'py, PyString>>,
}

impl<'py> Texts<'py> {
    fn text(&mut self, s: &str) -> Bound<'py, PyString> {
        if let Some(made) = self.made.get(s) {
            return made.clone();
        }
        let made = PyString::new(self.py, s);
        self.made.insert(s.to_string(), made.clone());
        made
    }

    /// A decision value as Python: texts shared, lists of texts made of shared texts.
    fn value(&mut self, v: &Json) -> PyResult<Bound<'py, PyAny>> {
        match v {
            Json::String(s) => Ok(self.text(s).into_any()),
            Json::Array(items) => {
                let items = items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(PyList::new(self.py, items)?.into_any())
            }
            other => to_py(self.py, other),
        }
    }

    fn list(&mut self, items: &[String]) -> PyResult<Bound<'py, PyList>> {
        let items: Vec<Bound<'py, PyString>> = items.iter().map(|s| self.text(s)).collect();
        PyList::new(self.py, items)
    }
}

/// One decision's column: yes/no decisions as the values and the mask of a pandas nullable
/// boolean array (one byte a row each, no Python object per row), others as Python values.
enum Column<'py> {
    Bool { values: Vec<u8>, mask: Vec<u8> },
    Objects(Vec<Bound<'py, PyAny>>),
}

/// The columns of `evaluate_many`, built a chunk of outcomes at a time: `{"id": [...],
/// "decisions": {name: column}, "missing": [...], "error": [...], "explanation": [...] or None}`,
/// where a yes/no decision's column is `(values: bytearray, mask: bytearray)` and any other a
/// list. The DataFrame is built in Python.
struct Columns<'py> {
    py: Python<'py>,
    infos: Vec<earlyhelp::DecisionInfo>,
    texts: Texts<'py>,
    decisions: Vec<Column<'py>>,
    ids: Vec<Bound<'py, PyAny>>,
    missing: Vec<Bound<'py, PyList>>,
    errors: Vec<Bound<'py, PyAny>>,
    /// Made when the first explained row arrives (earlier rows, all failed, get `None`): a batch
    /// with no explained row has no explanation column.
    explanations: Option<Vec<Bound<'py, PyAny>>>,
}

impl<'py> Columns<'py> {
    fn new(py: Python<'py>, policy: &Policy) -> Self {
        let infos = policy.decisions();
        let decisions = infos
            .iter()
            .map(|d| {
                if d.ty == "yes/no" || d.ty == "bool" {
                    Column::Bool {
                        values: Vec::new(),
                        mask: Vec::new(),
                    }
                } else {
                    Column::Objects(Vec::new())
                }
            })
            .collect();
        Columns {
            py,
            infos,
            texts: Texts {
                py,
                made: HashMap::new(),
            },
            decisions,
            ids: Vec::new(),
            missing: Vec::new(),
            errors: Vec::new(),
            explanations: None,
        }
    }

    /// Adds one row per outcome, in order.
    fn add(&mut self, outcomes: &[Outcome]) -> PyResult<()> {
        let py = self.py;
        let none = || py.None().into_bound(py);
        for o in outcomes {
            let rows = self.ids.len();
            match o {
                Outcome::Decided(d) => {
                    self.ids.push(match d.id() {
                        Some(id) => PyString::new(py, id).into_any(),
                        None => none(),
                    });
                    for (info, column) in self.infos.iter().zip(&mut self.decisions) {
                        let value = d.output(&info.name).unwrap_or(&Json::Null);
                        match column {
                            Column::Bool { values, mask } => {
                                let b = value.as_bool();
                                values.push(u8::from(b == Some(true)));
                                mask.push(u8::from(b.is_none()));
                            }
                            Column::Objects(items) => items.push(self.texts.value(value)?),
                        }
                    }
                    self.missing.push(self.texts.list(d.missing())?);
                    self.errors.push(none());
                    if let Some(e) = d.explanation() {
                        let explanations = self
                            .explanations
                            .get_or_insert_with(|| (0..rows).map(|_| none()).collect());
                        explanations.push(to_py(py, &e.to_json())?);
                    } else if let Some(explanations) = &mut self.explanations {
                        explanations.push(none());
                    }
                }
                Outcome::Failed { id, error } => {
                    self.ids.push(match id {
                        Some(id) => PyString::new(py, id).into_any(),
                        None => none(),
                    });
                    for column in &mut self.decisions {
                        match column {
                            Column::Bool { values, mask } => {
                                values.push(0);
                                mask.push(1);
                            }
                            Column::Objects(items) => items.push(none()),
                        }
                    }
                    self.missing.push(PyList::empty(py));
                    self.errors.push(PyString::new(py, error).into_any());
                    if let Some(explanations) = &mut self.explanations {
                        explanations.push(none());
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> PyResult<Bound<'py, PyDict>> {
        let py = self.py;
        let decisions = PyDict::new(py);
        for (info, column) in self.infos.iter().zip(self.decisions) {
            match column {
                Column::Bool { values, mask } => decisions.set_item(
                    &info.name,
                    (PyByteArray::new(py, &values), PyByteArray::new(py, &mask)),
                )?,
                Column::Objects(items) => {
                    decisions.set_item(&info.name, PyList::new(py, items)?)?
                }
            }
        }
        let out = PyDict::new(py);
        out.set_item("id", PyList::new(py, self.ids)?)?;
        out.set_item("decisions", decisions)?;
        out.set_item("missing", PyList::new(py, self.missing)?)?;
        out.set_item("error", PyList::new(py, self.errors)?)?;
        match self.explanations {
            Some(explanations) => out.set_item("explanation", PyList::new(py, explanations)?)?,
            None => out.set_item("explanation", py.None())?,
        }
        Ok(out)
    }
}

/// The impact of changing `old` into `new` over the same records, as `earlyhelp diff --format
/// json` gives it (internal: `earlyhelp.diff` builds the DataFrames). `records` is a path (str
/// or os.PathLike, read as `path`) when `is_path`, else an iterable of records.
#[pyfunction]
#[pyo3(signature = (old, new, records, is_path, as_at = None, na_is_null = false, jobs = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _impact<'py>(
    py: Python<'py>,
    old: &Bound<'py, crate::policy::PyPolicy>,
    new: &Bound<'py, crate::policy::PyPolicy>,
    records: &Bound<'py, PyAny>,
    is_path: bool,
    as_at: Option<&Bound<'py, PyAny>>,
    na_is_null: bool,
    jobs: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = Options {
        as_at: parse_as_at(as_at)?,
        explain: true,
        ..Options::default()
    };
    let pool = pool(jobs)?;
    let pool = pool.as_ref();
    let (old, new) = (&old.get().inner, &new.get().inner);
    let fold = |chunk: &[Input]| -> Impact {
        on(pool, || {
            chunk
                .par_iter()
                .fold(Impact::default, |mut acc, i| {
                    acc.add(&evaluate(old, i, &options), &evaluate(new, i, &options));
                    acc
                })
                .collect::<Vec<Impact>>()
        })
        .into_iter()
        .fold(Impact::default(), |mut a, b| {
            a.merge(b);
            a
        })
    };
    let mut impact = Impact::default();
    let take = |part: Impact| {
        impact.merge(part);
        Ok(())
    };
    if is_path {
        let path: PathBuf = records.extract()?;
        from_path(py, &path, fold, take)?;
    } else {
        pipeline(py, records, na_is_null, fold, take)?;
    }
    to_py(py, &impact.finish().to_json())
}
