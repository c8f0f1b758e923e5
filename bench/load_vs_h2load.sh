#!/usr/bin/env bash
# Benchmark (not a test): `ringside load --http2` against h2load (Debian's
# nghttp2-client) on examples/h2_bench_target (hyper's HTTP/2 server, h2c,
# /plaintext, 13-byte body). The target is pinned to SERVER_CORE, each
# generator to GEN_CORE with one thread; both open CONNS connections of
# STREAMS concurrent streams. Rounds alternate the tools so drift on a
# shared machine hits both alike. Prints req/s and generator CPU-µs per
# request per round, the medians, and as its last line
# `ringside/h2load requests per CPU-second = X.XX` (ratio of the medians of
# requests per CPU-second).
#
#   bench/load_vs_h2load.sh            # defaults below; override by environment
#   ROUNDS=5 DURATION=10 CONNS=4 STREAMS=64 bench/load_vs_h2load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}   # seconds
CONNS=${CONNS:-8}
STREAMS=${STREAMS:-16}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18098}
SERVER_CORE=${SERVER_CORE:-0}
GEN_CORE=${GEN_CORE:-1}
URL="http://127.0.0.1:${PORT}/plaintext"

for tool in h2load jq taskset setsid; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (h2load: apt-get install nghttp2-client)" >&2; exit 1; }
done
cargo build --release --quiet --bin ringside --example h2_bench_target
RINGSIDE=target/release/ringside

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill -- "-$SERVER_PID" 2>/dev/null || kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The target in its own process group (setsid), so cleanup kills all of it.
setsid taskset -c "$SERVER_CORE" target/release/examples/h2_bench_target "127.0.0.1:${PORT}" \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    grep -q "listening on" "$WORK/server.log" 2>/dev/null && break
    sleep 0.05
done
grep -q "listening on" "$WORK/server.log" || { echo "bench: target did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }

# Runs "$@" pinned to GEN_CORE; leaves user+sys CPU seconds in $WORK/cpu.
timed() {
    /usr/bin/time -f "%U %S" -o "$WORK/time" taskset -c "$GEN_CORE" "$@"
    awk '{ print $1 + $2 }' "$WORK/time" >"$WORK/cpu"
}

run_h2load() {
    timed h2load -t1 -c"$CONNS" -m"$STREAMS" -D"$DURATION" "$URL" >"$WORK/h2load.out"
    local rps reqs
    rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$WORK/h2load.out")
    reqs=$(awk '/^requests:/ { print $8 }' "$WORK/h2load.out")
    echo "$rps $reqs $(cat "$WORK/cpu")"
}

run_ringside() {
    timed "$RINGSIDE" load --http2 "$URL" -c "$CONNS" --streams "$STREAMS" -d "${DURATION}s" \
        --threads 1 --json >"$WORK/rs.json"
    echo "$(jq '.throughput_rps' "$WORK/rs.json") $(jq '.requests' "$WORK/rs.json") $(cat "$WORK/cpu")"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$WORK/h2.rps"; : >"$WORK/rs.rps"; : >"$WORK/h2.cpr"; : >"$WORK/rs.cpr"; : >"$WORK/h2.rpc"; : >"$WORK/rs.rpc"
printf "%-6s %-9s %14s %12s %10s %16s\n" round tool "req/s" requests "cpu-s" "cpu-µs/request"
record() { # round tool "rps reqs cpu" file-prefix
    read -r rps reqs cpu <<<"$3"
    local cpr
    cpr=$(awk -v c="$cpu" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.3f", c * 1e6 / n; else print "nan" }')
    printf "%-6s %-9s %14.0f %12s %10.2f %16s\n" "$1" "$2" "$rps" "$reqs" "$cpu" "$cpr"
    echo "$rps" >>"$WORK/$4.rps"
    echo "$cpr" >>"$WORK/$4.cpr"
    awk -v c="$cpu" -v n="$reqs" 'BEGIN { if (c > 0) printf "%.0f\n", n / c }' >>"$WORK/$4.rpc"
}
for round in $(seq "$ROUNDS"); do
    if (( round % 2 )); then
        record "$round" h2load "$(run_h2load)" h2
        record "$round" ringside "$(run_ringside)" rs
    else
        record "$round" ringside "$(run_ringside)" rs
        record "$round" h2load "$(run_h2load)" h2
    fi
done

H2=$(median <"$WORK/h2.rps")
RS=$(median <"$WORK/rs.rps")
H2_RPC=$(median <"$WORK/h2.rpc")
RS_RPC=$(median <"$WORK/rs.rpc")
echo
echo "connections $CONNS × streams $STREAMS, ${DURATION}s a round, $ROUNDS rounds"
echo "median req/s:               h2load $(printf %.0f "$H2")   ringside $(printf %.0f "$RS")"
echo "median CPU-µs/request:      h2load $(median <"$WORK/h2.cpr")   ringside $(median <"$WORK/rs.cpr")"
echo "median requests/CPU-second: h2load $H2_RPC   ringside $RS_RPC"
echo "ringside/h2load req/s = $(awk -v a="$RS" -v b="$H2" 'BEGIN { printf "%.2f", a / b }')"
echo "ringside/h2load requests per CPU-second = $(awk -v a="$RS_RPC" -v b="$H2_RPC" 'BEGIN { printf "%.2f", a / b }')"
