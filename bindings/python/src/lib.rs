//! `earlyhelp._earlyhelp`: the Rust half of the Python package `earlyhelp`.
//!
//! A thin layer over the engine's public API (`earlyhelp::Policy`, `Decision`, `TestReport`,
//! `Impact`); no rule logic lives here. Python objects become JSON on the way in
//! ([`convert`]), decisions become dicts on the way out. Batches are evaluated on all cores with
//! the GIL released ([`batch`]). Nothing here panics on any input: every failure is a Python
//! exception or, in a batch, an error row.
//!
//! The Python half (`python/earlyhelp/`) builds DataFrames, HTML and the exception classes.

mod arrow;
mod batch;
mod convert;
mod decision;
mod policy;
mod report;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

/// Evaluation allocates many small, short-lived values per record, from every core at once;
/// mimalloc serves those much faster than the system allocator (as in the command line). It
/// serves only this extension's Rust allocations, not Python's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The engine's version (the workspace version of the `earlyhelp` crate this was built from).
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An object of `earlyhelp._types` (exception classes and plain data classes), by name.
pub(crate) fn py_type<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("earlyhelp._types")?.getattr(name)
}

/// Parses the `as_at` argument: `None`, a `datetime.date` (a datetime counts by its date), or
/// `"YYYY-MM-DD"`.
pub(crate) fn parse_as_at(
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<earlyhelp::NaiveDate>> {
    let Some(v) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(text) = v.extract::<String>() {
        return earlyhelp::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                PyValueError::new_err(format!("as_at: `{text}` is not a date (YYYY-MM-DD)"))
            });
    }
    let date_type = py_date_type(v.py())?;
    if v.is_instance(&date_type)? {
        let y: i32 = v.getattr("year")?.extract()?;
        let m: u32 = v.getattr("month")?.extract()?;
        let d: u32 = v.getattr("day")?.extract()?;
        return earlyhelp::NaiveDate::from_ymd_opt(y, m, d)
            .map(Some)
            .ok_or_else(|| PyValueError::new_err("as_at: not a calendar date"));
    }
    Err(PyTypeError::new_err(format!(
        "as_at must be a datetime.date or a 'YYYY-MM-DD' text, not {}",
        type_name(v)
    )))
}

pub(crate) fn py_date_type(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("datetime")?.getattr("date")
}

/// A `datetime.date` for an engine date.
pub(crate) fn py_date<'py>(
    py: Python<'py>,
    d: earlyhelp::NaiveDate,
) -> PyResult<Bound<'py, PyAny>> {
    let text = d.format("%Y-%m-%d").to_string();
    py_date_type(py)?.call_method1("fromisoformat", (text,))
}

/// The name of an object's type, for error messages.
pub(crate) fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// Writes synthetic families (the reference record shape, deterministic for a seed).
///
/// With ``path``, writes ``n`` families as JSON Lines to that file and returns the path (fast, and
/// ``Policy.evaluate_many(path)`` reads it on all cores); without, returns a list of dicts.
/// ``missing`` is the share of optional fields left unknown, 0 to 1 (default: a realistic 8%).
#[pyfunction]
#[pyo3(signature = (n, seed = 1, missing = None, path = None))]
fn synth<'py>(
    py: Python<'py>,
    n: u64,
    seed: u64,
    missing: Option<f64>,
    path: Option<std::path::PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let missing = missing.unwrap_or(earlyhelp_synth::Options::default().missing);
    if !(0.0..=1.0).contains(&missing) {
        return Err(PyValueError::new_err("missing must be between 0 and 1"));
    }
    match path {
        Some(path) => {
            let options = earlyhelp_synth::Options {
                families: n,
                seed,
                missing,
            };
            let written = py.detach(|| {
                let file = std::fs::File::create(&path)?;
                let mut out = std::io::BufWriter::new(file);
                earlyhelp_synth::write_jsonl(&options, &mut out)?;
                std::io::Write::flush(&mut out)
            });
            written.map_err(|e| {
                pyo3::exceptions::PyOSError::new_err(format!(
                    "cannot write {}: {e}",
                    path.display()
                ))
            })?;
            let pathlib = py.import("pathlib")?.getattr("Path")?;
            pathlib.call1((path,))
        }
        None => {
            if n > 10_000_000 {
                return Err(PyValueError::new_err(
                    "more than 10,000,000 families in memory: give a path to write them to",
                ));
            }
            use rayon::prelude::*;
            let families: Vec<serde_json::Value> = py.detach(|| {
                (1..=n)
                    .into_par_iter()
                    .map(|i| earlyhelp_synth::family(seed, i, missing))
                    .collect()
            });
            let list = PyList::empty(py);
            for f in &families {
                list.append(convert::to_py(py, f)?)?;
            }
            Ok(list.into_any())
        }
    }
}

/// The JSON text a Python value converts to (records are converted this way before the engine
/// reads them). For tests and debugging.
#[pyfunction]
fn _to_json_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    match convert::to_json_text(value, false) {
        Ok(text) => Ok(text),
        Err(convert::Failure::Record(e)) => Err(PyValueError::new_err(e.render())),
        Err(convert::Failure::Python(e)) => Err(e),
    }
}

#[pymodule]
fn _earlyhelp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", VERSION)?;
    m.add_class::<policy::PyPolicy>()?;
    m.add_class::<decision::PyDecision>()?;
    m.add_class::<report::PyTestReport>()?;
    m.add_function(wrap_pyfunction!(synth, m)?)?;
    m.add_function(wrap_pyfunction!(batch::_impact, m)?)?;
    m.add_function(wrap_pyfunction!(_to_json_text, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::_evaluate_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::_arrow_schema, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::_columns_from_arrow, m)?)?;
    Ok(())
}
