//! The playground's page and endpoints over real HTTP on a free loopback port: the page and its
//! files, a shipped policy's text, the example families, and an edited text evaluated (the rows
//! `earlyhelp eval --explain` writes), tested and compared (the engine's `Batch::compare`).

use earlyhelp::batch::{Batch, JsonLines, JsonlWriter, Values};
use earlyhelp::{Options, Policy};
mod common;

use common::{problem, Running};
use earlyhelp_serve::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

fn sf_path() -> PathBuf {
    shipped().join("supporting-families/supporting-families.policy")
}

fn sf_text() -> String {
    std::fs::read_to_string(sf_path()).expect("reads")
}

/// The shipped text with two headline outcomes needed instead of three.
fn two_needed() -> String {
    let text = sf_text().replace(
        "param needs_needed: number = 3",
        "param needs_needed: number = 2",
    );
    assert_ne!(text, sf_text());
    text
}

async fn start() -> Running {
    let mut config = Config::new(shipped());
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.no_auth = true;
    common::start(config).await
}

impl Running {
    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("answers")
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("answers")
    }
}

async fn ok_json(response: reqwest::Response) -> Value {
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_every_file_it_names_are_served_from_the_binary() {
    let s = start().await;
    let page = s.get("/").await;
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("text");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let html = page.text().await.expect("text");
    assert!(html.contains(r#"<label for="source""#));
    let mut named = 0;
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let path = part.split('"').next().expect("quoted");
            if path.starts_with("data:") {
                continue; // the empty icon, so the browser asks for no favicon
            }
            let file = s.get(path).await;
            assert_eq!(file.status().as_u16(), 200, "{path}");
            named += 1;
        }
    }
    assert_eq!(named, 2, "the script and the style sheet");
    // The script imports the highlighter, which reads the VS Code extension's grammar as is.
    assert_eq!(
        s.get("/playground/static/highlight.js")
            .await
            .status()
            .as_u16(),
        200
    );
    let grammar: Value = ok_json(s.get("/playground/static/grammar.json").await).await;
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../editors/vscode/syntaxes/policy.tmLanguage.json");
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("reads")).expect("JSON");
    assert_eq!(grammar, on_disk);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipped_policy_text_and_the_example_families() {
    let s = start().await;
    let p = ok_json(s.get("/playground/api/policies/supporting_families").await).await;
    assert_eq!(p["source"], sf_text());
    assert_eq!(p["file"], "supporting-families/supporting-families.policy");
    assert_eq!(p["tests"], true);
    assert_eq!(p["version"], "2.0");
    let unknown = problem(s.get("/playground/api/policies/nonesuch").await, 404).await;
    assert!(unknown["detail"]
        .as_str()
        .expect("text")
        .contains("nonesuch"));

    let families = ok_json(s.get("/playground/api/examples").await).await;
    let families = families["families"].as_array().expect("list").clone();
    let files: Vec<&str> = families.iter().filter_map(|f| f["file"].as_str()).collect();
    // The shared folder's families first, then each policy's; JSON Lines populations are not
    // single families.
    assert_eq!(files.first(), Some(&"examples/eligible-family.json"));
    assert!(files.contains(&"supporting-families/examples/no-needs.json"));
    assert!(files.contains(&"continuum-of-need/examples/marac.json"));
    assert!(!files.iter().any(|f| f.ends_with(".jsonl")));
    let undetermined = families
        .iter()
        .find(|f| f["file"] == "examples/undetermined-family.json")
        .expect("listed");
    assert_eq!(undetermined["folder"], Value::Null);
    assert_eq!(undetermined["record"]["id"], "F-EXAMPLE-UNDETERMINED");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluating_an_edit_gives_the_rows_eval_writes() {
    let s = start().await;
    let family = std::fs::read_to_string(shipped().join("examples/undetermined-family.json"))
        .expect("reads");
    let edited = two_needed();
    let response = s
        .post(
            "/playground/api/evaluate",
            json!({"policy": "supporting_families", "text": edited, "records": family}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.expect("text");
    // Byte for byte the line `earlyhelp eval --explain` writes for the edited policy.
    let policy = Policy::from_text_at(sf_path(), &edited).expect("loads");
    let mut out = Vec::new();
    Batch::new(&policy)
        .options(Options::default().explain(true))
        .write(
            &mut JsonLines::new(family.as_bytes()),
            &mut JsonlWriter::new(),
            &mut out,
        )
        .expect("evaluates");
    let line = String::from_utf8(out).expect("UTF-8");
    assert_eq!(body, format!("{{\"rows\":[{}]}}", line.trim_end()));
    let rows: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(rows["rows"][0]["outputs"]["eligible"], true);
    assert!(rows["rows"][0]["explanation"]["decisions"][0]["summary"].is_string());
    // The edit is named by its own hash, not the shipped one's.
    let shipped_hash = Policy::from_file(sf_path()).expect("loads");
    assert_ne!(
        rows["rows"][0]["policy"]["hash"],
        shipped_hash.content_hash()
    );

    // Several families, one of them not JSON: a row each, the bad one an error row.
    let many = "{\"id\": \"A\"}\nnot JSON\n";
    let rows = ok_json(
        s.post(
            "/playground/api/evaluate",
            json!({"policy": "supporting_families", "text": sf_text(), "records": many}),
        )
        .await,
    )
    .await;
    let rows = rows["rows"].as_array().expect("list");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["line"], 2);
    assert!(rows[1]["error"].is_string());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_policy_is_checked_on_its_own() {
    let s = start().await;
    let pasted = "policy attendance { version \"1\" }\nrecord Child { id: text required, attendance_pct: percent }\ninput child: Child\ndecision persistent_absence = child.attendance_pct < 90%\n";
    let rows = ok_json(
        s.post(
            "/playground/api/evaluate",
            json!({"text": pasted, "records": "{\"id\": \"C1\", \"attendance_pct\": 85}"}),
        )
        .await,
    )
    .await;
    assert_eq!(rows["rows"][0]["outputs"]["persistent_absence"], true);
    // A typo: 422 with the diagnostics, named as the pasted text.
    let typo = pasted.replace("decision", "decison");
    let body = problem(
        s.post(
            "/playground/api/evaluate",
            json!({"text": typo, "records": "{}"}),
        )
        .await,
        422,
    )
    .await;
    let first = &body["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "submitted.policy");
    assert_eq!(first["line"], 4);
    // Tests and comparisons need the shipped policy the text edits.
    problem(
        s.post("/playground/api/test", json!({"text": pasted}))
            .await,
        400,
    )
    .await;
    problem(
        s.post("/playground/api/compare", json!({"text": pasted}))
            .await,
        400,
    )
    .await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tests_run_against_the_edited_text() {
    let s = start().await;
    let shipped_run = ok_json(
        s.post(
            "/playground/api/test",
            json!({"policy": "supporting_families", "text": sf_text()}),
        )
        .await,
    )
    .await;
    let passed = shipped_run["passed"].as_u64().expect("count");
    assert!(passed > 10);
    assert_eq!(shipped_run["failed"], 0);

    let edited = ok_json(
        s.post(
            "/playground/api/test",
            json!({"policy": "supporting_families", "text": two_needed()}),
        )
        .await,
    )
    .await;
    let failed = edited["failed"].as_u64().expect("count");
    assert!(failed > 0);
    assert_eq!(edited["passed"].as_u64().expect("count") + failed, passed);
    let failing = edited["results"]
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["passed"] == false)
        .expect("one fails");
    assert!(failing["location"]
        .as_str()
        .expect("text")
        .starts_with("supporting-families/supporting-families.tests.policy:"));
    assert!(failing["failures"][0]
        .as_str()
        .expect("text")
        .starts_with("expected "));

    // A text that does not load: its diagnostics, naming the policy's file.
    let broken = sf_text().replace(
        "param needs_needed: number = 3",
        "param needs_needed: number =",
    );
    let body = problem(
        s.post(
            "/playground/api/test",
            json!({"policy": "supporting_families", "text": broken}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        body["diagnostics"][0]["file"],
        "supporting-families/supporting-families.policy"
    );
    // Imports are read only from the served folder.
    let outside = format!("import \"../../../secrets.policy\"\n{}", sf_text());
    problem(
        s.post(
            "/playground/api/test",
            json!({"policy": "supporting_families", "text": outside}),
        )
        .await,
        400,
    )
    .await;
    problem(
        s.post(
            "/playground/api/test",
            json!({"policy": "nonesuch", "text": sf_text()}),
        )
        .await,
        404,
    )
    .await;
    s.stop().await;
}

/// Every record of the example population, as the playground gathers it: each example family,
/// then each JSON Lines population.
fn population() -> Vec<Value> {
    let mut folders = vec![shipped().join("examples")];
    let mut policy_folders: Vec<PathBuf> = std::fs::read_dir(shipped())
        .expect("lists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.ends_with("examples"))
        .collect();
    policy_folders.sort();
    folders.extend(policy_folders.into_iter().map(|p| p.join("examples")));
    let files = |ext: &str| {
        let mut all = Vec::new();
        for folder in &folders {
            let mut here: Vec<PathBuf> = std::fs::read_dir(folder)
                .map(|d| d.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            here.retain(|p| p.extension().is_some_and(|e| e == ext));
            here.sort();
            all.extend(here);
        }
        all
    };
    let mut records: Vec<Value> = files("json")
        .iter()
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f).expect("reads")).expect("JSON"))
        .collect();
    for f in files("jsonl") {
        let text = std::fs::read_to_string(f).expect("reads");
        records.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str::<Value>(l).expect("JSON")),
        );
    }
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_comparison_is_the_engines_impact_over_the_example_population() {
    let s = start().await;
    let same = ok_json(
        s.post(
            "/playground/api/compare",
            json!({"policy": "supporting_families", "text": sf_text()}),
        )
        .await,
    )
    .await;
    let records = population();
    assert!(records.len() > 1000);
    assert_eq!(same["records"], records.len());
    assert!(same["decisions"]
        .as_array()
        .expect("list")
        .iter()
        .all(|d| d["changed"] == 0));

    let edited = ok_json(
        s.post(
            "/playground/api/compare",
            json!({"policy": "supporting_families", "text": two_needed()}),
        )
        .await,
    )
    .await;
    let old = Policy::from_file(sf_path()).expect("loads");
    let new = Policy::from_text_at(sf_path(), &two_needed()).expect("loads");
    let impact = Batch::new(&old)
        .compare(&new, &mut Values::new(records))
        .expect("compares");
    assert_eq!(edited, impact.to_json());
    let eligible = edited["decisions"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["decision"] == "eligible")
        .expect("compared");
    assert!(eligible["changed"].as_u64().expect("count") > 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_what_an_endpoint_takes_is_a_problem() {
    let s = start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/playground/api/evaluate", s.base))
        .header("content-type", "application/json")
        .body("not JSON")
        .send()
        .await
        .expect("answers");
    let body = problem(response, 400).await;
    // Never the body's own text.
    assert!(!body.to_string().contains("not JSON"));
    problem(
        s.post(
            "/playground/api/compare",
            json!({"policy": "supporting_families"}),
        )
        .await,
        422,
    )
    .await;
    s.stop().await;
}
