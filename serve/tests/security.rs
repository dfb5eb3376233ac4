//! Security and operations over real HTTP on a free loopback port: API keys (on, off, reload,
//! the refusal to start), every limit, the metrics' content, and the logs, which must never
//! hold a record's content.

mod common;

use common::{problem, Running};
use earlyhelp_serve::Config;
use serde_json::{json, Value};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Put into every record these tests send: it must never reach a log line.
const MARKER: &str = "QUIXOTIC-ZEBEDEE-7731";
const POLICY: &str = "supporting_families";
const KEY: &str = "alpha-key-for-tests";

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

/// A family the policy decides, carrying the marker in its id and a member's id.
fn family() -> Value {
    let path = shipped().join("supporting-families/examples/two-headlines.json");
    let mut family: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    family["id"] = json!(format!("F-{MARKER}"));
    family["members"][0]["id"] = json!(format!("P-{MARKER}"));
    family
}

/// A family the policy rejects (its error row), with the marker in the offending value.
fn bad_family() -> Value {
    let mut family = family();
    family["assessment_date"] = json!(format!("not a date {MARKER}"));
    family
}

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// Every log line of this test binary, from the first test that starts a server on.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(Arc::clone(&buffer));
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        buffer
    })
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sha256_hex(key: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A keys file of its own for each test, in the system's temporary folder.
fn keys_file(test: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("earlyhelp-keys-{}-{test}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

fn config(keys: Option<&Path>) -> Config {
    let mut config = Config::new(shipped());
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    match keys {
        Some(path) => config.api_keys = Some(path.to_path_buf()),
        None => config.no_auth = true,
    }
    config
}

async fn start(config: Config) -> Running {
    logs();
    common::start(config).await
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn evaluate(&self) -> String {
        self.url(&format!("/v1/policies/{POLICY}/evaluate"))
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn without_keys_it_refuses_to_start_unless_on_loopback_with_no_auth() {
    let open = |listen: [u8; 4]| {
        let mut config = Config::new(shipped());
        config.listen = SocketAddr::from((listen, 0));
        config
    };
    let message = |config| async {
        earlyhelp_serve::bind(config)
            .await
            .err()
            .unwrap()
            .to_string()
    };

    assert!(message(open([127, 0, 0, 1]))
        .await
        .contains("--api-keys FILE"));
    let mut anywhere = open([0, 0, 0, 0]);
    anywhere.no_auth = true;
    assert!(message(anywhere)
        .await
        .contains("only on a loopback address"));

    let empty = keys_file("empty", "# no key yet\n\n");
    let mut config = open([127, 0, 0, 1]);
    config.api_keys = Some(empty.clone());
    assert!(message(config).await.contains("holds no key hash"));

    let broken = keys_file("broken", &format!("{}\nnot-a-hash\n", sha256_hex(KEY)));
    let mut config = open([127, 0, 0, 1]);
    config.api_keys = Some(broken.clone());
    let said = message(config).await;
    assert!(said.contains(":2: not a SHA-256 hash"), "{said}");

    // Loopback and --no-auth: it starts, and serves without a key.
    let mut loopback = open([127, 0, 0, 1]);
    loopback.no_auth = true;
    let server = start(loopback).await;
    let response = client()
        .get(server.url("/v1/policies"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    server.stop().await;
    for path in [empty, broken] {
        let _ = std::fs::remove_file(path);
    }
}

#[tokio::test]
async fn every_endpoint_but_health_needs_a_valid_key() {
    let keys = keys_file(
        "auth",
        &format!("# the tests' key\n{}  -\n", sha256_hex(KEY)),
    );
    let server = start(config(Some(&keys))).await;
    let http = client();

    let health = http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    for path in ["/v1/policies", "/metrics", "/openapi.json"] {
        let bare = http.get(server.url(path)).send().await.unwrap();
        let challenge = bare.headers()[reqwest::header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        problem(bare, 401).await;
        let wrong = http
            .get(server.url(path))
            .bearer_auth("beta")
            .send()
            .await
            .unwrap();
        problem(wrong, 401).await;
        let right = http
            .get(server.url(path))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(right.status(), 200, "{path}");
    }
    // A POST is checked before its body is looked at.
    let post = http
        .post(server.evaluate())
        .json(&family())
        .send()
        .await
        .unwrap();
    problem(post, 401).await;
    let post = http
        .post(server.evaluate())
        .bearer_auth(KEY)
        .json(&family())
        .send();
    assert_eq!(post.await.unwrap().status(), 200);
    server.stop().await;
    let _ = std::fs::remove_file(keys);
}

#[tokio::test]
async fn a_changed_keys_file_takes_effect_without_a_restart() {
    let keys = keys_file("reload", &format!("{}\n", sha256_hex(KEY)));
    let server = start(config(Some(&keys))).await;
    let http = client();
    let status = |key: &'static str| {
        let request = http.get(server.url("/v1/policies")).bearer_auth(key);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(KEY).await, 200);
    assert_eq!(status("bravo").await, 401);

    std::fs::write(
        &keys,
        format!("# alpha withdrawn\n{}\n", sha256_hex("bravo")),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while status("bravo").await != 200 {
        assert!(Instant::now() < deadline, "the new key never took effect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status(KEY).await, 401);

    // A broken file is not taken: bravo stays.
    std::fs::write(&keys, "half-written").unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(status("bravo").await, 200);
    server.stop().await;
    let _ = std::fs::remove_file(keys);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let mut config = config(None);
    config.max_body_bytes = 6_000; // a family is about 4 KB
    let server = start(config).await;
    let http = client();
    let mut big = family();
    big["padding"] = json!("x".repeat(8_000));
    let response = http
        .post(server.evaluate())
        .json(&big)
        .send()
        .await
        .unwrap();
    problem(response, 413).await;
    let response = http
        .post(server.url("/v1/check"))
        .body("x".repeat(8_000))
        .send()
        .await
        .unwrap();
    problem(response, 413).await;
    // Under the limit it is served.
    let small = http
        .post(server.evaluate())
        .json(&family())
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn more_records_than_the_limit_end_the_stream_with_a_413_problem_line() {
    let mut config = config(None);
    config.max_records = 3;
    let server = start(config).await;
    let http = client();
    let send = |records: usize| {
        let body = ndjson(&vec![family(); records]);
        let request = http
            .post(server.evaluate())
            .header("content-type", "application/x-ndjson")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            let text = response.text().await.unwrap();
            text.lines()
                .map(|line| serde_json::from_str::<Value>(line).unwrap())
                .collect::<Vec<_>>()
        }
    };
    let at_limit = send(3).await;
    assert_eq!(at_limit.len(), 3);
    assert!(at_limit.iter().all(|row| row.get("outputs").is_some()));

    let over = send(5).await;
    let (last, rows) = over.split_last().unwrap();
    assert_eq!(last["status"], 413, "{last}");
    assert!(last["detail"]
        .as_str()
        .unwrap()
        .contains("more than 3 records"));
    assert!(rows.len() <= 3, "{} rows", rows.len());
    assert!(rows.iter().all(|row| row.get("outputs").is_some()));
    server.stop().await;
}

/// A request body that sends `first` and then nothing until the returned sender is dropped.
fn hanging_body(first: String) -> (reqwest::Body, tokio::sync::mpsc::Sender<()>) {
    let (hold, mut held) = tokio::sync::mpsc::channel::<()>(1);
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(
        futures_util::stream::once(async move {
            let _ = held.recv().await;
            Ok(String::new())
        }),
    );
    (reqwest::Body::wrap_stream(stream), hold)
}

use futures_util::StreamExt as _;

#[tokio::test]
async fn a_request_over_its_time_is_503_with_retry_after() {
    let mut config = config(None);
    config.request_timeout = Duration::from_millis(300);
    let server = start(config).await;
    let (body, hold) = hanging_body("{\"id\": ".into());
    let response = client()
        .post(server.evaluate())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[reqwest::header::RETRY_AFTER], "1");
    problem(response, 503).await;
    drop(hold);
    server.stop().await;
}

#[tokio::test]
async fn requests_over_the_concurrency_limit_are_429_and_probes_still_answer() {
    let mut config = config(None);
    config.max_concurrent = 1;
    let server = start(config).await;
    let http = client();
    // The one slot, held by a stream whose records keep coming.
    let (body, hold) = hanging_body(ndjson(&[family()]));
    let slow = http
        .post(server.evaluate())
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send();
    let slow = tokio::spawn(async move {
        let response = slow.await.unwrap();
        response.text().await.unwrap()
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        let response = http.get(server.url("/v1/policies")).send().await.unwrap();
        if response.status() == 429 {
            break response;
        }
        assert!(Instant::now() < deadline, "never refused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(refused.headers()[reqwest::header::RETRY_AFTER], "1");
    problem(refused, 429).await;
    let health = http.get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    drop(hold);
    let rows = slow.await.unwrap();
    assert_eq!(rows.lines().count(), 1);
    let after = http.get(server.url("/v1/policies")).send().await.unwrap();
    assert_eq!(after.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_latency_and_rows_per_policy() {
    let server = start(config(None)).await;
    let http = client();
    let one = http
        .post(server.evaluate())
        .json(&family())
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let rejected = http
        .post(server.evaluate())
        .json(&bad_family())
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), 422);
    let many = http
        .post(server.evaluate())
        .header("content-type", "application/x-ndjson")
        .body(ndjson(&[family(), bad_family(), family()]))
        .send()
        .await
        .unwrap();
    assert_eq!(many.text().await.unwrap().lines().count(), 3);
    let unknown = http.get(server.url("/no/such/thing")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);

    let response = http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let media = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(media.starts_with("text/plain; version=0.0.4"), "{media}");
    let text = response.text().await.unwrap();
    let route = "route=\"/v1/policies/{name}/evaluate\"";
    for line in [
        format!("earlyhelp_http_requests_total{{{route},method=\"POST\",status=\"200\"}} 2"),
        format!("earlyhelp_http_requests_total{{{route},method=\"POST\",status=\"422\"}} 1"),
        "earlyhelp_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1".into(),
        format!("earlyhelp_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}} 3"),
        format!("earlyhelp_http_request_duration_seconds_count{{{route}}} 3"),
        format!("earlyhelp_rows_total{{policy=\"{POLICY}\"}} 5"),
        format!("earlyhelp_error_rows_total{{policy=\"{POLICY}\"}} 2"),
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
    assert!(text.contains("# TYPE earlyhelp_http_request_duration_seconds histogram"));
    server.stop().await;
}

#[tokio::test]
async fn no_log_line_holds_a_record_or_a_body() {
    let keys = keys_file("logs", &format!("{}\n", sha256_hex(KEY)));
    let server = start(config(Some(&keys))).await;
    let http = client();
    let evaluate = server.evaluate();
    for record in [family(), bad_family()] {
        for url in [evaluate.clone(), format!("{evaluate}?explain=true")] {
            let response = http
                .post(&url)
                .bearer_auth(KEY)
                .json(&record)
                .send()
                .await
                .unwrap();
            assert!(response.status() == 200 || response.status() == 422);
            assert!(response.text().await.unwrap().contains(MARKER));
        }
    }
    let stream = http
        .post(&evaluate)
        .bearer_auth(KEY)
        .header("content-type", "application/x-ndjson")
        .body(format!(
            "{}{{not json {MARKER}\n",
            ndjson(&[family(), bad_family()])
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.text().await.unwrap().lines().count(), 3);
    let check = http
        .post(server.url("/v1/check"))
        .bearer_auth(KEY)
        .body(format!(
            "policy \"{MARKER}\" version \"1\"\ndecision {MARKER} = ("
        ))
        .send()
        .await
        .unwrap();
    assert!(check.status().is_success() || check.status().is_client_error());
    // Unauthenticated, with the marker in the key and the body.
    let refused = http
        .post(&evaluate)
        .bearer_auth(MARKER)
        .json(&family())
        .send();
    assert_eq!(refused.await.unwrap().status(), 401);
    server.stop().await;
    let _ = std::fs::remove_file(keys);

    let text = String::from_utf8(logs().lock().unwrap().clone()).unwrap();
    // The capture works: the requests above were logged, with their counts.
    assert!(
        text.contains("route=\"/v1/policies/{name}/evaluate\""),
        "{text}"
    );
    assert!(text.contains("rows=3 error_rows=2"), "{text}");
    assert!(
        !text.contains(MARKER),
        "a log line holds record content:\n{text}"
    );
}
