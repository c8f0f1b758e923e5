#!/usr/bin/env bash
# Benchmark (not a test): times `ringside run --quick` over every built-in
# stack whose runtime is present. Goal: at most 6 minutes on a 2-core machine.
# Installs (ringside setup) happen before the clock starts.
#
#   bench/quick_suite.sh [extra ringside run flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/ringside
"$bin" setup >/dev/null 2>&1 || echo "note: some stacks did not install; they will be recorded as failed" >&2
out=$(mktemp -d "${TMPDIR:-/tmp}/ringside-quick.XXXXXX")
start=$(date +%s.%N)
"$bin" run --quick --plain --out "$out" "$@"
end=$(date +%s.%N)
elapsed=$(python3 -c "print(f'{$end - $start:.1f}')")
python3 - "$out/results.json" "$elapsed" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
elapsed = float(sys.argv[2])
measured = [s["name"] for s in r["stacks"] if s["status"]["state"] == "measured"]
print(f"\nquick suite: {elapsed:.0f} s ({elapsed / 60:.1f} min) for {len(measured)} measured stack(s) "
      f"of {len(r['stacks'])}, {len(r['points'])} points, {len(r['capacity'])} capacity searches; "
      f"goal <= 360 s: {'met' if elapsed <= 360 else 'NOT met'}")
print(f"results: {sys.argv[1]}")
PY
