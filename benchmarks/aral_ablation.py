"""ARAL's accuracy epoch by epoch, and how well its generator follows the class asked for.

Fits :class:`skvaeal.ARALClassifier` with warm starts of one epoch each, so
that the test accuracy is read after every epoch (the learning rate stays
at its initial value: each one-epoch fit is in the flat part of the
schedule). After the last epoch it draws 500 rows with ``sample`` and reports
the share the classifier itself assigns to the class each was drawn for.

``--data DIR`` reads MNIST-format IDX files (pool 8,000 / test 2,000 by
default, split by ``--seed``); ``--data digits`` uses scikit-learn's digits
(pool 1,400 / test the rest). ``--set name=value`` overrides an estimator
parameter (repeatable; values are parsed as Python literals).

Examples (the t10k figures in ``doc/benchmarks.rst``, "ARAL on MNIST")::

    OMP_NUM_THREADS=1 python benchmarks/aral_ablation.py \\
        --data ../shared/data/mnist-t10k --labels 100 --epochs 20
    OMP_NUM_THREADS=1 python benchmarks/aral_ablation.py \\
        --data ../shared/data/mnist-t10k --labels 100 --epochs 20 --set generator_cls_weight=0
    OMP_NUM_THREADS=1 python benchmarks/aral_ablation.py \\
        --data ../shared/data/mnist-t10k --labels 100 --epochs 1 --set gan_weight=0
"""

import argparse
import ast
import time

import numpy as np


def load(args):
    if args.data == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return (X / 16.0).astype(np.float32), y, 1400
    from skvaeal.datasets import load_mnist

    X, y = load_mnist(args.data, return_X_y=True)
    return np.asarray(X, dtype=np.float32), np.asarray(y), args.n_pool


def parse_set(text):
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--set takes name=value; got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def main(argv=None):
    from skvaeal import ARALClassifier

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True,
                        help='folder with MNIST-format IDX files, or "digits"')
    parser.add_argument("--n-pool", type=int, default=8000)
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", type=parse_set, action="append", default=[],
                        metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    X, y, n_pool = load(args)
    order = np.random.RandomState(args.seed).permutation(len(X))
    pool, test = order[:n_pool], order[n_pool:]
    labeled = np.random.RandomState(args.seed).choice(n_pool, args.labels, replace=False)
    y_semi = np.full(n_pool, -1)
    y_semi[labeled] = y[pool][labeled]
    params = {"unlabeled_trust": 1.0, **dict(args.set)}
    clf = ARALClassifier(**params, max_epochs=1, warm_start=True, random_state=args.seed)
    start, accuracy = time.perf_counter(), []
    for _ in range(args.epochs):
        clf.fit(X[pool], y_semi)
        accuracy.append(clf.score(X[test], y[test]))
    X_new, y_new = clf.sample(500, random_state=args.seed)
    agreement = np.mean(clf.predict(X_new) == y_new)
    print(f"settings: {params}; {args.labels} labels, seed {args.seed}")
    print("test accuracy per epoch:", " ".join(f"{a:.3f}" for a in accuracy))
    print(f"classifier agrees with the class asked of sample(): {agreement:.3f}; "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
