//! Drives the language server as an editor would, over the protocol (an in-process server on a
//! memory connection), on the shipped policies, and snapshots its answers. URIs in snapshots are
//! relative to the repository root.

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository")
        .to_path_buf()
}

fn uri(path: &Path) -> String {
    let mut s = String::from("file://");
    for b in path.to_str().expect("a UTF-8 path").bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

struct Editor {
    conn: Connection,
    server: Option<JoinHandle<Result<(), String>>>,
    next: i32,
    /// Notifications received while waiting for responses.
    pending: Vec<Notification>,
    /// Replaced by `ROOT/` in answers: the folders of this machine.
    roots: Vec<(String, String)>,
}

impl Editor {
    fn start() -> Editor {
        let (server, conn) = Connection::memory();
        let handle = std::thread::spawn(move || earlyhelp_lsp::serve(server));
        let mut e = Editor {
            conn,
            server: Some(handle),
            next: 0,
            pending: Vec::new(),
            roots: vec![(format!("{}/", uri(&repo())), String::new())],
        };
        let caps = e.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(&repo().join("policies")),
                "capabilities": {},
            }),
        );
        assert!(caps["capabilities"]["hoverProvider"] == json!(true));
        e.notify("initialized", json!({}));
        e
    }

    fn relative(&self, v: Value) -> Value {
        let mut text = v.to_string();
        for (from, to) in &self.roots {
            text = text.replace(from, to);
        }
        serde_json::from_str(&text).expect("JSON")
    }

    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.into(), params);
        self.conn
            .sender
            .send(n.into())
            .expect("the server is running");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let r = Request::new(id.clone(), method.into(), params);
        self.conn
            .sender
            .send(r.into())
            .expect("the server is running");
        loop {
            match self.receive() {
                Message::Response(Response {
                    id: got,
                    result,
                    error,
                }) if got == id => {
                    if let Some(e) = error {
                        return json!({ "error": e.message });
                    }
                    return self.relative(result.unwrap_or(Value::Null));
                }
                Message::Notification(n) => self.pending.push(n),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    fn receive(&self) -> Message {
        self.conn
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("an answer within a minute")
    }

    /// The next diagnostics published for `file` (others are kept for later).
    fn diagnostics_for(&mut self, file: &Path) -> Value {
        let want = json!(uri(file));
        loop {
            let mine = |n: &Notification| {
                n.method == "textDocument/publishDiagnostics" && n.params["uri"] == want
            };
            if let Some(i) = self.pending.iter().position(mine) {
                let n = self.pending.remove(i);
                return self.relative(n.params["diagnostics"].clone());
            }
            match self.receive() {
                Message::Notification(n) => self.pending.push(n),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    fn open(&mut self, file: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri(file), "languageId": "policy", "version": 1, "text": text,
            }}),
        );
    }

    fn change(&mut self, file: &Path, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri(file), "version": 2 },
                "contentChanges": [{ "text": text }],
            }),
        );
    }

    fn at(&mut self, method: &str, file: &Path, needle: &str, extra: Value) -> Value {
        let text = std::fs::read_to_string(file).expect("the policy");
        let mut params = json!({
            "textDocument": { "uri": uri(file) },
            "position": position(&text, needle),
        });
        if let (Value::Object(p), Value::Object(x)) = (&mut params, extra) {
            p.extend(x);
        }
        self.request(method, params)
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if let Some(h) = self.server.take() {
            assert_eq!(h.join().expect("the server thread"), Ok(()));
        }
    }
}

/// The position of the first character of `needle` (the text after `|` in it, when it has one:
/// `"fn |recent"` is the `r`), in UTF-16 units.
fn position(text: &str, needle: &str) -> Value {
    let (before, at) = needle.split_once('|').unwrap_or(("", needle));
    let whole = format!("{before}{at}");
    let start = text
        .find(&whole)
        .unwrap_or_else(|| panic!("{whole:?} in the text"))
        + before.len();
    let line = text[..start].matches('\n').count();
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let character: usize = text[line_start..start].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

fn policy(rel: &str) -> PathBuf {
    repo().join("policies").join(rel)
}

/// A location as `file:line:col-line:col` (1-based), for short snapshots.
fn loc(v: &Value) -> String {
    let r = &v["range"];
    format!(
        "{}:{}:{}-{}:{}",
        v["uri"].as_str().unwrap_or("?"),
        r["start"]["line"].as_u64().unwrap_or(0) + 1,
        r["start"]["character"].as_u64().unwrap_or(0) + 1,
        r["end"]["line"].as_u64().unwrap_or(0) + 1,
        r["end"]["character"].as_u64().unwrap_or(0) + 1,
    )
}

fn locs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(loc).collect())
        .unwrap_or_default()
}

/// JSON as text: the workspace's serde_json keeps numbers exact, which its serializer (and so
/// insta's JSON snapshots) would show as objects.
fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON")
}

const CONTINUUM: &str = "continuum-of-need/continuum-of-need.policy";

#[test]
fn diagnostics_as_the_author_types_with_a_quick_fix() {
    let mut ed = Editor::start();
    let file = policy(CONTINUUM);
    let text = std::fs::read_to_string(&file).unwrap();
    ed.open(&file, &text);
    assert_eq!(
        ed.diagnostics_for(&file),
        json!([]),
        "the shipped policy is clean"
    );

    let typo = text.replacen(
        "<= persistent_absence_at_most",
        "<= persistent_absence_at_mst",
        1,
    );
    assert_ne!(typo, text);
    ed.change(&file, &typo);
    let diags = ed.diagnostics_for(&file);
    insta::assert_snapshot!("typo_diagnostics", pretty(&diags));

    let actions = ed.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri(&file) },
            "range": diags[0]["range"],
            "context": { "diagnostics": diags },
        }),
    );
    insta::assert_snapshot!("typo_quick_fix", pretty(&actions));

    // Fixed: the diagnostics go. Broken and closed: they go too.
    ed.change(&file, &text);
    assert_eq!(ed.diagnostics_for(&file), json!([]));
    ed.change(&file, &typo);
    assert_eq!(ed.diagnostics_for(&file), diags);
    ed.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri(&file) } }),
    );
    assert_eq!(ed.diagnostics_for(&file), json!([]));
}

#[test]
fn diagnostics_in_an_imported_file_go_to_that_file() {
    let dir = std::env::temp_dir().join(format!("earlyhelp-lsp-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let part = dir.join("part.policy");
    std::fs::write(&part, "param limit: money = 12 months\n").unwrap();
    let main = dir.join("main.policy");
    let text = concat!(
        "policy p { version \"1\" }\n",
        "import \"part.policy\"\n",
        "record R { n: number }\n",
        "input x: R\n",
        "decision d = x.n < limitt\n",
    );
    let mut ed = Editor::start();
    ed.roots.push((format!("{}/", uri(&dir)), "TMP/".into()));
    ed.open(&main, text);
    let mut both = serde_json::Map::new();
    both.insert("part.policy".into(), ed.diagnostics_for(&part));
    both.insert("main.policy".into(), ed.diagnostics_for(&main));
    drop(ed);
    std::fs::remove_dir_all(&dir).unwrap();
    insta::assert_snapshot!("imported_file_diagnostics", pretty(&Value::Object(both)));
}

#[test]
fn hover_shows_needs_params_fields_and_builtins() {
    let mut ed = Editor::start();
    let file = policy(CONTINUUM);
    let mut out = String::new();
    for needle in [
        "indicator |persistent_absence ",
        "<= |persistent_absence_at_most",
        "c.education.|attendance_pct <=",
        "|compulsory_school_age(",
        "within |look_back",
        "group |developmental",
        "at(severely_absent(c), level.|targeted_early_help)",
    ] {
        let h = ed.at("textDocument/hover", &file, needle, json!({}));
        out.push_str(&format!(
            "## {needle}\n{}\n\n",
            h["contents"]["value"].as_str().unwrap_or("(no hover)")
        ));
    }
    insta::assert_snapshot!("hover", out);
}

#[test]
fn definition_and_references_cross_imports() {
    let mut ed = Editor::start();
    let file = policy(CONTINUUM);
    let field = ed.at(
        "textDocument/definition",
        &file,
        "c.|date_of_birth",
        json!({}),
    );
    let param = ed.at(
        "textDocument/definition",
        &file,
        "<= |persistent_absence_at_most",
        json!({}),
    );
    let refs = ed.at(
        "textDocument/references",
        &file,
        "fn |recent(",
        json!({ "context": { "includeDeclaration": true } }),
    );
    let input = ed.at(
        "textDocument/references",
        &policy("shared/family-record.policy"),
        "input |family",
        json!({ "context": { "includeDeclaration": false } }),
    );
    let mut input_files: Vec<String> = locs(&input)
        .into_iter()
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .collect();
    input_files.dedup();
    input_files.sort();
    insta::assert_snapshot!(
        "definition_references",
        pretty(&json!({
            "definition of date_of_birth": locs(&field),
            "definition of persistent_absence_at_most": locs(&param),
            "references to fn recent": locs(&refs),
            "files using input family": input_files,
        }))
    );
}

#[test]
fn completion_offers_fields_after_a_dot_and_names_elsewhere() {
    let dir = std::env::temp_dir().join(format!("earlyhelp-lsp-complete-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.policy");
    let text = format!(
        "import \"{}\"\ndecision d = family.\ndecision e = any c in family.members: c.\n",
        uri(&policy("shared/family-record.policy")).trim_start_matches("file://")
    );
    std::fs::write(&file, &text).unwrap();
    let mut ed = Editor::start();
    ed.open(&file, &text);
    let fields = ed.request(
        "textDocument/completion",
        json!({
            "textDocument": { "uri": uri(&file) },
            "position": { "line": 1, "character": 20 },
        }),
    );
    let member = ed.request(
        "textDocument/completion",
        json!({
            "textDocument": { "uri": uri(&file) },
            "position": { "line": 2, "character": 40 },
        }),
    );
    let names = ed.request(
        "textDocument/completion",
        json!({
            "textDocument": { "uri": uri(&file) },
            "position": { "line": 1, "character": 13 },
        }),
    );
    drop(ed);
    std::fs::remove_dir_all(&dir).unwrap();
    let labels = |v: &Value| -> Vec<String> {
        let mut l: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect();
        l.sort();
        l
    };
    let names = labels(&names);
    for want in ["years_between", "family", "when", "Person", "looked_after"] {
        assert!(names.contains(&want.to_string()), "{want} in {names:?}");
    }
    insta::assert_snapshot!("family_fields", labels(&fields).join("\n"));
    insta::assert_snapshot!("member_fields", labels(&member).join("\n"));
}

#[test]
fn rename_a_param_across_its_uses() {
    let mut ed = Editor::start();
    let file = policy(CONTINUUM);
    let edit = ed.at(
        "textDocument/rename",
        &file,
        "param |look_back",
        json!({ "newName": "lookback" }),
    );
    let mut edits: Vec<String> = Vec::new();
    for (uri, list) in edit["changes"].as_object().unwrap() {
        for e in list.as_array().unwrap() {
            edits.push(format!(
                "{} -> {}",
                loc(&json!({"uri": uri, "range": e["range"]})),
                e["newText"].as_str().unwrap()
            ));
        }
    }
    edits.sort();
    let refused = ed.at(
        "textDocument/rename",
        &file,
        "fn |recent(",
        json!({ "newName": "lately" }),
    );
    let bad = ed.at(
        "textDocument/rename",
        &file,
        "param |look_back",
        json!({ "newName": "when" }),
    );
    insta::assert_snapshot!(
        "rename",
        pretty(&json!({ "look_back -> lookback": edits, "a fn": refused, "a reserved word": bad }))
    );
}

#[test]
fn outline_and_formatting() {
    let mut ed = Editor::start();
    let file = policy("supporting-families/supporting-families.policy");
    let symbols = ed.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri(&file) } }),
    );
    fn tree(v: &Value, depth: usize, out: &mut String) {
        for s in v.as_array().into_iter().flatten() {
            let kind = match s["kind"].as_u64().unwrap_or(0) {
                2 => "policy",
                3 => "group",
                8 => "field",
                10 => "enum",
                12 => "fn",
                13 => "let/input",
                14 => "param",
                17 => "need",
                22 => "value",
                23 => "record",
                24 => "decision",
                other => panic!("symbol kind {other}"),
            };
            out.push_str(&format!(
                "{}{kind} {} (line {})\n",
                "  ".repeat(depth),
                s["name"].as_str().unwrap_or(""),
                s["selectionRange"]["start"]["line"].as_u64().unwrap_or(0) + 1
            ));
            tree(&s["children"], depth + 1, out);
        }
    }
    let mut outline = String::new();
    tree(&symbols, 0, &mut outline);
    insta::assert_snapshot!("outline", outline);

    // A shipped policy is in canonical layout: no edits. A messy one is reformatted.
    let none = ed.request(
        "textDocument/formatting",
        json!({
            "textDocument": { "uri": uri(&file) },
            "options": { "tabSize": 4, "insertSpaces": true },
        }),
    );
    assert_eq!(none, json!([]));
    let messy = policy("scratch-format.policy");
    let text = "param   x : number=1\nlet y=x+  2\n";
    ed.open(&messy, text);
    let edits = ed.request(
        "textDocument/formatting",
        json!({
            "textDocument": { "uri": uri(&messy) },
            "options": { "tabSize": 4, "insertSpaces": true },
        }),
    );
    assert_eq!(
        edits[0]["newText"],
        json!(earlyhelp_grammar::format(text).unwrap())
    );
    assert_eq!(
        edits[0]["range"]["end"],
        json!({ "line": 2, "character": 0 })
    );
}

#[test]
fn a_name_defined_twice_points_at_its_first_definition() {
    let mut ed = Editor::start();
    let file = policy(CONTINUUM);
    let text = std::fs::read_to_string(&file).unwrap();
    // A second `look_back`, after the first.
    let twice = format!("{text}\nparam look_back: duration = 6 months\n");
    ed.open(&file, &twice);
    let diags = ed.diagnostics_for(&file);
    let dup = diags
        .as_array()
        .and_then(|d| {
            d.iter().find(|x| {
                x["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("defined twice"))
            })
        })
        .expect("the duplicate is reported");
    let related = &dup["relatedInformation"][0];
    assert_eq!(related["message"], "first defined here");
    let at = related["location"]["uri"].as_str().unwrap_or_default();
    assert!(
        at.ends_with("continuum-of-need/continuum-of-need.policy"),
        "{at}"
    );
    let first_line = text
        .lines()
        .position(|l| l.starts_with("param look_back"))
        .expect("the first definition");
    assert_eq!(
        related["location"]["range"]["start"]["line"],
        json!(first_line)
    );
}
