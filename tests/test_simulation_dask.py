"""Trials of a simulation on a dask cluster (joblib's "dask" backend): same results as
``n_jobs=1``, and the models and pools reach each worker once, not once per task."""

import os

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skvaeal.active import simulate_active_learning
from skvaeal.query import entropy_sampling, random_sampling

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


class CountingLogisticRegression(ClassifierMixin, BaseEstimator):
    """A LogisticRegression that appends its process id to ``log_path`` when unpickled."""

    def __init__(self, log_path=None, max_iter=200):
        self.log_path = log_path
        self.max_iter = max_iter

    def fit(self, X, y):
        self.model_ = LogisticRegression(max_iter=self.max_iter).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.log_path and os.getpid() != state.get("_creator_pid"):
            with open(self.log_path, "a") as f:
                f.write(f"{os.getpid()}\n")

    def __getstate__(self):
        return dict(self.__dict__, _creator_pid=getattr(self, "_creator_pid", os.getpid()))


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        yield client


def _data():
    X, y = load_digits(return_X_y=True)
    return X[:800] / 16.0, y[:800], X[800:1200] / 16.0, y[800:1200]


def _same(a, b):
    assert a.names == b.names
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    for name in a.names:
        for trial_a, trial_b in zip(a.indices[name], b.indices[name]):
            for ia, ib in zip(trial_a, trial_b):
                np.testing.assert_array_equal(ia, ib)


@pytest.mark.parametrize("protocol", ["incremental", "one-shot"])
def test_dask_cluster_gives_the_results_of_one_process(cluster, protocol):
    X, y, Xt, yt = _data()
    kw = dict(protocol=protocol, budgets=[20, 40], n_trials=3, random_state=0, verbose=0)
    strategies = {"random": random_sampling}
    if protocol == "incremental":
        strategies["entropy"] = entropy_sampling
    reference = simulate_active_learning(LogisticRegression(max_iter=200), X, y, Xt, yt,
                                         strategies, n_jobs=1, **kw)
    with joblib.parallel_config(backend="dask"):
        on_cluster = simulate_active_learning(LogisticRegression(max_iter=200), X, y, Xt, yt,
                                              strategies, **kw)
    _same(reference, on_cluster)
    # Both workers took trials.
    assert len(cluster.scheduler_info()["workers"]) == 2


def test_models_and_pools_reach_each_worker_once(cluster, tmp_path):
    X, y, Xt, yt = _data()
    log = tmp_path / "unpickled.txt"
    log.touch()
    estimator = CountingLogisticRegression(log_path=str(log))
    n_trials, n_arms = 4, 2
    with joblib.parallel_config(backend="dask"):
        results = simulate_active_learning(
            estimator, X, y, Xt, yt, {"random": random_sampling, "entropy": entropy_sampling},
            protocol="incremental", budgets=[20, 30], n_trials=n_trials, random_state=1,
            verbose=0)
    assert results.accuracy.shape == (n_arms, n_trials, 2)
    pids = log.read_text().split()
    workers = {str(pid) for pid in cluster.run(os.getpid).values()}
    # 8 tasks; the shared context (which holds the estimator) was unpickled at most once
    # per worker process, never once per task.
    assert set(pids) <= workers
    assert len(pids) <= len(workers) < n_trials * n_arms
    assert len(pids) >= 1
