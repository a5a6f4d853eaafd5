"""The ARAL paper's MNIST protocol (Mottaghi & Yeung, issue 13): the Bayesian baselines so far.

Protocol: an MNIST-format IDX folder (the 10,000-image t10k set by default),
split per seed into a pool of 8,000 rows and a held-out test set of 2,000;
10 random initial labels, then 10 per round for 10 rounds (10, 20, ..., 110
labels); the test accuracy after every round, averaged over seeds, and the
query and training time per round.

Arms so far (the task model is :class:`skvaeal.bald.MCDropoutClassifier`,
refitted every round; ``--architecture`` picks its network, the CNN by
default for 28x28 images):

- ``random``: random queries;
- ``entropy``: the entropy of the MC-averaged prediction (max-entropy);
- ``bald``: :func:`skvaeal.bald.bald_sampling`;
- ``batchbald``: :func:`skvaeal.bald.batchbald_sampling`;
- ``full``: the same model on every pool label (the upper bound).

ARAL, ARAL with random queries, VAAL and ASSAL join when ARAL lands.

Example (5 seeds, the MLP, both cores)::

    OMP_NUM_THREADS=1 python benchmarks/aral.py --data ../shared/data/mnist-t10k \\
        --n-seeds 5 --n-jobs 2 --architecture mlp
"""

import argparse
import json
import time

import numpy as np

ARMS = ("random", "entropy", "bald", "batchbald")


def load(args):
    from skvaeal.datasets import load_mnist

    X, y = load_mnist(args.data, return_X_y=True)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


def model(args, seed):
    from skvaeal.bald import MCDropoutClassifier

    return MCDropoutClassifier(architecture=args.architecture, n_mc_samples=args.mc_samples,
                               random_state=seed)


def strategies():
    from skvaeal.bald import bald_sampling, batchbald_sampling
    from skvaeal.query import entropy_sampling, random_sampling

    return {"random": random_sampling, "entropy": entropy_sampling, "bald": bald_sampling,
            "batchbald": batchbald_sampling}


def split(X, y, args, seed):
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(X))
    pool, test = order[:args.n_pool], order[args.n_pool:args.n_pool + args.n_test]
    return X[pool], y[pool], X[test], y[test]


def run_seed(args, X, y, seed):
    """Every arm on one seed's split; the arms share the initial labels."""
    from skvaeal.active import simulate_active_learning

    X_pool, y_pool, X_test, y_test = split(X, y, args, seed)
    chosen = {name: s for name, s in strategies().items() if name in args.arms}
    res = simulate_active_learning(
        model(args, seed), X_pool, y_pool, X_test, y_test, chosen, protocol="incremental",
        n_initial=args.n_initial, n_instances=args.n_query, n_rounds=args.rounds,
        n_trials=1, n_jobs=1, random_state=seed, verbose=0)
    out = {"budgets": res.budgets.tolist(), "acc": {}, "query_time": {}, "fit_time": {}}
    for i, name in enumerate(res.names):
        out["acc"][name] = res.accuracy[i, 0].tolist()
        out["query_time"][name] = res.query_time[i, 0].tolist()
        out["fit_time"][name] = res.fit_time[i, 0].tolist()
    if args.full:
        start = time.perf_counter()
        full = model(args, seed).fit(X_pool, y_pool)
        out["full"] = {"acc": float(full.score(X_test, y_test)),
                       "fit_time": time.perf_counter() - start}
    print(f"seed {seed} done: " + "; ".join(
        f"{name} {acc[-1]:.3f}" for name, acc in out["acc"].items()), flush=True)
    return out


def report(logs, args):
    budgets = logs[0]["budgets"]
    print(f"\nTest accuracy (mean ± std over {len(logs)} seeds; pool {args.n_pool}, "
          f"test {args.n_test}; MCDropoutClassifier(architecture={args.architecture!r}))")
    print(f"{'arm':<12}" + "".join(f"{b:>14}" for b in budgets))
    for arm in [a for a in ARMS if a in logs[0]["acc"]]:
        acc = np.array([log["acc"][arm] for log in logs])
        print(f"{arm:<12}" + "".join(f"{m:>8.3f} ±{s:.3f}"
                                     for m, s in zip(acc.mean(0), acc.std(0))))
    if "full" in logs[0]:
        full = np.array([log["full"]["acc"] for log in logs])
        print(f"{'full pool':<12}{full.mean():>8.3f} ±{full.std():.3f} "
              f"({args.n_pool} labels; fit {np.mean([g['full']['fit_time'] for g in logs]):.1f} s)")
    print("\nTimes per round (s, mean over seeds and rounds)")
    for arm in [a for a in ARMS if a in logs[0]["acc"]]:
        query = np.mean([log["query_time"][arm][1:] for log in logs])
        fit = np.mean([log["fit_time"][arm] for log in logs])
        print(f"{arm:<12} query {query:7.3f}   fit {fit:6.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder with MNIST-format IDX files")
    parser.add_argument("--n-seeds", type=int, default=5)
    parser.add_argument("--seed0", type=int, default=0)
    parser.add_argument("--n-pool", type=int, default=8000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--n-initial", type=int, default=10)
    parser.add_argument("--n-query", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--architecture", choices=("auto", "mlp", "conv"), default="auto")
    parser.add_argument("--mc-samples", type=int, default=50)
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    parser.add_argument("--full", action=argparse.BooleanOptionalAction, default=True,
                        help="also fit the model on every pool label (the upper bound)")
    parser.add_argument("--n-jobs", type=int, default=1, help="seeds run in parallel")
    parser.add_argument("--output", help="write the per-seed logs as JSON here")
    args = parser.parse_args(argv)
    seeds = range(args.seed0, args.seed0 + args.n_seeds)
    start = time.perf_counter()
    X, y = load(args)  # once: joblib hands the arrays to its workers as memory maps
    if args.n_jobs > 1:
        from joblib import Parallel, delayed

        logs = Parallel(n_jobs=args.n_jobs)(delayed(run_seed)(args, X, y, s) for s in seeds)
    else:
        logs = [run_seed(args, X, y, s) for s in seeds]
    report(logs, args)
    print(f"\nTotal wall time: {time.perf_counter() - start:.0f} s")
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"args": vars(args), "logs": logs}, f)


if __name__ == "__main__":
    main()
