//! Batches: `evaluate_many` and `earlyhelp.diff` as a thin face over the engine's batch pipeline
//! (`earlyhelp::batch`), which reads, evaluates on all cores and orders the rows exactly as
//! `earlyhelp eval` and `diff` do. This file only says where the records come from and turns rows
//! into Python columns.
//!
//! A file is read by the engine ([`JsonLines`]) without the GIL. Records given as Python objects
//! are converted to JSON text on the engine's reader thread, a chunk at a time, holding the GIL
//! ([`PyRecords`]), while earlier chunks are evaluated without it. Each evaluated chunk becomes
//! Python values (the result's columns) on the calling thread as soon as it is back. A record that
//! cannot be converted or evaluated is an error row; only an error of Python itself (a
//! `KeyboardInterrupt`, an iterator that raises) stops the batch.

use crate::convert::{self, to_py, Failure};
use crate::{parse_as_at, type_name};
use earlyhelp::batch::{self, Batch, Input, JsonLines, Row, Source};
use earlyhelp::{DecisionType, Options, Policy, RecordError};
use pyo3::exceptions::{PyException, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyIterator, PyList, PyMapping, PyString};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

/// Python records per chunk: large enough to keep every core busy, small enough that conversion
/// and evaluation overlap from the start.
const CHUNK: usize = 2048;

/// The most threads `jobs` may ask for.
const MAX_JOBS: usize = 1024;

/// Where a batch's records come from.
pub(crate) enum Records<'py> {
    /// A file, read as `earlyhelp eval --records` reads it.
    Path(PathBuf),
    /// A Python iterable of dicts, mappings or JSON texts; `na_is_null` reads float NaN (pandas'
    /// hole) as null.
    Python(Bound<'py, PyAny>, bool),
    /// Arrow record batches (a pyarrow Table, a polars DataFrame…), read in Rust.
    Arrow(crate::arrow::ArrowRows),
}

/// The `jobs` argument as the engine takes it (`None` or 0: one thread per core).
pub(crate) fn jobs(jobs: Option<usize>) -> PyResult<usize> {
    match jobs {
        Some(n) if n > MAX_JOBS => Err(PyValueError::new_err(format!(
            "jobs must be between 0 and {MAX_JOBS} (0 or None: one thread per core)"
        ))),
        Some(n) => Ok(n),
        None => Ok(0),
    }
}

/// The records of a Python iterable, converted holding the GIL, numbered from 1.
struct PyRecords {
    iter: Py<PyIterator>,
    na_is_null: bool,
    line: usize,
    /// The Python error that stopped the batch, raised once it is over.
    stopped: Option<PyErr>,
}

impl Source for PyRecords {
    /// Converting Python objects is work of its own: it overlaps evaluation even with `jobs=1`.
    fn costly(&self) -> bool {
        true
    }

    fn next_chunk(&mut self, chunk: &mut Vec<Input>) -> io::Result<()> {
        Python::attach(|py| {
            let mut iter = self.iter.bind(py).clone();
            while chunk.len() < CHUNK {
                let Some(item) = iter.next() else { break };
                self.line += 1;
                match item.and_then(|item| input(self.line, &item, self.na_is_null)) {
                    Ok(input) => chunk.push(input),
                    Err(e) => {
                        self.stopped = Some(e);
                        return Err(io::Error::other("a Python error stopped the batch"));
                    }
                }
            }
            Ok(())
        })
    }
}

/// Runs `run` over the records without the GIL. A Python error that stopped the batch (from
/// the records, or `stopped` from the consumer) is raised as it was.
pub(crate) fn with_source<T: Send>(
    py: Python<'_>,
    records: Records<'_>,
    stopped: &mut Option<PyErr>,
    run: impl FnOnce(&mut dyn Source, &mut Option<PyErr>) -> io::Result<T> + Send,
) -> PyResult<T> {
    match records {
        Records::Path(path) => {
            let file = std::fs::File::open(&path).map_err(|e| read_error(&path, e))?;
            let result = py.detach(|| run(&mut JsonLines::new(file), stopped));
            match stopped.take() {
                Some(e) => Err(e),
                None => result.map_err(|e| read_error(&path, e)),
            }
        }
        Records::Arrow(rows) => {
            let result = py.detach(|| run(&mut batch::Columns::new(rows), stopped));
            match stopped.take() {
                Some(e) => Err(e),
                None => result.map_err(|e| PyRuntimeError::new_err(e.to_string())),
            }
        }
        Records::Python(iterable, na_is_null) => {
            let mut source = PyRecords {
                iter: iterable.try_iter()?.unbind(),
                na_is_null,
                line: 0,
                stopped: None,
            };
            let result = py.detach(|| run(&mut source, stopped));
            match stopped.take().or(source.stopped) {
                Some(e) => Err(e),
                None => result.map_err(|e| PyRuntimeError::new_err(e.to_string())),
            }
        }
    }
}

/// The `id` of a record given as a Python mapping, as the engine would read it from the record's
/// JSON (a text, or a number's digits): for the error row of a record that cannot be converted.
pub(crate) fn record_id(record: &Bound<'_, PyAny>) -> Option<String> {
    let id = record.get_item("id").ok()?;
    let text = convert::to_json_text(&id, false).ok()?;
    let id: Json = serde_json::from_str(&text).ok()?;
    batch::record_id(&serde_json::json!({ "id": id }))
}

/// Converts one Python item of a batch. `Err` only for an error that must stop the batch.
fn input(line: usize, item: &Bound<'_, PyAny>, na_is_null: bool) -> PyResult<Input> {
    let failed = |message: String| Input::failed(line, RecordError::new(None, message));
    if let Ok(s) = item.cast::<PyString>() {
        return match s.to_cow() {
            Ok(text) => Ok(Input::text(line, text.into_owned())),
            Err(e) if e.is_instance_of::<PyException>(item.py()) => Ok(failed(
                "the record is not valid Unicode text (it holds a lone surrogate)".into(),
            )),
            Err(e) => Err(e),
        };
    }
    if item.cast::<PyBytes>().is_ok() || item.cast::<PyByteArray>().is_ok() {
        let bytes: Vec<u8> = item.extract()?;
        return Ok(match String::from_utf8(bytes) {
            Ok(text) => Input::text(line, text),
            // As a line of a file that is not UTF-8.
            Err(_) => Input::not_utf8(line),
        });
    }
    if item.cast::<PyDict>().is_err() && item.cast::<PyMapping>().is_err() {
        return Ok(failed(format!(
            "a record is a dict (or other mapping) or JSON text, not {}",
            type_name(item)
        )));
    }
    match convert::to_json_text(item, na_is_null) {
        Ok(text) => Ok(Input::text(line, text)),
        Err(Failure::Record(e)) => Ok(Input::failed(
            line,
            RecordError::new((!e.path.is_empty()).then_some(e.path), e.message)
                .with_id(record_id(item)),
        )),
        // A Python error inside one record (a mapping whose items() raises…) is that record's
        // error; KeyboardInterrupt and SystemExit stop the batch.
        Err(Failure::Python(e)) if e.is_instance_of::<PyException>(item.py()) => Ok(Input::failed(
            line,
            RecordError::new(None, format!("cannot read the record: {e}")).with_id(record_id(item)),
        )),
        Err(Failure::Python(e)) => Err(e),
    }
}

/// The columns of `evaluate_many` (see [`Columns`]).
pub(crate) fn columns<'py>(
    py: Python<'py>,
    policy: &Policy,
    records: Records<'py>,
    options: Options,
    jobs: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let mut columns = Columns::new(policy, options.outside_in_force);
    let batch = Batch::new(policy).options(options).jobs(jobs);
    let mut stopped = None;
    with_source(py, records, &mut stopped, |source, stopped| {
        batch.for_each_chunk(source, |rows| {
            Python::attach(|py| columns.add(py, &rows).and_then(|()| py.check_signals())).map_err(
                |e| {
                    *stopped = Some(e);
                    io::Error::other("a Python error stopped the batch")
                },
            )
        })
    })?;
    columns.finish(py)
}

/// The impact of changing `old` into `new` over the same records, as `earlyhelp diff --format
/// json` gives it (internal: `earlyhelp.diff` builds the DataFrames). `kind` says what `records`
/// is: `"path"` (str or os.PathLike), `"arrow"` (`json` naming its column of JSON texts, if
/// any) or `"records"` (an iterable).
#[pyfunction]
#[pyo3(signature = (old, new, kind, records, json = None, as_at = None, na_is_null = false, jobs = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _impact<'py>(
    py: Python<'py>,
    old: &Bound<'py, crate::policy::PyPolicy>,
    new: &Bound<'py, crate::policy::PyPolicy>,
    kind: &str,
    records: &Bound<'py, PyAny>,
    json: Option<&str>,
    as_at: Option<&Bound<'py, PyAny>>,
    na_is_null: bool,
    jobs: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let batch = Batch::new(&old.get().inner)
        .options(Options::default().as_at(parse_as_at(as_at)?))
        .jobs(self::jobs(jobs)?);
    let new = &new.get().inner;
    let records = crate::arrow::records_of(kind, records, json, na_is_null)?;
    let impact = with_source(py, records, &mut None, |source, _| {
        batch.compare(new, source)
    })?;
    to_py(py, &impact.to_json())
}

fn read_error(path: &std::path::Path, e: std::io::Error) -> PyErr {
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
#[derive(Default)]
struct Texts {
    made: HashMap<String, Py<PyString>>,
}

impl Texts {
    fn text<'py>(&mut self, py: Python<'py>, s: &str) -> Bound<'py, PyString> {
        if let Some(made) = self.made.get(s) {
            return made.bind(py).clone();
        }
        let made = PyString::new(py, s);
        self.made.insert(s.to_string(), made.clone().unbind());
        made
    }

    /// A decision value as Python: texts shared, lists of texts made of shared texts.
    fn value<'py>(&mut self, py: Python<'py>, v: &Json) -> PyResult<Bound<'py, PyAny>> {
        match v {
            Json::String(s) => Ok(self.text(py, s).into_any()),
            Json::Array(items) => {
                let items = items
                    .iter()
                    .map(|i| self.value(py, i))
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(PyList::new(py, items)?.into_any())
            }
            other => to_py(py, other),
        }
    }

    fn list<'py>(&mut self, py: Python<'py>, items: &[String]) -> PyResult<Bound<'py, PyList>> {
        let items: Vec<Bound<'py, PyString>> = items.iter().map(|s| self.text(py, s)).collect();
        PyList::new(py, items)
    }
}

/// One decision's column: yes/no decisions as the values and the mask of a pandas nullable
/// boolean array (one byte a row each, no Python object per row), others as Python values.
enum Column {
    Bool { values: Vec<u8>, mask: Vec<u8> },
    Objects(Vec<Py<PyAny>>),
}

/// The columns of `evaluate_many`, built a chunk of rows at a time: `{"id": [...],
/// "decisions": {name: column}, "missing": [...], "error": [...], "explanation": [...] or None}`,
/// where a yes/no decision's column is `(values: bytearray, mask: bytearray)` and any other a
/// list. The DataFrame is built in Python. Holds no GIL-bound reference, so it can wait for rows
/// while the GIL is released.
struct Columns {
    names: Vec<String>,
    texts: Texts,
    decisions: Vec<Column>,
    ids: Vec<Py<PyAny>>,
    missing: Vec<Py<PyAny>>,
    errors: Vec<Py<PyAny>>,
    /// Made when the first explained row arrives (earlier rows, all failed, get `None`): a batch
    /// with no explained row has no explanation column.
    explanations: Option<Vec<Py<PyAny>>>,
    /// Whether each row was outside the policy's `in_force` window, when those are evaluated
    /// too (`outside_in_force=True`): eval's `outside_in_force`, a nullable boolean.
    outside: Option<(Vec<u8>, Vec<u8>)>,
}

impl Columns {
    fn new(policy: &Policy, outside_in_force: bool) -> Self {
        let infos = policy.decisions();
        let decisions = infos
            .iter()
            .map(|d| match d.ty {
                DecisionType::YesNo => Column::Bool {
                    values: Vec::new(),
                    mask: Vec::new(),
                },
                _ => Column::Objects(Vec::new()),
            })
            .collect();
        Columns {
            names: infos.into_iter().map(|d| d.name).collect(),
            texts: Texts::default(),
            decisions,
            ids: Vec::new(),
            missing: Vec::new(),
            errors: Vec::new(),
            explanations: None,
            outside: outside_in_force.then(Default::default),
        }
    }

    /// Adds one row per row, in order.
    fn add(&mut self, py: Python<'_>, rows: &[Row]) -> PyResult<()> {
        for row in rows {
            let done = self.ids.len();
            self.ids.push(match row.id() {
                Some(id) => PyString::new(py, id).into_any().unbind(),
                None => py.None(),
            });
            match &row.outcome {
                Ok(d) => {
                    for (name, column) in self.names.iter().zip(&mut self.decisions) {
                        let value = d.output(name).unwrap_or(&Json::Null);
                        match column {
                            Column::Bool { values, mask } => {
                                let b = value.as_bool();
                                values.push(u8::from(b == Some(true)));
                                mask.push(u8::from(b.is_none()));
                            }
                            Column::Objects(items) => {
                                items.push(self.texts.value(py, value)?.unbind())
                            }
                        }
                    }
                    self.missing
                        .push(self.texts.list(py, d.missing())?.into_any().unbind());
                    self.errors.push(py.None());
                    if let Some((values, mask)) = &mut self.outside {
                        values.push(u8::from(d.outside_in_force()));
                        mask.push(0);
                    }
                    if let Some(e) = d.explanation() {
                        let explanations = self
                            .explanations
                            .get_or_insert_with(|| (0..done).map(|_| py.None()).collect());
                        explanations.push(to_py(py, &e.to_json())?.unbind());
                    } else if let Some(explanations) = &mut self.explanations {
                        explanations.push(py.None());
                    }
                }
                Err(_) => {
                    for column in &mut self.decisions {
                        match column {
                            Column::Bool { values, mask } => {
                                values.push(0);
                                mask.push(1);
                            }
                            Column::Objects(items) => items.push(py.None()),
                        }
                    }
                    self.missing.push(PyList::empty(py).into_any().unbind());
                    let error = row.error_text().unwrap_or_default();
                    self.errors
                        .push(PyString::new(py, &error).into_any().unbind());
                    if let Some(explanations) = &mut self.explanations {
                        explanations.push(py.None());
                    }
                    if let Some((values, mask)) = &mut self.outside {
                        values.push(0);
                        mask.push(1);
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let decisions = PyDict::new(py);
        for (name, column) in self.names.iter().zip(self.decisions) {
            match column {
                Column::Bool { values, mask } => decisions.set_item(
                    name,
                    (PyByteArray::new(py, &values), PyByteArray::new(py, &mask)),
                )?,
                Column::Objects(items) => decisions.set_item(name, PyList::new(py, items)?)?,
            }
        }
        let out = PyDict::new(py);
        out.set_item("id", PyList::new(py, self.ids)?)?;
        out.set_item("decisions", decisions)?;
        out.set_item("missing", PyList::new(py, self.missing)?)?;
        out.set_item("error", PyList::new(py, self.errors)?)?;
        if let Some((values, mask)) = &self.outside {
            let column = (PyByteArray::new(py, values), PyByteArray::new(py, mask));
            out.set_item("outside_in_force", column)?;
        }
        match self.explanations {
            Some(explanations) => out.set_item("explanation", PyList::new(py, explanations)?)?,
            None => out.set_item("explanation", py.None())?,
        }
        Ok(out)
    }
}
