//! `earlyhelp.Policy`: a loaded, checked policy.

use crate::batch;
use crate::convert::{self, Failure};
use crate::decision::PyDecision;
use crate::report::PyTestReport;
use crate::{parse_as_at, py_type, type_name};
use earlyhelp::{Decision, Diagnostic, LoadError, Options, Policy, RecordError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMapping, PyString};
use std::path::PathBuf;

/// A loaded, checked policy, ready to evaluate family records.
///
/// Load one with ``Policy.from_file(path)`` (imports are read relative to the file) or
/// ``Policy.from_str(text)``; a policy with errors raises ``PolicyError``. A policy is immutable
/// and safe to share between threads.
#[pyclass(frozen, module = "earlyhelp", name = "Policy")]
pub(crate) struct PyPolicy {
    pub(crate) inner: Policy,
}

/// A policy's files, `(name, text)`, the main file first.
type Sources = Vec<(String, String)>;

/// `PolicyError` for a policy that did not load.
pub(crate) fn policy_error(py: Python<'_>, e: &LoadError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let diagnostics = PyList::empty(py);
        for d in &e.diagnostics {
            diagnostics.append(diagnostic(py, d)?)?;
        }
        let exc = py_type(py, "PolicyError")?.call1((e.to_string(), diagnostics))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|err| err)
}

/// `RecordError` for a record that could not be evaluated.
pub(crate) fn record_error(py: Python<'_>, e: &RecordError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc =
            py_type(py, "RecordError")?.call1((e.to_string(), e.id.clone(), e.path.clone()))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|err| err)
}

pub(crate) fn diagnostic<'py>(py: Python<'py>, d: &Diagnostic) -> PyResult<Bound<'py, PyAny>> {
    let kw = PyDict::new(py);
    kw.set_item("severity", if d.is_error() { "error" } else { "warning" })?;
    kw.set_item("message", &d.message)?;
    kw.set_item("file", &d.file)?;
    kw.set_item("line", d.line)?;
    kw.set_item("column", d.column)?;
    kw.set_item("end_line", d.end_line)?;
    kw.set_item("end_column", d.end_column)?;
    kw.set_item("label", &d.label)?;
    kw.set_item("help", &d.help)?;
    kw.set_item("rendered", d.to_string())?;
    py_type(py, "Diagnostic")?.call((), Some(&kw))
}

/// One record given to `evaluate`, as JSON text (given so, or a Python mapping converted). A
/// `Decision` keeps it, to explain itself later.
pub(crate) struct OneRecord(String);

impl OneRecord {
    /// Evaluates the record as `earlyhelp eval` evaluates a line.
    pub(crate) fn evaluate(
        &self,
        policy: &Policy,
        options: &Options,
    ) -> Result<Decision, RecordError> {
        policy.evaluate_json(&self.0, options)
    }
}

/// Reads the `record` argument of `evaluate`.
pub(crate) fn one_record(record: &Bound<'_, PyAny>) -> PyResult<Result<OneRecord, RecordError>> {
    if let Ok(s) = record.cast::<PyString>() {
        return Ok(match s.to_cow() {
            Ok(text) => Ok(OneRecord(text.into_owned())),
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyUnicodeError>(record.py()) => {
                Err(RecordError::new(
                    None,
                    "the record is not valid Unicode text (it holds a lone surrogate)".into(),
                ))
            }
            Err(e) => return Err(e),
        });
    }
    if record.cast::<PyBytes>().is_ok() || record.cast::<PyByteArray>().is_ok() {
        let bytes: Vec<u8> = record.extract()?;
        return Ok(match String::from_utf8(bytes) {
            Ok(text) => Ok(OneRecord(text)),
            Err(e) => Err(RecordError::new(
                None,
                format!(
                    "the record is not UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                ),
            )),
        });
    }
    if record.cast::<PyDict>().is_ok() || record.cast::<PyMapping>().is_ok() {
        return match convert::to_json_text(record, false) {
            Ok(text) => Ok(Ok(OneRecord(text))),
            Err(Failure::Record(e)) => Ok(Err(RecordError::new(
                (!e.path.is_empty()).then(|| e.path.clone()),
                e.message,
            )
            .with_id(batch::record_id(record)))),
            Err(Failure::Python(e)) => Err(e),
        };
    }
    Err(PyTypeError::new_err(format!(
        "a record is a dict (or other mapping) or JSON text, not {}{}",
        type_name(record),
        if record.cast::<PyList>().is_ok() {
            "; to evaluate many records use evaluate_many"
        } else {
            ""
        }
    )))
}

#[pymethods]
impl PyPolicy {
    /// Loads and checks the policy in ``path`` (a ``str`` or ``os.PathLike``), with the files it
    /// imports (relative to it). Raises ``PolicyError`` (with ``.diagnostics``) if it cannot be
    /// read or has errors; warnings are in ``policy.warnings``.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<PyPolicy> {
        let path: PathBuf = path.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "path must be a str or os.PathLike, not {}",
                type_name(path)
            ))
        })?;
        match py.detach(|| Policy::from_file(&path)) {
            Ok(inner) => Ok(PyPolicy { inner }),
            Err(e) => Err(policy_error(py, &e)),
        }
    }

    /// Loads and checks a policy from its text; ``name`` is how diagnostics refer to it. A
    /// policy given as text cannot ``import`` other files (use ``from_file``). Raises
    /// ``PolicyError`` if it has errors.
    #[staticmethod]
    #[pyo3(signature = (text, name = "<string>"))]
    fn from_str(py: Python<'_>, text: &Bound<'_, PyAny>, name: &str) -> PyResult<PyPolicy> {
        let text: String = match text.cast::<PyString>() {
            Ok(s) => s.to_cow()?.into_owned(),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "the policy text must be a str, not {}",
                    type_name(text)
                )))
            }
        };
        match py.detach(|| Policy::from_source(name, &text)) {
            Ok(inner) => Ok(PyPolicy { inner }),
            Err(e) => Err(policy_error(py, &e)),
        }
    }

    /// Loads a policy from the files ``_sources()`` gave (internal: how a pickled policy, and
    /// the policy Spark ships to its executors, loads where its files are not).
    #[staticmethod]
    fn _from_sources(py: Python<'_>, sources: Sources) -> PyResult<PyPolicy> {
        match py.detach(|| Policy::from_sources(&sources)) {
            Ok(inner) => Ok(PyPolicy { inner }),
            Err(e) => Err(policy_error(py, &e)),
        }
    }

    /// Every file the policy was loaded from, ``(name, text)``, the main file first (internal).
    fn _sources(&self) -> Sources {
        self.inner.sources()
    }

    /// A policy pickles as its files (imports and scripts included), so it can be sent to
    /// another process or a Spark executor and loads there, checked again, without the disk.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (Sources,))> {
        let load = slf.get_type().getattr("_from_sources")?;
        Ok((load, (slf.get().inner.sources(),)))
    }

    /// The name in the policy header (``policy supporting_families { … }``).
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The header's ``version``, or ``None``.
    #[getter]
    fn version(&self) -> Option<&str> {
        self.inner.version()
    }

    /// The header's ``title``, or ``None``.
    #[getter]
    fn title(&self) -> Option<&str> {
        self.inner.title()
    }

    /// ``sha256:…`` of the policy's files: every decision is stamped with it.
    #[getter]
    fn content_hash(&self) -> &str {
        self.inner.content_hash()
    }

    /// The decisions the policy gives, in order: a list of ``DecisionInfo`` (name, label, type,
    /// values).
    #[getter]
    fn decisions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let class = py_type(py, "DecisionInfo")?;
        let list = PyList::empty(py);
        for d in self.inner.decisions() {
            let row = (d.name, d.label, d.ty.to_string(), d.values, d.per_member);
            list.append(class.call1(row)?)?;
        }
        Ok(list)
    }

    /// The warnings found while loading (a policy with errors does not load): a list of
    /// ``Diagnostic``.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for d in self.inner.warnings() {
            list.append(diagnostic(py, d)?)?;
        }
        Ok(list)
    }

    /// Evaluates one record: a dict (or other mapping) or JSON text.
    ///
    /// ``as_at`` (a ``datetime.date`` or ``"YYYY-MM-DD"``) applies the policy at that date instead
    /// of its default (usually the record's assessment date). ``explain=True`` records the
    /// explanation up front; ``Decision.explain()`` works either way. ``outside_in_force=True``
    /// evaluates a record whose as-at date lies outside the policy's ``in_force`` window (else a
    /// ``RecordError`` naming the window). Raises ``RecordError`` for a record that cannot be
    /// evaluated, ``TypeError`` for something that is not a record.
    #[pyo3(signature = (record, as_at = None, explain = false, outside_in_force = false))]
    fn evaluate(
        &self,
        py: Python<'_>,
        record: &Bound<'_, PyAny>,
        as_at: Option<&Bound<'_, PyAny>>,
        explain: bool,
        outside_in_force: bool,
    ) -> PyResult<PyDecision> {
        let options = Options::default()
            .as_at(parse_as_at(as_at)?)
            .explain(explain)
            .outside_in_force(outside_in_force);
        let record = match one_record(record)? {
            Ok(r) => r,
            Err(e) => return Err(record_error(py, &e)),
        };
        let policy = &self.inner;
        // JSON text goes to the engine as text, exactly as `earlyhelp eval` reads a line.
        match py.detach(|| record.evaluate(policy, &options)) {
            Ok(decision) => Ok(PyDecision::new(decision, policy.clone(), record)),
            Err(e) => Err(record_error(py, &e)),
        }
    }

    /// Evaluates many records on all cores, with the GIL released, and returns a pandas
    /// DataFrame (or, with ``output="arrow"``, a pyarrow Table; ``output="polars"``, a polars
    /// DataFrame): one row per record, in order, with the columns ``id``, one per decision,
    /// ``missing`` and ``error``. A record that cannot be evaluated gives a row whose ``error``
    /// says why; the others are unaffected.
    ///
    /// ``records`` is a list (or any iterable) of dicts or JSON texts, a pandas DataFrame (one
    /// record per row; nested values in its cells), a pyarrow Table or RecordBatch or a polars
    /// DataFrame (nested structs and lists in the record shape, or one column of JSON texts; read
    /// in Rust over the Arrow C data interface), or the path (``str`` or ``os.PathLike``) of a
    /// JSON Lines file. With ``explain=True`` an ``explanation`` column holds each record's
    /// explanation (nested dicts; JSON text in Arrow). ``jobs`` is how many threads evaluate
    /// (``None`` or 0: one per core), like ``earlyhelp eval --jobs``. ``outside_in_force=True``
    /// evaluates the records assessed outside the policy's ``in_force`` window too (else they are
    /// error rows) and adds an ``outside_in_force`` column.
    #[pyo3(signature = (records, as_at = None, explain = false, jobs = None, outside_in_force = false, output = "pandas"))]
    #[allow(clippy::too_many_arguments)] // a Python signature: its keyword arguments
    fn evaluate_many<'py>(
        slf: &Bound<'py, Self>,
        records: &Bound<'py, PyAny>,
        as_at: Option<&Bound<'py, PyAny>>,
        explain: bool,
        jobs: Option<&Bound<'py, PyAny>>,
        outside_in_force: bool,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        py.import("earlyhelp._frames")?
            .getattr("evaluate_many")?
            .call1((slf, records, as_at, explain, jobs, outside_in_force, output))
    }

    /// The columns of ``evaluate_many`` for records read from a file (internal).
    #[pyo3(signature = (path, as_at = None, explain = false, jobs = None, outside_in_force = false))]
    fn _columns_from_path<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        as_at: Option<&Bound<'py, PyAny>>,
        explain: bool,
        jobs: Option<usize>,
        outside_in_force: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let options = Options::default()
            .as_at(parse_as_at(as_at)?)
            .explain(explain)
            .outside_in_force(outside_in_force);
        let jobs = batch::jobs(jobs)?;
        batch::columns(py, &self.inner, batch::Records::Path(path), options, jobs)
    }

    /// The columns of ``evaluate_many`` for an iterable of records (internal). ``na_is_null``
    /// reads float NaN (pandas' hole) as null.
    #[pyo3(signature = (records, as_at = None, explain = false, na_is_null = false, jobs = None, outside_in_force = false))]
    #[allow(clippy::too_many_arguments)] // a Python signature: its keyword arguments
    fn _columns_from_records<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
        as_at: Option<&Bound<'py, PyAny>>,
        explain: bool,
        na_is_null: bool,
        jobs: Option<usize>,
        outside_in_force: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let options = Options::default()
            .as_at(parse_as_at(as_at)?)
            .explain(explain)
            .outside_in_force(outside_in_force);
        let jobs = batch::jobs(jobs)?;
        let records = batch::Records::Python(records.clone(), na_is_null);
        batch::columns(py, &self.inner, records, options, jobs)
    }

    /// Runs the policy's ``test`` blocks (those in the file and, for a ``….tests.policy`` file,
    /// those it holds) and returns a ``TestReport``, which prints like ``earlyhelp test``.
    fn run_tests(&self, py: Python<'_>) -> PyTestReport {
        let policy = &self.inner;
        let report = py.detach(|| policy.run_tests());
        PyTestReport::new(report, policy.clone())
    }

    fn __repr__(&self) -> String {
        let version = self
            .inner
            .version()
            .map(|v| format!(" version={v:?}"))
            .unwrap_or_default();
        let hash = self.inner.content_hash();
        let short: String = hash.chars().take(19).collect();
        format!("<Policy {}{version} {short}…>", self.inner.name())
    }
}
