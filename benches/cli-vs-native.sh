#!/usr/bin/env bash
# Issue 20's end-to-end target, as it is worded: the command line against the native yardstick
# on the same JSON Lines file, whole process, one pinned core (CPU 1), Supporting Families, with
# every optional field present and with the generator's share of unknowns (8%). Each pair runs
# in turn RUNS times (default 3), so that both see the same machine; the table gives the best
# wall time of each and their ratio.
#
#   benches/cli-vs-native.sh [RUNS]     # from anywhere; files go to $TMPDIR/earlyhelp-bench
#
# The native process (`examples/native_eval.rs`) writes less than `earlyhelp eval` (no missing
# paths, no as-at date, no policy stamp): it is a lower bound.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
policy=policies/supporting-families/supporting-families.policy
dir=${TMPDIR:-/tmp}/earlyhelp-bench
n=100000
mkdir -p "$dir"
cargo build -q --release -p earlyhelp-cli
cargo build -q --release -p earlyhelp-benches --example native_eval
bin=target/release/earlyhelp
native=target/release/examples/native_eval

# The best (least) of the wall times in a file, one a line.
best() {
    sort -n "$1" | head -1
}

echo "| records | engine (best of $runs) | native (best of $runs) | engine / native | engine families/s |"
echo "|---|---:|---:|---:|---:|"
for missing in 0 0.08; do
    file="$dir/families-$n-missing-$missing.jsonl"
    [ -s "$file" ] || "$bin" synth --families "$n" --seed 1 --missing "$missing" >"$file"
    : >"$dir/engine.times"
    : >"$dir/native.times"
    for _ in $(seq "$runs"); do
        # `eval` exits 1 when some records are error rows (16% lie outside the in-force window).
        /usr/bin/time -f %e -o "$dir/t" taskset -c 1 "$bin" eval "$policy" --records "$file" --jobs 1 \
            >/dev/null 2>/dev/null || true
        tail -1 "$dir/t" >>"$dir/engine.times"
        /usr/bin/time -f %e -o "$dir/t" taskset -c 1 "$native" "$file" >/dev/null
        cat "$dir/t" >>"$dir/native.times"
    done
    e=$(best "$dir/engine.times")
    nat=$(best "$dir/native.times")
    label=$([ "$missing" = 0 ] && echo "every field present" || echo "8% of optional fields unknown")
    awk -v l="$label" -v e="$e" -v nat="$nat" -v n="$n" \
        'BEGIN { printf "| %s | %.2f s | %.2f s | %.2fx | %\047d |\n", l, e, nat, e / nat, n / e }'
done
