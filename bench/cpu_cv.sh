#!/usr/bin/env bash
# Benchmark (not a test): how steady is CPU-µs/request? Measures one
# fixed-rate point (json at a fixed offered rate) in 5 trials (a fresh server
# each) and prints the coefficient of variation of the server's CPU
# microseconds per request. Goal: at most 5 %.
#
#   [DURATION=10s] bench/cpu_cv.sh [STACK] [RATE]      (default: rust-axum 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${1:-rust-axum}
rate=${2:-2000}
duration=${DURATION:-10s}
cargo build --release --quiet
bin=target/release/ringside
"$bin" setup "$stack" >/dev/null
out=$(mktemp -d "${TMPDIR:-/tmp}/ringside-cpucv.XXXXXX")
"$bin" run --plain --stacks "$stack" --scenarios json --trials 5 --duration "$duration" --warmup 2s \
  --concurrency 16 --rates "$rate" --capacity-steps 0 --out "$out" >/dev/null 2>"$out/progress.log"
python3 - "$out/results.json" "$stack" "$rate" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
xs = [p["server"]["cpu_us_per_req"] for p in r["points"]
      if p["kind"] == "fixed_rate" and p["valid"] and p["server"]["cpu_us_per_req"] is not None]
if len(xs) < 2:
    sys.exit(f"only {len(xs)} valid fixed-rate point(s); see {sys.argv[1]}")
cv = statistics.stdev(xs) / statistics.mean(xs)
src = {p["server"]["cpu_source"] for p in r["points"]}
print(f"{sys.argv[2]} json @ {sys.argv[3]} rps, {len(xs)} trials, CPU source {', '.join(sorted(src))}")
print("CPU-µs/request: " + ", ".join(f"{x:.1f}" for x in xs))
print(f"mean {statistics.mean(xs):.1f}  stdev {statistics.stdev(xs):.2f}  CV {100 * cv:.2f} %  (goal <= 5 %: {'met' if cv <= 0.05 else 'NOT met'})")
PY
