"""Vengalil & Sinha's cluster-centre labelling on an MNIST-format pool, with its baselines.

Protocol: an MNIST-format IDX folder (``--data DIR``; ``--data digits`` runs
scikit-learn's 8x8 digits for a quick check), split per seed into a pool
(``--n-pool``, 7,000 by default), a reference split (``--n-reference``,
1,000: the labelled rows the simulated annotator of decoded centres is trained
on, disjoint from the pool) and a test set (``--n-test``, 2,000). Every arm
starts from an unlabelled pool: ``--warmup-epochs`` of the beta-VAE alone, then
``--iterations`` rounds of ``--n-clusters`` labels (plus sub-cluster queries
after "not a valid sample") and ``--epochs`` of eq. 4 each. The test accuracy
after each round, over ``--n-seeds`` seeds.

Arms:

- ``<clusterer>-<distance>-<decay>/<oracle>``: the method
  (:func:`skvaeal.clusterlabel.cluster_label_learning`), for each of
  ``--combos`` (all 8 of {kmeans, gmm} x {euclidean, mahalanobis} x
  {exponential, gaussian} by default, the paper's Fig. 3) and ``--oracles``:
  ``pool`` (the true label of each centre's nearest pool row,
  ``show="nearest"``) and ``reference`` (decoded centres labelled by an SVC
  trained on the reference split (calibrated), its probability as the confidence, "not
  valid" below ``--threshold``; the paper's query synthesis);
- ``random``: the same classifier, given as many random pool labels (weight
  1, nothing propagated) each round;
- ``assal``: :class:`skvaeal.ASSALClassifier` with its own queries
  (:func:`skvaeal.query.assal_sampling`) at the same label counts, warm-started.

For the method it also reports the propagated labels' accuracy (share of the
labelled pool rows whose label is right, and the same weighted by ``w_n``) and,
with ``--a-grid``, how the weighted accuracy changes with the decay rate ``a``
on the last step's clusters.

Example (3 seeds, every combination, one core)::

    OMP_NUM_THREADS=1 python benchmarks/cluster_labels.py --data ../shared/data/mnist-t10k
"""

import argparse
import json
import time

import numpy as np

COMBOS = [f"{c}-{d}-{f}" for c in ("kmeans", "gmm") for d in ("euclidean", "mahalanobis")
          for f in ("exponential", "gaussian")]


def load(data):
    if data == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return (X / 16.0).astype(np.float32), y
    from skvaeal.datasets import load_mnist

    X, y = load_mnist(data, return_X_y=True)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


def split(X, y, args, seed):
    order = np.random.RandomState(seed).permutation(len(X))
    n_pool, n_ref = args.n_pool, args.n_reference
    if n_pool + n_ref + args.n_test > len(X):
        raise SystemExit(f"--n-pool + --n-reference + --n-test exceed the {len(X)} rows")
    pool, ref = order[:n_pool], order[n_pool:n_pool + n_ref]
    test = order[n_pool + n_ref:n_pool + n_ref + args.n_test]
    return pool, ref, test


def classifier(args, seed):
    from skvaeal.clusterlabel import ClusterLabelClassifier

    return ClusterLabelClassifier(
        latent_dim=args.latent_dim, architecture=args.architecture,
        classification_weight=args.gamma, warmup_epochs=args.warmup_epochs,
        max_epochs=args.epochs, unlabeled_trust=args.trust, random_state=seed)


def reference_oracle(X, y, ref, args):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    from skvaeal.oracle import ClassifierOracle

    # scikit-learn 1.9 replaces SVC(probability=True) with this (one SVC, calibrated by CV).
    svc = CalibratedClassifierCV(SVC(), ensemble=False).fit(X[ref], y[ref])
    return ClassifierOracle(svc, threshold=args.threshold), float(svc.score(X[ref], y[ref]))


def run_method(args, X, y, pool, test, combo, oracle_name, oracle, seed):
    from skvaeal.clusterlabel import cluster_label_learning, label_cluster_centres

    clusterer, distance, decay = combo.split("-")
    start = time.perf_counter()
    result = cluster_label_learning(
        classifier(args, seed), X[pool], oracle, n_iterations=args.iterations,
        n_clusters=args.n_clusters, n_sub_clusters=args.n_sub_clusters, clusterer=clusterer,
        distance=distance, decay=decay,
        show="nearest" if oracle_name == "pool" else "decoded", propagation=args.propagation,
        X_test=X[test], y_test=y[test], y_true=y[pool], random_state=seed)
    out = {"labels": result.n_labels, "acc": result.accuracy,
           "label_acc": result.label_accuracy,
           "weighted_label_acc": result.weighted_label_accuracy,
           "time": time.perf_counter() - start, "fit_time": result.fit_time}
    if args.a_grid:
        # One more step on the final model for each decay rate: the same seed gives the same
        # clusters and answers, so only the weights differ.
        out["a_grid"] = {}
        for a in args.a_grid:
            step = label_cluster_centres(
                result.estimator, X[pool], oracle, n_clusters=args.n_clusters,
                n_sub_clusters=args.n_sub_clusters, clusterer=clusterer, distance=distance,
                decay=decay,
                a=a if a == "auto" else float(a),
                show="nearest" if oracle_name == "pool" else "decoded", random_state=seed)
            labelled = step.labels != None  # noqa: E711
            right = np.array([v == t for v, t in zip(step.labels[labelled], y[pool][labelled])])
            w = step.weights[labelled]
            out["a_grid"][str(a)] = {
                "label_acc": float(right.mean()),
                "weighted_label_acc": float((right * w).sum() / w.sum()),
                "share_w_over_half": float(np.mean(w > 0.5))}
    return out


def run_random(args, X, y, pool, test, labels, seed):
    """The same classifier on random pool labels (weight 1), as many as the method asked."""
    model = classifier(args, seed).set_params(warm_start=True)
    rng = np.random.RandomState(seed + 7)
    start = time.perf_counter()
    model.fit_warmup(X[pool])
    order = rng.permutation(len(pool))
    acc = []
    for n in labels:
        target = np.full(len(pool), -1)
        target[order[:n]] = y[pool][order[:n]]
        if len(np.unique(target[target >= 0])) >= 2:
            model.fit(X[pool], target)
        acc.append(float(model.score(X[test], y[test])) if hasattr(model, "classes_")
                   else float("nan"))
    return {"labels": list(labels), "acc": acc, "time": time.perf_counter() - start}


def run_assal(args, X, y, pool, test, labels, seed):
    from skvaeal import ASSALClassifier
    from skvaeal.query import assal_sampling

    model = ASSALClassifier(latent_dim=args.latent_dim, architecture=args.architecture,
                            warmup_epochs=args.warmup_epochs, max_epochs=args.epochs,
                            unlabeled_trust=args.trust, warm_start=True, random_state=seed)
    rng = np.random.RandomState(seed + 7)
    start = time.perf_counter()
    chosen = list(rng.choice(len(pool), labels[0], replace=False))
    acc = []
    for i, n in enumerate(labels):
        if i:
            rest = np.setdiff1d(np.arange(len(pool)), chosen)
            idx, _ = assal_sampling(model, X[pool][rest], n - len(chosen), random_state=seed + i)
            chosen += list(rest[idx])
        target = np.full(len(pool), -1)
        target[chosen] = y[pool][chosen]
        model.fit(X[pool], target)
        acc.append(float(model.score(X[test], y[test])))
    return {"labels": list(labels), "acc": acc, "time": time.perf_counter() - start}


def run_seed(args, X, y, seed):
    pool, ref, test = split(X, y, args, seed)
    out = {}
    oracles = {}
    if "pool" in args.oracles:
        from skvaeal.oracle import PoolOracle

        oracles["pool"] = PoolOracle(y[pool])
    if "reference" in args.oracles:
        oracles["reference"], out["reference_train_acc"] = reference_oracle(X, y, ref, args)
    for combo in args.combos:
        for name, oracle in oracles.items():
            arm = f"{combo}/{name}"
            out[arm] = run_method(args, X, y, pool, test, combo, name, oracle, seed)
            log = out[arm]
            print(f"seed {seed} {arm}: labels {log['labels']} acc "
                  f"{np.round(log['acc'], 3).tolist()} label acc "
                  f"{np.round(log['label_acc'], 3).tolist()} ({log['time']:.0f} s)", flush=True)
    methods = [k for k in out if "/" in k]
    labels = out[methods[0]]["labels"] if methods else [
        args.n_clusters * (i + 1) for i in range(args.iterations)]
    if "random" in args.baselines:
        out["random"] = run_random(args, X, y, pool, test, labels, seed)
        print(f"seed {seed} random: acc {np.round(out['random']['acc'], 3).tolist()}", flush=True)
    if "assal" in args.baselines:
        out["assal"] = run_assal(args, X, y, pool, test, labels, seed)
        print(f"seed {seed} assal: acc {np.round(out['assal']['acc'], 3).tolist()}", flush=True)
    return out


def report(logs):
    arms = [k for k in logs[0] if isinstance(logs[0][k], dict) and "acc" in logs[0][k]]
    print(f"\nTest accuracy after each iteration (mean ± std over {len(logs)} seeds)")
    for arm in arms:
        acc = np.array([log[arm]["acc"] for log in logs])
        labels = np.array([log[arm]["labels"] for log in logs]).mean(0)
        cells = " ".join(f"{m:.3f}±{s:.3f}" for m, s in zip(acc.mean(0), acc.std(0)))
        extra = ""
        if "label_acc" in logs[0][arm]:
            la = np.array([log[arm]["label_acc"] for log in logs])[:, -1]
            wla = np.array([log[arm]["weighted_label_acc"] for log in logs])[:, -1]
            extra = f"  label acc {la.mean():.3f} (weighted {wla.mean():.3f})"
        t = np.mean([log[arm]["time"] for log in logs])
        print(f"{arm:<38} labels {labels.round(0).astype(int).tolist()}  {cells}{extra}  "
              f"{t:.0f} s")
    grids = [(arm, logs[0][arm]["a_grid"]) for arm in arms if "a_grid" in logs[0][arm]]
    for arm, grid in grids:
        print(f"\nDecay rate a on the last step of {arm} (mean over seeds)")
        for a in grid:
            wla = np.mean([log[arm]["a_grid"][a]["weighted_label_acc"] for log in logs])
            share = np.mean([log[arm]["a_grid"][a]["share_w_over_half"] for log in logs])
            print(f"  a={a:<6} weighted label accuracy {wla:.3f}, rows with w > 0.5 "
                  f"{share:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True,
                        help="folder with MNIST-format IDX files, or 'digits'")
    parser.add_argument("--n-seeds", type=int, default=3)
    parser.add_argument("--seed0", type=int, default=0)
    parser.add_argument("--n-pool", type=int, default=7000)
    parser.add_argument("--n-reference", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--n-clusters", type=int, default=30,
                        help="labels asked per iteration (the paper: 10 to 30)")
    parser.add_argument("--n-sub-clusters", type=int, default=2,
                        help="sub-clusters of a cluster whose centre is not a valid sample")
    parser.add_argument("--warmup-epochs", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=10, help="epochs of eq. 4 per iteration")
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--architecture", choices=("auto", "mlp", "conv"), default="mlp",
                        help="the VAE (the MLP by default: the grid's 48 runs are affordable "
                        "on 2 cores with it)")
    parser.add_argument("--gamma", type=float, default=10.0, help="classification_weight")
    parser.add_argument("--trust", type=float, default=1.0,
                        help="unlabeled_trust (1: the paper's fit; 'cv' costs 4 more fits)")
    parser.add_argument("--propagation", choices=("latest", "best"), default="latest",
                        help="which propagated label a row holds across iterations")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="the reference annotator's least accepted probability")
    parser.add_argument("--combos", nargs="+", default=COMBOS, choices=COMBOS)
    parser.add_argument("--oracles", nargs="+", default=["pool", "reference"],
                        choices=["pool", "reference"])
    parser.add_argument("--baselines", nargs="*", default=["random", "assal"],
                        choices=["random", "assal"])
    parser.add_argument("--a-grid", nargs="*", default=[],
                        help="decay rates to compare on the last step, e.g. auto 0.1 1 10")
    parser.add_argument("--output", help="write the per-seed logs as JSON here")
    args = parser.parse_args(argv)
    X, y = load(args.data)
    start = time.perf_counter()
    logs = [run_seed(args, X, y, s) for s in range(args.seed0, args.seed0 + args.n_seeds)]
    report(logs)
    print(f"\nTotal wall time: {time.perf_counter() - start:.0f} s")
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"args": vars(args), "logs": logs}, f)


if __name__ == "__main__":
    main()
