#!/usr/bin/env python3
"""Where python-fastapi's /numeric spends its CPU (benchmark, not a test).

Runs the handler's numpy computation (stacks/python-fastapi/app.py) 300
times, three times over, and prints CPU time, minor page faults and kernel
time per call. Run it with the stack's interpreter, pinned as ringside pins
the server, with and without glibc keeping freed memory:

    cd stacks/python-fastapi
    taskset -c 0 .venv/bin/python ../../bench/numeric_faults.py
    MALLOC_TRIM_THRESHOLD_=67108864 MALLOC_MMAP_THRESHOLD_=67108864 \\
        taskset -c 0 .venv/bin/python ../../bench/numeric_faults.py
"""
import resource
import time

import numpy as np


def numeric(n_=100000):
    x = (np.arange(n_, dtype=np.int64) * 7919 % 10007) / 10007.0
    total = x.sum()
    return (float(total), float(x.std()), float(x @ x[::-1]))


for rnd in range(3):
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.process_time()
    for _ in range(300):
        numeric()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    t1 = time.process_time()
    print(
        f"round {rnd}: {1e6 * (t1 - t0) / 300:.0f} us/call, "
        f"{(r1.ru_minflt - r0.ru_minflt) / 300:.0f} minor faults/call, "
        f"kernel {1e6 * (r1.ru_stime - r0.ru_stime) / 300:.0f} us/call"
    )
