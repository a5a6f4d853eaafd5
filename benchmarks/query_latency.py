"""Query latency of every strategy on pools of latent vectors, and k-center's memory.

Usage::

    python benchmarks/query_latency.py [--sizes 10000 100000 1000000] [--dims 8 50]
                                       [--repeats 3] [--n-instances 100] [--n-clusters 20]

Pools are Gaussian blobs (sklearn ``make_blobs``, 20 centres) standing in for
latent codes; strategies run in that space (no transformer). Uncertainty
strategies read ``predict_proba`` of a LogisticRegression fitted on 2000 of
the codes. Prints, per size and dimension, the median (and best) wall time of
each query over ``--repeats`` runs; then the peak traced memory of
``k_center_greedy`` at the largest size (tracemalloc); then the clustering
quality of the coreset's default clustering (KMeans, 3 starts, 30 iterations, on a
20 000-code subsample, all codes assigned) against full-batch KMeans: inertia
on the whole pool over 3 seeds, relative.
"""

import argparse
import functools
import os
import time
import tracemalloc

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from _timing import time_call
from skvaeal.query import (entropy_sampling, k_center_greedy, margin_sampling,
                           random_sampling, uncertainty_sampling, vae_coreset_sampling)
from skvaeal.query._clustering import cluster_codes


def make_pool(n, d, seed=0, kind="blobs"):
    if kind == "blobs":
        Z, y = make_blobs(n_samples=n, n_features=d, centers=20, cluster_std=2.0,
                          random_state=seed)
    else:
        rng = np.random.RandomState(seed)
        Z = rng.standard_normal((n, d))
        y = (Z[:, 0] > 0).astype(int) + (Z[:, 1] > 0)
    return Z, y


def strategies(n_clusters, n_labeled_rows):
    return {
        "random": random_sampling,
        "least_confident": uncertainty_sampling,
        "margin": margin_sampling,
        "entropy": entropy_sampling,
        f"coreset uniform K={n_clusters}":
            functools.partial(vae_coreset_sampling, n_clusters=n_clusters),
        f"coreset closest K={n_clusters}":
            functools.partial(vae_coreset_sampling, n_clusters=n_clusters, within="closest"),
        f"coreset uncertainty K={n_clusters}":
            functools.partial(vae_coreset_sampling, n_clusters=n_clusters,
                              within="uncertainty"),
        "k_center (cold start)": k_center_greedy,
        f"k_center ({n_labeled_rows} labelled)": "labelled",
    }


def inertia(Z, centers, labels, chunk=200_000):
    total = 0.0
    for s in range(0, len(Z), chunk):
        diff = Z[s:s + chunk] - centers[labels[s:s + chunk]]
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


def latency_table(sizes, dims, repeats, n_instances, n_clusters, n_labeled_rows):
    rows = []
    for d in dims:
        for n in sizes:
            Z, y = make_pool(n, d)
            clf = LogisticRegression(max_iter=300).fit(Z[:2000], y[:2000])
            labeled = Z[:n_labeled_rows]
            for name, strategy in strategies(n_clusters, n_labeled_rows).items():
                if strategy == "labelled":
                    def fn(r, Z=Z, labeled=labeled):
                        k_center_greedy(None, Z, n_instances, X_labeled=labeled, random_state=r)
                elif name.startswith("coreset uniform") or name.startswith("coreset closest") \
                        or name == "random" or name.startswith("k_center"):
                    def fn(r, strategy=strategy, Z=Z):
                        strategy(None, Z, n_instances, random_state=r)
                else:
                    def fn(r, strategy=strategy, Z=Z, clf=clf):
                        strategy(clf, Z, n_instances, random_state=r)
                med, best = time_call(fn, repeats)
                rows.append((name, n, d, med, best))
                print(f"{name:32s} n={n:>8d} d={d:>3d}  median {med:8.3f} s  best {best:8.3f} s",
                      flush=True)
    return rows


def kcenter_memory(n, d, n_instances, n_labeled):
    Z, _ = make_pool(n, d)
    tracemalloc.start()
    try:
        k_center_greedy(None, Z, n_instances, random_state=0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        k_center_greedy(None, Z, n_instances, X_labeled=Z[:n_labeled], random_state=0)
        _, peak_labeled = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Z.nbytes, peak, peak_labeled


def clustering_quality(n, d, n_clusters, kind, seeds=(0, 1, 2)):
    """Per method: mean fit time, and inertia on the whole pool per seed."""
    Z, _ = make_pool(n, d, kind=kind)
    out = {}
    for seed in seeds:
        t0 = time.perf_counter()
        labels, centers = cluster_codes(Z, n_clusters, None, 20_000, np.random.RandomState(seed))
        out.setdefault("default (KMeans n_init=3, max_iter=30 on 20k, assign all)", []).append(
            (time.perf_counter() - t0, inertia(Z, centers, labels)))
        for name, km in [
                ("KMeans full, n_init=1", KMeans(n_clusters, n_init=1, random_state=seed)),
                ("KMeans full, n_init=1, max_iter=10",
                 KMeans(n_clusters, n_init=1, max_iter=10, random_state=seed))]:
            t0 = time.perf_counter()
            km.fit(Z)
            out.setdefault(name, []).append(
                (time.perf_counter() - t0, inertia(Z, km.cluster_centers_, km.labels_)))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[8, 50])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-instances", type=int, default=100)
    parser.add_argument("--n-clusters", type=int, default=20)
    parser.add_argument("--n-labeled", type=int, default=100,
                        help="labelled rows for the k_center-with-labelled-set timing")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--quality-sizes", type=int, nargs="+", default=None,
                        help="pool sizes for the clustering-quality table (default: the "
                             "sizes above 20000; unstructured Gaussian data at 100000 at most, "
                             "as full KMeans takes minutes on it beyond)")
    args = parser.parse_args(argv)

    print(f"# cores: {os.cpu_count()}, load average at start: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"n_instances={args.n_instances}")
    rows = latency_table(args.sizes, args.dims, args.repeats, args.n_instances,
                         args.n_clusters, args.n_labeled)

    header = " | ".join(f"n={n:.0e} d={d}" for d in args.dims for n in args.sizes)
    print(f"\n| strategy (median s) | {header} |")
    print("|---|" + "---|" * (len(args.dims) * len(args.sizes)))
    names = list(dict.fromkeys(r[0] for r in rows))
    for name in names:
        cells = [f"{r[3]:.3f}" for d in args.dims for n in args.sizes
                 for r in rows if r[0] == name and r[1] == n and r[2] == d]
        print(f"| {name} | " + " | ".join(cells) + " |")

    n_max, d_max = max(args.sizes), max(args.dims)
    pool_bytes, peak, peak_labeled = kcenter_memory(n_max, d_max, args.n_instances,
                                                    args.n_labeled)
    print(f"\nk_center_greedy memory, n={n_max} d={d_max} ({pool_bytes / 2**20:.0f} MiB pool), "
          f"{args.n_instances} picks: peak traced {peak / 2**20:.1f} MiB cold start, "
          f"{peak_labeled / 2**20:.1f} MiB with {args.n_labeled} labelled rows "
          f"(an n x n float64 matrix: {n_max ** 2 * 8 / 2**30:.0f} GiB)")

    if not args.skip_quality:
        print("\nClustering quality: inertia on the whole pool over 3 seeds, relative to the "
              "mean inertia of full-batch KMeans n_init=1:")
        print("| data | n | d | clustering | mean time (s) | mean inertia ratio | per seed |")
        print("|---|---|---|---|---|---|---|")
        q_sizes = args.quality_sizes or [s for s in args.sizes if s > 20_000]
        for kind in ("blobs", "gaussian"):
            for n in [s for s in q_sizes if kind == "blobs" or s <= 100_000]:
                res = clustering_quality(n, d_max, args.n_clusters, kind)
                ref = np.mean([v for _, v in res["KMeans full, n_init=1"]])
                for name, runs in res.items():
                    t = np.mean([r[0] for r in runs])
                    ratios = [r[1] / ref for r in runs]
                    print(f"| {kind} | {n} | {d_max} | {name} | {t:.2f} | "
                          f"{np.mean(ratios):.4f} | "
                          f"{', '.join(f'{x:.3f}' for x in ratios)} |", flush=True)
    print(f"\n# load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
