//! `earlyhelp lsp` speaks the protocol on standard input and output: an editor's handshake, one
//! request and a clean exit. (What it answers is tested in lsp/tests/protocol.rs.)

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn frame(v: &Value) -> Vec<u8> {
    let body = v.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fn read_message(out: &mut impl BufRead) -> Value {
    let mut len = 0;
    loop {
        let mut line = String::new();
        out.read_line(&mut line).expect("a header line");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().expect("a length");
        }
    }
    let mut body = vec![0; len];
    out.read_exact(&mut body).expect("the body");
    serde_json::from_slice(&body).expect("JSON")
}

#[test]
fn lsp_answers_an_editor_over_stdio_and_exits_cleanly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_earlyhelp"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("earlyhelp lsp starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let text = "param limit: money = £100\nlet over = limit\n";
    for msg in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"processId": null, "capabilities": {}}}),
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": "file:///nowhere/a.policy",
                "languageId": "policy", "version": 1, "text": text}}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover",
            "params": {"textDocument": {"uri": "file:///nowhere/a.policy"},
                "position": {"line": 1, "character": 12}}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}),
        json!({"jsonrpc": "2.0", "method": "exit"}),
    ] {
        stdin.write_all(&frame(&msg)).unwrap();
    }
    stdin.flush().unwrap();
    let init = read_message(&mut stdout);
    assert_eq!(init["id"], json!(1));
    assert_eq!(
        init["result"]["capabilities"]["documentFormattingProvider"],
        json!(true)
    );
    let mut hover = Value::Null;
    while hover.is_null() {
        let m = read_message(&mut stdout);
        if m["id"] == json!(2) {
            hover = m;
        }
    }
    let shown = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.contains("param limit: money = £100"), "{hover}");
    let status = child.wait().expect("earlyhelp lsp exits");
    assert!(status.success(), "{status}");
}
