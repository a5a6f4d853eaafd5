"""``k_center_greedy`` against the memory-bandwidth limit, and against scikit-activeml.

Usage::

    python benchmarks/kcenter_bandwidth.py [--n 1000000] [--d 50] [--picks 100]
                                           [--labeled 100] [--repeats 3]
                                           [--skactiveml-python /path/to/venv/bin/python]

The query: ``--picks`` farthest-first picks from ``--n`` Gaussian rows of
``--d`` features, with ``--labeled`` labelled rows as the first centres (the
setting of issue 16). On Gaussian data the triangle-inequality pruning
skips almost nothing, so every pick streams the whole pool once: the fastest
possible query is ``picks`` passes at the machine's read bandwidth. This
script measures that bandwidth (a streaming sum over the pool, best of 5, one
thread and one thread per core, each reading its own range of rows, as
BLAS dot products of the flat pool with itself), then
times the query for float32 and float64 pools, with one thread and with all
cores, and the opt-in float32 pass on float64 codes, and reports each time
over the limit at the same thread count.

``--skactiveml-python`` names an interpreter with scikit-activeml installed
(it pins other versions than skvaeal's environment, so it runs in its own);
its ``CoreSet`` then makes the same query on the same rows in a subprocess,
and the script compares its picks, time and peak traced memory with
skvaeal's (float64, the dtype CoreSet computes in).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from skvaeal.query import k_center_greedy

SKACTIVEML_SCRIPT = r"""
import json, sys, time, tracemalloc
import numpy as np
from skactiveml.pool import CoreSet
from skactiveml.utils import MISSING_LABEL
X = np.load(sys.argv[1]); n_labeled = int(sys.argv[2]); picks = int(sys.argv[3])
y = np.full(len(X), MISSING_LABEL); y[:n_labeled] = 0
tracemalloc.start()
start = time.perf_counter()
idx = CoreSet(random_state=0).query(X, y, batch_size=picks)
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1]
import skactiveml
print(json.dumps(dict(idx=[int(i) for i in idx], seconds=seconds, peak=peak,
                      version=skactiveml.__version__)))
"""


def n_cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def read_bandwidth(Z, n_threads, repeats=5):
    """Bytes per second of one streaming read of Z, split into a range per thread.

    The read is BLAS's dot product of the flat pool with itself (one load per
    element, vectorised, memory-bound): ``np.sum`` would measure its pairwise
    summation instead, which is slower than memory.
    """
    flat = Z.reshape(-1)
    cuts = np.linspace(0, flat.size, n_threads + 1).astype(int)
    parts = [flat[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    best = float("inf")
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(n_threads) as pool:
        for _ in range(repeats):
            start = time.perf_counter()
            list(pool.map(lambda x: np.dot(x, x), parts))
            best = min(best, time.perf_counter() - start)
    return Z.nbytes / best


def time_query(Z, labeled, picks, repeats, **kwargs):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        idx, _ = k_center_greedy(None, Z, picks, X_labeled=labeled, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), idx


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--picks", type=int, default=100)
    parser.add_argument("--labeled", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skactiveml-python", default=None)
    args = parser.parse_args(argv)
    for name in ("n", "d", "picks", "labeled", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")

    rng = np.random.default_rng(0)
    X64 = rng.standard_normal((args.n + args.labeled, args.d))
    labeled64, pool64 = X64[:args.labeled], np.ascontiguousarray(X64[args.labeled:])
    pool32, labeled32 = pool64.astype(np.float32), labeled64.astype(np.float32)
    cores = n_cores()
    bw = {t: read_bandwidth(pool32, t) for t in sorted({1, cores})}
    print(f"pool {args.n} x {args.d}; {args.picks} picks, {args.labeled} labelled; "
          f"{cores} core(s)")
    for t, b in bw.items():
        print(f"read bandwidth, {t} thread(s): {b / 1e9:.1f} GB/s")

    rows = []
    cases = [("float32", pool32, labeled32, {}), ("float64", pool64, labeled64, {}),
             ("float64, dtype='float32'", pool64, labeled64, {"dtype": "float32"})]
    picks_of = {}
    for name, Z, L, kw in cases:
        for threads in sorted({1, cores}):
            seconds, idx = time_query(Z, L, args.picks, args.repeats, n_jobs=threads, **kw)
            traffic = Z.nbytes if "dtype" not in kw else Z.nbytes // 2
            limit = args.picks * traffic / bw[threads]
            rows.append((name, threads, seconds, limit, seconds / limit))
            picks_of[(name, threads)] = idx
    print(f"\n{'pool':<26}{'threads':>8}{'seconds':>10}{'limit s':>10}{'x limit':>10}")
    for name, threads, seconds, limit, ratio in rows:
        print(f"{name:<26}{threads:>8}{seconds:>10.2f}{limit:>10.2f}{ratio:>10.2f}")
    same = np.array_equal(picks_of[("float64", 1)], picks_of[("float64, dtype='float32'", 1)])
    agree = np.mean(np.isin(picks_of[("float64, dtype='float32'", 1)],
                            picks_of[("float64", 1)]))
    print(f"float32 pass on float64 codes: same picks in the same order: {same}; "
          f"share of picks in common: {agree:.2f}")

    tracemalloc.start()
    k_center_greedy(None, pool64, args.picks, X_labeled=labeled64)
    ours_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if args.skactiveml_python:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "X.npy")
            np.save(path, X64)
            done = subprocess.run([args.skactiveml_python, "-c", SKACTIVEML_SCRIPT, path,
                                   str(args.labeled), str(args.picks)],
                                  capture_output=True, text=True, check=True)
        theirs = json.loads(done.stdout.strip().splitlines()[-1])
        ours_s = dict((r[0], r[2]) for r in rows if r[1] == 1)["float64"]
        theirs_idx = np.asarray(theirs["idx"]) - args.labeled
        ours_idx = picks_of[("float64", 1)]
        print(f"\nscikit-activeml {theirs['version']} CoreSet (float64, 1 process): "
              f"{theirs['seconds']:.2f} s, peak traced memory "
              f"{theirs['peak'] / 2**20:.0f} MiB")
        print(f"skvaeal k_center_greedy (float64, 1 thread): {ours_s:.2f} s, peak traced "
              f"memory {ours_peak / 2**20:.0f} MiB beyond the pool")
        print(f"ratio: {theirs['seconds'] / ours_s:.1f}x the time, "
              f"{theirs['peak'] / max(ours_peak, 1):.1f}x the memory; same picks in the same "
              f"order: {np.array_equal(theirs_idx, ours_idx)}; as sets: "
              f"{set(theirs_idx.tolist()) == set(ours_idx.tolist())}")
    else:
        print(f"\nskvaeal peak traced memory beyond the pool (float64): "
              f"{ours_peak / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
