//! What an operator watches: `GET /metrics` in the Prometheus text format, and a log line per
//! request. Both are fed by one middleware, so a request is counted and logged the same way.
//!
//! Neither ever holds a record's content or a body: a log line has the method, the route
//! template, the status, the latency and the policy's name; rows are counted, not shown.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the latency histogram's buckets, in seconds: a single-record evaluation
/// takes well under a millisecond, a batch seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counts {
    /// By route template, method and status.
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    /// Rows and error rows, by policy.
    rows: BTreeMap<String, (u64, u64)>,
}

/// The service's counters, shared by every request.
#[derive(Default)]
pub(crate) struct Metrics {
    counts: Mutex<Counts>,
}

impl Metrics {
    /// Counts the rows a request produced for `policy` (errors among them), and logs the counts.
    /// Called once per request, when its last row is written.
    pub(crate) fn rows(&self, policy: &str, rows: u64, error_rows: u64) {
        tracing::info!(policy, rows, error_rows, "rows written");
        if let Ok(mut counts) = self.counts.lock() {
            let entry = counts.rows.entry(policy.to_string()).or_default();
            entry.0 += rows;
            entry.1 += error_rows;
        }
    }

    fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        let key = (route.to_string(), method.to_string(), status);
        *counts.requests.entry(key).or_default() += 1;
        let histogram = match counts.latency.get_mut(route) {
            Some(histogram) => histogram,
            None => counts.latency.entry(route.to_string()).or_default(),
        };
        histogram.count += 1;
        histogram.sum += seconds;
        for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    fn render(&self) -> String {
        let Ok(counts) = self.counts.lock() else {
            return String::new();
        };
        let mut out = String::new();
        out.push_str(
            "# HELP earlyhelp_http_requests_total Requests answered, by route, method and status.\n\
             # TYPE earlyhelp_http_requests_total counter\n",
        );
        for ((route, method, status), n) in &counts.requests {
            let _ = writeln!(
                out,
                "earlyhelp_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                escape(route),
                escape(method)
            );
        }
        out.push_str(
            "# HELP earlyhelp_http_request_duration_seconds Time to answer a request (to the \
             first byte of a streamed answer), by route.\n\
             # TYPE earlyhelp_http_request_duration_seconds histogram\n",
        );
        for (route, histogram) in &counts.latency {
            let route = escape(route);
            for (bound, n) in BUCKETS.iter().zip(histogram.counts) {
                let _ = writeln!(
                    out,
                    "earlyhelp_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let (count, sum) = (histogram.count, histogram.sum);
            let _ = writeln!(
                out,
                "earlyhelp_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}\n\
                 earlyhelp_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}\n\
                 earlyhelp_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        out.push_str(
            "# HELP earlyhelp_rows_total Rows written (one per record), by policy.\n\
             # TYPE earlyhelp_rows_total counter\n",
        );
        for (policy, (rows, _)) in &counts.rows {
            let _ = writeln!(
                out,
                "earlyhelp_rows_total{{policy=\"{}\"}} {rows}",
                escape(policy)
            );
        }
        out.push_str(
            "# HELP earlyhelp_error_rows_total Error rows written (a record the policy could \
             not decide), by policy.\n\
             # TYPE earlyhelp_error_rows_total counter\n",
        );
        for (policy, (_, errors)) in &counts.rows {
            let _ = writeln!(
                out,
                "earlyhelp_error_rows_total{{policy=\"{}\"}} {errors}",
                escape(policy)
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Requests by route and status, a latency histogram, and rows and error rows per policy, in
/// the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Prometheus text exposition (format 0.0.4)",
        body = String, content_type = "text/plain; version=0.0.4; charset=utf-8")))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// The middleware that counts and logs every request.
pub(crate) async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    // The route template, never the path: a path holds whatever a caller typed, and one
    // series per distinct path would grow without bound.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |matched| matched.as_str())
        .to_string();
    let method = request.method().clone();
    let policy = policy_name(request.uri().path()).map(str::to_string);
    let response = next.run(request).await;
    let seconds = start.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    metrics.request(&route, method.as_str(), status, seconds);
    tracing::info!(
        method = method.as_str(),
        route,
        status,
        latency_ms = seconds * 1e3,
        policy = policy.as_deref(),
        "request"
    );
    response
}

/// The policy a `/v1/policies/{name}/...` request names.
fn policy_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v1/policies/")?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// Sends the service's log lines to standard error, one line each; `RUST_LOG`-style filtering
/// is left out on purpose: what is logged is already only what is safe to log.
pub fn log_to_stderr() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_counts_buckets_cumulatively_and_escapes_labels() {
        let metrics = Metrics::default();
        metrics.request("/v1/check", "POST", 200, 0.0007);
        metrics.request("/v1/check", "POST", 200, 0.2);
        metrics.request("/v1/check", "POST", 422, 0.0001);
        metrics.rows("a\"b", 5, 2);
        let text = metrics.render();
        assert!(text.contains(
            "earlyhelp_http_requests_total{route=\"/v1/check\",method=\"POST\",status=\"200\"} 2\n"
        ));
        let bucket = |le: &str| {
            format!("earlyhelp_http_request_duration_seconds_bucket{{route=\"/v1/check\",le=\"{le}\"}} ")
        };
        assert!(text.contains(&format!("{}1\n", bucket("0.0005"))));
        assert!(text.contains(&format!("{}2\n", bucket("0.001"))));
        assert!(text.contains(&format!("{}3\n", bucket("0.25"))));
        assert!(text.contains(&format!("{}3\n", bucket("+Inf"))));
        assert!(
            text.contains("earlyhelp_http_request_duration_seconds_count{route=\"/v1/check\"} 3\n")
        );
        assert!(text.contains("earlyhelp_rows_total{policy=\"a\\\"b\"} 5\n"));
        assert!(text.contains("earlyhelp_error_rows_total{policy=\"a\\\"b\"} 2\n"));
    }

    #[test]
    fn the_policy_is_read_from_the_path() {
        assert_eq!(policy_name("/v1/policies/sf/evaluate"), Some("sf"));
        assert_eq!(policy_name("/v1/policies/"), None);
        assert_eq!(policy_name("/v1/check"), None);
    }
}
