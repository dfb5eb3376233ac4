//! The endpoints only the playground needs: a shipped policy's source, the example families, and
//! the edited text evaluated, tested and compared with the shipped version. Each hands the edited
//! text to the engine as it is: rows come from `earlyhelp::batch` (the bytes `earlyhelp eval`
//! writes), test results from `Policy::run_tests`, the comparison from `Batch::compare` (what
//! `earlyhelp diff` reports).

use super::examples;
use crate::problem::Problem;
use crate::registry::{self, Served};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use earlyhelp::batch::{Batch, JsonLines, JsonlWriter, Values};
use earlyhelp::{LoadError, Options, Policy};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// How a pasted policy, checked on its own, is named in its diagnostics.
const PASTED: &str = "submitted.policy";

/// `GET /playground/api/policies/{name}`: the shipped text of a served policy, to edit.
pub(crate) async fn policy(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let Some(served) = state.registry.get(&name) else {
        return unknown(&name).into_response();
    };
    Json(json!({
        "name": served.policy.name(),
        "title": served.policy.title(),
        "version": served.policy.version(),
        "hash": served.policy.content_hash(),
        "file": served.file,
        "source": served.source,
        "tests": tests_file(&served).is_some(),
    }))
    .into_response()
}

/// `GET /playground/api/examples`: every example family, to pick one.
pub(crate) async fn examples(State(state): State<AppState>) -> Response {
    let dir = state.config.policies.clone();
    match tokio::task::spawn_blocking(move || examples::families(&dir)).await {
        Ok(families) => Json(json!({ "families": families })).into_response(),
        Err(_) => internal().into_response(),
    }
}

/// An edited text: of the served policy `policy`, or pasted (no `policy`).
#[derive(Debug, Deserialize)]
pub(crate) struct Edit {
    policy: Option<String>,
    text: String,
}

/// An edited text and the families to evaluate it on (one record, an array or JSON Lines).
#[derive(Debug, Deserialize)]
pub(crate) struct Evaluate {
    #[serde(flatten)]
    edit: Edit,
    records: String,
}

/// `POST /playground/api/evaluate`: the rows of the edited policy for the families given, each
/// with its explanation — `{"rows": [...]}`, each row the line `earlyhelp eval --explain`
/// writes.
pub(crate) async fn evaluate(
    State(state): State<AppState>,
    body: Result<Json<Evaluate>, JsonRejection>,
) -> Response {
    let Evaluate { edit, records } = match body {
        Ok(Json(b)) => b,
        Err(e) => return bad_body(&e).into_response(),
    };
    let policy = match load(&state, &edit).await {
        Ok((policy, _)) => policy,
        Err(response) => return response,
    };
    blocking(move || {
        let options = Options::default().explain(true);
        let mut out = Vec::new();
        Batch::new(&policy)
            .options(options)
            .write(
                &mut JsonLines::new(records.as_bytes()),
                &mut JsonlWriter::new(),
                &mut out,
            )
            .ok()?;
        // The rows as written, joined into one JSON array: not re-rendered.
        let text = String::from_utf8(out).ok()?;
        let rows: Vec<&str> = text.lines().collect();
        Some(json_response(format!("{{\"rows\":[{}]}}", rows.join(","))))
    })
    .await
}

/// `POST /playground/api/test`: the served policy's tests run against the edited text.
pub(crate) async fn test(
    State(state): State<AppState>,
    body: Result<Json<Edit>, JsonRejection>,
) -> Response {
    let edit = match body {
        Ok(Json(b)) => b,
        Err(e) => return bad_body(&e).into_response(),
    };
    let served = match shipped(&state, &edit) {
        Ok(s) => s,
        Err(p) => return p.into_response(),
    };
    if let Err(p) = imports_inside(&state, &served, &edit.text) {
        return p.into_response();
    }
    let dir = state.config.policies.clone();
    blocking(move || {
        // Tests beside the policy run against the text; without them, its own test blocks run.
        let loaded = match tests_file(&served) {
            Some(tests) => Policy::tests_against_text(&tests, &served.path, &edit.text),
            None => Policy::from_text_at(&served.path, &edit.text),
        };
        let report = match loaded {
            Ok(policy) => policy.run_tests(),
            Err(e) => return Some(does_not_load(&dir, e)),
        };
        let results: Vec<Value> = report
            .results
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    // The engine names the tests file with `.` and `..` resolved.
                    "location": r.location.strip_prefix(&prefix(&registry::lexical(&dir))).unwrap_or(&r.location),
                    "passed": r.passed(),
                    "failures": r.failures,
                })
            })
            .collect();
        Some(
            Json(json!({
                "passed": report.passed(),
                "failed": report.failed(),
                "results": results,
            }))
            .into_response(),
        )
    })
    .await
}

/// `POST /playground/api/compare`: the shipped policy against the edited text over the example
/// population — `Impact::to_json`, as `earlyhelp diff --format json` gives it.
pub(crate) async fn compare(
    State(state): State<AppState>,
    body: Result<Json<Edit>, JsonRejection>,
) -> Response {
    let edit = match body {
        Ok(Json(b)) => b,
        Err(e) => return bad_body(&e).into_response(),
    };
    let (new, served) = match load(&state, &edit).await {
        Ok((policy, Some(served))) => (policy, served),
        Ok((_, None)) => return no_shipped().into_response(),
        Err(response) => return response,
    };
    let dir = state.config.policies.clone();
    blocking(move || {
        let population = examples::population(&dir);
        let impact = Batch::new(&served.policy)
            .compare(&new, &mut Values::new(population))
            .ok()?;
        Some(Json(impact.to_json()).into_response())
    })
    .await
}

/// Loads the edited text: in place of the served policy's file (so its imports resolve beside
/// it), or on its own when pasted. A text that does not load is a 422 with its diagnostics.
async fn load(state: &AppState, edit: &Edit) -> Result<(Policy, Option<Arc<Served>>), Response> {
    let served = match &edit.policy {
        Some(name) => Some(
            state
                .registry
                .get(name)
                .ok_or_else(|| unknown(name).into_response())?,
        ),
        None => None,
    };
    if let Some(served) = &served {
        imports_inside(state, served, &edit.text).map_err(IntoResponse::into_response)?;
    }
    let text = edit.text.clone();
    let at = served.as_ref().map(|s| s.path.clone());
    let dir = state.config.policies.clone();
    let loaded = tokio::task::spawn_blocking(move || match at {
        Some(path) => Policy::from_text_at(&path, &text),
        None => Policy::from_source(PASTED, &text),
    })
    .await
    .map_err(|_| internal().into_response())?;
    loaded
        .map(|policy| (policy, served))
        .map_err(|e| does_not_load(&dir, e))
}

/// The served policy an edit is of; tests and comparisons need one.
fn shipped(state: &AppState, edit: &Edit) -> Result<Arc<Served>, Problem> {
    let name = edit.policy.as_deref().ok_or_else(no_shipped)?;
    state.registry.get(name).ok_or_else(|| unknown(name))
}

/// A 400 unless the edit's imports stay inside the served folder.
fn imports_inside(state: &AppState, served: &Served, text: &str) -> Result<(), Problem> {
    if registry::imports_inside(&state.config.policies, served, text) {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::BAD_REQUEST,
        "Import outside the policies",
        "an edited policy may import only files of the served folder",
    ))
}

/// The served policy's sibling tests file (`x.tests.policy` beside `x.policy`), if there is one.
fn tests_file(served: &Served) -> Option<std::path::PathBuf> {
    let stem = served.path.file_stem()?.to_string_lossy().into_owned();
    let tests = served.path.with_file_name(format!("{stem}.tests.policy"));
    tests.is_file().then_some(tests)
}

/// Runs engine work off the async threads; `None` from the work is an internal error.
async fn blocking(work: impl FnOnce() -> Option<Response> + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(work).await {
        Ok(Some(response)) => response,
        _ => internal().into_response(),
    }
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// 422 with the diagnostics, files named relative to the served folder (as `/v1/check` does).
fn does_not_load(dir: &std::path::Path, error: LoadError) -> Response {
    let diagnostics = registry::relative_diagnostics(dir, error.diagnostics);
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Policy does not load",
        "the policy text has errors (see diagnostics)",
    )
    .with("diagnostics", json!(diagnostics))
    .into_response()
}

fn prefix(dir: &std::path::Path) -> String {
    format!("{}/", dir.to_string_lossy().replace('\\', "/"))
}

/// The rejection's status, but not its text: serde's messages can quote the body.
fn bad_body(e: &JsonRejection) -> Problem {
    Problem::new(
        e.status(),
        "Bad request body",
        "send JSON with `text` (the policy), `policy` (the served policy it edits) and, to \
         evaluate, `records`",
    )
}

fn unknown(name: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "Unknown policy",
        format!("no policy `{name}` is served"),
    )
}

fn no_shipped() -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "No shipped policy",
        "name the served policy the text is an edit of (`policy`)",
    )
}

fn internal() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "the request could not be completed",
    )
}
