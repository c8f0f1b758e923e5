#!/usr/bin/env bash
# What one WebSocket chat client costs the generator: CPU per delivered
# message (µs) at a fixed client count, and the highest client count one
# pinned generator core drives unsaturated, against a fast Rust broadcast
# target (examples/ws_bench_target.rs) pinned to core 0, with
# `ringside load --ws --cpus 1` pinned to core 1. Each client sends 1
# message/s into rooms of 10 (each receives ~10 deliveries/s), as ws-chat's
# capacity search does.
#
# Compares generator binaries side by side, interleaved, ROUNDS times:
#   BINS="main=target/bench-bins/ringside-main new=target/release/ringside" bench/ws_generator_cpu.sh
# (default: the freshly built target/release/ringside only).
#
# A step of the search passes when every client connects, nothing is lost,
# delivery p99 < 100 ms and the generator's utilisation over the sending
# window is < 0.9; the first failing step names its reason: `generator`
# (utilisation >= 0.9), `target` (the target's busiest second >= 0.9 of its
# core: the generator's own ceiling lies above), else `slo` (latency or loss
# with neither side saturated).
# A benchmark, not a test: figures drift on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-2000}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-2}
STEPS=${STEPS:-"2000 3000 4000 5000 6000 7000 8000 10000 12000"}
ulimit -n "$(ulimit -Hn)"

if [[ -z ${BINS:-} ]]; then
  cargo build --release --quiet
  BINS="new=target/release/ringside"
fi
cargo build --release --quiet --example ws_bench_target

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
setsid taskset -c 0 target/release/examples/ws_bench_target "$PORT" &
TARGET_PID=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

TICKS=$(getconf CLK_TCK)
SAMPLES=$(mktemp)
trap 'kill -- -$TARGET_PID 2>/dev/null || kill $TARGET_PID 2>/dev/null || true; rm -f "$SAMPLES"' EXIT INT TERM
# The target's CPU ticks (user + system).
target_ticks() { awk '{print $14 + $15}' "/proc/$TARGET_PID/stat"; }

# One load: prints "sent delivered lost connect_failed p99_ms utilisation
# us_per_delivery target_peak" (target_peak: its busiest second's share of its core).
load() {
  local bin=$1 clients=$2 out sampler
  ( prev=$(target_ticks); while sleep 1; do now=$(target_ticks); echo $(( now - prev )); prev=$now; done ) >"$SAMPLES" &
  sampler=$!
  out=$(taskset -c 1 "$bin" load --ws "ws://127.0.0.1:$PORT/ws/chat" \
        --clients "$clients" --rooms $(( clients / 10 )) --msg-rate 1 -d "$DURATION" \
        --cpus 1 --json 2>/dev/null) || out='{}'
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  peak=$(sort -n "$SAMPLES" | tail -1)
  python3 -c '
import json, sys
r = json.loads(sys.stdin.read() or "{}")
peak = int(sys.argv[1] or 0) / int(sys.argv[2])
if not r:
    print("0 0 -1 -1 0 0 0", peak); sys.exit()
g = r["generator"]
us = g["cpu_s"] * 1e6 / r["delivered"] if r["delivered"] else 0
print(r["sent"], r["delivered"], r["lost"], r["connect_failed"], r["latency"]["p99_us"] / 1000,
      g["utilization"], round(us, 2), round(peak, 2))
' "${peak:-0}" "$TICKS" <<<"$out"
}

for round in $(seq "$ROUNDS"); do
  for entry in $BINS; do
    name=${entry%%=*} bin=${entry#*=}
    echo "== round $round, $name ($bin)"
    read -r sent delivered lost failed p99 util us peak < <(load "$bin" "$CLIENTS")
    printf '%s fixed: %s clients, %s delivered, %s lost, p99 %.1f ms, utilisation %.2f, %s us per delivery\n' \
      "$name" "$CLIENTS" "$delivered" "$lost" "$p99" "$util" "$us"
    best=0 best_util=0 why="none failed up to the last step"
    printf '  %8s %10s %8s %8s %10s %10s %12s %s\n' clients delivered lost failed p99_ms gen_util target_peak result
    for clients in $STEPS; do
      read -r sent delivered lost failed p99 util us peak < <(load "$bin" "$clients")
      verdict=$(python3 -c "
ok = $lost == 0 and $failed == 0 and $p99 < 100
print('pass' if ok and $util < 0.9 else 'generator' if $util >= 0.9 else 'target' if $peak >= 0.9 else 'slo')")
      printf '  %8s %10s %8s %8s %10.1f %10.2f %12.2f %s (%s us/delivery)\n' \
        "$clients" "$delivered" "$lost" "$failed" "$p99" "$util" "$peak" "$verdict" "$us"
      if [[ $verdict == pass ]]; then best=$clients best_util=$util; else why="$verdict failed at $clients"; break; fi
    done
    # Where the generator itself would reach 0.9, linearly from its share at
    # the highest passing step: an estimate, meaningful when the target failed first.
    est=$(python3 -c "print(int($best * 0.9 / $best_util) if $best_util > 0 else 0)")
    echo "$name round $round: $best clients unsaturated on one generator core ($why; the generator would reach 0.9 near $est clients)"
  done
done
