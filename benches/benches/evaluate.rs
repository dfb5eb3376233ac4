//! What a case system does: load a policy once, then evaluate one family at a time, from a
//! record it has already parsed or from JSON text, with or without an explanation. For each
//! shipped policy; and, in the same run, the Supporting Families rules written natively in Rust
//! and as a rhai script, the yardsticks of issue 6.
//!
//! `engine/decoded` evaluates records the engine decoded beforehand: the rules alone, as
//! `native/parsed` and `rhai/prepared` measure them.
//!
//! Every per-family benchmark cycles through the same 1,000 synthetic families (seed 1, 8% of
//! optional fields unknown), one family per iteration, so a figure is the mean over a realistic
//! mix of families, not one lucky record. Before any timing, the engine, the native
//! implementation and the rhai script must agree on 2,000 families.
//!
//! Last, the group `extern-calls` times council functions in rhai scripts (`extern fn`) against
//! the same rule written in the policy language (see `extern_calls`).
//!
//! `cargo bench -p earlyhelp-benches --bench evaluate`

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use earlyhelp::Policy;
use earlyhelp_benches::{native, rhai_yardstick};
use serde_json::Value;

/// Families cycled through by the per-family benchmarks.
const POOL: usize = 1_000;

/// Hands out the pool's items in turn, one per call.
fn cycle<'a, T>(pool: &'a [T]) -> impl FnMut() -> &'a T + 'a {
    let mut i = 0;
    move || {
        let item = &pool[i];
        i = (i + 1) % pool.len();
        item
    }
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();

    let text = common::jsonl(common::AGREEMENT_SAMPLE as u64);
    let lines: Vec<&str> = text.lines().collect();
    let pool_text = &lines[..POOL];
    let pool_values: Vec<Value> = pool_text
        .iter()
        .map(|l| serde_json::from_str(l).expect("synthetic families are JSON"))
        .collect();

    let rhai = rhai_yardstick::Yardstick::new();
    for (name, relative) in common::POLICIES {
        let policy = common::load(relative);
        if name == "supporting-families" {
            common::assert_supporting_families_agree(&policy, Some(&rhai), lines.iter().copied());
        } else {
            common::assert_evaluates(&policy, lines.iter().copied());
        }

        let mut group = c.benchmark_group(name);
        let file = common::path(relative);
        group.bench_function("load", |b| {
            b.iter(|| Policy::from_file(black_box(&file)).expect("loads"))
        });
        for explain in [false, true] {
            let options = common::options(explain);
            let suffix = if explain { "+explain" } else { "" };
            group.bench_function(format!("engine/parsed{suffix}"), |b| {
                let mut next = cycle(&pool_values);
                b.iter(|| policy.evaluate_with(black_box(next()), &options))
            });
            group.bench_function(format!("engine/json{suffix}"), |b| {
                let mut next = cycle(pool_text);
                b.iter(|| policy.evaluate_json(black_box(next()), &options))
            });
        }
        // The rules alone, from a record the engine has decoded: what `native/parsed` and
        // `rhai/prepared` start from. Records that fail to decode are left out.
        let decoded: Vec<_> = pool_values
            .iter()
            .filter_map(|v| policy.decode(v).ok())
            .collect();
        let options = common::options(false);
        group.bench_function("engine/decoded", |b| {
            let mut next = cycle(&decoded);
            b.iter(|| policy.evaluate_decoded(black_box(next()), &options))
        });

        if name == "supporting-families" {
            // The speed limit: hand-written Rust over serde-typed structs.
            let families: Vec<native::Family> = pool_text
                .iter()
                .map(|l| native::decode(l).expect("decodes"))
                .collect();
            group.bench_function("native/parsed", |b| {
                let mut next = cycle(&families);
                b.iter(|| native::evaluate(black_box(next())))
            });
            group.bench_function("native/json", |b| {
                let mut next = cycle(pool_text);
                b.iter(|| native::evaluate_json(black_box(next())))
            });

            // The scripting yardstick. rhai takes its argument by value, so the prepared map is
            // cloned for each call outside the timing.
            let prepared: Vec<rhai::Dynamic> = pool_values
                .iter()
                .map(|v| rhai_yardstick::to_dynamic(v).expect("converts"))
                .collect();
            group.bench_function("rhai/prepared", |b| {
                let mut next = cycle(&prepared);
                b.iter_batched(
                    || next().clone(),
                    |family| rhai.evaluate(family),
                    BatchSize::SmallInput,
                )
            });
            group.bench_function("rhai/json", |b| {
                let mut next = cycle(pool_text);
                b.iter(|| rhai.evaluate_json(black_box(next())))
            });
        }
        group.finish();
    }

    extern_calls(&mut c, pool_text);

    c.final_summary();
}

/// Issue 7: are `extern fn` calls (rhai scripts) cheap enough to use per member per family? Three
/// policies band every member by age three times (once per decision): in the policy language (the
/// baseline), through a script taking a number, and through a script taking the whole Person
/// record. (time − baseline) / (3 × members) is the cost of one call.
fn extern_calls(c: &mut Criterion, pool_text: &[&str]) {
    let variants = ["policy", "number", "record"].map(|v| {
        let relative = format!("benches/policies/extern-calls/extern-calls-{v}.policy");
        (v, common::load(&relative))
    });
    // The three must decide the same before they are timed.
    let options = common::options(false);
    let mut members = 0;
    for line in pool_text {
        let decide = |p: &Policy| {
            p.evaluate_json(line, &options)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name()))
                .outputs()
                .clone()
        };
        let baseline = decide(&variants[0].1);
        for (v, policy) in &variants[1..] {
            assert_eq!(
                decide(policy),
                baseline,
                "extern-calls-{v} and the policy-language banding disagree on {line}"
            );
        }
        let family: Value = serde_json::from_str(line).expect("synthetic families are JSON");
        members += family["members"].as_array().map_or(0, Vec::len);
    }
    eprintln!(
        "extern-calls: the three bandings agree on {} families, {:.2} members per family \
         ({:.2} calls per family)",
        pool_text.len(),
        members as f64 / pool_text.len() as f64,
        3.0 * members as f64 / pool_text.len() as f64
    );

    let mut group = c.benchmark_group("extern-calls");
    for (v, policy) in &variants {
        group.bench_function(*v, |b| {
            let mut next = cycle(pool_text);
            b.iter(|| policy.evaluate_json(black_box(next()), &options))
        });
    }
    group.finish();
}
