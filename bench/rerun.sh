#!/usr/bin/env bash
# Benchmark (not a test): do two back-to-back runs of the same command agree?
# Runs `ringside run` twice (default: the default run), then compares them:
#   - claims decided in each run (of the 9; "not enough evidence" is undecided);
#   - the K1–K9 verdicts must be the same: two different decisions are a
#     contradiction; a decision in one run and "not enough evidence" in the
#     other is counted apart (the run said it could not decide);
#   - every pair of stacks one run's table put in order (decisively, not a
#     tie) must be in the same order in the other run (else a rank flip);
#   - every figure measured in both runs with an interval in both (peak
#     req/s a cell, ws-chat capacity — its figure's interval, the lower
#     figure's low end to the upper's high end — memory per idle connection): are the two
#     intervals disjoint? And which medians moved more than 10 %, each said
#     with whether it stayed inside the other run's interval.
# Prints each disagreement, then the counts; the last line is the total.
#
#   bench/rerun.sh [ringside run flags...]          e.g. bench/rerun.sh --stacks node-http,python-fastapi
#   RUN1=DIR RUN2=DIR bench/rerun.sh                 compare two finished runs without running
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${RUN1:-}" ] || cargo build --release --quiet
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
problems = {"verdicts contradicted": 0, "rank flips": 0, "cells with disjoint intervals": 0,
            "rank softened to a tie": 0, "verdicts decided in one run only": 0,
            "medians beyond 10 %": 0}

def cells(v):
    return {(sc, f["stack"]): f for sc, fs in v["figures"]["scenarios"].items() for f in fs}

def figures(v):
    """Every figure with a median: (what, scenario, stack) -> (median, low, high, has interval)."""
    out = {}
    for sc, fs in v["figures"]["scenarios"].items():
        for f in fs:
            cap = f.get("capacity")
            if sc == "ws-chat" and cap:
                # The capacity's interval as the tables print it: the lower
                # figure's low end to the upper one's high end (open above
                # without one); a figure without an interval is not compared
                # (its worst-trial bracket is not an interval). Runs before
                # the figure became the trials' bracket midpoints named the
                # two `passes` and `failures`.
                ok = lambda e: e is not None and e["basis"] in ("trials", "run_noise")
                p = cap.get("lower", cap.get("passes"))
                fl = cap.get("upper", cap.get("failures"))
                out[("capacity", sc, f["stack"])] = (
                    p["median"] if p else cap["median"],
                    p["low"] if ok(p) else cap["low"],
                    fl["high"] if ok(p) and ok(fl) else float("inf"),
                    ok(p))
            elif sc != "ws-chat" and f.get("throughput_rps"):
                e = f["throughput_rps"]
                out[("peak req/s", sc, f["stack"])] = (e["median"], e["low"], e["high"],
                                                       e["basis"] in ("trials", "run_noise"))
    for i in v["figures"].get("idle", []):
        e = i["bytes_per_connection"]
        out[("bytes per idle connection", i["kind"], i["stack"])] = (
            e["median"], e["low"], e["high"], e["basis"] in ("trials", "run_noise"))
    return out

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
decided = [sum(1 for x in v.values() if x != "not_enough_evidence") for v in (va, vb)]
print("run 1:", ", ".join(f"{k} {va[k]}" for k in sorted(va)))
print("run 2:", ", ".join(f"{k} {vb[k]}" for k in sorted(vb)))

fa, fb = figures(a), figures(b)
compared, moved = 0, []
for key in sorted(set(fa) & set(fb)):
    (m1, l1, h1, i1), (m2, l2, h2, i2) = fa[key], fb[key]
    if m1 <= 0 or m2 <= 0:
        continue
    compared += 1
    what, sc, stack = key
    if i1 and i2 and (h1 < l2 or h2 < l1):
        print(f"{sc} {stack} {what}: intervals disjoint, [{l1:,.0f}–{h1:,.0f}] then [{l2:,.0f}–{h2:,.0f}]")
        problems["cells with disjoint intervals"] += 1
    d = m2 / m1 - 1
    if abs(d) > 0.10:
        inside = (l1 <= m2 <= h1) and (l2 <= m1 <= h2)
        moved.append(inside)
        print(f"{sc} {stack} {what}: median {m1:,.0f} then {m2:,.0f} ({100*d:+.0f} %), "
              + ("each inside the other run's interval" if inside else "OUTSIDE the other run's interval"))
        problems["medians beyond 10 %"] += 1
print(f"claims decided: run 1 {decided[0]} of {len(va)}, run 2 {decided[1]} of {len(vb)}")
print(f"contradictions: {problems['verdicts contradicted']}; decided in one run only: {problems['verdicts decided in one run only']}")
print(f"rank flips: {problems['rank flips']}; softened to a tie: {problems['rank softened to a tie']}")
print(f"figures compared: {compared}; intervals disjoint: {problems['cells with disjoint intervals']}")
print(f"medians moved > 10 %: {len(moved)} ({sum(moved)} inside the other run's interval, {len(moved) - sum(moved)} outside)")
print("disagreements: " + str(sum(problems.values())) + " (" + ", ".join(f"{k} {v}" for k, v in problems.items()) + ")")
PY
