#!/bin/sh
# How much of a measured core may another process take before the figures
# move beyond the noise floor? Runs node-http on json alone (twice:
# the noise), then beside a duty-cycle busy loop pinned to core 0 (the
# server's) and to core 1 (the generator's) at several shares, and prints
# per run: throughput, CPU µs/req and the foreign share ringside recorded.
# Usage: bench/foreign_cpu.sh [ringside binary]   (about 3 minutes)
set -eu
BIN=${1:-target/release/ringside}
OUT=$(mktemp -d)
hog() { # core share%: a busy loop taking share% of one core, in 10 ms periods
  python3 -c "
import os, time
os.sched_setaffinity(0, {$1})
busy = $2 / 100 * 0.010
while True:
    t = time.perf_counter()
    while time.perf_counter() - t < busy: pass
    time.sleep(max(0.0, 0.010 - busy))
" >/dev/null 2>&1 &
  echo $!
}
one() { # label
  dir="$OUT/$1"
  "$BIN" run --plain --stacks node-http --scenarios json --trials 1 --slices 3 \
    --duration 2s --capacity-steps 0 --out "$dir" >/dev/null 2>&1 || true
  python3 - "$dir/results.json" "$1" <<'PY'
import json, sys, statistics as st
r = json.load(open(sys.argv[1]))
ps = [p for p in r["points"] if p["scenario"] == "json" and p["kind"] == "peak" and p["valid"]]
thr = [p["load"]["throughput_rps"] for p in ps]
cpu = [p["server"]["cpu_us_per_req"] for p in ps if p["server"]["cpu_us_per_req"]]
fs = [p["foreign_cpu"]["share"] for p in ps if p.get("foreign_cpu")]
print("%-12s req/s %8.0f  CPU-us/req %6.1f  foreign %5.1f %%  flagged %d/%d" % (
    sys.argv[2], st.median(thr), st.median(cpu), 100 * st.median(fs),
    sum(any(f["flag"] == "foreign_cpu" for f in p["flags"]) for p in ps), len(ps)))
PY
}
for i in 1 2; do one "alone-$i"; done
for core in 0 1; do
  for share in 10 25; do
    pid=$(hog $core $share)
    one "core$core-$share%"
    kill "$pid"
  done
done
rm -rf "$OUT"
