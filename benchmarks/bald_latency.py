"""Query time of BALD and BatchBALD, and BatchBALD's float32 kernel against float64.

Usage::

    python benchmarks/bald_latency.py [--sizes 8000 100000 1000000] [--samples 50]
                                      [--classes 10] [--n-instances 10] [--repeats 3]

The model is an ensemble of T random linear softmax classifiers on 20-d Gaussian
rows, exposing ``predict_proba_samples`` as :class:`skvaeal.bald.MCDropoutClassifier`
does; its samples are computed per call, so BALD's chunked scoring of a pool
of a million rows never holds more than a chunk of them. BatchBALD holds the
pool's T x n x K samples, so it runs on the smaller sizes only. Prints the
median (and best) wall time per query, then one BatchBALD pick's joint-entropy
kernel (4,096 configurations over 8,000 candidates) in float32, as the
strategy runs it, against the same products and entropies in float64.
"""

import argparse

import numpy as np
from scipy.special import entr, softmax

from _timing import time_call
from skvaeal.bald import bald_sampling, batchbald_sampling
from skvaeal.bald._strategy import _conditional_entropies


class LinearEnsemble:
    """T random linear softmax models: ``predict_proba_samples(X) -> (T, n, K)``."""

    def __init__(self, n_samples, n_features, n_classes, seed=0):
        self.weights = np.random.RandomState(seed).randn(n_samples, n_features, n_classes)

    def predict_proba_samples(self, X):
        return softmax(np.einsum("nd,tdk->tnk", X, self.weights), axis=2)

    def predict_proba(self, X):
        return self.predict_proba_samples(X).mean(0)


def reference_entropies(q, weights, samples, candidates, chunk=100):
    """The float64 version of the kernel (products and entropies in double precision)."""
    out = np.empty(len(candidates))
    n_configs, n_samples = q.shape
    for start in range(0, len(candidates), chunk):
        block = candidates[start:start + chunk]
        p = samples[:, block, :].astype(np.float64).reshape(n_samples, -1)
        predictive = (q @ p).reshape(n_configs, len(block), -1)
        out[start:start + chunk] = np.einsum("m,mcy->c", weights, entr(predictive))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8000, 100_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=50, help="T, weight samples")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--n-instances", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batchbald-max", type=int, default=100_000,
                        help="largest pool BatchBALD runs on (it holds T x n x K floats)")
    args = parser.parse_args(argv)
    model = LinearEnsemble(args.samples, 20, args.classes)
    print(f"T={args.samples}, K={args.classes}, n_instances={args.n_instances}; "
          "median (best) seconds per query")
    for n in args.sizes:
        X = np.random.RandomState(1).randn(n, 20) * 0.5
        line = f"n={n:>9,}  bald {{:.3f}} ({{:.3f}})".format(*time_call(
            lambda _: bald_sampling(model, X, args.n_instances, random_state=0), args.repeats))
        if n <= args.batchbald_max:
            line += "  batchbald {:.3f} ({:.3f})".format(*time_call(
                lambda _: batchbald_sampling(model, X, args.n_instances, random_state=0),
                args.repeats))
        print(line, flush=True)

    rng = np.random.RandomState(0)
    samples = rng.dirichlet(np.full(args.classes, 0.3), size=(args.samples, 8000))
    samples = samples.astype(np.float32)
    q = rng.rand(4096, args.samples)
    q /= q.sum(axis=1, keepdims=True)
    weights = np.full(4096, 1 / 4096)
    candidates = np.arange(8000)
    fast = time_call(lambda _: _conditional_entropies(q, weights, samples, candidates),
                     args.repeats)
    slow = time_call(lambda _: reference_entropies(q, weights, samples, candidates),
                     args.repeats)
    a = _conditional_entropies(q, weights, samples, candidates)
    b = reference_entropies(q, weights, samples, candidates)
    print(f"\none BatchBALD pick (4,096 configurations x 8,000 candidates): float32 "
          f"{fast[0]:.3f} s, float64 {slow[0]:.3f} s ({slow[0] / fast[0]:.1f}x); "
          f"largest relative difference {np.max(np.abs(a - b) / np.abs(b)):.1e}")


if __name__ == "__main__":
    main()
