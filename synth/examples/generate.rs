//! Writes synthetic families as JSON Lines to standard output.
//!
//! `cargo run -p earlyhelp-synth --example generate -- [FAMILIES [SEED [MISSING]]]`
//! (defaults: 1000 families, seed 1, the default missing rate). This is how
//! `policies/examples/families-1000.jsonl` is made.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut opts = earlyhelp_synth::Options::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| -> Result<(), String> {
        if let Some(n) = args.first() {
            opts.families = n.parse().map_err(|e| format!("FAMILIES {n:?}: {e}"))?;
        }
        if let Some(s) = args.get(1) {
            opts.seed = s.parse().map_err(|e| format!("SEED {s:?}: {e}"))?;
        }
        if let Some(m) = args.get(2) {
            opts.missing = m.parse().map_err(|e| format!("MISSING {m:?}: {e}"))?;
        }
        Ok(())
    })();
    if let Err(e) = parsed {
        eprintln!("generate: {e}\nusage: generate [FAMILIES [SEED [MISSING]]]");
        return ExitCode::from(2);
    }
    let stdout = std::io::stdout();
    match earlyhelp_synth::write_jsonl(&opts, &mut stdout.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}
