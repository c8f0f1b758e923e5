#!/usr/bin/env python3
"""Re-judge a default run as if it had planned one final round, then one
adaptive round of only some cells (docs/run.md, "Why two final rounds before the adaptive ones").

    bench/replan.py RESULTS_DIR OUT_DIR stack:scenario,stack:scenario,...
    ringside report OUT_DIR/results.json --print

Keeps the run's screening and first final round (trials 1 and 2) whole, and
of its second final round (trial 3) only the cells named, recorded as
adaptive round 3 (look 1). No figure is made up: every point kept is the
run's own.
"""
import json
import os
import sys

src, out, cells = sys.argv[1], sys.argv[2], sys.argv[3]
keep = {tuple(c.split(":")) for c in cells.split(",") if c}
r = json.load(open(os.path.join(src, "results.json")))
r["settings"]["plan"]["final_rounds"] = 1
r["settings"]["trials"] = 1


def kept(p):
    return p["trial"] <= 2 or (p["stack"], p["scenario"]) in keep


for key in ("points", "capacity", "warmups"):
    r[key] = [p for p in r[key] if kept(p)]
rounds = [x for x in r["rounds"] if x["number"] <= 2]
if keep:
    rounds.append(
        {
            "number": 3,
            "kind": "adaptive",
            "stacks": sorted({s for s, _ in keep}),
            "scenarios": sorted({c for _, c in keep}),
            "workers_extra": ["python-flask"] if any(c == "workers" for _, c in keep) else [],
            "reason": [],
            "look": 1,
        }
    )
r["rounds"] = rounds
os.makedirs(out, exist_ok=True)
json.dump(r, open(os.path.join(out, "results.json"), "w"))
