#!/usr/bin/env bash
# The service under load on loopback (release build), as benches/README.md reports it:
#   1. single-record evaluations of Supporting Families: wrk POSTs one family per request
#      (with an API key, as a case system would) for a bounded time; requests/s, p50, p99;
#   2. NDJSON batch throughput: 100,000 families in one streamed request (curl) against
#      `earlyhelp eval` over the same file.
# The load generator shares the machine with the server: the figures say so, with the load
# average. Needs wrk (Debian: apt-get install -y wrk) and curl.
#
#   benches/service-load.sh [SECONDS] [CONNECTIONS]     # defaults: 10 s, 32 connections
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
connections=${2:-32}
policy=policies/supporting-families/supporting-families.policy
dir=${TMPDIR:-/tmp}/earlyhelp-service-load
mkdir -p "$dir"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }

cargo build -q --release -p earlyhelp-cli
bin=target/release/earlyhelp

key=load-test-key
printf '%s' "$key" | sha256sum >"$dir/keys"
[ -s "$dir/families-100000.jsonl" ] || "$bin" synth --families 100000 --seed 1 >"$dir/families-100000.jsonl"
head -n 1 "$dir/families-100000.jsonl" >"$dir/family.json"

"$bin" serve --policies policies --listen 127.0.0.1:0 --api-keys "$dir/keys" 2>"$dir/serve.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    addr=$(grep -o 'http://[0-9.:]*' "$dir/serve.log" | head -n 1 || true)
    [ -n "$addr" ] && break
    sleep 0.1
done
[ -n "$addr" ] || { cat "$dir/serve.log" >&2; exit 1; }
url="$addr/v1/policies/supporting_families/evaluate"

status=$(curl -s -o "$dir/one.json" -w '%{http_code}' -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data-binary @"$dir/family.json" "$url")
[ "$status" = 200 ] || { echo "a single evaluation answered $status" >&2; cat "$dir/one.json" >&2; exit 1; }

cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
local f = io.open("$dir/family.json")
wrk.body = f:read("*a")
f:close()
-- Fail loudly rather than measure refusals.
local bad = 0
response = function(status) if status ~= 200 then bad = bad + 1 end end
done = function() if bad > 0 then io.stderr:write(bad .. " responses were not 200\n") end end
LUA

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$dir/post.lua" "$url" >"$dir/wrk.txt" 2>&1
cat "$dir/wrk.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "NDJSON batch, 100,000 families:"
start=$(date +%s.%N)
curl -sS -o "$dir/rows-service.jsonl" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/x-ndjson' --data-binary @"$dir/families-100000.jsonl" "$url"
service=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
start=$(date +%s.%N)
# Exit 1 means some records are error rows (synthetic families include some): still rows.
"$bin" eval "$policy" --records "$dir/families-100000.jsonl" >"$dir/rows-cli.jsonl" 2>/dev/null || [ $? = 1 ]
cli=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
rows=$(wc -l <"$dir/rows-service.jsonl")
[ "$rows" = 100000 ] || { echo "the service wrote $rows rows" >&2; tail -n 1 "$dir/rows-service.jsonl" >&2; exit 1; }
# The same pipeline writes both: the rows must be the same, byte for byte.
cmp -s "$dir/rows-service.jsonl" "$dir/rows-cli.jsonl" && same=yes || same=NO
printf 'service %.2f s, CLI %.2f s, ratio %.2f, rows identical: %s\n' "$service" "$cli" \
    "$(awk -v a="$service" -v b="$cli" 'BEGIN { print a / b }')" "$same"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
