"""ActiveLearner: modAL's interface, input validation and state safety."""

import numpy as np
import pytest
import scipy.sparse as sp
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


# ------------------------------------------------------- rows of every type, modAL's API
class _Recorder(ClassifierMixin, BaseEstimator):
    """Majority classifier with uniform probabilities that records what each fit saw.

    It validates nothing, so NaN, infinity and 1-D rows reach it as given.
    """

    def fit(self, X, y):
        self.fits_ = getattr(self, "fits_", []) + [(X, np.asarray(y))]
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


@pytest.fixture(scope="module")
def sparse_data():
    rng = np.random.RandomState(0)
    X = rng.rand(60, 8)
    X[X < 0.6] = 0.0
    y = (X[:, 0] + X[:, 1] > 0.5).astype(int)
    return X, y


@pytest.mark.parametrize("fmt", ["csr", "csc", "lil"])
def test_sparse_pool_loop_keeps_sparse_rows(sparse_data, fmt):
    from sklearn.ensemble import RandomForestClassifier

    X, y = sparse_data
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    first = np.r_[np.flatnonzero(y == 0)[:2], np.flatnonzero(y == 1)[:2]]
    pool = np.setdiff1d(np.arange(60), first)
    learner = ActiveLearner(RandomForestClassifier(10, random_state=0), uncertainty_sampling,
                            X_training=X_sparse[first], y_training=y[first])
    for round_ in range(3):
        q, X_q = learner.query(X_sparse[pool], n_instances=4, random_state=round_)
        assert sp.issparse(X_q) and X_q.format == fmt
        assert np.array_equal(X_q.toarray(), X[pool[q]])
        learner.teach(X_q, y[pool[q]])
        pool = np.delete(pool, q)
    assert sp.issparse(learner.X_training) and learner.X_training.format == fmt
    assert learner.X_training.shape == (16, 8)
    taught = np.setdiff1d(np.arange(60), pool)
    assert sorted(map(tuple, learner.X_training.toarray())) == sorted(map(tuple, X[taught]))
    assert learner.predict(X_sparse[:5]).shape == (5,)


def test_dataframe_rows_stay_dataframe_rows(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    frame = pd.DataFrame(X[:120], columns=[f"px{i}" for i in range(64)],
                         index=np.arange(1000, 1120))
    first = _initial(y[:120])
    learner = ActiveLearner(LogisticRegression(max_iter=200), uncertainty_sampling,
                            X_training=frame.iloc[first], y_training=y[first])
    pool = frame.drop(frame.index[first])
    q, X_q = learner.query(pool, n_instances=5, random_state=0)
    assert isinstance(X_q, pd.DataFrame) and list(X_q.columns) == list(frame.columns)
    assert X_q.index.tolist() == pool.index[q].tolist()  # positions in, the pool's labels out
    learner.teach(X_q, y[X_q.index - 1000])
    assert isinstance(learner.X_training, pd.DataFrame)
    assert learner.X_training.index.tolist() == frame.index[first].tolist() + X_q.index.tolist()
    assert learner.X_training.shape == (len(first) + 5, 64)
    assert learner.score(frame, y[:120]) > 0.5


TEXTS = ["the cat sat", "a dog barked", "the cat purred", "dogs bark loudly", "cat naps",
         "the dog runs", "a cat meows", "dog fetch ball", "kitten cat toy", "puppy dog toy"]
TEXT_Y = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0, 1])


def test_text_pipeline_with_lists_of_strings():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    learner = ActiveLearner(make_pipeline(CountVectorizer(), MultinomialNB()),
                            uncertainty_sampling, X_training=TEXTS[:2], y_training=TEXT_Y[:2])
    pool, labels = TEXTS[2:], list(TEXT_Y[2:])
    q, X_q = learner.query(pool, n_instances=3, random_state=0)
    assert isinstance(X_q, list) and X_q == [pool[i] for i in q]
    learner.teach(X_q, np.array([labels[i] for i in q]))
    assert isinstance(learner.X_training, list) and len(learner.X_training) == 5
    assert learner.X_training[:2] == TEXTS[:2] and learner.X_training[2:] == X_q
    _, row = learner.query(["a cat", "a dog"], n_instances=1, random_state=0)
    assert isinstance(row, list) and len(row) == 1
    assert learner.predict(["cat cat cat", "dog dog dog"]).tolist() == [0, 1]


class _Threshold(ClassifierMixin, BaseEstimator):
    """A classifier on 1-D X: one feature, a threshold at the midpoint of the class means."""

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        assert X.ndim == 1
        self.classes_ = np.unique(y)
        self.threshold_ = (X[y == self.classes_[0]].mean() + X[y == self.classes_[1]].mean()) / 2
        return self

    def predict_proba(self, X):
        p = 1.0 / (1.0 + np.exp(-(np.asarray(X, dtype=float) - self.threshold_)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(np.asarray(X) > self.threshold_).astype(int)]


def test_one_dimensional_X():
    X = np.linspace(-5, 5, 41)
    y = (X > 1.0).astype(int)
    learner = ActiveLearner(_Threshold(), uncertainty_sampling, X_training=X[[0, 40]],
                            y_training=y[[0, 40]])
    q, X_q = learner.query(X, n_instances=1, random_tie_break=False)
    assert X_q.ndim == 1 and X_q.tolist() == [0.0]  # midpoint of -5 and 5
    learner.teach(X_q, y[q])
    assert learner.X_training.shape == (3,) and learner.X_training.tolist() == [-5.0, 5.0, 0.0]
    # Class 0 is now {-5, 0}: the threshold moves to the midpoint of -2.5 and 5.
    assert learner.estimator.threshold_ == pytest.approx(1.25)
    with pytest.raises(ValueError, match="X_training has rows of shape"):
        learner.teach(X[:2].reshape(-1, 1), y[:2])


def test_multilabel_y_with_one_vs_rest(sparse_data):
    from sklearn.multiclass import OneVsRestClassifier

    X, _ = sparse_data
    Y = (X[:, :3] > 0).astype(int)
    learner = ActiveLearner(OneVsRestClassifier(LogisticRegression()), uncertainty_sampling,
                            X_training=X[:12], y_training=Y[:12])
    q, X_q = learner.query(X[12:], n_instances=4, random_state=0)
    assert q.shape == (4,) and np.array_equal(X_q, X[12:][q])
    learner.teach(X_q, Y[12:][q])
    assert learner.y_training.shape == (16, 3)
    assert np.array_equal(learner.y_training[12:], Y[12:][q])
    assert learner.predict(X[:3]).shape == (3, 3)
    with pytest.raises(ValueError, match="y_training has labels of shape"):
        learner.teach(X[:2], Y[:2, 0])
    assert learner.y_training.shape == (16, 3)


def test_multioutput_y(sparse_data):
    from sklearn.multioutput import MultiOutputClassifier

    X, _ = sparse_data
    Y = np.column_stack([(X[:, 0] > 0).astype(int), np.where(X[:, 1] > 0, "on", "off")])
    learner = ActiveLearner(MultiOutputClassifier(LogisticRegression()), random_sampling,
                            X_training=X[:15], y_training=Y[:15])
    q, X_q = learner.query(X[15:], n_instances=3, random_state=0)
    learner.teach(X_q, Y[15:][q])
    assert learner.y_training.shape == (18, 2) and learner.predict(X[:4]).shape == (4, 2)


def test_estimator_none_until_the_first_fit(digits):
    X, y = digits
    learner = ActiveLearner(None, random_sampling)
    assert learner.estimator is None and learner.X_training is None
    q, X_q = learner.query(X[:50], n_instances=4, random_state=0)
    assert q.shape == (4,) and np.array_equal(X_q, X[:50][q])
    for call in (lambda: learner.teach(X[:10], y[:10]), lambda: learner.fit(X[:10], y[:10])):
        with pytest.raises(TypeError, match="estimator is None"):
            call()
        assert learner.X_training is None and learner.y_training is None
    with pytest.raises(NotFittedError, match="estimator=None"):
        learner.predict(X[:2])
    with pytest.raises(TypeError, match="estimator is None"):
        ActiveLearner(None, X_training=X[:10], y_training=y[:10])
    learner.estimator = LogisticRegression(max_iter=200)
    learner.teach(X[:30], y[:30])
    assert learner.X_training.shape == (30, 64)
    # Setting it back to None keeps the labelled set through a failed teach.
    learner.estimator = None
    with pytest.raises(TypeError, match="estimator"):
        learner.teach(X[30:35], y[30:35])
    assert learner.X_training.shape == (30, 64)


class _Mock:
    """Not a scikit-learn estimator: no fitted attributes to check, answers at once."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def predict_proba(self, X):
        return np.tile([0.25, 0.75], (len(X), 1))


def test_mock_estimator_predicts_without_data(digits):
    X, _ = digits
    learner = ActiveLearner(_Mock())
    assert learner.predict(X[:3]).tolist() == [0, 0, 0]
    assert np.array_equal(learner.predict_proba(X[:2]), [[0.25, 0.75]] * 2)
    q, _, scores = learner.query(X[:5], n_instances=2, return_metrics=True, random_state=0)
    assert q.shape == (2,) and np.allclose(scores, 0.25)


def test_strategy_returning_an_int_gives_an_int_and_one_row(learner, digits):
    X, _ = digits
    learner.query_strategy = lambda classifier, X_pool: 3
    q, row = learner.query(X[:10])
    assert type(q) is int and q == 3
    assert np.array_equal(row, X[3])
    learner.query_strategy = lambda classifier, X_pool: np.int64(2)
    q, row = learner.query(["a", "b", "c"])
    assert q == 2 and row == "c"


def test_partial_strategy_keeps_its_size(learner, digits):
    from functools import partial

    X, _ = digits
    learner.query_strategy = partial(uncertainty_sampling, n_instances=3)
    q, X_q = learner.query(X[:40])
    assert q.shape == (3,) and X_q.shape == (3, 64)
    learner.query_strategy = partial(random_sampling, n_instances=3, random_state=0)
    assert np.array_equal(learner.query(X[:40])[0], learner.query(X[:40])[0])


def test_return_metrics_without_scores_warns(learner, digits):
    X, _ = digits
    learner.query_strategy = lambda classifier, X_pool, n_instances=1: np.arange(n_instances)
    with pytest.warns(UserWarning, match="returned no scores"):
        q, X_q, scores = learner.query(X[:10], n_instances=2, return_metrics=True)
    assert q.tolist() == [0, 1] and scores is None and np.array_equal(X_q, X[:2])


def _seen_rows(learner):
    return [X_fit for X_fit, _ in learner.estimator.fits_]


def test_bootstrap_is_drawn_from_the_learners_random_state(digits):
    X, y = digits
    runs = []
    for seed in (0, 0, 1):
        learner = ActiveLearner(_Recorder(), X_training=X[:30], y_training=y[:30],
                                bootstrap_init=True, random_state=seed)
        learner.teach(X[30:40], y[30:40], bootstrap=True)
        learner.fit(X[:20], y[:20], bootstrap=True)
        learner.teach(X[40:45], y[40:45])  # no bootstrap: every row
        runs.append(_seen_rows(learner))
        assert learner.X_training.shape == (25, 64)  # all rows are stored
    same, other = runs[0], runs[2]
    assert all(np.array_equal(a, b) for a, b in zip(same, runs[1]))
    assert not np.array_equal(same[0], other[0])
    for seen, n in zip(same[:3], (30, 40, 20)):
        assert seen.shape == (n, 64)
        distinct = {row.tobytes() for row in seen}
        assert len(distinct) < n  # drawn with replacement
        assert distinct <= {row.tobytes() for row in X[:n]}
    assert np.array_equal(same[3], np.vstack([X[:20], X[40:45]]))


def test_bootstrap_keeps_labels_with_their_rows(digits):
    X, y = digits
    learner = ActiveLearner(_Recorder(), X_training=X[:50], y_training=y[:50],
                            bootstrap_init=True, random_state=3)
    X_seen, y_seen = learner.estimator.fits_[0]
    label_of = {row.tobytes(): label for row, label in zip(X[:50], y[:50])}
    assert [label_of[row.tobytes()] for row in X_seen] == y_seen.tolist()


def test_force_all_finite_options(digits):
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = digits
    X_nan = X[:40].copy()
    X_nan[::3, 5] = np.nan
    X_inf = X[:40].copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="force_all_finite"):
        ActiveLearner(LogisticRegression(), X_training=X_nan, y_training=y[:40])
    strict = ActiveLearner(LogisticRegression(max_iter=200), X_training=X[:40],
                           y_training=y[:40])
    with pytest.raises(ValueError, match="force_all_finite"):
        strict.teach(X_nan[:3], y[:3])
    with pytest.raises(ValueError, match="force_all_finite"):
        strict.query(X_nan)
    assert strict.X_training.shape == (40, 64)

    for option in (False, "allow-nan"):
        learner = ActiveLearner(HistGradientBoostingClassifier(max_iter=5), uncertainty_sampling,
                                X_training=X_nan, y_training=y[:40], force_all_finite=option)
        q, X_q = learner.query(X_nan, n_instances=3, random_state=0)
        learner.teach(X_q, y[:40][q])
        assert np.isnan(learner.X_training).sum() == np.isnan(X_nan).sum() + np.isnan(X_q).sum()
    allow_nan = ActiveLearner(_Recorder(), X_training=X[:5], y_training=y[:5],
                              force_all_finite="allow-nan")
    with pytest.raises(ValueError, match="NaN or infinity"):
        allow_nan.teach(X_inf[:2], y[:2])
    assert allow_nan.X_training.shape == (5, 64)
    anything = ActiveLearner(_Recorder(), X_training=X_inf, y_training=y[:40],
                             force_all_finite=False)
    assert np.isinf(anything.estimator.fits_[0][0]).any()
    with pytest.raises(ValueError, match="force_all_finite must be True, False or 'allow-nan'"):
        ActiveLearner(_Recorder(), force_all_finite="nan")


def test_single_class_error_keeps_the_estimators_message(digits):
    X, y = digits
    zeros = np.flatnonzero(y == 0)[:4]
    with pytest.raises(ValueError) as own:
        LogisticRegression().fit(X[zeros], y[zeros])
    with pytest.raises(ValueError) as wrapped:
        ActiveLearner(LogisticRegression(), X_training=X[zeros], y_training=y[zeros])
    message = str(wrapped.value)
    assert str(own.value).rstrip(".") in message
    assert "y_training holds a single class (0)" in message
    assert "LogisticRegression.fit failed" in message
    assert isinstance(wrapped.value.__cause__, ValueError)


def test_geometric_strategy_on_a_sparse_pool_needs_a_transformer(sparse_data):
    X, y = sparse_data
    X_sparse = sp.csr_matrix(X)
    learner = ActiveLearner(LogisticRegression(), k_center_greedy, X_training=X_sparse[:10],
                            y_training=y[:10])
    with pytest.raises(TypeError, match="transformer="):
        learner.query(X_sparse[10:], n_instances=2)
    with pytest.raises(TypeError, match="transformer="):
        vae_coreset_sampling(learner, X_sparse[10:], 2)
    # With a transformer the sparse pool is measured after it.
    from sklearn.decomposition import TruncatedSVD

    svd = TruncatedSVD(3, random_state=0).fit(X_sparse)
    q, X_q = learner.query(X_sparse[10:], n_instances=2, transformer=svd, random_state=0)
    assert q.shape == (2,) and sp.issparse(X_q)


def test_geometric_strategy_through_a_text_pipeline():
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    pipe = make_pipeline(TfidfVectorizer(), TruncatedSVD(3, random_state=0),
                         LogisticRegression())
    learner = ActiveLearner(pipe, k_center_greedy, X_training=TEXTS[:4], y_training=TEXT_Y[:4])
    pool = TEXTS  # the labelled texts are in the pool too: they are never picked again
    q, X_q = learner.query(pool, n_instances=3, random_state=0)
    assert q.shape == (3,) and not set(q.tolist()) & {0, 1, 2, 3}
    assert X_q == [pool[i] for i in q]
    # The distances are those after the pipeline's transformers.
    Z = pipe[:-1].transform(pool)
    d = np.linalg.norm(Z[:, None] - Z[None, :4], axis=2).min(axis=1)
    assert q[0] == int(np.argmax(d))
    learner.teach(X_q, TEXT_Y[q])
    assert learner.X_training == TEXTS[:4] + X_q
    q2, _ = learner.query(TEXTS, n_instances=2, random_state=0)
    assert not set(q2.tolist()) & (set(q.tolist()) | {0, 1, 2, 3})
