"""Cluster-centre labelling against an SVC on as many random labels of the digits (issue 14).

Per draw: a random split of scikit-learn's digits into a pool of 1,000 rows
and a test set of 400; :func:`skvaeal.clusterlabel.cluster_label_learning`
with the pool oracle (the true label of each centre's nearest pool row), 5
iterations of ``--n-clusters`` labels, against an RBF SVC on as many random
pool labels (mean of 5 draws of them). The settings are those of
``tests/test_clusterlabel.py``'s accuracy test, which runs draws 0-2;
``--defaults`` uses ``ClusterLabelClassifier()`` with no parameters (the
cross-validated trust makes every fit five fits).

Example::

    python benchmarks/cluster_labels_digits.py --draws 5
    ATEN_CPU_CAPABILITY=avx2 python benchmarks/cluster_labels_digits.py --draws 5
"""

import argparse
import time

import numpy as np

#: The accuracy test's classifier settings.
TEST_SETTINGS = dict(hidden_dims=(128,), warmup_epochs=100, max_epochs=50, unlabeled_trust=1.0)


def main(argv=None):
    from sklearn.datasets import load_digits
    from sklearn.svm import SVC

    from skvaeal.clusterlabel import ClusterLabelClassifier, cluster_label_learning
    from skvaeal.oracle import PoolOracle

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--n-clusters", type=int, default=10)
    parser.add_argument("--defaults", action="store_true",
                        help="ClusterLabelClassifier() with no parameters instead")
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    gains = []
    for seed in range(args.draws):
        order = np.random.RandomState(seed).permutation(len(X))
        pool, test = order[:1000], order[1000:1400]
        settings = {} if args.defaults else TEST_SETTINGS
        clf = ClusterLabelClassifier(**settings, random_state=seed)
        start = time.perf_counter()
        result = cluster_label_learning(clf, X[pool], PoolOracle(y[pool]), show="nearest",
                                        n_clusters=args.n_clusters, X_test=X[test],
                                        y_test=y[test], random_state=seed)
        elapsed = time.perf_counter() - start
        n = result.n_labels[-1]
        svc = np.mean([SVC().fit(X[pool][idx], y[pool][idx]).score(X[test], y[test])
                       for idx in (np.random.RandomState(100 + d).choice(1000, n, replace=False)
                                   for d in range(5))])
        gains.append(result.accuracy[-1] - svc)
        print(f"draw {seed}: accuracy per iteration {np.round(result.accuracy, 3).tolist()}, "
              f"SVC on {n} random labels {svc:.3f}, gain {gains[-1]:+.3f} ({elapsed:.1f} s)",
              flush=True)
    print(f"gains {np.round(gains, 3).tolist()}: mean {np.mean(gains):+.3f}, "
          f"smallest {np.min(gains):+.3f}")


if __name__ == "__main__":
    main()
