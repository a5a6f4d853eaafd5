"""ARAL against an RBF SVC on the same few labels of scikit-learn's digits (issue 13).

Per draw: a random split into a pool of 1,400 rows and a test set of 397,
``--per-class`` labels of each class in the pool, the rest unlabelled. The
ARAL settings are those of ``tests/test_aral.py``'s accuracy test (the
default networks, small on 64 features; 40 epochs, ``unlabeled_trust=1``);
``--epochs`` changes them. ``--defaults`` fits ``ARALClassifier()`` as a
user would, with no parameters (the cross-validated trust makes every fit
five fits: about 100 s on one core).

Example::

    python benchmarks/aral_digits.py --draws 5
    python benchmarks/aral_digits.py --draws 5 --generator-cls-weight 0
"""

import argparse
import time

import numpy as np

#: The default networks (small on 64 features) with the semi-supervised fit.
SMALL = dict(unlabeled_trust=1.0)


def main(argv=None):
    from sklearn.datasets import load_digits
    from sklearn.svm import SVC

    from skvaeal import ARALClassifier

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--per-class", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--generator-cls-weight", type=float, default=None,
                        help="ARAL's generator_cls_weight (default: the estimator's)")
    parser.add_argument("--defaults", action="store_true",
                        help="ARALClassifier() with no parameters instead")
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    rows = []
    for seed in range(args.draws):
        order = np.random.RandomState(seed).permutation(len(X))
        train, test = order[:1400], order[1400:]
        rng = np.random.RandomState(seed)
        labeled = np.concatenate([rng.choice(np.flatnonzero(y[train] == c), args.per_class,
                                             replace=False) for c in range(10)])
        y_semi = np.full(len(train), -1)
        y_semi[labeled] = y[train][labeled]
        params = {} if args.defaults else dict(SMALL, max_epochs=args.epochs)
        if args.generator_cls_weight is not None:
            params["generator_cls_weight"] = args.generator_cls_weight
        start = time.perf_counter()
        aral = ARALClassifier(**params, random_state=seed).fit(X[train], y_semi)
        fit_time = time.perf_counter() - start
        svc = SVC().fit(X[train][labeled], y[train][labeled])
        rows.append((aral.score(X[test], y[test]), svc.score(X[test], y[test]), fit_time))
        # How often ARAL's classifier assigns a sampled row the class it was drawn for.
        X_new, y_new = aral.sample(500, random_state=0)
        agreement = np.mean(aral.predict(X_new) == y_new)
        print(f"draw {seed}: ARAL {rows[-1][0]:.3f}  SVC {rows[-1][1]:.3f}  "
              f"(ARAL fit {fit_time:.1f} s; sample() class agreement {agreement:.2f})",
              flush=True)
    aral, svc, fit = np.array(rows).T
    gain = aral - svc
    print(f"\nARAL {aral.mean():.3f} ± {aral.std():.3f}, SVC {svc.mean():.3f} ± {svc.std():.3f}; "
          f"gain mean {gain.mean():+.3f}, smallest {gain.min():+.3f}; "
          f"ARAL fit {fit.mean():.1f} s on average")


if __name__ == "__main__":
    main()
