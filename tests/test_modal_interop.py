"""skvaeal strategies drive a real ``modAL.models.ActiveLearner``, and vice versa.

modAL-python 0.4.2.1 needs scikit-learn<1.8, so these tests run in the second
environment built by ``.ci/modal_env.sh``; elsewhere they are skipped.
"""

from functools import partial

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

modal_models = pytest.importorskip("modAL.models")

from skvaeal.active import ActiveLearner as SkvaealLearner  # noqa: E402
from skvaeal.query import (entropy_sampling, k_center_greedy, margin_sampling,  # noqa: E402
                           random_sampling, uncertainty_sampling, vae_coreset_sampling)

pytestmark = [
    pytest.mark.modal,
    # modAL 0.4.2.1 itself passes scikit-learn's deprecated force_all_finite
    pytest.mark.filterwarnings("ignore:'force_all_finite' was renamed:FutureWarning"),
]


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return X[:500], y[:500], X[500:800], y[500:800]


@pytest.fixture(scope="module")
def pca(data):
    return PCA(8, random_state=0).fit(data[0])


def _start(y_pool):
    return np.concatenate([np.flatnonzero(y_pool == c)[:1] for c in np.unique(y_pool)])


STRATEGIES = {
    "random": random_sampling,
    "uncertainty": uncertainty_sampling,
    "margin": margin_sampling,
    "entropy": entropy_sampling,
    "k-center": k_center_greedy,
    "coreset": partial(vae_coreset_sampling, n_clusters=5),
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_modal_learner_runs_skvaeal_strategies(data, name):
    X_pool, y_pool, X_test, y_test = data
    start = _start(y_pool)
    learner = modal_models.ActiveLearner(
        estimator=LogisticRegression(max_iter=300), query_strategy=STRATEGIES[name],
        X_training=X_pool[start], y_training=y_pool[start])
    first = learner.score(X_test, y_test)
    remaining = np.setdiff1d(np.arange(len(X_pool)), start)
    for round_ in range(4):
        query_idx, X_query = learner.query(X_pool[remaining], n_instances=10,
                                           random_state=round_)
        query_idx = np.asarray(query_idx)
        assert query_idx.shape == (10,) and np.unique(query_idx).size == 10
        np.testing.assert_array_equal(X_query, X_pool[remaining][query_idx])
        learner.teach(X_query, y_pool[remaining][query_idx])
        remaining = np.delete(remaining, query_idx)
    assert learner.X_training.shape == (len(start) + 40, 64)
    # 40 labels over 10 classes: uncertainty-type strategies gain little yet, but must gain
    assert learner.score(X_test, y_test) > first


def test_modal_return_metrics_gets_skvaeal_scores(data):
    X_pool, y_pool, _, _ = data
    start = _start(y_pool)
    learner = modal_models.ActiveLearner(
        estimator=LogisticRegression(max_iter=300), query_strategy=entropy_sampling,
        X_training=X_pool[start], y_training=y_pool[start])
    query_idx, X_query, scores = learner.query(X_pool, n_instances=5, return_metrics=True)
    assert np.asarray(scores).shape == (5,) and np.all(np.diff(scores) <= 1e-12)


def test_latent_pipeline_in_modal_learner(data, pca):
    X_pool, y_pool, X_test, y_test = data
    from sklearn.frozen import FrozenEstimator

    start = _start(y_pool)
    model = make_pipeline(FrozenEstimator(pca), LogisticRegression(max_iter=300))
    learner = modal_models.ActiveLearner(
        estimator=model, query_strategy=partial(vae_coreset_sampling, n_clusters=10),
        X_training=X_pool[start], y_training=y_pool[start])
    before = learner.score(X_test, y_test)
    query_idx, X_query = learner.query(X_pool, n_instances=30, random_state=0)
    assert not set(np.asarray(query_idx).tolist()) & set(start.tolist())
    learner.teach(X_query, y_pool[query_idx])
    assert learner.score(X_test, y_test) > before + 0.1


def test_skvaeal_learner_runs_modal_strategies(data):
    from modAL.uncertainty import uncertainty_sampling as modal_uncertainty

    X_pool, y_pool, X_test, y_test = data
    start = _start(y_pool)
    learner = SkvaealLearner(LogisticRegression(max_iter=300), modal_uncertainty,
                             X_training=X_pool[start], y_training=y_pool[start])
    query_idx, X_query = learner.query(X_pool, n_instances=5)
    assert query_idx.shape == (5,)
    learner.teach(X_query, y_pool[query_idx])
    assert learner.X_training.shape[0] == len(start) + 5


def test_both_learners_pick_the_same_rows(data):
    X_pool, y_pool, _, _ = data
    start = _start(y_pool)
    kwargs = dict(X_training=X_pool[start], y_training=y_pool[start])
    ours = SkvaealLearner(LogisticRegression(max_iter=300), k_center_greedy, **kwargs)
    theirs = modal_models.ActiveLearner(estimator=LogisticRegression(max_iter=300),
                                        query_strategy=k_center_greedy, **kwargs)
    a, _ = ours.query(X_pool, n_instances=8, random_state=0)
    b, _ = theirs.query(X_pool, n_instances=8, random_state=0)
    np.testing.assert_array_equal(a, np.asarray(b))
