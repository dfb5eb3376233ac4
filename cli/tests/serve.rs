//! `earlyhelp serve` as a process: the rows it streams are byte for byte the rows `earlyhelp
//! eval` writes for the same records, and SIGTERM stops it cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};

/// One HTTP/1.1 request on a connection of its own: the status line, the headers (lower case)
/// and the body, de-chunked.
fn http(addr: &str, path: &str, media: &str, body: &[u8]) -> (String, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {media}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("writes");
    stream.write_all(body).expect("writes");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("reads");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
    let mut rest = &response[split + 4..];
    let status = head.lines().next().unwrap_or_default().to_string();
    if !head.contains("transfer-encoding: chunked") {
        return (status, head, rest.to_vec());
    }
    let mut body = Vec::new();
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n").expect("a size");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap().trim(), 16)
            .expect("hex size");
        if size == 0 {
            return (status, head, body);
        }
        body.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = &rest[end + 2 + size + 2..];
    }
}

#[test]
fn serve_streams_the_rows_eval_writes_and_stops_on_sigterm() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = env!("CARGO_BIN_EXE_earlyhelp");
    let policy = "policies/supporting-families/supporting-families.policy";
    let records = "policies/examples/families-1000.jsonl";
    let eval = Command::new(bin)
        .current_dir(&root)
        .args(["eval", policy, "--records", records])
        .output()
        .expect("eval runs");
    assert!(!eval.stdout.is_empty());

    let mut server = Command::new(bin)
        .current_dir(&root)
        .args([
            "serve",
            "--policies",
            "policies",
            "--listen",
            "127.0.0.1:0",
            "--no-auth",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut log = BufReader::new(server.stderr.take().expect("stderr"));
    let mut addr = String::new();
    let mut line = String::new();
    while log.read_line(&mut line).expect("reads its log") > 0 {
        if let Some(at) = line.trim().split("listening on http://").nth(1) {
            addr = at.to_string();
            break;
        }
        line.clear();
    }
    assert!(!addr.is_empty(), "serve never said where it listens");
    // Keep reading its log so the server never blocks on a full pipe.
    let rest = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = log.read_to_string(&mut text);
        text
    });

    let name = earlyhelp::Policy::from_file(root.join(policy))
        .expect("loads")
        .name()
        .to_string();
    let body = std::fs::read(root.join(records)).expect("records");
    let (status, head, rows) = http(
        &addr,
        &format!("/v1/policies/{name}/evaluate"),
        "application/x-ndjson",
        &body,
    );
    assert!(status.contains(" 200 "), "{status}");
    assert!(
        head.contains("content-type: application/x-ndjson"),
        "{head}"
    );
    assert!(rows == eval.stdout, "the service's rows differ from eval's");

    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let exit = server.wait().expect("stops");
    assert!(exit.success(), "{exit:?}");
    assert!(rest.join().expect("log").contains("shutting down"));
}
