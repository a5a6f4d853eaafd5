"""Encode and score a pool larger than memory: a memmap on disk, then a local dask cluster.

Usage::

    python benchmarks/large_pool.py --data /path/to/mnist-idx-dir [--n-rows 10000000]
                                    [--dir /tmp] [--workers 1 2] [--keep]

1. **Pool**: ``--n-rows`` images made from the IDX images in ``--data`` with
   random shifts (up to 3 pixels) and rotations (up to 20 degrees), drawn a
   block at a time with ``torch.nn.functional.grid_sample`` and written to a
   float16 memmap in ``--dir`` (10^7 rows are 15.7 GB on disk, 31 GB as the
   float32 a model reads: more than this machine's memory).
2. **Model**: an MLP ``VAETransformer`` fitted on 10,000 pool rows, and a
   logistic regression on the codes of 1,000 labelled ones; the classifier is
   the pipeline of both.
3. **Memmap, one process** (fresh subprocesses, so that each peak is its own):
   ``VAETransformer.transform`` of the whole pool (codes into memory) and
   ``entropy_sampling(pipeline, pool, 100)`` (encode, predict, top-k), each
   read a block of rows at a time.
4. **Local dask cluster** of 1 and 2 workers (one thread each): the same
   ``entropy_sampling`` on a dask array whose blocks each worker reads from
   the file itself; the top 100 are reduced per block, never gathered.

Reports rows/s and peak memory. Peak memory is the peak of anonymous
resident memory (``RssAnon`` in ``/proc``, sampled every 50 ms; for the
cluster, the largest worker's): the pages of the memmap that the kernel keeps
cached are file pages, shared and reclaimable, so they are reported apart
(``RssFile``) and not counted as the process's memory.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N_FEATURES = 784
DTYPE = np.float16


# ------------------------------------------------------------------ the pool
def make_pool(data, n_rows, path, seed=0, block=50_000):
    """Write ``n_rows`` shifted and rotated images to a float16 memmap at ``path``."""
    import torch
    import torch.nn.functional as F

    from skvaeal.datasets import load_mnist

    images = torch.as_tensor(load_mnist(data, return_X_y=True)[0].reshape(-1, 1, 28, 28))
    pool = np.lib.format.open_memmap(path, mode="w+", dtype=DTYPE, shape=(n_rows, N_FEATURES))
    gen = torch.Generator().manual_seed(seed)
    for start in range(0, n_rows, block):
        n = min(block, n_rows - start)
        src = images[torch.randint(len(images), (n,), generator=gen)]
        angle = (torch.rand(n, generator=gen) * 2 - 1) * (20 * np.pi / 180)
        shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * (3 / 14)  # pixels / half-width
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                             torch.stack([sin, cos, shift[:, 1]], 1)], 1)
        grid = F.affine_grid(theta, (n, 1, 28, 28), align_corners=False)
        out = F.grid_sample(src, grid, align_corners=False, padding_mode="zeros")
        pool[start:start + n] = out.reshape(n, -1).clamp_(0, 1).numpy().astype(DTYPE)
    pool.flush()
    del pool


def open_pool(path):
    return np.load(path, mmap_mode="r")


# ------------------------------------------------------------------ memory
def _status(pid="self"):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) * 1024
    return fields


class PeakMemory:
    """Peak RssAnon and RssFile of this process, sampled in a thread."""

    def __enter__(self):
        self.anon, self.file, self._stop = 0, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            s = _status()
            self.anon, self.file = max(self.anon, s["RssAnon"]), max(self.file, s["RssFile"])
            self._stop.wait(0.05)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------ steps
def fit_model(pool_path, model_path, seed=0):
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from skvaeal import VAETransformer

    pool = open_pool(pool_path)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(pool), 11_000, replace=False))
    X = np.asarray(pool[rows], dtype=np.float32)
    vae = VAETransformer(architecture="mlp", max_epochs=10, random_state=seed).fit(X[:10_000])
    # Labels for the classifier: the pool has none, so a K-means of the codes stands in
    # for an oracle (the timing does not depend on which labels they are).
    from sklearn.cluster import KMeans

    Z = vae.transform(X[10_000:])
    y = KMeans(10, n_init=3, random_state=seed).fit_predict(Z)
    pipeline = make_pipeline(vae, LogisticRegression(max_iter=500)).fit(X[10_000:], y)
    joblib.dump({"vae": vae, "pipeline": pipeline}, model_path)


def step_memmap(pool_path, model_path, what):
    """Run in a fresh process: one pass over the memmap; prints a JSON line."""
    import joblib

    from skvaeal.query import entropy_sampling

    models = joblib.load(model_path)
    pool = open_pool(pool_path)
    with PeakMemory() as peak:
        start = time.perf_counter()
        if what == "encode":
            Z = models["vae"].transform(pool)
            extra = {"codes_bytes": int(Z.nbytes)}
        else:
            idx, scores = entropy_sampling(models["pipeline"], pool, 100, random_state=0)
            extra = {"top_score": float(scores[0]), "first_idx": int(idx[0])}
        seconds = time.perf_counter() - start
    print(json.dumps(dict(step=what, rows=len(pool), seconds=seconds, peak_anon=peak.anon,
                          peak_file=peak.file, **extra)))


def _read_rows(path, start, stop):
    # Each task opens the file itself: a memmap put into a dask graph would be pickled
    # as a full in-memory copy of the pool.
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def dask_pool(path, block_rows):
    import dask
    import dask.array as da

    n = open_pool(path).shape[0]
    blocks = [da.from_delayed(dask.delayed(_read_rows)(path, s, min(n, s + block_rows)),
                              shape=(min(n, s + block_rows) - s, N_FEATURES), dtype=DTYPE)
              for s in range(0, n, block_rows)]
    return da.concatenate(blocks)


def step_cluster(pool_path, model_path, n_workers, block_rows):
    import joblib
    from distributed import Client, LocalCluster

    from skvaeal.query import entropy_sampling

    models = joblib.load(model_path)
    env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None, env=env,
                      memory_limit=0) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("torch").set_num_threads(1))
        peaks = {"anon": 0, "file": 0}
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                for s in client.run(_status).values():
                    peaks["anon"] = max(peaks["anon"], s["RssAnon"])
                    peaks["file"] = max(peaks["file"], s["RssFile"])
                stop.wait(0.2)

        pool = dask_pool(pool_path, block_rows)
        # Warm-up on one block: the model reaches each worker before the clock starts.
        entropy_sampling(models["pipeline"], pool[:block_rows], 10, random_state=0)
        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        start = time.perf_counter()
        idx, scores = entropy_sampling(models["pipeline"], pool, 100, random_state=0)
        seconds = time.perf_counter() - start
        stop.set()
        thread.join()
    return dict(step=f"dask, {n_workers} worker(s)", rows=int(pool.shape[0]), seconds=seconds,
                peak_anon=peaks["anon"], peak_file=peaks["file"], top_score=float(scores[0]),
                first_idx=int(idx[0]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder of MNIST-format IDX files")
    parser.add_argument("--n-rows", type=int, default=10_000_000)
    parser.add_argument("--dir", default=None, help="where the pool file goes (default: tmp)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--block-rows", type=int, default=40_000,
                        help="rows per dask block (the memmap path sizes its own blocks)")
    parser.add_argument("--keep", action="store_true", help="keep the pool file afterwards")
    parser.add_argument("--step", choices=["encode", "score"], help=argparse.SUPPRESS)
    parser.add_argument("--pool", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n_rows < 11_000:
        parser.error("--n-rows must be at least 11000 (the model is fitted on 11000 rows)")
    if args.block_rows < 1 or any(w < 1 for w in args.workers):
        parser.error("--block-rows and --workers must be positive")
    if not os.path.isdir(args.data):
        parser.error(f"--data {args.data}: not a folder")
    if args.step:  # a subprocess of this script
        step_memmap(args.pool, args.model, args.step)
        return 0

    workdir = Path(args.dir or tempfile.mkdtemp(prefix="skvaeal-pool-"))
    pool_path, model_path = str(workdir / "pool.npy"), str(workdir / "models.joblib")
    results = []
    try:
        start = time.perf_counter()
        make_pool(args.data, args.n_rows, pool_path)
        made = time.perf_counter() - start
        size = os.path.getsize(pool_path)
        print(f"pool: {args.n_rows} rows x {N_FEATURES} float16, {size / 1e9:.1f} GB on disk "
              f"({args.n_rows * N_FEATURES * 4 / 1e9:.1f} GB as float32), written in "
              f"{made:.0f} s", flush=True)
        start = time.perf_counter()
        fit_model(pool_path, model_path)
        print(f"model fitted in {time.perf_counter() - start:.0f} s", flush=True)
        for what in ("encode", "score"):
            done = subprocess.run(
                [sys.executable, __file__, "--data", args.data, "--step", what,
                 "--pool", pool_path, "--model", model_path],
                capture_output=True, text=True, check=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"memmap {what}: {results[-1]['seconds']:.0f} s", flush=True)
        for n_workers in args.workers:
            results.append(step_cluster(pool_path, model_path, n_workers, args.block_rows))
            print(f"{results[-1]['step']}: {results[-1]['seconds']:.0f} s", flush=True)
    finally:
        if not args.keep:
            for path in (pool_path, model_path):
                if os.path.exists(path):
                    os.remove(path)

    print(f"\n{'step':<28}{'rows/s':>12}{'seconds':>10}{'peak anon MB':>14}"
          f"{'peak file MB':>14}  first pick (score)")
    for r in results:
        pick = f"{r['first_idx']} ({r['top_score']:.4f})" if "first_idx" in r else "-"
        name = r["step"] if r["step"].startswith("dask") else f"memmap {r['step']}, 1 process"
        print(f"{name:<28}{r['rows'] / r['seconds']:>12.0f}{r['seconds']:>10.1f}"
              f"{r['peak_anon'] / 2**20:>14.0f}{r['peak_file'] / 2**20:>14.0f}  {pick}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
