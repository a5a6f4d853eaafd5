"""ActiveLearner: modAL's interface, input validation and state safety."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

from skvaeal.active import ActiveLearner, check_query_result
from skvaeal.query import (k_center_greedy, random_sampling, uncertainty_sampling,
                           vae_coreset_sampling)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def _initial(y, per_class=1):
    return np.concatenate([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)])


@pytest.fixture
def learner(digits):
    X, y = digits
    idx = _initial(y)
    return ActiveLearner(LogisticRegression(max_iter=200), random_sampling,
                         X_training=X[idx], y_training=y[idx])


def test_query_teach_loop_improves_accuracy(digits):
    X, y = digits
    X_pool, y_pool, X_test, y_test = X[:300], y[:300], X[300:], y[300:]
    idx = _initial(y_pool)
    learner = ActiveLearner(LogisticRegression(max_iter=300), uncertainty_sampling,
                            X_training=X_pool[idx], y_training=y_pool[idx])
    start = learner.score(X_test, y_test)
    remaining = np.setdiff1d(np.arange(300), idx)
    for round_ in range(4):
        q, X_q = learner.query(X_pool[remaining], n_instances=10, random_state=round_)
        assert q.shape == (10,) and np.array_equal(X_q, X_pool[remaining][q])
        learner.teach(X_q, y_pool[remaining][q])
        remaining = np.delete(remaining, q)
    assert learner.X_training.shape == (len(idx) + 40, 64)
    assert learner.y_training.shape == (len(idx) + 40,)
    assert learner.score(X_test, y_test) > start + 0.1


def test_default_strategy_is_uncertainty_sampling():
    assert ActiveLearner(LogisticRegression()).query_strategy is uncertainty_sampling


def test_return_metrics_gives_scores(learner, digits):
    X, _ = digits
    out = learner.query(X[100:150], n_instances=3, return_metrics=True, random_state=0)
    assert len(out) == 3
    idx, rows, scores = out
    assert np.array_equal(rows, X[100:150][idx]) and scores.shape == (3,)


def test_strategy_gets_learner_and_kwargs(learner, digits):
    X, _ = digits
    seen = {}

    def spy(classifier, X_pool, n_instances=1, *, random_state=None, extra=None):
        seen.update(classifier=classifier, n=n_instances, rs=random_state, extra=extra)
        return np.arange(n_instances), np.zeros(n_instances)

    learner.query_strategy = spy
    learner.query(X[:20], n_instances=2, random_state=5, extra="x")
    assert seen == {"classifier": learner, "n": 2, "rs": 5, "extra": "x"}


def test_query_is_reproducible_with_seed(learner, digits):
    X, _ = digits
    a, _ = learner.query(X, n_instances=5, random_state=1)
    b, _ = learner.query(X, n_instances=5, random_state=1)
    assert np.array_equal(a, b)


BAD_TEACH = {
    "nan in X": (lambda X, y: (np.where(np.eye(2, 64) > 0, np.nan, X[:2]), y[:2]), "X"),
    "inf in X": (lambda X, y: (np.full((2, 64), np.inf), y[:2]), "X"),
    "1-D X": (lambda X, y: (X[0], y[:1]), "X"),
    "X/y length": (lambda X, y: (X[:3], y[:2]), "y"),
    "feature count": (lambda X, y: (X[:2, :10], y[:2]), "X_training"),
    "nan in y": (lambda X, y: (X[:2], np.array([1.0, np.nan])), "y"),
    "2-D y": (lambda X, y: (X[:2], np.ones((2, 3))), "y"),
    "empty X": (lambda X, y: (X[:0], y[:0]), "X"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEACH))
def test_bad_teach_raises_and_keeps_state(learner, digits, case):
    X, y = digits
    make, name = BAD_TEACH[case]
    X_before, y_before = learner.X_training, learner.y_training
    X_copy, y_copy = X_before.copy(), y_before.copy()
    coef = learner.estimator.coef_.copy()
    bad_X, bad_y = make(X, y)
    with pytest.raises(ValueError, match=name):
        learner.teach(bad_X, bad_y)
    assert learner.X_training is X_before and learner.y_training is y_before
    assert np.array_equal(learner.X_training, X_copy)
    assert np.array_equal(learner.y_training, y_copy)
    assert np.array_equal(learner.estimator.coef_, coef)  # no refit happened


class _FailingFit(ClassifierMixin, BaseEstimator):
    """Fits like a majority classifier, but raises when told to."""

    def __init__(self, fail=False):
        self.fail = fail

    def fit(self, X, y):
        if self.fail:
            raise RuntimeError("fit blew up")
        self.classes_ = np.unique(y)
        self.majority_ = self.classes_[0]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


@pytest.mark.parametrize("old, new", [("int", "str"), ("str", "int")])
def test_teach_refuses_labels_of_another_kind(digits, old, new):
    X, y = digits
    names = np.array([f"digit {d}" for d in range(10)])
    first = _initial(y)
    y_old = y[first] if old == "int" else names[y[first]]
    learner = ActiveLearner(LogisticRegression(max_iter=200), X_training=X[first],
                            y_training=y_old)
    X_before, y_before = learner.X_training, learner.y_training
    y_new = y[100:105] if new == "int" else names[y[100:105]]
    with pytest.raises(ValueError, match="y holds .* labels, but the labelled set y_training"):
        learner.teach(X[100:105], y_new)
    assert learner.X_training is X_before and learner.y_training is y_before
    assert learner.y_training.dtype == y_old.dtype
    # Converted by the user, the same labels are accepted.
    converted = y[100:105] if old == "int" else names[y[100:105]]
    learner.teach(X[100:105], converted)
    assert learner.y_training.dtype.kind == y_old.dtype.kind and len(learner.y_training) == 15


def test_failed_refit_restores_labelled_set(digits):
    X, y = digits
    learner = ActiveLearner(_FailingFit(), random_sampling, X_training=X[:5], y_training=y[:5])
    X_before, y_before = learner.X_training.copy(), learner.y_training.copy()
    learner.estimator.fail = True
    with pytest.raises(RuntimeError, match="blew up"):
        learner.teach(X[5:8], y[5:8])
    assert np.array_equal(learner.X_training, X_before)
    assert np.array_equal(learner.y_training, y_before)
    learner.estimator.fail = False
    learner.teach(X[5:8], y[5:8])
    assert learner.X_training.shape[0] == 8


def test_not_fitted_before_any_data(digits):
    X, y = digits
    learner = ActiveLearner(LogisticRegression())
    assert learner.X_training is None and learner.y_training is None
    for method in (learner.predict, learner.predict_proba):
        with pytest.raises(NotFittedError, match="no labelled data"):
            method(X[:2])
    with pytest.raises(NotFittedError):
        learner.score(X[:2], y[:2])
    with pytest.raises(NotFittedError):
        check_is_fitted(learner)
    learner.teach(X[:20], y[:20])
    assert learner.predict(X[:3]).shape == (3,)
    check_is_fitted(learner)


def test_prefitted_estimator_predicts_without_data(digits):
    X, y = digits
    learner = ActiveLearner(LogisticRegression(max_iter=200).fit(X, y))
    assert learner.predict(X[:4]).shape == (4,)


@pytest.mark.parametrize("estimator", [SVC(), LogisticRegression()])
def test_single_class_is_a_clear_error(digits, estimator):
    X, y = digits
    zeros = np.flatnonzero(y == 0)[:3]
    with pytest.raises(ValueError, match="y_training.*at least 2 classes"):
        ActiveLearner(estimator, X_training=X[zeros], y_training=y[zeros])
    learner = ActiveLearner(estimator)
    with pytest.raises(ValueError, match="at least 2 classes"):
        learner.teach(X[zeros], y[zeros])
    assert learner.X_training is None  # nothing stored after the failed fit


def test_single_class_fits_when_the_estimator_allows(digits):
    X, y = digits
    zeros = np.flatnonzero(y == 0)[:3]
    learner = ActiveLearner(DummyClassifier(), X_training=X[zeros], y_training=y[zeros])
    assert np.all(learner.predict(X[:5]) == 0)


def test_only_new_fits_new_rows_and_keeps_them_out(digits):
    # modAL's semantics: for incrementally trained models that keep no copy of old data.
    X, y = digits
    learner = ActiveLearner(_FailingFit(), random_sampling, X_training=X[:5], y_training=y[:5])
    seen = []
    learner.estimator.fit = lambda X_, y_: seen.append(len(X_))
    learner.teach(X[5:8], y[5:8], only_new=True)
    assert seen == [3] and learner.X_training.shape[0] == 5


def test_fit_replaces_the_labelled_set(learner, digits):
    X, y = digits
    learner.fit(X[:30], y[:30])
    assert learner.X_training.shape == (30, 64)


@pytest.mark.parametrize("result, error, match", [
    (None, TypeError, "no indices"),
    (np.array([[0, 1]]), ValueError, "1-D"),
    ((np.array([0, 0]), np.zeros(2)), ValueError, "repeated"),
    ((np.array([0, 99]), np.zeros(2)), ValueError, "outside"),
    ((np.array([0]), np.zeros(1)), ValueError, "n_instances=2"),
    ((np.array([0.0, 1.0]), np.zeros(2)), TypeError, "integer"),
    ((np.array([0, 1]), np.zeros(3)), ValueError, "one score per index"),
])
def test_invalid_strategy_results_are_rejected(learner, digits, result, error, match):
    X, _ = digits
    learner.query_strategy = lambda classifier, X_pool, n_instances=1: result
    with pytest.raises(error, match=match):
        learner.query(X[:10], n_instances=2)


def test_check_query_result_accepts_none_scores():
    idx, scores = check_query_result(([2, 0], None), n_pool=3, n_instances=2)
    assert idx.tolist() == [2, 0] and scores is None


@pytest.mark.parametrize("n", [0, 11])
def test_query_size_is_validated(learner, digits, n):
    X, _ = digits
    with pytest.raises(ValueError, match="n_instances"):
        learner.query(X[:10], n_instances=n)


def test_query_pool_is_validated(learner):
    with pytest.raises(ValueError, match="X_pool"):
        learner.query(np.full((5, 64), np.nan))


def test_training_arrays_must_come_together(digits):
    X, y = digits
    with pytest.raises(ValueError, match="together"):
        ActiveLearner(LogisticRegression(), X_training=X[:5])


def test_bad_estimator_and_strategy_types():
    with pytest.raises(TypeError, match="estimator"):
        ActiveLearner(object())
    with pytest.raises(TypeError, match="query_strategy"):
        ActiveLearner(LogisticRegression(), query_strategy="random")


def test_k_center_skips_labelled_rows(digits):
    X, y = digits
    idx = _initial(y)
    learner = ActiveLearner(LogisticRegression(max_iter=200), k_center_greedy,
                            X_training=X[idx], y_training=y[idx])
    q, _ = learner.query(X[:200], n_instances=15, random_state=0)
    assert not set(q.tolist()) & set(idx.tolist())


def test_latent_pipeline_with_coreset(digits):
    X, y = digits
    pca = PCA(5, random_state=0).fit(X)
    model = make_pipeline(FrozenEstimator(pca), LogisticRegression(max_iter=300))
    idx = _initial(y)
    learner = ActiveLearner(model, vae_coreset_sampling, X_training=X[idx], y_training=y[idx])
    q, X_q = learner.query(X, n_instances=20, n_clusters=10, random_state=0)
    assert q.shape == (20,) and not set(q.tolist()) & set(idx.tolist())
    learner.teach(X_q, y[q])
    assert learner.score(X, y) > 0.6
