//! What an analyst does: evaluate a whole council's families from JSON Lines. 100,000 synthetic
//! families (seed 1, 8% of optional fields unknown) are generated once into memory as JSON Lines
//! text; each iteration evaluates all of them from their text and collects the decisions in input
//! order, on one core (a plain loop) and on all cores (rayon over the lines, collected into a
//! `Vec`, which keeps the order). For each shipped policy, and for the native Supporting Families
//! implementation (a typed native reader: the speed limit). For Supporting Families, also the
//! whole batch pipeline (`earlyhelp::batch`: read, evaluate, write JSON Lines rows in order).
//!
//! The allocator is mimalloc, as in the `earlyhelp` CLI, which is what runs batches.
//!
//! `cargo bench -p earlyhelp-benches --bench batch`

mod common;

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use earlyhelp::batch::{Batch, JsonLines, JsonlWriter};
use earlyhelp_benches::native;
use rayon::prelude::*;

const FAMILIES: usize = 100_000;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let text = common::jsonl(FAMILIES as u64);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), FAMILIES);
    eprintln!(
        "{FAMILIES} families, {:.0} MB of JSON Lines, {} threads for all cores",
        text.len() as f64 / 1e6,
        rayon::current_num_threads()
    );
    let sample = || lines[..common::AGREEMENT_SAMPLE].iter().copied();

    let options = common::options(false);
    for (name, relative) in common::POLICIES {
        let policy = common::load(relative);
        if name == "supporting-families" {
            common::assert_supporting_families_agree(&policy, None, sample());
        } else {
            common::assert_evaluates(&policy, sample());
        }
        let mut group = c.benchmark_group(format!("batch/{name}"));
        group
            .throughput(Throughput::Elements(FAMILIES as u64))
            .sampling_mode(SamplingMode::Flat);
        group.bench_function("engine/1-core", |b| {
            b.iter(|| {
                lines
                    .iter()
                    .map(|l| policy.evaluate_json(l, &options))
                    .collect::<Vec<_>>()
            })
        });
        group.bench_function("engine/all-cores", |b| {
            b.iter(|| {
                lines
                    .par_iter()
                    .map(|l| policy.evaluate_json(l, &options))
                    .collect::<Vec<_>>()
            })
        });
        if name == "supporting-families" {
            // The whole pipeline of `earlyhelp eval` and `evaluate_many(path)`, without the file:
            // lines read from the text, evaluated in chunks on all cores, rows written in order as
            // JSON Lines (to nowhere).
            group.bench_function("pipeline/all-cores", |b| {
                b.iter(|| {
                    Batch::new(&policy)
                        .write(
                            &mut JsonLines::new(text.as_bytes()),
                            &mut JsonlWriter::new(),
                            &mut std::io::sink(),
                        )
                        .expect("writes to nowhere")
                })
            });
            group.bench_function("native/1-core", |b| {
                b.iter(|| {
                    lines
                        .iter()
                        .map(|l| native::evaluate_json(l))
                        .collect::<Vec<_>>()
                })
            });
            group.bench_function("native/all-cores", |b| {
                b.iter(|| {
                    lines
                        .par_iter()
                        .map(|l| native::evaluate_json(l))
                        .collect::<Vec<_>>()
                })
            });
        }
        group.finish();
    }

    c.final_summary();
}
