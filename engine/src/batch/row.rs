//! A batch's output: one [`Row`] per input record, in input order — its decision, or why it has
//! none — and the one evaluation that turns an [`Input`] into a row.

use super::source::{Body, Input};
use crate::{Decision, Options, Policy, RecordError};
use serde_json::Value as Json;

/// One record's outcome in a batch.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Row {
    /// The record's line in a JSON Lines input, or its position from 1 in an array, a list or a
    /// columnar input.
    pub line: usize,
    /// Its decision, or why it could not be evaluated (the error carries the record's `id` when
    /// it has one).
    pub outcome: Result<Decision, RecordError>,
}

impl Row {
    /// The record's `id`, when it has one (on error rows too).
    pub fn id(&self) -> Option<&str> {
        match &self.outcome {
            Ok(d) => d.id(),
            Err(e) => e.id.as_deref(),
        }
    }

    /// Whether the record could not be evaluated.
    pub fn failed(&self) -> bool {
        self.outcome.is_err()
    }

    /// The error as one text with its line first (`line 3: members[0].role: …`), as the CSV,
    /// the table and Python's `error` column show it.
    pub fn error_text(&self) -> Option<String> {
        self.outcome
            .as_ref()
            .err()
            .map(|e| format!("line {}: {e}", self.line))
    }
}

/// Evaluates one input. A blank line is an error row, as any record that is not one.
pub(crate) fn evaluate(policy: &Policy, input: &Input, options: &Options) -> Row {
    let outcome = match &input.body {
        Body::Text(text) if text.trim().is_empty() => {
            Err(RecordError::new(None, "empty line".into()))
        }
        Body::Text(text) => policy.evaluate_json(text, options),
        Body::Value(record) => policy.evaluate_with(record, options),
        Body::Failed(e) => Err(e.clone()),
    };
    Row {
        line: input.line,
        outcome,
    }
}

/// A value in one flat cell (CSV, table): unknown is empty, a list is its items joined with `;`,
/// an object its entries as `key=value` joined with `;`, a text itself, anything else its JSON.
pub fn flat(value: &Json) -> String {
    flat_with(value, "")
}

/// [`flat`], writing an unknown value as `unknown` (the table, read by a person, says
/// `undetermined` rather than leave a blank).
pub(crate) fn flat_with(value: &Json, unknown: &str) -> String {
    match value {
        Json::Null => unknown.to_string(),
        Json::String(s) => s.clone(),
        Json::Array(items) => items
            .iter()
            .map(|x| flat_with(x, unknown))
            .collect::<Vec<_>>()
            .join(";"),
        Json::Object(entries) => entries
            .iter()
            .map(|(k, v)| format!("{k}={}", flat_with(v, unknown)))
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

/// A row as flat cells: `id`, one per decision (named in `decisions`), `missing`, `error`; an
/// undetermined value written as `unknown`.
pub(crate) fn cells(row: &Row, decisions: &[String], unknown: &str) -> Vec<String> {
    let mut cells = Vec::with_capacity(decisions.len() + 3);
    cells.push(row.id().unwrap_or("").to_string());
    match &row.outcome {
        Ok(d) => {
            cells.extend(
                decisions
                    .iter()
                    .map(|name| flat_with(d.output(name).unwrap_or(&Json::Null), unknown)),
            );
            cells.push(d.missing().join(";"));
            cells.push(String::new());
        }
        Err(_) => {
            cells.extend(decisions.iter().map(|_| String::new()));
            cells.push(String::new());
            cells.push(row.error_text().unwrap_or_default());
        }
    }
    cells
}

/// The header of the flat forms: `id`, the decisions, `missing`, `error`.
pub(crate) fn header(decisions: &[String]) -> Vec<String> {
    let mut names = vec!["id".to_string()];
    names.extend(decisions.iter().cloned());
    names.extend(["missing".into(), "error".into()]);
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_cells() {
        assert_eq!(flat(&json!(null)), "");
        assert_eq!(flat(&json!(["a", "b"])), "a;b");
        assert_eq!(flat(&json!(true)), "true");
        assert_eq!(flat(&json!("text")), "text");
        assert_eq!(flat(&json!({"P1": true, "P2": null})), "P1=true;P2=");
        assert_eq!(flat_with(&json!(null), "undetermined"), "undetermined");
        assert_eq!(
            flat_with(&json!({"P1": true, "P2": null}), "undetermined"),
            "P1=true;P2=undetermined"
        );
    }
}
