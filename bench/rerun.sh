#!/usr/bin/env bash
# Benchmark (not a test): do two back-to-back runs of the same command agree?
# Runs `ringside run` twice (default: the default run), then compares them:
#   - every pair of stacks one run's table put in order (decisively, not a
#     tie) must be in the same order in the other run;
#   - the K1–K9 verdicts must be the same: two different decisions are a
#     contradiction; a decision in one run and "not enough evidence" in the
#     other is counted apart (the run said it could not decide);
#   - every stack's median peak req/s in every scenario within 10 % between runs.
# Prints each disagreement; the last line is the count.
#
#   bench/rerun.sh [ringside run flags...]          e.g. bench/rerun.sh --stacks node-http,python-fastapi
#   RUN1=DIR RUN2=DIR bench/rerun.sh                 compare two finished runs without running
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/ringside
if [ -z "${RUN1:-}" ]; then
  "$bin" setup --quiet >/dev/null 2>&1 || echo "note: some stacks did not install" >&2
  base=$(mktemp -d "${TMPDIR:-/tmp}/ringside-rerun.XXXXXX")
  for i in 1 2; do
    start=$(date +%s)
    "$bin" run --plain --out "$base/run$i" "$@" >"$base/run$i.log" 2>&1
    echo "run $i: $(( $(date +%s) - start )) s ($base/run$i)"
  done
  RUN1=$base/run1 RUN2=$base/run2
fi
python3 - "$RUN1/verdict.json" "$RUN2/verdict.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
problems = {"rank flips": 0, "rank softened to a tie": 0, "verdicts contradicted": 0,
            "verdicts decided in one run only": 0, "medians beyond 10 %": 0}
def cells(v):
    return {(sc, f["stack"]): f for sc, fs in v["figures"]["scenarios"].items() for f in fs}
ca, cb = cells(a), cells(b)
for (first, second, name) in ((ca, cb, "run 1"), (cb, ca, "run 2")):
    for (sc, stack), f in first.items():
        for other in f.get("ahead_of", []):
            g = second.get((sc, stack))
            h = second.get((sc, other))
            if g is None or h is None:
                continue
            if other in g.get("ahead_of", []):
                continue
            if stack in h.get("ahead_of", []):
                print(f"{sc}: {name} ranked {stack} above {other}; the other run the other way round")
                problems["rank flips"] += 1
            else:
                print(f"{sc}: {name} ranked {stack} above {other}; the other run calls it a tie")
                problems["rank softened to a tie"] += 1
problems["rank flips"] //= 2  # a flip is seen from both runs
va = {c["id"]: c["verdict"] for c in a["ledger"]}
vb = {c["id"]: c["verdict"] for c in b["ledger"]}
for k in sorted(va):
    if va[k] != vb.get(k):
        # "not enough evidence" in one run is the run saying it cannot
        # decide; two different decisions contradict each other.
        one_sided = "not_enough_evidence" in (va[k], vb.get(k))
        kind = "verdicts decided in one run only" if one_sided else "verdicts contradicted"
        print(f"{k}: run 1 {va[k]}, run 2 {vb.get(k)} ({kind})")
        problems[kind] += 1
print("verdicts:", ", ".join(f"{k} {va[k]}" for k in sorted(va)))
worst = []
for key, f in ca.items():
    g = cb.get(key)
    if not g or not f.get("throughput_rps") or not g.get("throughput_rps"):
        continue
    m1, m2 = f["throughput_rps"]["median"], g["throughput_rps"]["median"]
    d = m2 / m1 - 1
    worst.append((abs(d), key, m1, m2))
    if abs(d) > 0.10:
        print(f"{key[0]} {key[1]}: median peak {m1:,.0f} then {m2:,.0f} req/s ({100*d:+.0f} %)")
        problems["medians beyond 10 %"] += 1
worst.sort(reverse=True)
if worst:
    print(f"median peak req/s: {len(worst)} cells compared, largest change {100*worst[0][0]:.0f} % ({worst[0][1][1]} {worst[0][1][0]})")
print("disagreements: " + str(sum(problems.values())) + " (" + ", ".join(f"{k} {v}" for k, v in problems.items()) + ")")
PY
