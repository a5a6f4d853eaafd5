"""The ARAL paper's MNIST protocol (Mottaghi & Yeung, 2019): ARAL against its baselines.

Protocol: an MNIST-format IDX folder (the 10,000-image t10k set by default),
split per seed into a pool of 8,000 rows and a held-out test set of 2,000;
10 random initial labels, then 10 per round for 10 rounds (10, 20, ..., 110
labels); the test accuracy after every round, averaged over seeds, and the
query and training time per round.

Arms whose task model is :class:`skvaeal.bald.MCDropoutClassifier`, refitted
every round (``--architecture`` picks its network, the CNN by default for
28x28 images):

- ``random``: random queries;
- ``entropy``: the entropy of the MC-averaged prediction (max-entropy);
- ``bald``: :func:`skvaeal.bald.bald_sampling`;
- ``batchbald``: :func:`skvaeal.bald.batchbald_sampling`;
- ``vaal``: :func:`skvaeal.query.vaal_sampling` with one warm-started
  :class:`skvaeal.VAALSampler` (VAAL trains its classifier on the labels only);
- ``full``: the same model on every pool label (the upper bound).

Semi-supervised arms, each its own model, warm-started from round to round as
the reference code does (``--aral-epochs`` in the first round,
``--aral-warm-epochs`` after):

- ``aral``: :class:`skvaeal.ARALClassifier` queried with
  :func:`skvaeal.query.aral_sampling` (Algorithm 1);
- ``aral-random``: the same model with random queries (the paper's "no
  active learning" ablation);
- ``assal``: :class:`skvaeal.ASSALClassifier` with its own queries;
- ``aral-full``: ARAL on every pool label (``--full``).

``--aral-trust`` sets ``unlabeled_trust`` of ARAL and ASSAL (1, the paper's
fit, by default: the cross-validated choice costs four more fits per round);
ASSAL's later rounds also run ``--aral-warm-epochs``.

Example (5 seeds, the MLP, both cores)::

    OMP_NUM_THREADS=1 python benchmarks/aral.py --data ../shared/data/mnist-t10k \\
        --n-seeds 5 --n-jobs 2 --architecture mlp
"""

import argparse
import json
import time

import numpy as np

ARMS = ("random", "entropy", "bald", "batchbald", "vaal")
SEMI_ARMS = ("aral", "aral-random", "assal")


def load(args):
    from skvaeal.datasets import load_mnist

    X, y = load_mnist(args.data, return_X_y=True)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


def model(args, seed):
    from skvaeal.bald import MCDropoutClassifier

    return MCDropoutClassifier(architecture=args.architecture, n_mc_samples=args.mc_samples,
                               random_state=seed)


def strategies(args, seed):
    from skvaeal import VAALSampler
    from skvaeal.bald import bald_sampling, batchbald_sampling
    from skvaeal.query import entropy_sampling, random_sampling, vaal_sampling

    vaal = VAALSampler(warm_start=True, random_state=seed)

    def vaal_query(classifier, X_pool, n_instances=1, random_state=None):
        # The first round trains the sampler for --vaal-epochs, later ones continue it.
        epochs = args.vaal_epochs if not hasattr(vaal, "net_") else args.vaal_warm_epochs
        return vaal_sampling(classifier, X_pool, n_instances, sampler=vaal,
                             random_state=random_state, max_epochs=epochs)

    return {"random": random_sampling, "entropy": entropy_sampling, "bald": bald_sampling,
            "batchbald": batchbald_sampling, "vaal": vaal_query}


def semi_model(args, arm, seed, warm=True):
    from skvaeal import ARALClassifier, ASSALClassifier

    if arm == "assal":
        return ASSALClassifier(unlabeled_trust=args.aral_trust, warm_start=warm,
                               random_state=seed)
    return ARALClassifier(max_epochs=args.aral_epochs, unlabeled_trust=args.aral_trust,
                          warm_start=warm, random_state=seed)


def run_semi(args, arm, X_pool, y_pool, X_test, y_test, initial, seed):
    """One semi-supervised arm: fit on labels and pool, query, warm-start the next fit."""
    from skvaeal.query import aral_sampling, assal_sampling

    query = {"aral": aral_sampling, "assal": assal_sampling}.get(arm)
    rng = np.random.RandomState(seed + 1)
    labeled = np.zeros(len(X_pool), dtype=bool)
    labeled[initial] = True
    clf = semi_model(args, arm, seed)
    acc, query_time, fit_time = [], [], []
    for r in range(args.rounds + 1):
        if r == 1:
            clf.set_params(max_epochs=args.aral_warm_epochs)
        if r:
            start = time.perf_counter()
            rows = np.flatnonzero(~labeled)
            if query is None:
                picked = rng.choice(len(rows), args.n_query, replace=False)
            else:
                picked, _ = query(clf, X_pool[rows], args.n_query,
                                  random_state=rng.randint(2**31 - 1))
            labeled[rows[picked]] = True
            query_time.append(time.perf_counter() - start)
        y_fit = np.where(labeled, y_pool, -1)
        start = time.perf_counter()
        clf.fit(X_pool, y_fit)
        fit_time.append(time.perf_counter() - start)
        acc.append(float(clf.score(X_test, y_test)))
    return acc, [0.0] + query_time, fit_time


def split(X, y, args, seed):
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(X))
    pool, test = order[:args.n_pool], order[args.n_pool:args.n_pool + args.n_test]
    return X[pool], y[pool], X[test], y[test]


def fixed_initial(initial, n_pool):
    """A cold-start strategy giving ``initial`` on the full pool, random queries otherwise."""
    from skvaeal.query import random_sampling

    def strategy(classifier, X_pool, n_instances=1, random_state=None):
        if len(X_pool) == n_pool and n_instances == len(initial):
            return np.asarray(initial), np.zeros(len(initial))
        return random_sampling(classifier, X_pool, n_instances, random_state=random_state)

    return strategy


def run_seed(args, X, y, seed):
    """Every arm on one seed's split; the arms share the initial labels."""
    from skvaeal.active import simulate_active_learning

    X_pool, y_pool, X_test, y_test = split(X, y, args, seed)
    chosen = {name: s for name, s in strategies(args, seed).items() if name in args.arms}
    budgets = [args.n_initial + args.n_query * r for r in range(args.rounds + 1)]
    out = {"budgets": budgets, "acc": {}, "query_time": {}, "fit_time": {}}
    # The same initial labels for every arm, as simulate_active_learning draws them.
    initial = np.random.RandomState(seed).choice(len(X_pool), args.n_initial, replace=False)
    if chosen:
        res = simulate_active_learning(
            model(args, seed), X_pool, y_pool, X_test, y_test, chosen,
            protocol="incremental", initial=fixed_initial(initial, len(X_pool)),
            n_initial=args.n_initial, n_instances=args.n_query, n_rounds=args.rounds,
            n_trials=1, n_jobs=1, random_state=seed, verbose=0)
        for i, name in enumerate(res.names):
            out["acc"][name] = res.accuracy[i, 0].tolist()
            out["query_time"][name] = res.query_time[i, 0].tolist()
            out["fit_time"][name] = res.fit_time[i, 0].tolist()
    for arm in [a for a in SEMI_ARMS if a in args.arms]:
        acc, query_time, fit_time = run_semi(args, arm, X_pool, y_pool, X_test, y_test,
                                             initial, seed)
        out["acc"][arm], out["query_time"][arm], out["fit_time"][arm] = (
            acc, query_time, fit_time)
    if args.full:
        out["full"] = {}
        fulls = {"mc-dropout": lambda: model(args, seed)}
        if any(a.startswith("aral") for a in args.arms):
            fulls["aral"] = lambda: semi_model(args, "aral", seed, warm=False).set_params(
                max_epochs=args.aral_full_epochs)
        for name, make in fulls.items():
            start = time.perf_counter()
            full = make().fit(X_pool, y_pool)
            out["full"][name] = {"acc": float(full.score(X_test, y_test)),
                                 "fit_time": time.perf_counter() - start}
    print(f"seed {seed} done: " + "; ".join(
        f"{name} {acc[-1]:.3f}" for name, acc in out["acc"].items()), flush=True)
    return out


def report(logs, args):
    budgets = logs[0]["budgets"]
    print(f"\nTest accuracy (mean ± std over {len(logs)} seeds; pool {args.n_pool}, "
          f"test {args.n_test}; MCDropoutClassifier(architecture={args.architecture!r}))")
    print(f"{'arm':<12}" + "".join(f"{b:>14}" for b in budgets))
    arms = [a for a in ARMS + SEMI_ARMS if a in logs[0]["acc"]]
    for arm in arms:
        acc = np.array([log["acc"][arm] for log in logs])
        print(f"{arm:<12}" + "".join(f"{m:>8.3f} ±{s:.3f}"
                                     for m, s in zip(acc.mean(0), acc.std(0))))
    for name in logs[0].get("full", {}):
        full = np.array([log["full"][name]["acc"] for log in logs])
        fit = np.mean([log["full"][name]["fit_time"] for log in logs])
        print(f"{'full ' + name:<12}{full.mean():>8.3f} ±{full.std():.3f} "
              f"({args.n_pool} labels; fit {fit:.1f} s)")
    print("\nTimes per round (s, mean over seeds and rounds)")
    for arm in arms:
        query = np.mean([log["query_time"][arm][1:] for log in logs])
        fit = np.mean([log["fit_time"][arm] for log in logs])
        print(f"{arm:<12} query {query:7.3f}   fit {fit:6.2f}")


def parse_trust(text):
    return text if text == "cv" else float(text)


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
    parser.add_argument("--arms", nargs="+", choices=ARMS + SEMI_ARMS,
                        default=list(ARMS + SEMI_ARMS))
    parser.add_argument("--vaal-epochs", type=int, default=10,
                        help="VAAL sampler epochs in the first round")
    parser.add_argument("--vaal-warm-epochs", type=int, default=2,
                        help="VAAL sampler epochs in each later, warm-started round")
    parser.add_argument("--aral-epochs", type=int, default=10,
                        help="ARAL epochs in the first round (the reference: 100 every round)")
    parser.add_argument("--aral-warm-epochs", type=int, default=3,
                        help="ARAL epochs in each later, warm-started round")
    parser.add_argument("--aral-full-epochs", type=int, default=20,
                        help="epochs of ARAL on every pool label")
    parser.add_argument("--aral-trust", type=parse_trust, default=1.0,
                        help='unlabeled_trust of the ARAL arms: a number or "cv"')
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
