//! `earlyhelp.Decision`: what a policy decided for one record, and why.

use crate::convert::to_py;
use crate::policy::OneRecord;
use crate::py_date;
use earlyhelp::{Decision, Options, Policy};
use pyo3::exceptions::{PyKeyError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value as Json;
use std::sync::OnceLock;

/// What a policy decided for one record.
///
/// ``outputs`` maps each decision to its value (``None`` when undetermined), ``missing`` lists the
/// record paths whose unknown values left a decision undetermined. ``explain()`` gives the reasons
/// in plain English and ``explanation`` as nested dicts; in a notebook the decision shows as a
/// readable tree.
#[pyclass(frozen, module = "earlyhelp", name = "Decision")]
pub(crate) struct PyDecision {
    decision: Decision,
    policy: Policy,
    /// The record, to explain the decision later if it was not explained up front.
    record: OneRecord,
    explained: OnceLock<Result<Decision, String>>,
}

impl PyDecision {
    pub(crate) fn new(decision: Decision, policy: Policy, record: OneRecord) -> PyDecision {
        PyDecision {
            decision,
            policy,
            record,
            explained: OnceLock::new(),
        }
    }

    /// The decision with its explanation: this one if it was explained, else the same record
    /// evaluated again, as at the same date, with explanation.
    fn explained(&self, py: Python<'_>) -> PyResult<&Decision> {
        if self.decision.explanation().is_some() {
            return Ok(&self.decision);
        }
        let result = py.detach(|| {
            self.explained.get_or_init(|| {
                let options = Options::default()
                    .as_at(Some(self.decision.as_at()))
                    .explain(true)
                    .outside_in_force(self.decision.outside_in_force());
                self.record
                    .evaluate(&self.policy, &options)
                    .map_err(|e| e.to_string())
            })
        });
        result
            .as_ref()
            .map_err(|e| PyRuntimeError::new_err(format!("cannot explain this decision: {e}")))
    }
}

#[pymethods]
impl PyDecision {
    /// The record's ``id``, or ``None``.
    #[getter]
    fn id(&self) -> Option<&str> {
        self.decision.id()
    }

    /// Each decision by name, in the order the policy declares them (a new dict each time);
    /// an undetermined decision is ``None``.
    #[getter]
    fn outputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in self.decision.outputs() {
            dict.set_item(k, to_py(py, v)?)?;
        }
        Ok(dict)
    }

    /// The record paths whose unknown values left a decision undetermined, sorted.
    #[getter]
    fn missing<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.decision.missing())
    }

    /// The date the policy was applied at (a ``datetime.date``).
    #[getter]
    fn as_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_date(py, self.decision.as_at())
    }

    /// The policy that decided: ``{"name", "version", "hash"}``.
    #[getter]
    fn policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = self.decision.to_json();
        to_py(py, json.get("policy").unwrap_or(&Json::Null))
    }

    /// The explanation as nested dicts: ``{"decisions": [...], "groups": [...]}``, each group
    /// with its needs, whether each was met (``True``, ``False`` or ``None`` for undetermined), the
    /// conditions and values that settled it, and what is missing.
    #[getter]
    fn explanation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = self.explained(py)?;
        to_py(
            py,
            &d.explanation().map(|e| e.to_json()).unwrap_or(Json::Null),
        )
    }

    /// The explanation in plain English, as ``earlyhelp explain`` prints it: each decision in a
    /// sentence, the needs met and whom they are about, what is not known. ``trace=True`` gives
    /// every condition instead, as ``earlyhelp explain --trace``.
    #[pyo3(signature = (*, trace = false))]
    fn explain(&self, py: Python<'_>, trace: bool) -> PyResult<String> {
        let d = self.explained(py)?;
        let text = d
            .explanation()
            .map(|e| if trace { e.to_trace() } else { e.to_text() });
        Ok(text.unwrap_or_default())
    }

    /// The decision in the stable output shape of ``earlyhelp eval``: ``{"id", "outputs",
    /// "missing", "as_at", "policy": {"name", "version", "hash"}}``, with ``"explanation"`` when it
    /// was asked for with ``explain=True``.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.decision.to_json())
    }

    /// ``to_dict()`` as one line of JSON text, exactly as ``earlyhelp eval`` writes it.
    fn to_json(&self) -> String {
        self.decision.to_json().to_string()
    }

    /// One decision's value: ``decision["eligible"]``.
    fn __getitem__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.decision.output(name) {
            Some(v) => to_py(py, v),
            None => Err(PyKeyError::new_err(name.to_string())),
        }
    }

    fn __contains__(&self, name: &str) -> bool {
        self.decision.output(name).is_some()
    }

    fn __repr__(&self) -> String {
        let id = self
            .decision
            .id()
            .map(|i| format!("{i:?} "))
            .unwrap_or_default();
        let outputs: Vec<String> = self
            .decision
            .outputs()
            .iter()
            .map(|(k, v)| format!("{k}={}", shown(v)))
            .collect();
        let missing = match self.decision.missing().len() {
            0 => String::new(),
            n => format!(", {n} missing"),
        };
        format!("<Decision {id}{}{missing}>", outputs.join(", "))
    }

    /// The explanation as an HTML tree, for notebooks.
    fn _repr_html_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        py.import("earlyhelp._html")?
            .getattr("decision_html")?
            .call1((slf,))
    }
}

/// A value as Python would print it, for `repr`.
fn shown(v: &Json) -> String {
    match v {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::String(s) => format!("{s:?}"),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(shown).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}
