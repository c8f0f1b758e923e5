#!/usr/bin/env bash
# Benchmark (not a test): one load split over two agents (`ringside load
# --shard i/2`, started together with --start-at, merged by `ringside
# merge`) against one agent running the whole load, on examples/bench_target
# (hyper, /plaintext). Closed loop, CONNS connections in all (CONNS/2 per
# agent), one generator thread per agent. Rounds alternate the two setups.
#
# Pinning on this 2-core machine: the target on TARGET_CORE; the single agent
# on AGENT_CORES' first core; the two agents on AGENT_CORES (one core each
# when two are given). The default gives both agents core 1 — the honest
# layout here, since core 0 belongs to the target: the ratio then measures
# what splitting costs (two processes, two sets of connections, the merge),
# not what a second machine adds. On a machine with spare cores, e.g.
# TARGET_CORE=0 AGENT_CORES=1,2, it measures scaling.
#
#   bench/agents.sh                  # defaults below; override by environment
#   ROUNDS=5 DURATION=10s bench/agents.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

DURATION=${DURATION:-5s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18098}
TARGET_CORE=${TARGET_CORE:-0}
AGENT_CORES=${AGENT_CORES:-1}
URL="http://127.0.0.1:${PORT}/plaintext"
IFS=, read -r CORE_A CORE_B <<<"$AGENT_CORES"
CORE_B=${CORE_B:-$CORE_A}

for tool in jq taskset setsid date; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
cargo build --release --quiet --bin ringside --example bench_target
RINGSIDE=target/release/ringside

WORK=$(mktemp -d)
SERVER_PID=
AGENT_PIDS=()
cleanup() {
    for pid in "${AGENT_PIDS[@]}" "$SERVER_PID"; do
        [[ -n "$pid" ]] || continue
        kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_target "$TARGET_CORE" target/release/examples/bench_target "$PORT" "$WORK/server.log"

echo "pinned: target on core $TARGET_CORE; one agent on core $CORE_A; two agents on cores $CORE_A and $CORE_B"
echo "load: closed loop, $CONNS connections in all, $DURATION, 1 thread per agent"

one_agent() {
    taskset -c "$CORE_A" "$RINGSIDE" load "$URL" -c "$CONNS" -d "$DURATION" --threads 1 --json >"$WORK/one.json"
    jq '.throughput_rps' "$WORK/one.json" >"$WORK/result"
}

two_agents() {
    local start
    start=$(date -u -d '+1 second' +%Y-%m-%dT%H:%M:%S.%3NZ)
    AGENT_PIDS=()
    setsid taskset -c "$CORE_A" "$RINGSIDE" load "$URL" -c "$CONNS" -d "$DURATION" --threads 1 \
        --shard 0/2 --start-at "$start" --json >"$WORK/a0.json" 2>"$WORK/a0.err" &
    AGENT_PIDS+=($!)
    setsid taskset -c "$CORE_B" "$RINGSIDE" load "$URL" -c "$CONNS" -d "$DURATION" --threads 1 \
        --shard 1/2 --start-at "$start" --json >"$WORK/a1.json" 2>"$WORK/a1.err" &
    AGENT_PIDS+=($!)
    for pid in "${AGENT_PIDS[@]}"; do
        wait "$pid" || { cat "$WORK"/a*.err >&2; exit 1; }
    done
    AGENT_PIDS=()
    "$RINGSIDE" merge --json "$WORK/a0.json" "$WORK/a1.json" >"$WORK/merged.json"
    echo "$(jq '.throughput_rps' "$WORK/merged.json") $(jq '.throughput_rps' "$WORK/a0.json") $(jq '.throughput_rps' "$WORK/a1.json") $(jq -c '.warnings' "$WORK/merged.json")" >"$WORK/result"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$WORK/one.rps"; : >"$WORK/two.rps"
printf "%-6s %-12s %12s   %s\n" round setup "req/s" "(agents; merge warnings)"
for round in $(seq "$ROUNDS"); do
    for setup in $( (( round % 2 )) && echo "one two" || echo "two one"); do
        if [[ $setup == one ]]; then
            one_agent
            rps=$(cat "$WORK/result")
            printf "%-6s %-12s %12.0f\n" "$round" "one agent" "$rps"
            echo "$rps" >>"$WORK/one.rps"
        else
            two_agents
            read -r rps a0 a1 warnings <"$WORK/result"
            printf "%-6s %-12s %12.0f   (%.0f + %.0f; %s)\n" "$round" "two merged" "$rps" "$a0" "$a1" "$warnings"
            echo "$rps" >>"$WORK/two.rps"
        fi
    done
done
ONE=$(median <"$WORK/one.rps")
TWO=$(median <"$WORK/two.rps")
echo
echo "median req/s:   one agent $(printf %.0f "$ONE")   two agents merged $(printf %.0f "$TWO")"
echo "merged/one = $(awk -v a="$TWO" -v b="$ONE" 'BEGIN { printf "%.2f", a / b }')"
