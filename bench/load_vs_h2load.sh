#!/usr/bin/env bash
# Benchmark (not a test): `ringside load --http2` against h2load (Debian's
# nghttp2-client) on examples/h2_bench_target (hyper's HTTP/2 server, h2c,
# /plaintext, 13-byte body). The target is pinned to SERVER_CORE, each
# generator to GEN_CORE with one thread; both open CONNS connections of
# STREAMS concurrent streams. Three generators per round: h2load, ringside
# (its default HTTP/2 client, the lean frame loop) and ringside
# `--h2-client h2-crate` (the `h2` crate); the order rotates each round so
# drift on a shared machine hits all alike. Prints req/s and generator CPU-µs per request per round,
# the medians, and as its last line
# `ringside/h2load requests per CPU-second = X.XX` (ratio of the medians of
# requests per CPU-second, ringside's default client).
#
#   bench/load_vs_h2load.sh            # defaults below; override by environment
#   ROUNDS=5 DURATION=10 CONNS=4 STREAMS=64 bench/load_vs_h2load.sh
#   H2CRATE=0 bench/load_vs_h2load.sh  # skip the h2-crate client
#   TARGET_URL=http://127.0.0.1:8080/json bench/load_vs_h2load.sh
#       # a server you started (pinned to SERVER_CORE yourself, e.g. a stack's
#       # @h2 deployment), measured instead of the built-in target
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

DURATION=${DURATION:-5}   # seconds
CONNS=${CONNS:-8}
STREAMS=${STREAMS:-16}
ROUNDS=${ROUNDS:-3}
H2CRATE=${H2CRATE:-1}
PORT=${PORT:-18098}
SERVER_CORE=${SERVER_CORE:-0}
GEN_CORE=${GEN_CORE:-1}
TARGET_URL=${TARGET_URL:-}
URL=${TARGET_URL:-"http://127.0.0.1:${PORT}/plaintext"}

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
if [[ -z "$TARGET_URL" ]]; then
    start_target "$SERVER_CORE" target/release/examples/h2_bench_target "$PORT" "$WORK/server.log"
fi

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

run_ringside() { # [--h2-client IMPL]
    timed "$RINGSIDE" load --http2 "$URL" -c "$CONNS" --streams "$STREAMS" -d "${DURATION}s" \
        --threads 1 --json "$@" >"$WORK/rs.json"
    echo "$(jq '.throughput_rps' "$WORK/rs.json") $(jq '.requests' "$WORK/rs.json") $(cat "$WORK/cpu")"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for f in h2 rs cr; do : >"$WORK/$f.rps"; : >"$WORK/$f.cpr"; : >"$WORK/$f.rpc"; done
printf "%-6s %-15s %14s %12s %10s %16s\n" round tool "req/s" requests "cpu-s" "cpu-µs/request"
record() { # round tool "rps reqs cpu" file-prefix
    read -r rps reqs cpu <<<"$3"
    local cpr
    cpr=$(awk -v c="$cpu" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.3f", c * 1e6 / n; else print "nan" }')
    printf "%-6s %-15s %14.0f %12s %10.2f %16s\n" "$1" "$2" "$rps" "$reqs" "$cpu" "$cpr"
    echo "$rps" >>"$WORK/$4.rps"
    echo "$cpr" >>"$WORK/$4.cpr"
    awk -v c="$cpu" -v n="$reqs" 'BEGIN { if (c > 0) printf "%.0f\n", n / c }' >>"$WORK/$4.rpc"
}
one() { # round index-in-rotation
    case $2 in
        0) record "$1" h2load "$(run_h2load)" h2 ;;
        1) record "$1" ringside "$(run_ringside)" rs ;;
        2) if [[ "$H2CRATE" == 1 ]]; then
               record "$1" ringside-h2crate "$(run_ringside --h2-client h2-crate)" cr
           fi ;;
    esac
}
for round in $(seq "$ROUNDS"); do
    for k in 0 1 2; do
        one "$round" $(( (k + round - 1) % 3 ))
    done
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
if [[ "$H2CRATE" == 1 ]]; then
    echo "ringside --h2-client h2-crate: median req/s $(printf %.0f "$(median <"$WORK/cr.rps")"), CPU-µs/request $(median <"$WORK/cr.cpr"), requests/CPU-second $(median <"$WORK/cr.rpc") ($(awk -v a="$(median <"$WORK/cr.rpc")" -v b="$H2_RPC" 'BEGIN { printf "%.2f", a / b }')× h2load)"
fi
echo "ringside/h2load req/s = $(awk -v a="$RS" -v b="$H2" 'BEGIN { printf "%.2f", a / b }')"
echo "ringside/h2load requests per CPU-second = $(awk -v a="$RS_RPC" -v b="$H2_RPC" 'BEGIN { printf "%.2f", a / b }')"
