//! A fixed workload for instruction-count profiles (`valgrind --tool=callgrind`), which do not
//! depend on how busy the machine is: Supporting Families over N synthetic families, from JSON
//! text, from already-parsed records or from records already decoded for the policy. The
//! families are generated, parsed (and decoded) before the loop, so the evaluate call in the
//! profile is the engine's own cost.
//!
//! `cargo build --release -p earlyhelp-benches --example profile`
//! `valgrind --tool=callgrind target/release/examples/profile json 5000` (or `parsed`, `decoded`;
//! a third argument is the share of unknown fields, 0.08 unless given)

use earlyhelp::{Options, Policy};
use std::hint::black_box;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("json", String::as_str);
    let families: u64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(5_000);
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../policies/supporting-families/supporting-families.policy");
    let policy = Policy::from_file(&policy).expect("the shipped policy loads");
    let options = Options::default();
    let mut text = Vec::new();
    let synth = earlyhelp_synth::Options {
        families,
        seed: 1,
        // A third argument sets the share of unknown fields (0 for complete records).
        missing: args.get(3).and_then(|m| m.parse().ok()).unwrap_or(0.08),
    };
    earlyhelp_synth::write_jsonl(&synth, &mut text).expect("writing to memory cannot fail");
    let text = String::from_utf8(text).expect("the generator writes UTF-8");
    let mut failed = 0usize;
    match mode {
        "parsed" => {
            let records: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("synthetic families are JSON"))
                .collect();
            for r in &records {
                failed += usize::from(black_box(policy.evaluate_with(r, &options)).is_err());
            }
        }
        "decoded" => {
            let records: Vec<_> = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("synthetic families are JSON"))
                .filter_map(|r| policy.decode(&r).ok())
                .collect();
            for r in &records {
                failed += usize::from(black_box(policy.evaluate_decoded(r, &options)).is_err());
            }
        }
        _ => {
            for line in text.lines() {
                failed += usize::from(black_box(policy.evaluate_json(line, &options)).is_err());
            }
        }
    }
    // Records whose as-at date lies outside the policy's in-force window are error rows, as in
    // a real batch: their share is part of the workload.
    eprintln!("{failed} of {families} families are error rows");
}
