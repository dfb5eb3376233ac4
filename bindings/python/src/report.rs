//! `earlyhelp.TestReport`: the outcome of a policy's `test` blocks.

use crate::py_type;
use earlyhelp::{Coverage, Policy, TestReport};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The outcome of running a policy's tests. ``str(report)`` prints like ``earlyhelp test``.
#[pyclass(frozen, module = "earlyhelp", name = "TestReport")]
pub(crate) struct PyTestReport {
    report: TestReport,
    policy: Policy,
}

impl PyTestReport {
    pub(crate) fn new(report: TestReport, policy: Policy) -> PyTestReport {
        PyTestReport { report, policy }
    }
}

#[pymethods]
impl PyTestReport {
    /// The file the tests came from.
    #[getter]
    fn policy(&self) -> &str {
        &self.report.policy
    }

    /// One ``TestResult`` (name, location, failures, passed) per test block, in file order.
    #[getter]
    fn results<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let class = py_type(py, "TestResult")?;
        let list = PyList::empty(py);
        for r in &self.report.results {
            list.append(class.call1((&r.name, &r.location, r.failures.clone()))?)?;
        }
        Ok(list)
    }

    /// How many tests passed.
    #[getter]
    fn passed(&self) -> usize {
        self.report.passed()
    }

    /// How many tests failed.
    #[getter]
    fn failed(&self) -> usize {
        self.report.failed()
    }

    /// Whether every test passed.
    #[getter]
    fn ok(&self) -> bool {
        self.report.ok()
    }

    /// For every need, group and decision: which outcomes (met, not met, undetermined, each
    /// value) some test saw, and which none did. A list of dicts ``{"kind", "id", "seen",
    /// "gaps"}``; ``coverage_text()`` prints it like ``earlyhelp test --coverage``.
    fn coverage<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let coverage = Coverage::of(&self.policy, &self.report);
        let list = PyList::empty(py);
        for item in &coverage.items {
            let d = PyDict::new(py);
            d.set_item("kind", item.kind)?;
            d.set_item("id", &item.id)?;
            d.set_item("seen", item.seen.clone())?;
            d.set_item("gaps", item.gaps.clone())?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// The coverage as ``earlyhelp test --coverage`` prints it.
    fn coverage_text(&self) -> String {
        Coverage::of(&self.policy, &self.report).to_string()
    }

    fn __len__(&self) -> usize {
        self.report.results.len()
    }

    fn __str__(&self) -> String {
        self.report.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "<TestReport {}: {} passed, {} failed>",
            self.report.policy,
            self.report.passed(),
            self.report.failed()
        )
    }
}
