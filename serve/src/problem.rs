//! Errors as JSON problem details (RFC 9457): a status that fits and a message a developer
//! integrating a case system can act on. Never a record's content: a record's error names the
//! field and what is wrong with it, as the row would.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) detail: String,
    /// Extension members (RFC 9457 §3.2), e.g. the `id` and `line` of a rejected record.
    pub(crate) extra: Map<String, Value>,
}

/// The media type of a problem.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

impl Problem {
    pub(crate) fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            status,
            title,
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    /// Adds an extension member.
    pub(crate) fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Value::Object(members) = &mut body {
            members.extend(self.extra);
        }
        (
            self.status,
            [(header::CONTENT_TYPE, PROBLEM_JSON)],
            body.to_string(),
        )
            .into_response()
    }
}

/// A problem's shape, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only described, never built: `Problem` writes the body
pub(crate) struct ProblemDetails {
    /// Always `about:blank`: the status and title say what happened.
    r#type: String,
    /// A short summary of the kind of problem.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong in this request, and what would fix it.
    detail: String,
    /// For a rejected record: its `id`, when it has one.
    id: Option<String>,
    /// For a rejected record: its line (1 for a single record).
    line: Option<u64>,
}
