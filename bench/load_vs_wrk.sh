#!/usr/bin/env bash
# Benchmark (not a test): `ringside load` against wrk (and oha, if installed)
# on examples/bench_target (hyper, /plaintext, 13-byte body). The target is
# pinned to SERVER_CORE, each generator to GEN_CORE, one thread each; rounds
# alternate the tools so drift on a shared machine hits both alike. Prints
# req/s per round, medians, generator CPU-µs per request, and as its last
# line `ringside/wrk = X.XX` (median ratio).
#
#   bench/load_vs_wrk.sh            # defaults below; override by environment
#   ROUNDS=5 DURATION=10s bench/load_vs_wrk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

DURATION=${DURATION:-5s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18099}
SERVER_CORE=${SERVER_CORE:-0}
GEN_CORE=${GEN_CORE:-1}
URL="http://127.0.0.1:${PORT}/plaintext"

for tool in wrk jq taskset setsid; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
cargo build --release --quiet --bin ringside --example bench_target
RINGSIDE=target/release/ringside
HAVE_OHA=0
command -v oha >/dev/null && HAVE_OHA=1

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
start_target "$SERVER_CORE" target/release/examples/bench_target "$PORT" "$WORK/server.log"
curl -fsS "$URL" >/dev/null 2>&1 || true

# Runs "$@" pinned to GEN_CORE; leaves user+sys CPU seconds in $WORK/cpu.
timed() {
    /usr/bin/time -f "%U %S" -o "$WORK/time" taskset -c "$GEN_CORE" "$@"
    awk '{ print $1 + $2 }' "$WORK/time" >"$WORK/cpu"
}

run_wrk() {
    timed wrk -t1 -c"$CONNS" -d"$DURATION" "$URL" >"$WORK/wrk.out"
    local rps reqs
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.out")
    reqs=$(awk '/requests in/ { print $1 }' "$WORK/wrk.out")
    echo "$rps $reqs $(cat "$WORK/cpu")"
}

run_ringside() {
    timed "$RINGSIDE" load "$URL" -c "$CONNS" -d "$DURATION" --threads 1 --json >"$WORK/rs.json"
    echo "$(jq '.throughput_rps' "$WORK/rs.json") $(jq '.requests' "$WORK/rs.json") $(cat "$WORK/cpu")"
}

run_oha() {
    timed oha --no-tui -z "$DURATION" -c "$CONNS" --output-format json "$URL" >"$WORK/oha.json" 2>/dev/null
    local rps
    rps=$(jq '.summary.requestsPerSec' "$WORK/oha.json")
    echo "$rps $(awk -v r="$rps" -v d="${DURATION%s}" 'BEGIN { printf "%d", r * d }') $(cat "$WORK/cpu")"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$WORK/wrk.rps"; : >"$WORK/rs.rps"; : >"$WORK/oha.rps"
: >"$WORK/wrk.cpr"; : >"$WORK/rs.cpr"; : >"$WORK/oha.cpr"
printf "%-6s %-9s %14s %12s %10s %16s\n" round tool "req/s" requests "cpu-s" "cpu-µs/request"
record() { # round tool "rps reqs cpu" file-prefix
    read -r rps reqs cpu <<<"$3"
    local cpr
    cpr=$(awk -v c="$cpu" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.3f", c * 1e6 / n; else print "nan" }')
    printf "%-6s %-9s %14.0f %12s %10.2f %16s\n" "$1" "$2" "$rps" "$reqs" "$cpu" "$cpr"
    echo "$rps" >>"$WORK/$4.rps"
    echo "$cpr" >>"$WORK/$4.cpr"
}
for round in $(seq "$ROUNDS"); do
    if (( round % 2 )); then
        record "$round" wrk "$(run_wrk)" wrk
        record "$round" ringside "$(run_ringside)" rs
    else
        record "$round" ringside "$(run_ringside)" rs
        record "$round" wrk "$(run_wrk)" wrk
    fi
    if (( HAVE_OHA )); then record "$round" oha "$(run_oha)" oha; fi
done

WRK=$(median <"$WORK/wrk.rps")
RS=$(median <"$WORK/rs.rps")
echo
echo "median req/s:            wrk $(printf %.0f "$WRK")   ringside $(printf %.0f "$RS")"
echo "median CPU-µs/request:   wrk $(median <"$WORK/wrk.cpr")   ringside $(median <"$WORK/rs.cpr")"
if (( HAVE_OHA )); then
    echo "oha median req/s:        $(printf %.0f "$(median <"$WORK/oha.rps")")  CPU-µs/request $(median <"$WORK/oha.cpr")"
    echo "oha/wrk = $(awk -v a="$(median <"$WORK/oha.rps")" -v b="$WRK" 'BEGIN { printf "%.2f", a / b }')"
else
    echo "(oha not installed: skipped)"
fi
echo "ringside/wrk = $(awk -v a="$RS" -v b="$WRK" 'BEGIN { printf "%.2f", a / b }')"
