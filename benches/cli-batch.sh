#!/usr/bin/env bash
# The batch as an analyst runs it: `earlyhelp eval POLICY --records FILE.jsonl` (release build)
# over 100,000 and 1,000,000 synthetic families, on one core (--jobs 1, pinned to CPU 1 with
# taskset) and on all cores, output to /dev/null. Prints wall time, families/s and peak RSS
# (/usr/bin/time -v) as the Markdown table of benches/README.md: memory must stay flat in the
# number of records.
#
#   benches/cli-batch.sh [POLICY]        # from anywhere; the files go to $TMPDIR/earlyhelp-bench
#
# Needs about 2.7 GB of disk for the generated files (kept between runs).
set -euo pipefail
cd "$(dirname "$0")/.."

policy=${1:-policies/supporting-families/supporting-families.policy}
dir=${TMPDIR:-/tmp}/earlyhelp-bench
mkdir -p "$dir"
cargo build -q --release -p earlyhelp-cli
bin=target/release/earlyhelp

for n in 100000 1000000; do
    [ -s "$dir/families-$n.jsonl" ] || "$bin" synth --families "$n" --seed 1 >"$dir/families-$n.jsonl"
done

echo "| families | cores | wall | families/s | user + sys CPU | peak RSS |"
echo "|---:|---|---:|---:|---:|---:|"
for n in 100000 1000000; do
    for mode in one all; do
        if [ "$mode" = one ]; then
            run=(taskset -c 1 "$bin" eval "$policy" --records "$dir/families-$n.jsonl" --jobs 1)
            cores="1 (--jobs 1, pinned)"
        else
            run=("$bin" eval "$policy" --records "$dir/families-$n.jsonl")
            cores="all ($(nproc))"
        fi
        /usr/bin/time -v "${run[@]}" >/dev/null 2>"$dir/time.txt"
        awk -v n="$n" -v cores="$cores" -F': ' '
            /Elapsed \(wall clock\)/ { split($2, t, ":"); wall = (length(t) == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
            /User time/ { user = $2 } /System time/ { sys = $2 }
            /Maximum resident set size/ { rss = $2 }
            END { printf "| %\047d | %s | %.2f s | %\047d | %.2f s | %.0f MB |\n", n, cores, wall, n / wall, user + sys, rss / 1024 }
        ' "$dir/time.txt"
    done
done
