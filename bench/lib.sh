# Sourced by the bench scripts (not run on its own).

# start_target CORE BINARY PORT LOG: starts BINARY on 127.0.0.1:PORT pinned
# to CORE, in its own process group (setsid, so the caller's cleanup kills
# all of it with `kill -- -$SERVER_PID`), output in LOG; sets SERVER_PID and
# waits (at most 5 s) for "listening on", else prints LOG and exits 1.
start_target() {
    local core=$1 binary=$2 port=$3 log=$4
    setsid taskset -c "$core" "$binary" "127.0.0.1:${port}" >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$log" 2>/dev/null && break
        sleep 0.05
    done
    grep -q "listening on" "$log" || { echo "bench: target did not start" >&2; cat "$log" >&2; exit 1; }
}
