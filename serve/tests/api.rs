//! The service over real HTTP on a free loopback port: every endpoint and status, streaming
//! order with error rows, reload (a policy that breaks, then heals, with a request in flight),
//! graceful shutdown, and rows equal to those `earlyhelp eval` writes.

use earlyhelp::batch::{Batch, JsonLines, JsonlWriter};
use earlyhelp::{Options, Policy};
mod common;

use common::{problem, Running};
use earlyhelp_serve::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

async fn start(config: Config) -> Running {
    let mut config = config;
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.no_auth = true;
    common::start(config).await
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// The rows `earlyhelp eval POLICY --records -` writes for `input`: the same pipeline, the same
/// writer, as `cli/src/eval.rs` runs them.
fn eval_rows(policy: &Policy, options: Options, input: &[u8]) -> String {
    let mut out = Vec::new();
    Batch::new(policy)
        .options(options)
        .write(
            &mut JsonLines::new(input),
            &mut JsonlWriter::new(),
            &mut out,
        )
        .expect("evaluates");
    String::from_utf8(out).expect("UTF-8")
}

/// The JSON body of the answer to `request`.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The JSON body of `GET base + path`.
async fn get_json(base: &str, path: &str) -> Value {
    json_of(client().get(format!("{base}{path}"))).await
}

fn supporting_families() -> Policy {
    Policy::from_file(shipped().join("supporting-families/supporting-families.policy"))
        .expect("loads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_the_policies_served() {
    let s = start(Config::new(shipped())).await;
    let health = get_json(&s.base, "/health").await;
    assert_eq!(health["status"], "ok");

    let list = get_json(&s.base, "/v1/policies").await;
    let names: Vec<&str> = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    // The shared record and words are imported parts, not policies; test files are not served.
    let mut expected: Vec<String> = [
        "area-deprivation",
        "continuum-of-need",
        "early-education-two-year-olds",
        "supporting-families",
    ]
    .iter()
    .map(|d| {
        let file = shipped().join(d).join(format!("{d}.policy"));
        Policy::from_file(file).expect("loads").name().to_string()
    })
    .collect();
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(list["failures"], json!([]));
    assert_eq!(health["policies"], names.len());
    let sf = supporting_families();
    let served = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == sf.name())
        .expect("supporting families is served");
    assert_eq!(served["version"], json!(sf.version()));
    assert_eq!(served["hash"], sf.content_hash());
    assert_eq!(served["title"], json!(sf.title()));
    assert_eq!(
        served["file"],
        "supporting-families/supporting-families.policy"
    );
    let decisions = served["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), sf.decisions().len());
    for (d, info) in decisions.iter().zip(sf.decisions()) {
        assert_eq!(d["name"], info.name);
        assert_eq!(d["type"], info.ty.to_string());
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_record_gives_the_row_eval_writes() {
    let s = start(Config::new(shipped())).await;
    let sf = supporting_families();
    let url = format!("{}/v1/policies/{}/evaluate", s.base, sf.name());
    let record = std::fs::read(shipped().join("examples/eligible-family.json")).unwrap();
    for (query, options) in [
        ("", Options::default()),
        ("?explain=true", Options::default().explain(true)),
        (
            "?as_at=2024-06-01&explain=false",
            Options::default().as_at(earlyhelp::NaiveDate::from_ymd_opt(2024, 6, 1)),
        ),
    ] {
        let response = client()
            .post(format!("{url}{query}"))
            .header("content-type", "application/json")
            .body(record.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{query}");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            response.headers()["earlyhelp-policy-hash"],
            sf.content_hash()
        );
        let body = response.text().await.unwrap();
        let expected = eval_rows(&sf, options, &record);
        assert_eq!(format!("{body}\n"), expected, "{query}");
        let row: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(row["policy"]["hash"], sf.content_hash());
        assert_eq!(row["policy"]["version"], json!(sf.version()));
        assert_eq!(
            row["explanation"].is_object(),
            query.contains("explain=true")
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_a_problem_with_a_status_that_fits() {
    let s = start(Config::new(shipped())).await;
    let sf = supporting_families();
    let url = format!("{}/v1/policies/{}/evaluate", s.base, sf.name());
    let post = |url: String, media: &'static str, body: &'static str| async move {
        client()
            .post(url)
            .header("content-type", media)
            .body(body)
            .send()
            .await
            .unwrap()
    };

    let p = problem(
        post(url.clone(), "application/json", "{not json").await,
        400,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("not JSON"), "{p}");
    // Nothing of the body is echoed back.
    assert!(!p["detail"].as_str().unwrap().contains("{not json"), "{p}");

    let p = problem(
        post(
            format!("{}/v1/policies/no-such-policy/evaluate", s.base),
            "application/json",
            "{}",
        )
        .await,
        404,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("no-such-policy"));

    problem(post(url.clone(), "text/plain", "{}").await, 415).await;
    problem(
        post(format!("{url}?as_at=yesterday"), "application/json", "{}").await,
        400,
    )
    .await;
    problem(
        post(format!("{url}?explain=perhaps"), "application/json", "{}").await,
        400,
    )
    .await;

    // A record the policy rejects: the row's error, with its id and line.
    let rejected = r#"{"id": "F1", "assessment_date": "2024-01-01", "members": "none"}"#;
    let p = problem(post(url.clone(), "application/json", rejected).await, 422).await;
    let expected = eval_rows(&sf, Options::default(), rejected.as_bytes());
    let row: Value = serde_json::from_str(&expected).unwrap();
    assert_eq!(p["detail"], row["error"], "{p}");
    assert_eq!(p["id"], "F1");
    assert_eq!(p["line"], 1);

    problem(
        client()
            .get(format!("{}/v1/check", s.base))
            .send()
            .await
            .unwrap(),
        405,
    )
    .await;
    problem(
        client()
            .get(format!("{}/v1/no-such-endpoint", s.base))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_stream_back_in_order_with_error_rows_as_eval_writes_them() {
    let s = start(Config::new(shipped())).await;
    let sf = supporting_families();
    let families = std::fs::read(shipped().join("examples/families-1000.jsonl")).unwrap();
    // Bad lines among good ones, and enough records for several of the engine's chunks.
    let mut input = Vec::new();
    for (i, line) in families
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        input.extend_from_slice(line);
        input.push(b'\n');
        match i {
            10 => input.extend_from_slice(b"not JSON\n"),
            500 => input.extend_from_slice(b"{\"id\": \"X1\", \"members\": 7}\n"),
            700 => input.extend_from_slice(b"\n"),
            _ => {}
        }
    }
    let big: Vec<u8> = input.repeat(9);
    for (query, options) in [
        ("", Options::default()),
        ("?explain=true", Options::default().explain(true)),
    ] {
        let response = client()
            .post(format!(
                "{}/v1/policies/{}/evaluate{query}",
                s.base,
                sf.name()
            ))
            .header("content-type", "application/x-ndjson")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/x-ndjson");
        let body = response.text().await.unwrap();
        let expected = eval_rows(&sf, options, &big);
        assert_eq!(body.lines().count(), 9 * 1003);
        // Byte for byte, so in input order with the error rows where their lines were.
        assert!(body == expected, "rows differ from eval's ({query})");
        let errors: Vec<(u64, String)> = body
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|r| r.get("error").is_some())
            .map(|r| (r["line"].as_u64().unwrap(), r["error"].to_string()))
            .collect();
        let at = |line: u64| {
            errors
                .iter()
                .find(|(l, _)| *l == line)
                .map(|(_, e)| e.as_str())
        };
        assert!(
            at(12).is_some_and(|e| e.contains("not valid JSON")),
            "{:?}",
            at(12)
        );
        assert!(
            at(503).is_some_and(|e| e.contains("members")),
            "{:?}",
            at(503)
        );
        assert!(
            at(704).is_some_and(|e| e.contains("empty line")),
            "{:?}",
            at(704)
        );
        // Line numbers run on across the copies: the last copy's bad JSON line.
        assert!(at(8 * 1003 + 12).is_some());
    }
    s.stop().await;
}

/// curl, and clients like it, ask `Expect: 100-continue` before a large body and hold it back
/// until the server says continue (or a second has passed). The server must say it before the
/// streamed rows' head, which would leave it no way to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_records_is_answered_100_continue_before_its_rows() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start(Config::new(shipped())).await;
    let record = std::fs::read_to_string(shipped().join("examples/families-1000.jsonl")).unwrap();
    let record = record.lines().next().unwrap();
    let mut socket = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /v1/policies/supporting_families/evaluate HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n",
        record.len() + 1
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(30), socket.read(&mut buf))
            .await
            .expect("the server answers before the body is sent")
            .unwrap();
        assert!(n > 0, "the server closed the connection");
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8(answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 100 Continue\r\n"),
        "the first answer is {answer:?}"
    );
    socket.write_all(record.as_bytes()).await.unwrap();
    socket.write_all(b"\n").await.unwrap();
    let mut rest = String::new();
    socket.read_to_string(&mut rest).await.unwrap();
    assert!(rest.starts_with("HTTP/1.1 200 OK\r\n"), "{rest}");
    let rows = eval_rows(
        &supporting_families(),
        Options::default(),
        format!("{record}\n").as_bytes(),
    );
    assert!(rest.contains(rows.trim_end()), "the row is eval's");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_gives_the_diagnostics_check_prints() {
    let s = start(Config::new(shipped())).await;
    let url = format!("{}/v1/check", s.base);
    let broken = "policy p { version \"1\" }\nrecord R { id: text required, n: number }\ninput r: R\ndecision big = r.m > 10\n";
    let response = client()
        .post(&url)
        .header("content-type", "text/plain")
        .body(broken)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let expected = earlyhelp::diagnostics_json(earlyhelp::diagnostics(&Policy::from_source(
        "submitted.policy",
        broken,
    )));
    assert_eq!(body, expected);
    let diagnostics: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(diagnostics[0]["severity"], "error");
    assert_eq!(diagnostics[0]["line"], 4);

    // A shipped policy's text checked in its place: its imports resolve, and it is clean.
    let sf = supporting_families();
    let text =
        std::fs::read_to_string(shipped().join("supporting-families/supporting-families.policy"))
            .unwrap();
    let response = client()
        .post(format!("{url}?policy={}", sf.name()))
        .header("content-type", "text/plain; charset=utf-8")
        .body(text.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "[]");
    // A typo in it names the file as /v1/policies does, not as this machine does.
    let typo = text.replacen("decision ", "decison ", 1);
    let body = json_of(
        client()
            .post(format!("{url}?policy={}", sf.name()))
            .header("content-type", "text/plain")
            .body(typo),
    )
    .await;
    assert_eq!(
        body[0]["file"],
        "supporting-families/supporting-families.policy"
    );

    // Imports from outside the served folder are refused.
    let escaping = format!("import \"../../../outside.policy\"\n{text}");
    let response = client()
        .post(format!("{url}?policy={}", sf.name()))
        .header("content-type", "text/plain")
        .body(escaping)
        .send()
        .await
        .unwrap();
    problem(response, 400).await;
    let response = client()
        .post(format!("{url}?policy=nothing"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    problem(response, 404).await;
    let response = client()
        .post(&url)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    problem(response, 415).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_covers_every_endpoint() {
    let s = start(Config::new(shipped())).await;
    let doc = get_json(&s.base, "/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/health",
        "/v1/policies",
        "/v1/policies/{name}/evaluate",
        "/v1/check",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let evaluate = &paths["/v1/policies/{name}/evaluate"]["post"];
    for status in ["200", "400", "404", "415", "422"] {
        assert!(evaluate["responses"].get(status).is_some(), "{status}");
    }
    let body = evaluate["requestBody"]["content"].as_object().unwrap();
    assert!(body.contains_key("application/json") && body.contains_key("application/x-ndjson"));
    let params: Vec<&str> = evaluate["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in ["name", "explain", "as_at", "outside_in_force", "internal"] {
        assert!(params.contains(&p), "{p}");
    }
    assert!(doc["components"]["schemas"]["ProblemDetails"].is_object());
    s.stop().await;
}

const V1: &str = "policy attendance { version \"1\" }\nrecord Child { id: text required, attendance_pct: percent }\ninput child: Child\ndecision persistent_absence = child.attendance_pct < 90%\n";

/// A folder of its own for a test that edits policies.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("earlyhelp-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("attendance.policy"), V1).unwrap();
    dir
}

/// Writes `text` to `file` and waits until the service has looked at it (`ready` says so).
async fn edit(base: &str, file: &Path, text: &str, ready: impl Fn(&Value) -> bool) -> Value {
    std::fs::write(file, text).unwrap();
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let list = get_json(base, "/v1/policies").await;
        if ready(&list) {
            return list;
        }
    }
    panic!("the service did not reload");
}

async fn decide(base: &str, record: &str) -> Value {
    json_of(
        client()
            .post(format!("{base}/v1/policies/attendance/evaluate"))
            .header("content-type", "application/json")
            .body(record.to_string()),
    )
    .await
}

fn version_served(list: &Value) -> Option<&str> {
    list["policies"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == "attendance")?["version"]
        .as_str()
}

/// An NDJSON request to the `attendance` policy that stays in flight: `record` is sent, and
/// the body stays open for more lines on the sender until it is dropped.
async fn in_flight(
    base: &str,
    record: &str,
) -> (
    tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    let (more, body) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let stream = futures_util::stream::unfold(body, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let response = tokio::spawn(
        client()
            .post(format!("{base}/v1/policies/attendance/evaluate"))
            .header("content-type", "application/x-ndjson")
            .body(reqwest::Body::wrap_stream(stream))
            .send(),
    );
    more.send(Ok(format!("{record}\n").into_bytes()))
        .await
        .unwrap();
    (more, response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_serves_a_clean_edit_and_keeps_the_old_version_through_a_broken_one() {
    let dir = scratch("reload");
    let file = dir.join("attendance.policy");
    let mut config = Config::new(&dir);
    config.reload_every = Duration::from_millis(20);
    let s = start(config).await;
    let record = r#"{"id": "C1", "attendance_pct": 85}"#;
    let v1 = Policy::from_source("attendance.policy", V1).unwrap();
    let row = decide(&s.base, record).await;
    assert_eq!(row["policy"]["version"], "1");
    assert_eq!(row["policy"]["hash"], v1.content_hash());

    // A request in flight when the policy changes finishes on the version it started with.
    let (more, in_flight) = in_flight(&s.base, record).await;

    // Broken: the old version goes on serving, and /v1/policies says the file has errors.
    let broken = V1
        .replace("version \"1\"", "version \"2\"")
        .replace("attendance_pct <", "attendance <");
    let list = edit(&s.base, &file, &broken, |l| {
        l["failures"].as_array().is_some_and(|f| !f.is_empty())
    })
    .await;
    assert_eq!(list["failures"][0]["file"], "attendance.policy");
    assert_eq!(list["failures"][0]["serving"], "attendance");
    assert_eq!(list["failures"][0]["diagnostics"][0]["severity"], "error");
    // Named as in the served folder, not by this machine's path to it.
    assert_eq!(
        list["failures"][0]["diagnostics"][0]["file"],
        "attendance.policy"
    );
    assert_eq!(version_served(&list), Some("1"));
    assert_eq!(decide(&s.base, record).await["policy"]["version"], "1");

    // Healed: the new version serves, and the failure is gone.
    let v3 = V1
        .replace("version \"1\"", "version \"3\"")
        .replace("< 90%", "< 80%");
    let list = edit(&s.base, &file, &v3, |l| version_served(l) == Some("3")).await;
    assert_eq!(list["failures"], json!([]));
    let row = decide(&s.base, record).await;
    assert_eq!(row["policy"]["version"], "3");
    assert_eq!(
        row["policy"]["hash"],
        Policy::from_source("attendance.policy", &v3)
            .unwrap()
            .content_hash()
    );
    assert_eq!(row["outputs"]["persistent_absence"], false);

    // The request begun on version 1 ends on it.
    more.send(Ok(format!("{record}\n").into_bytes()))
        .await
        .unwrap();
    drop(more);
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["earlyhelp-policy-version"], "1");
    let rows = response.text().await.unwrap();
    assert_eq!(rows.lines().count(), 2);
    for line in rows.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        assert_eq!(row["policy"]["hash"], v1.content_hash());
        assert_eq!(row["outputs"]["persistent_absence"], true);
    }
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_never_loaded_is_reported_and_not_served() {
    let dir = scratch("failing");
    std::fs::write(dir.join("broken.policy"), "policy broken {\n").unwrap();
    let s = start(Config::new(&dir)).await;
    let list = get_json(&s.base, "/v1/policies").await;
    assert_eq!(version_served(&list), Some("1"));
    assert_eq!(list["policies"].as_array().unwrap().len(), 1);
    assert_eq!(list["failures"][0]["file"], "broken.policy");
    assert_eq!(list["failures"][0]["serving"], Value::Null);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_503_and_drains_requests_in_flight() {
    let dir = scratch("shutdown");
    let mut config = Config::new(&dir);
    config.drain = Duration::from_millis(600);
    let s = start(config).await;
    let record = r#"{"id": "C1", "attendance_pct": 85}"#;
    let (more, in_flight) = in_flight(&s.base, record).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    s.shutdown.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A fresh connection during the drain: refused with a problem, not dropped.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = fresh
        .get(format!("{}/health", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    problem(response, 503).await;

    more.send(Ok(format!("{record}\n").into_bytes()))
        .await
        .unwrap();
    drop(more);
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap().lines().count(), 2);
    s.done.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
