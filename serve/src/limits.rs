//! The limits that keep one caller from taking the service from the others: body size, records
//! per NDJSON request, time per request, and requests at once. Each refusal is a problem body
//! with a status a client can act on.
//!
//! | limit | answer |
//! |---|---|
//! | body over `max_body_bytes` (JSON), or an NDJSON line over it | 413 |
//! | more than `max_records` records in one NDJSON request | rows for at most the first `max_records`, then a 413 problem as the last line |
//! | not answered within `request_timeout` | 503 with `Retry-After`; a stream still running then is cut |
//! | more than `max_concurrent` requests at once | 429 with `Retry-After` |

use crate::problem::Problem;
use crate::Config;
use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// The limits in force, and the requests being served.
pub(crate) struct Enforcer {
    max_body_bytes: usize,
    max_records: usize,
    max_time: Duration,
    max_concurrent: usize,
    slots: Arc<Semaphore>,
}

impl Enforcer {
    pub(crate) fn new(config: &Config) -> Enforcer {
        Enforcer {
            max_body_bytes: config.max_body_bytes,
            max_records: config.max_records,
            max_time: config.request_timeout,
            max_concurrent: config.max_concurrent,
            slots: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
        }
    }
}

/// What [`NdjsonLimit`] found wrong with a body.
#[derive(Debug)]
enum Overflow {
    Records(usize),
    Line(usize),
}

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Overflow::Records(max) => write!(
                f,
                "more than {max} records in one request; send the rest in another request"
            ),
            Overflow::Line(max) => write!(f, "a line of the body is longer than {max} bytes"),
        }
    }
}

impl std::error::Error for Overflow {}

/// Counts the records of an NDJSON body as they stream in, and fails the body past the limits,
/// so the batch pipeline reading it stops there without the body ever being held whole.
struct NdjsonLimit {
    max_records: usize,
    max_line: usize,
    records: usize,
    line: usize,
    in_record: bool,
}

impl NdjsonLimit {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), Overflow> {
        for &byte in chunk {
            if byte == b'\n' {
                self.in_record = false;
                self.line = 0;
                continue;
            }
            self.line += 1;
            if self.line > self.max_line {
                return Err(Overflow::Line(self.max_line));
            }
            if !self.in_record && !byte.is_ascii_whitespace() {
                self.in_record = true;
                self.records += 1;
                if self.records > self.max_records {
                    return Err(Overflow::Records(self.max_records));
                }
            }
        }
        Ok(())
    }
}

fn is_ndjson(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/x-ndjson"))
}

/// Paths that answer even at the concurrency limit: probes must see an overloaded service.
fn unlimited(request: &Request) -> bool {
    matches!(request.uri().path(), "/health" | "/metrics")
}

fn too_large(detail: String) -> Response {
    Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Request too large", detail).into_response()
}

fn retry_after(mut response: Response, seconds: &'static str) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(seconds));
    response
}

/// The middleware applying every limit.
pub(crate) async fn enforce(
    State(enforcer): State<Arc<Enforcer>>,
    request: Request,
    next: Next,
) -> Response {
    let limits = &*enforcer;
    let permit = if unlimited(&request) {
        None
    } else {
        match Arc::clone(&enforcer.slots).try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                let problem = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests at once",
                    format!(
                        "the service is already serving {} requests; retry shortly",
                        limits.max_concurrent
                    ),
                );
                return retry_after(problem.into_response(), "1");
            }
        }
    };

    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let overflowed: Arc<OnceLock<String>> = Arc::default();
    let request = if is_ndjson(&request) {
        let mut counter = NdjsonLimit {
            max_records: limits.max_records,
            max_line: limits.max_body_bytes,
            records: 0,
            line: 0,
            in_record: false,
        };
        let flag = Arc::clone(&overflowed);
        request.map(|body| {
            Body::from_stream(body.into_data_stream().map(move |chunk| {
                let chunk = chunk.map_err(axum::BoxError::from)?;
                counter.feed(&chunk).inspect_err(|overflow| {
                    let _ = flag.set(overflow.to_string());
                })?;
                Ok::<Bytes, axum::BoxError>(chunk)
            }))
        })
    } else {
        if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
            return too_large(format!(
                "the body is larger than {} bytes; for many records, send NDJSON \
                 (Content-Type: application/x-ndjson)",
                limits.max_body_bytes
            ));
        }
        let max = limits.max_body_bytes;
        request.map(|body| Body::new(http_body_util::Limited::new(body, max)))
    };

    let deadline = tokio::time::Instant::now() + limits.max_time;
    let Ok(response) = tokio::time::timeout_at(deadline, next.run(request)).await else {
        let problem = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Request took too long",
            format!(
                "the request was not answered within {} s; send fewer records at a time",
                limits.max_time.as_secs_f64()
            ),
        );
        return retry_after(problem.into_response(), "1");
    };
    // A body already whole (every answer but a stream of rows) needs no guard: the handler
    // is done with it, and its length stays known.
    if response.body().size_hint().exact().is_some() {
        return response;
    }
    response.map(|body| guard_stream(body, deadline, permit, overflowed))
}

/// A response body that keeps the request's slot until it ends, is cut at the deadline, and
/// ends with a 413 problem line when the request had more records than allowed.
fn guard_stream(
    body: Body,
    deadline: tokio::time::Instant,
    permit: Option<OwnedSemaphorePermit>,
    overflowed: Arc<OnceLock<String>>,
) -> Body {
    let sleep = Box::pin(tokio::time::sleep_until(deadline));
    let inner = body.into_data_stream();
    let state = Some((inner, sleep, permit));
    Body::from_stream(stream::unfold(state, move |state| {
        let overflowed = Arc::clone(&overflowed);
        async move {
            let (mut inner, mut sleep, permit) = state?;
            let item = tokio::select! {
                item = inner.next() => item,
                () = &mut sleep => {
                    let cut: axum::BoxError = "the request took longer than its time limit".into();
                    return Some((Err(cut), None));
                }
            };
            match item {
                Some(Ok(bytes)) => Some((Ok(bytes), Some((inner, sleep, permit)))),
                // The pipeline stopped because the body was cut: say why as the last line.
                _ if overflowed.get().is_some() => {
                    let problem = serde_json::json!({
                        "type": "about:blank",
                        "title": "Request too large",
                        "status": 413,
                        "detail": overflowed.get(),
                    });
                    Some((Ok(Bytes::from(format!("{problem}\n"))), None))
                }
                Some(Err(error)) => Some((Err(axum::BoxError::from(error)), None)),
                None => None,
            }
        }
    }))
}

/// Adds to every operation of `doc` the problem answers the layers may give in its place, so
/// the document says what a client can meet: 413 where there is a body, 429 past the
/// concurrency limit, 503 past the time limit (and while shutting down).
pub(crate) fn document(doc: &mut OpenApi) {
    add_problem(
        doc,
        413,
        "Too large: the body, a line of it, or its records",
        |path, op| path != "/health" && op.request_body.is_some(),
    );
    add_problem(
        doc,
        429,
        "Too many requests at once; retry after `Retry-After` seconds",
        |path, _| path != "/health" && path != "/metrics",
    );
    add_problem(
        doc,
        503,
        "Not answered in time, or shutting down; retry after `Retry-After` seconds",
        |_, _| true,
    );
}

/// Declares a problem response with `status` on every operation `applies` picks, keeping any
/// the operation declares itself.
pub(crate) fn add_problem(
    doc: &mut OpenApi,
    status: u16,
    description: &str,
    applies: impl Fn(&str, &Operation) -> bool,
) {
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ProblemDetails")))
                .build(),
        )
        .build();
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            if applies(path, operation) {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(response.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(max_records: usize, max_line: usize) -> NdjsonLimit {
        NdjsonLimit {
            max_records,
            max_line,
            records: 0,
            line: 0,
            in_record: false,
        }
    }

    #[test]
    fn records_are_counted_across_chunks_and_blank_lines_are_not_records() {
        let mut limit = counter(2, 100);
        assert!(limit.feed(b"{\"a\":1}\n\n  \n{\"a\"").is_ok());
        assert!(limit.feed(b":2}\n\n").is_ok());
        assert_eq!(limit.records, 2);
        let over = limit.feed(b"{").unwrap_err();
        assert_eq!(
            over.to_string(),
            "more than 2 records in one request; send the rest in another request"
        );
    }

    #[test]
    fn a_line_longer_than_the_limit_fails_even_split_across_chunks() {
        let mut limit = counter(10, 8);
        assert!(limit.feed(b"1234").is_ok());
        assert!(limit.feed(b"5678\n").is_ok());
        assert!(limit.feed(b"12345").is_ok());
        assert!(matches!(limit.feed(b"6789"), Err(Overflow::Line(8))));
    }
}
