"""Wall-clock timing shared by the benchmark scripts (run as ``python benchmarks/<name>.py``)."""

import time

import numpy as np


def time_call(fn, repeats):
    """``(median, best)`` seconds of ``fn(r)`` over ``r = 0 .. repeats - 1``."""
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        fn(r)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(np.min(times))
