#!/usr/bin/env bash
# Express's gap to node:http on /json, piece by piece (README, "Express's gap").
# Each mode of bench/express_breakdown.mjs runs alone, pinned to core 0, with
# NODE_ENV=production; ringside load drives it from core 1 (64 connections,
# closed loop), WARMUP then DURATION, ROUNDS rounds interleaved.
# Usage: /work/bin/cpu-exclusive bench/express_breakdown.sh [DURATION] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5s}
rounds=${2:-2}
ringside=./target/release/ringside
port=18089
for round in $(seq "$rounds"); do
  for mode in http express express-noetag express-end; do
    NODE_ENV=production taskset -c 0 node bench/express_breakdown.mjs "$mode" "$port" 2>/dev/null &
    pid=$!
    for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/json" >/dev/null && break; sleep 0.1; done
    rps=$("$ringside" load "http://127.0.0.1:$port/json" -c 64 -d "$duration" --warmup 2s --cpus 1 --json \
      | python3 -c 'import json,sys; r=json.load(sys.stdin); print(round(r["summary"]["throughput_rps"] if "summary" in r else r["throughput_rps"]))')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "round $round $mode $rps req/s"
  done
done
