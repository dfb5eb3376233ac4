//! The native yardstick as a whole process, to set against `earlyhelp eval --jobs 1` on the same
//! JSON Lines file (issue 20's end-to-end target): read each line, decode it into the hand-written
//! structs, apply Supporting Families, write one JSON line per family. One thread, and the CLI's
//! allocator. It is a lower bound, not a rival: it writes no missing paths, no as-at date and no
//! policy stamp, and tells no error but the first.
//!
//! `cargo build --release -p earlyhelp-benches --example native_eval`
//! `taskset -c 1 target/release/examples/native_eval FILE.jsonl > /dev/null`
//! (`benches/cli-batch.sh --native` runs both.)

use earlyhelp_benches::native;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: native_eval FILE.jsonl");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str) -> std::io::Result<()> {
    let input = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match native::evaluate_json(&line) {
            Ok(o) => {
                let eligible = match o.eligible {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "null",
                };
                writeln!(
                    out,
                    r#"{{"outputs":{{"eligible":{eligible},"headlines":{},"needs":{}}}}}"#,
                    serde_json::json!(o.headlines),
                    serde_json::json!(o.needs),
                )?;
            }
            Err(e) => writeln!(out, r#"{{"error":{}}}"#, serde_json::json!(e))?,
        }
    }
    out.flush()
}
