//! The `/v1` endpoints case systems call, and `/health`. Every row is made by the engine's batch
//! pipeline (`earlyhelp::batch`), so it is byte for byte the row `earlyhelp eval` writes.

use crate::metrics::Metrics;
use crate::problem::{Problem, ProblemDetails};
use crate::registry::{relative_diagnostics, Served};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use earlyhelp::batch::{Batch, Input, JsonLines, JsonlWriter, Row, RowWriter};
use earlyhelp::Options;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{self, Read, Write};
use std::sync::Arc;
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) const NDJSON: &str = "application/x-ndjson";

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(policies))
        .routes(routes!(evaluate))
        .routes(routes!(check))
}

/// Whether the service is up, and how many policies it serves.
#[utoipa::path(get, path = "/health", tag = "service",
    responses(
        (status = 200, description = "Serving", body = Health),
        (status = 503, description = "Shutting down", body = ProblemDetails,
            content_type = "application/problem+json"),
    ))]
async fn health(State(state): State<AppState>) -> Json<Health> {
    let now = state.registry.snapshot();
    Json(Health {
        status: "ok".into(),
        policies: now.policies.len(),
        failures: now.failures.len(),
    })
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok`.
    status: String,
    /// Policies served.
    policies: usize,
    /// Policy files that do not load.
    failures: usize,
}

/// The policies served: name, title, version, content hash, dates in force, decisions and their
/// types — and the files that do not load, with their diagnostics.
#[utoipa::path(get, path = "/v1/policies", tag = "policies",
    responses((status = 200, description = "The policies served", body = PolicyList)))]
async fn policies(State(state): State<AppState>) -> Json<Value> {
    let now = state.registry.snapshot();
    let list: Vec<Value> = now.policies.values().map(|s| describe(s)).collect();
    Json(json!({ "policies": list, "failures": now.failures }))
}

fn describe(served: &Served) -> Value {
    let p = &served.policy;
    let decisions: Vec<Value> = p
        .decisions()
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "label": d.label,
                "type": d.ty.to_string(),
                "values": d.values,
                "per_member": d.per_member,
            })
        })
        .collect();
    json!({
        "name": p.name(),
        "title": p.title(),
        "version": p.version(),
        "hash": p.content_hash(),
        "file": served.file,
        "in_force": p.in_force().map(|(from, to)| json!({
            "from": from.to_string(),
            "to": to.map(|d| d.to_string()),
        })),
        "decisions": decisions,
    })
}

/// `/v1/policies`' shape, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only described: `policies` writes the body
struct PolicyList {
    policies: Vec<PolicyInfo>,
    /// Files that do not load (a file served at an earlier version names it in `serving`).
    failures: Vec<FailureInfo>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct PolicyInfo {
    name: String,
    title: Option<String>,
    version: Option<String>,
    /// `sha256:…` of the policy's files; every row names it.
    hash: String,
    /// The file, relative to the served folder.
    file: String,
    in_force: Option<InForce>,
    decisions: Vec<DecisionInfo>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct InForce {
    /// YYYY-MM-DD.
    from: String,
    /// YYYY-MM-DD, inclusive; none when it has no end.
    to: Option<String>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct DecisionInfo {
    name: String,
    label: Option<String>,
    /// As the language writes it (`yes/no`, `list of need`).
    r#type: String,
    /// The values it can take (yes/no, enum and level decisions).
    values: Vec<String>,
    /// Made for each member: an object from member `id` to value.
    per_member: bool,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct FailureInfo {
    file: String,
    /// Why, when it is the file rather than its text.
    error: Option<String>,
    /// As `earlyhelp check --format json` gives them.
    diagnostics: Vec<Value>,
    /// The policy still served from this file's last good version.
    serving: Option<String>,
}

/// How to evaluate: the options of `earlyhelp eval`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EvalQuery {
    /// Add the explanation of every decision to the row.
    explain: Option<bool>,
    /// Apply the policy as at this date (YYYY-MM-DD) instead of its default.
    as_at: Option<String>,
    /// Evaluate records whose as-at date lies outside the policy's `in_force` window (each such
    /// row says `"outside_in_force": true`); without it they are error rows.
    outside_in_force: Option<bool>,
    /// Output the policy's internal decisions too.
    internal: Option<bool>,
}

impl EvalQuery {
    fn options(&self) -> Result<Options, Problem> {
        let as_at = match &self.as_at {
            None => None,
            Some(s) => Some(
                earlyhelp::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    Problem::new(
                        StatusCode::BAD_REQUEST,
                        "Bad parameter",
                        "as_at is not a date (YYYY-MM-DD)",
                    )
                })?,
            ),
        };
        Ok(Options::default()
            .as_at(as_at)
            .explain(self.explain.unwrap_or(false))
            .outside_in_force(self.outside_in_force.unwrap_or(false))
            .internal(self.internal.unwrap_or(false)))
    }
}

/// A row as `earlyhelp eval` writes it, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct DecisionRow {
    /// The record's `id`.
    id: Option<String>,
    /// Each decision's value; `null` when undetermined.
    outputs: Value,
    /// The fields whose values would settle an undetermined decision.
    missing: Vec<String>,
    /// The date the policy was applied as at.
    as_at: String,
    /// Present (and true) only for a record evaluated outside the policy's dates in force.
    outside_in_force: Option<bool>,
    /// The policy that decided: `{"name", "version", "hash"}`.
    policy: Value,
    /// With `explain=true`.
    explanation: Option<Value>,
}

/// Evaluates one record (`application/json`): the row `earlyhelp eval` writes for it, or 422
/// with the row's error. Or many (`application/x-ndjson`, one record a line): the rows streamed
/// back in input order, one a line, error rows (`{"id", "line", "error"}`) included.
#[utoipa::path(post, path = "/v1/policies/{name}/evaluate", tag = "decisions",
    params(("name" = String, Path, description = "The policy's name"), EvalQuery),
    request_body(description = "One record, or records as JSON Lines", content(
        (Object = "application/json"),
        (String = "application/x-ndjson"),
    )),
    responses(
        (status = 200, description = "The row, or the rows one a line", content(
            (DecisionRow = "application/json"),
            (String = "application/x-ndjson"),
        )),
        (status = 400, description = "The body is not JSON, or a parameter is wrong",
            body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No policy of that name is served",
            body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Neither application/json nor application/x-ndjson",
            body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The policy rejects the record (the row's error)",
            body = ProblemDetails, content_type = "application/problem+json"),
    ))]
async fn evaluate(
    State(state): State<AppState>,
    Path(name): Path<String>,
    query: Result<Query<EvalQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Held to the end of the request: a reload never changes the version under it.
    let Some(served) = state.registry.get(&name) else {
        return unknown_policy(&name).into_response();
    };
    let options = match query
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "Bad parameter", e.body_text()))
        .and_then(|Query(q)| q.options())
    {
        Ok(o) => o,
        Err(p) => return p.into_response(),
    };
    match media_type(&headers).as_deref() {
        Some("application/json") => one(&state, &served, options, body).await,
        Some(NDJSON) => many(state.metrics.clone(), served, options, body).await,
        _ => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send one record as application/json, or records as application/x-ndjson",
        )
        .into_response(),
    }
}

fn unknown_policy(name: &str) -> Problem {
    // The name is the caller's own path segment, not record content.
    Problem::new(
        StatusCode::NOT_FOUND,
        "Unknown policy",
        format!("no policy `{name}` is served (GET /v1/policies lists them)"),
    )
}

/// The media type of the body, lower case, without its parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

async fn one(state: &AppState, served: &Served, options: Options, body: Body) -> Response {
    let bytes = match read_body(body, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    // Checked without building anything (a body that is not JSON is the caller's 400, not a
    // row), then read once by the engine's own decoder, as `earlyhelp eval` reads a line.
    let text = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|_| String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string()));
    let text = match text {
        Ok(text) => text,
        // serde_json's message gives a line and column, never the text.
        Err(e) => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "Not JSON",
                format!("the body is not JSON: {e}"),
            )
            .into_response()
        }
    };
    let batch = Batch::new(&served.policy).options(options);
    let row = batch.row(&Input::text(1, text));
    let name = served.policy.name();
    state.metrics.rows(name, 1, u64::from(row.failed()));
    if let Err(e) = &row.outcome {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Record rejected",
            e.to_string(),
        )
        .with("id", json!(e.id))
        .with("line", json!(row.line))
        .into_response();
    }
    match JsonlWriter::new().prepare(row) {
        Ok(mut line) => {
            line.pop(); // the JSON Lines line end
            rows_response(served, "application/json", Body::from(line))
        }
        Err(_) => internal(),
    }
}

fn internal() -> Response {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "the row could not be written",
    )
    .into_response()
}

/// A response of rows, naming the policy version and hash that decided them in its headers too.
fn rows_response(served: &Served, media: &'static str, body: Body) -> Response {
    let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, media)], body).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(served.policy.content_hash()) {
        headers.insert("earlyhelp-policy-hash", v);
    }
    if let Some(Ok(v)) = served.policy.version().map(HeaderValue::from_str) {
        headers.insert("earlyhelp-policy-version", v);
    }
    response
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, Problem> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Body too large",
            format!("the body is over {limit} bytes (send many records as application/x-ndjson)"),
        )
    })
}

/// Chunks of rows in flight back to the client: a few, so memory stays flat however many
/// records stream through.
const IN_FLIGHT: usize = 8;

/// Streams records through the batch pipeline: the request body is read on a blocking thread
/// as JSON Lines, frame by frame, and the rows go back through a bounded channel as the
/// response body — one chunk of rows at a time, in input order.
async fn many(
    metrics: Arc<Metrics>,
    served: Arc<Served>,
    options: Options,
    body: Body,
) -> Response {
    // Waiting for the first frame before answering lets hyper send `100 Continue` to a client
    // that asked for it (curl does, for any large body): once the response head is out it
    // cannot, and such a client would wait a second before sending the records.
    let mut body = body.into_data_stream();
    let first = body.next().await;
    let body = futures_util::stream::iter(first).chain(body);
    let (rows_out, rows) = mpsc::channel::<io::Result<Bytes>>(IN_FLIGHT);
    let runtime = tokio::runtime::Handle::current();
    let decided = served.clone();
    tokio::task::spawn_blocking(move || {
        let mut source = JsonLines::new(BodyReader {
            body,
            current: Bytes::new(),
            runtime,
        });
        let mut out = ChannelWriter {
            rows: rows_out,
            buf: Vec::new(),
        };
        let batch = Batch::new(&served.policy).options(options);
        match batch.write(
            &mut source,
            &mut ChunkFlushing(JsonlWriter::new()),
            &mut out,
        ) {
            Ok(done) => metrics.rows(served.policy.name(), done.rows as u64, done.failed as u64),
            // Ends the response body in error: the client sees a broken stream, not a short
            // one that looks whole.
            Err(e) => {
                let _ = out.rows.blocking_send(Err(e));
            }
        }
    });
    let stream = futures_util::stream::unfold(rows, |mut rows| async move {
        rows.recv().await.map(|chunk| (chunk, rows))
    });
    rows_response(&decided, NDJSON, Body::from_stream(stream))
}

/// The request body as a `Read`, for the engine's JSON Lines reader on a thread of its own:
/// it waits on the body's frames in place, so each goes from the connection to the reader
/// with no hop through another task.
struct BodyReader<S> {
    body: S,
    current: Bytes,
    runtime: tokio::runtime::Handle,
}

impl<S: Stream<Item = Result<Bytes, axum::Error>> + Unpin> Read for BodyReader<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.runtime.block_on(self.body.next()) {
                Some(frame) => self.current = frame.map_err(io::Error::other)?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// The response body as a `Write`: bytes gather until a flush sends them as one chunk.
struct ChannelWriter {
    rows: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.rows
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

/// JSON Lines rows, flushed after every chunk so each goes back as soon as it is evaluated.
struct ChunkFlushing(JsonlWriter);

impl RowWriter for ChunkFlushing {
    type Prepared = Vec<u8>;

    fn prepare(&self, row: Row) -> io::Result<Vec<u8>> {
        self.0.prepare(row)
    }

    fn write(&mut self, out: &mut dyn Write, rows: Vec<Vec<u8>>) -> io::Result<()> {
        self.0.write(out, rows)?;
        out.flush()
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CheckQuery {
    /// Check the text in place of this served policy's file, so its imports resolve next to
    /// it (an edit of a shipped policy). Without it the text is checked on its own and cannot
    /// import.
    policy: Option<String>,
}

/// Checks a policy text: its diagnostics exactly as `earlyhelp check --format json` prints
/// them (an empty array when it is clean).
#[utoipa::path(post, path = "/v1/check", tag = "policies",
    params(CheckQuery),
    request_body(content = String, content_type = "text/plain", description = "The policy text"),
    responses(
        (status = 200, description = "Every diagnostic, errors first", body = [Value]),
        (status = 400, description = "The body is not UTF-8 text, or it imports from outside the served folder",
            body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "`policy` names no served policy",
            body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not text/plain",
            body = ProblemDetails, content_type = "application/problem+json"),
    ))]
async fn check(
    State(state): State<AppState>,
    query: Result<Query<CheckQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let query = match query {
        Ok(Query(q)) => q,
        Err(e) => {
            return Problem::new(StatusCode::BAD_REQUEST, "Bad parameter", e.body_text())
                .into_response()
        }
    };
    if media_type(&headers).as_deref() != Some("text/plain") {
        return Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send the policy text as text/plain",
        )
        .into_response();
    }
    let bytes = match read_body(body, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(p) => return p.into_response(),
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "Not UTF-8",
            "the policy text is not UTF-8",
        )
        .into_response();
    };
    let dir = &state.config.policies;
    let loaded = match &query.policy {
        None => earlyhelp::Policy::from_source(SUBMITTED, &text),
        Some(name) => {
            let Some(served) = state.registry.get(name) else {
                return unknown_policy(name).into_response();
            };
            if !crate::registry::imports_inside(dir, &served, &text) {
                return Problem::new(
                    StatusCode::BAD_REQUEST,
                    "Import outside the policies",
                    "a policy checked in place may import only files of the served folder",
                )
                .into_response();
            }
            earlyhelp::Policy::from_text_at(&served.path, &text)
        }
    };
    let diagnostics = relative_diagnostics(dir, earlyhelp::diagnostics(&loaded).to_vec());
    (
        [(header::CONTENT_TYPE, "application/json")],
        earlyhelp::diagnostics_json(&diagnostics),
    )
        .into_response()
}

/// How diagnostics name a text checked on its own.
const SUBMITTED: &str = "submitted.policy";
