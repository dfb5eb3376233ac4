#!/usr/bin/env python3
"""Prints the benchmark figures of the last `cargo bench -p earlyhelp-benches` run as the Markdown
tables of benches/README.md: every measurement, then the targets of issue 6 (met, or missed by
how much). Reads target/criterion/**/new/estimates.json (criterion's own record of the run).

    python3 benches/figures.py            # from the workspace root
"""

import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
POLICIES = ["supporting-families", "continuum-of-need", "early-education-two-year-olds", "area-deprivation"]
FAMILIES = 100_000  # per iteration of the batch bench


def ns(group, bench):
    """The point estimate of one benchmark in nanoseconds per iteration, or None if not run.

    Criterion's headline figure: the slope of the linear regression for per-family benches,
    the mean for the batch benches (flat sampling)."""
    path = os.path.join(ROOT, group.replace("/", "_"), bench.replace("/", "_"), "new",
                        "estimates.json")
    try:
        with open(path) as f:
            e = json.load(f)
    except FileNotFoundError:
        return None
    return (e.get("slope") or e["mean"])["point_estimate"]


def fmt_time(t):
    if t is None:
        return "–"
    if t >= 1e6:
        return f"{t / 1e6:.2f} ms"
    if t >= 1e3:
        return f"{t / 1e3:.1f} µs"
    return f"{t:.0f} ns"


def rate(t):
    """Families per second for one batch iteration."""
    return None if t is None else FAMILIES / (t * 1e-9)


def fmt_rate(r):
    return "–" if r is None else f"{r / 1e3:,.0f}k/s"


def main():
    if not os.path.isdir(ROOT):
        sys.exit(f"no criterion results in {ROOT}: run `cargo bench -p earlyhelp-benches` first")

    print("| policy | load | parsed | JSON | parsed + explain | JSON + explain "
          "| batch, 1 core | batch, all cores |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for p in POLICIES:
        cells = [fmt_time(ns(p, b)) for b in
                 ["load", "engine/parsed", "engine/json", "engine/parsed+explain",
                  "engine/json+explain"]]
        cells += [fmt_rate(rate(ns(f"batch/{p}", f"engine/{c}"))) for c in
                  ["1-core", "all-cores"]]
        print(f"| {p} | " + " | ".join(cells) + " |")
    sf = "supporting-families"
    for who, label in [("native", "SF native (Rust, serde structs)"),
                       ("rhai", "SF rhai script")]:
        parsed = ns(sf, f"{who}/parsed" if who == "native" else "rhai/prepared")
        cells = ["–", fmt_time(parsed), fmt_time(ns(sf, f"{who}/json")), "–", "–"]
        if who == "native":
            cells += [fmt_rate(rate(ns(f"batch/{sf}", f"native/{c}"))) for c in
                      ["1-core", "all-cores"]]
        else:
            cells += ["–", "–"]
        print(f"| {label} | " + " | ".join(cells) + " |")

    ext = {v: ns("extern-calls", v) for v in ["policy", "number", "record"]}
    if all(ext.values()):
        print()
        print("| extern-calls (per family) | time | vs in-policy |")
        print("|---|---:|---:|")
        for v, label in [("policy", "banding in the policy language"),
                         ("number", "script call with a number"),
                         ("record", "script call with a Person record")]:
            print(f"| {label} | {fmt_time(ext[v])} | +{fmt_time(ext[v] - ext['policy'])} |")

    print()
    print("| target | measured | |")
    print("|---|---:|---|")

    def ratio_row(name, num, den, limit, faster):
        if num is None or den is None:
            print(f"| {name} | not run | |")
            return
        r = num / den
        if faster:  # num (yardstick) / den (engine) must be >= limit
            ok = r >= limit
            verdict = "met" if ok else f"missed: {limit / r:.1f}x short"
            print(f"| {name} | {r:.1f}x faster | {verdict} |")
        else:  # num (engine) / den (native) must be <= limit
            ok = r <= limit
            verdict = "met" if ok else f"missed by {r / limit:.1f}x"
            print(f"| {name} | {r:.1f}x native | {verdict} |")

    ratio_row("from a parsed record, within 3x of native", ns(sf, "engine/parsed"),
              ns(sf, "native/parsed"), 3, False)
    ratio_row("from JSON text, within 1.5x of native", ns(sf, "engine/json"),
              ns(sf, "native/json"), 1.5, False)
    ratio_row("rules only, >= 50x faster than rhai", ns(sf, "rhai/prepared"),
              ns(sf, "engine/parsed"), 50, True)
    ratio_row("end to end (JSON), >= 10x faster than rhai", ns(sf, "rhai/json"),
              ns(sf, "engine/json"), 10, True)
    load = ns(sf, "load")
    if load is not None:
        verdict = "met" if load < 2e6 else f"missed by {load / 2e6:.2f}x"
        print(f"| load of Supporting Families < 2 ms | {fmt_time(load)} | {verdict} |")
    one = rate(ns(f"batch/{sf}", "engine/1-core"))
    if one is not None:
        verdict = "met" if one >= 1e5 else f"missed by {1e5 / one:.1f}x"
        print(f"| batch >= 100,000 families/s/core (in memory, no output) | {fmt_rate(one)} "
              f"| {verdict} |")
    every = rate(ns(f"batch/{sf}", "engine/all-cores"))
    if one is not None and every is not None:
        cores = os.cpu_count()
        print(f"| batch scales with cores ({cores} cores) | {every / one:.2f}x on {cores} | "
              f"{'met' if every / one >= 0.8 * cores else 'see notes'} |")


if __name__ == "__main__":
    main()
