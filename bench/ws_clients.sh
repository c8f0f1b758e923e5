#!/usr/bin/env bash
# How many WebSocket chat clients, each sending 1 message/s into rooms of 10,
# one generator core can drive: steps the client count up against a fast Rust
# broadcast target (examples/ws_bench_target.rs) pinned to core 0, with
# `ringside load --ws` pinned to core 1. A step passes when nothing is lost,
# every client connects, delivery p99 < 100 ms and the generator is not
# saturated. Prints a table and, last, the highest passing client count.
# A benchmark, not a test: figures drift on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
STEPS=${STEPS:-"500 1000 2000 4000 8000 12000 16000"}
ulimit -n "$(ulimit -Hn)"

cargo build --release --quiet --example ws_bench_target
cargo build --release --quiet
RINGSIDE=target/release/ringside

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
setsid taskset -c 0 target/release/examples/ws_bench_target "$PORT" &
TARGET_PID=$!
trap 'kill -- -$TARGET_PID 2>/dev/null || kill $TARGET_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

best=0
printf '%8s %10s %10s %8s %10s %10s %s\n' clients sent delivered lost p99_ms gen_util result
for clients in $STEPS; do
  rooms=$(( clients / 10 ))
  out=$(taskset -c 1 "$RINGSIDE" load --ws "ws://127.0.0.1:$PORT/ws/chat" \
        --clients "$clients" --rooms "$rooms" --msg-rate 1 -d "$DURATION" --cpus 1 --json 2>/dev/null) || out='{}'
  read -r sent delivered lost p99 util failed < <(python3 -c '
import json, sys
r = json.loads(sys.stdin.read() or "{}")
if not r:
    print("0 0 -1 0 0 1"); sys.exit()
print(r["sent"], r["delivered"], r["lost"], r["latency"]["p99_us"] / 1000, r["generator"]["utilization"], r["connect_failed"])
' <<<"$out")
  verdict=$(python3 -c "print('pass' if $lost == 0 and $failed == 0 and $p99 < 100 and $util < 0.9 else 'FAIL')")
  printf '%8s %10s %10s %8s %10.1f %10.2f %s\n' "$clients" "$sent" "$delivered" "$lost" "$p99" "$util" "$verdict"
  [[ $verdict == pass ]] && best=$clients || break
done
echo "one generator core drives $best chat clients at 1 msg/s each (rooms of 10, fan-out x10)"
