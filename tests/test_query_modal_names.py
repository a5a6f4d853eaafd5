"""The strategies and helpers under modAL's names: measures, committees, ranked batch, selectors.

Values are checked against hand computations on small, known inputs.
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skvaeal.active import ActiveLearner
from skvaeal.query import (KL_max_disagreement, classifier_entropy, classifier_margin,
                           classifier_uncertainty, consensus_entropy,
                           consensus_entropy_sampling, entropy_sampling,
                           make_linear_combination, make_product, make_query_strategy,
                           margin_sampling, max_disagreement_sampling, max_std_sampling,
                           multi_argmax, multi_argmin, ranked_batch, select_cold_start_instance,
                           select_instance, shuffled_argmax, shuffled_argmin,
                           uncertainty_batch_sampling, uncertainty_sampling, vote_entropy,
                           vote_entropy_sampling, weighted_random)

PROBA = np.array([
    [0.7, 0.2, 0.1],
    [0.4, 0.4, 0.2],
    [1.0, 0.0, 0.0],
    [0.5, 0.3, 0.2],
])


class _GivenProba(ClassifierMixin, BaseEstimator):
    """Returns ``proba`` (one row per pool row); records predict_proba's keywords."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X, **kwargs):
        self.seen_kwargs_ = kwargs
        return np.asarray(self.proba, dtype=float)[: len(X)]

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)


def _given(proba):
    return _GivenProba(proba).fit([[0], [1]], [0, 1])


def _entropy(p):
    p = np.asarray(p, dtype=float)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log(p)).sum())


# ---------------------------------------------------------------------- measures
def test_measures_on_known_probabilities():
    clf, X = _given(PROBA), np.zeros((4, 1))
    assert np.allclose(classifier_uncertainty(clf, X), [0.3, 0.6, 0.0, 0.5])
    assert np.allclose(classifier_margin(clf, X), [0.5, 0.0, 1.0, 0.2])
    assert np.allclose(classifier_entropy(clf, X), [_entropy(p) for p in PROBA])


def test_entropy_normalises_rows():
    clf = _given([[2.0, 2.0], [3.0, 1.0]])
    assert np.allclose(classifier_entropy(clf, np.zeros((2, 1))),
                       [np.log(2), _entropy([0.75, 0.25])])


def test_single_class_has_no_margin():
    clf = _given([[1.0], [1.0]])
    assert np.array_equal(classifier_margin(clf, np.zeros((2, 1))), [0.0, 0.0])


@pytest.mark.parametrize("classifier", [None, LogisticRegression(),
                                        ActiveLearner(LogisticRegression())],
                         ids=["None", "unfitted", "learner without data"])
def test_unfitted_convention_is_ones_zeros_zeros(classifier):
    X = np.zeros((3, 2))
    assert np.array_equal(classifier_uncertainty(classifier, X), np.ones(3))
    assert np.array_equal(classifier_margin(classifier, X), np.zeros(3))
    assert np.array_equal(classifier_entropy(classifier, X), np.zeros(3))


def test_margin_sampling_score_is_one_minus_the_margin():
    # classifier_margin is modAL's margin (small = uncertain); margin_sampling
    # scores 1 - margin so that, like every skvaeal score, higher = more uncertain.
    clf, X = _given(PROBA), np.zeros((4, 1))
    idx, scores = margin_sampling(clf, X, n_instances=4, random_tie_break=False)
    assert idx.tolist() == [1, 3, 0, 2]
    assert np.allclose(scores, 1.0 - classifier_margin(clf, X)[idx])
    idx, scores = uncertainty_sampling(clf, X, n_instances=2)
    assert idx.tolist() == [1, 3] and np.allclose(scores, [0.6, 0.5])
    idx, scores = entropy_sampling(clf, X, n_instances=1)
    assert idx.tolist() == [1] and np.isclose(scores[0], classifier_entropy(clf, X)[1])


TIED = np.array([[0.9, 0.1], [0.5, 0.5], [0.9, 0.1], [0.5, 0.5], [0.5, 0.5], [0.8, 0.2]])


@pytest.mark.parametrize("strategy", [uncertainty_sampling, margin_sampling, entropy_sampling])
def test_ties_without_random_tie_break_go_to_the_lowest_index(strategy):
    clf, X = _given(TIED), np.zeros((6, 1))
    for seed in (0, 1, 2):
        idx, _ = strategy(clf, X, n_instances=2, random_tie_break=False, random_state=seed)
        assert idx.tolist() == [1, 3]


@pytest.mark.parametrize("strategy", [uncertainty_sampling, margin_sampling, entropy_sampling])
def test_random_tie_break_is_seeded(strategy):
    clf, X = _given(TIED), np.zeros((6, 1))
    picks = [tuple(strategy(clf, X, n_instances=2, random_state=s)[0]) for s in range(12)]
    again = [tuple(strategy(clf, X, n_instances=2, random_state=s)[0]) for s in range(12)]
    assert picks == again
    assert len(set(picks)) > 1  # the seed matters
    assert all(set(p) <= {1, 3, 4} for p in picks)  # only the tied rows


def test_predict_proba_kwargs_reach_predict_proba():
    X = np.zeros((4, 1))
    for call in (lambda c: uncertainty_sampling(c, X, 1, temperature=2.0),
                 lambda c: margin_sampling(c, X, 1, random_state=0, temperature=2.0),
                 lambda c: entropy_sampling(c, X, temperature=2.0),
                 lambda c: classifier_uncertainty(c, X, temperature=2.0),
                 lambda c: classifier_margin(c, X, temperature=2.0),
                 lambda c: classifier_entropy(c, X, temperature=2.0)):
        clf = _given(PROBA)
        call(clf)
        assert clf.seen_kwargs_ == {"temperature": 2.0}


# ------------------------------------------------------------------- committees
class _FakeCommittee:
    """Duck-typed committee: three members, classes a/b/c, fixed votes and probabilities."""

    classes_ = np.array(["a", "b", "c"])

    def __init__(self, fail=False):
        self.fail = fail
        self.seen = []

    def __len__(self):
        return 3

    def _check(self, kwargs):
        self.seen.append(kwargs)
        if self.fail:
            raise NotFittedError("not fitted")

    def vote(self, X, **kwargs):
        self._check(kwargs)
        return np.array([["a", "a", "a"], ["a", "b", "b"], ["a", "b", "c"]])

    def vote_proba(self, X, **kwargs):
        self._check(kwargs)
        return np.array([
            [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]],
            [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.5, 0.0]],
            [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [0.2, 0.3, 0.5]],
        ])

    def predict_proba(self, X, **kwargs):
        self._check(kwargs)
        return np.array([[1.0, 0.0, 0.0], [0.6, 0.4, 0.0], [0.2, 0.3, 0.5]])


def test_vote_entropy_values():
    committee, X = _FakeCommittee(), np.zeros((3, 1))
    expected = [0.0, _entropy([1, 2]), np.log(3)]
    assert np.allclose(vote_entropy(committee, X), expected)
    idx, scores = vote_entropy_sampling(committee, X, n_instances=2)
    assert idx.tolist() == [2, 1] and np.allclose(scores, expected[::-1][:2])


def test_consensus_entropy_values():
    committee, X = _FakeCommittee(), np.zeros((3, 1))
    expected = [0.0, _entropy([0.6, 0.4]), _entropy([0.2, 0.3, 0.5])]
    assert np.allclose(consensus_entropy(committee, X), expected)
    assert consensus_entropy_sampling(committee, X)[0].tolist() == [2]


def test_KL_max_disagreement_values():
    committee, X = _FakeCommittee(), np.zeros((3, 1))
    # Row 1: consensus (2/3, 1/3, 0); the member at (1, 0, 0) is furthest, KL = log(3/2).
    expected = [0.0, np.log(1.5), 0.0]
    assert np.allclose(KL_max_disagreement(committee, X), expected)
    idx, scores = max_disagreement_sampling(committee, X, random_tie_break=False)
    assert idx.tolist() == [1] and np.isclose(scores[0], np.log(1.5))


def test_disagreement_kwargs_reach_the_committee():
    committee, X = _FakeCommittee(), np.zeros((3, 1))
    vote_entropy(committee, X, T=1)
    consensus_entropy_sampling(committee, X, T=2)
    KL_max_disagreement(committee, X, T=3)
    assert committee.seen == [{"T": 1}, {"T": 2}, {"T": 3}]


@pytest.mark.parametrize("measure", [vote_entropy, consensus_entropy, KL_max_disagreement])
def test_unfitted_committee_disagrees_nowhere(measure):
    assert np.array_equal(measure(_FakeCommittee(fail=True), np.zeros((3, 1))), np.zeros(3))


def test_max_std_sampling_picks_the_largest_std():
    X_train = np.linspace(0, 1, 5).reshape(-1, 1)
    gp = GaussianProcessRegressor(random_state=0).fit(X_train, np.sin(X_train[:, 0]))
    X_pool = np.array([[0.5], [7.0], [0.1], [3.0]])
    idx, scores = max_std_sampling(gp, X_pool, n_instances=2, random_tie_break=False)
    _, std = gp.predict(X_pool, return_std=True)
    assert idx.tolist() == np.argsort(-std, kind="stable")[:2].tolist()
    assert set(idx.tolist()) == {1, 3}  # the rows furthest from the training points
    assert np.allclose(scores, std[idx])
    learner = ActiveLearner(GaussianProcessRegressor(random_state=0), max_std_sampling,
                            X_training=X_train, y_training=np.sin(X_train[:, 0]))
    assert np.array_equal(learner.query(X_pool, n_instances=2, random_tie_break=False)[0], idx)


def test_max_std_sampling_needs_return_std():
    reg = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(TypeError, match="return_std=True.*LinearRegression"):
        max_std_sampling(reg, np.zeros((3, 1)))


# ------------------------------------------------------------------- ranked batch
@pytest.fixture(scope="module")
def grid():
    rng = np.random.RandomState(0)
    return rng.uniform(-3, 3, size=(40, 2))


def _labelled_learner(X, **kwargs):
    y = (X[:, 0] > 0).astype(int)
    return ActiveLearner(LogisticRegression(), uncertainty_batch_sampling,
                         X_training=X[:6], y_training=np.r_[0, 1, y[2:6]], **kwargs)


def test_uncertainty_batch_returns_distinct_indices(grid):
    learner = _labelled_learner(grid)
    idx, scores = uncertainty_batch_sampling(learner, grid[6:], n_instances=10, random_state=0)
    assert idx.shape == (10,) and len(set(idx.tolist())) == 10
    assert np.allclose(scores, classifier_uncertainty(learner, grid[6:])[idx])
    q, rows = learner.query(grid[6:], n_instances=10, random_state=0)
    assert np.array_equal(q, idx) and np.array_equal(rows, grid[6:][idx])


def test_cold_start_begins_with_the_medoid(grid):
    medoid, row = select_cold_start_instance(grid)
    D = np.linalg.norm(grid[:, None] - grid[None], axis=2)
    assert medoid == int(np.argmin(D.mean(axis=1))) and np.array_equal(row, grid[[medoid]])
    for classifier in (None, ActiveLearner(LogisticRegression())):
        idx, scores = uncertainty_batch_sampling(classifier, grid, n_instances=5, random_state=0)
        assert idx[0] == medoid and len(set(idx.tolist())) == 5
        assert np.array_equal(scores, np.ones(5))  # unfitted: uncertainty 1 everywhere
    # With all uncertainties equal the second pick is the row furthest from the medoid.
    assert idx[1] == int(np.argmax(D[medoid]))


def test_pool_smaller_than_the_batch_gives_the_whole_pool(grid):
    learner = _labelled_learner(grid)
    idx, _ = uncertainty_batch_sampling(learner, grid[6:11], random_state=0)  # default 20
    assert sorted(idx.tolist()) == [0, 1, 2, 3, 4]
    q, rows = learner.query(grid[6:11], n_instances=8, random_state=0)
    assert sorted(q.tolist()) == [0, 1, 2, 3, 4] and rows.shape == (5, 2)


def _constant_learner(X_training, y_training, **kwargs):
    return ActiveLearner(DummyClassifier(), uncertainty_batch_sampling,
                         X_training=X_training, y_training=y_training, **kwargs)


def test_equal_uncertainty_prefers_rows_far_from_the_labelled_set():
    learner = _constant_learner(np.array([[0.0, 0.0], [0.0, 0.1]]), [0, 1])
    X_pool = np.array([[0.1, 0.0], [5.0, 5.0], [0.2, 0.0], [-2.0, 0.0]])
    idx, _ = uncertainty_batch_sampling(learner, X_pool, n_instances=3, random_state=0)
    # Furthest from the labelled rows first, then furthest from them and row 1.
    assert idx.tolist() == [1, 3, 2]


def test_ranked_batch_checks_the_scores_length(grid):
    with pytest.raises(ValueError, match="uncertainty_scores has 3 entries for 40 rows"):
        ranked_batch(None, grid, np.ones(3), 2)


def test_on_transformed_measures_after_the_pipeline():
    pd = pytest.importorskip("pandas")
    # The pipeline sees only column b: row 0 is far in raw space, row 1 after the transform.
    only_b = FunctionTransformer(lambda df: df[["b"]].to_numpy())
    X_train = pd.DataFrame({"a": [0.0, 0.0], "b": [0.0, 0.1]})
    X_pool = pd.DataFrame({"a": [100.0, 0.0, 0.1], "b": [0.0, 3.0, 0.2]}, index=[7, 8, 9])
    picks = {}
    for on_transformed in (True, False):
        learner = ActiveLearner(make_pipeline(only_b, DummyClassifier()),
                                uncertainty_batch_sampling, X_training=X_train,
                                y_training=[0, 1], on_transformed=on_transformed)
        idx, rows = learner.query(X_pool, n_instances=1, random_state=0)
        assert isinstance(rows, pd.DataFrame)
        picks[on_transformed] = (idx.tolist(), rows.index.tolist())
    assert picks == {True: ([1], [8]), False: ([0], [7])}


def test_on_transformed_text_pipeline():
    texts = ["good film", "bad film", "great plot", "awful plot", "good plot twist",
             "bad acting", "great acting", "awful film", "good music", "bad music"]
    y = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    pipe = make_pipeline(CountVectorizer(), LogisticRegression())
    learner = ActiveLearner(pipe, uncertainty_batch_sampling, X_training=texts[:4],
                            y_training=y[:4], on_transformed=True)
    idx, rows = learner.query(texts[4:], n_instances=3, random_state=0)
    assert len(set(idx.tolist())) == 3 and rows == [texts[4:][i] for i in idx]
    learner.teach(rows, y[4:][idx])
    assert learner.X_training == texts[:4] + rows
    plain = ActiveLearner(make_pipeline(CountVectorizer(), LogisticRegression()),
                          uncertainty_batch_sampling, X_training=texts[:4], y_training=y[:4])
    with pytest.raises(ValueError, match="on_transformed=True"):
        plain.query(texts[4:], n_instances=2)


def test_same_seed_same_batch(grid):
    # Equal uncertainty everywhere and a symmetric pool: ties are common.
    ring = np.array([[np.cos(t), np.sin(t)] for t in np.linspace(0, 2 * np.pi, 13)[:-1]])
    learner = _constant_learner(np.zeros((2, 2)), [0, 1])
    batches = [tuple(uncertainty_batch_sampling(learner, ring, 4, random_state=s)[0])
               for s in range(8)]
    assert batches == [tuple(uncertainty_batch_sampling(learner, ring, 4, random_state=s)[0])
                       for s in range(8)]
    assert len(set(batches)) > 1


def test_select_instance_updates_the_mask():
    mask = np.ones(3, dtype=bool)
    index, row, out = select_instance(np.array([[0.0]]), np.array([[0.1], [3.0], [0.2]]),
                                      np.full(3, 0.5), mask)
    assert index == 1 and np.array_equal(row, [[3.0]])
    assert out is mask and mask.tolist() == [True, False, True]
    index, _, _ = select_instance(np.array([[0.0], [3.0]]), np.array([[0.1], [3.0], [0.2]]),
                                  np.full(3, 0.5), mask)
    assert index == 2 and mask.tolist() == [True, False, False]
    # Uncertainty counts too: a near row of much higher uncertainty wins.
    mask = np.ones(2, dtype=bool)
    index, _, _ = select_instance(np.array([[0.0]]), np.array([[0.1], [0.3]]),
                                  np.array([1.0, 0.0]), mask)
    assert index == 0
    with pytest.raises(ValueError, match="mask leaves no row"):
        select_instance(np.array([[0.0]]), np.array([[1.0]]), np.ones(1), np.zeros(1, bool))


# --------------------------------------------------------------------- selectors
def test_multi_argmax_and_argmin():
    values = [0.3, 0.9, 0.1, 0.9, 0.5]
    idx, top = multi_argmax(values, n_instances=3)
    assert idx.tolist() == [1, 3, 4] and top.tolist() == [0.9, 0.9, 0.5]
    idx, low = multi_argmin(values, n_instances=2)
    assert idx.tolist() == [2, 0] and low.tolist() == [0.1, 0.3]
    assert multi_argmax(values)[0].tolist() == [1]


def test_shuffled_selectors_break_ties_at_random():
    values = np.array([1.0, 0.0, 1.0, 1.0, 0.5])
    firsts = {int(shuffled_argmax(values, random_state=s)[0][0]) for s in range(12)}
    assert firsts <= {0, 2, 3} and len(firsts) > 1
    idx, top = shuffled_argmax(values, n_instances=4, random_state=0)
    assert sorted(idx[:3].tolist()) == [0, 2, 3] and idx[3] == 4 and top[3] == 0.5
    assert np.array_equal(shuffled_argmax(values, 2, random_state=5)[0],
                          shuffled_argmax(values, 2, random_state=5)[0])
    low = {int(shuffled_argmin(-values, random_state=s)[0][0]) for s in range(12)}
    assert low <= {0, 2, 3} and len(low) > 1
    assert shuffled_argmin([0.3, 0.1, 0.2], 2, random_state=0)[0].tolist() == [1, 2]


def test_weighted_random():
    weights = np.array([0.0, 1.0, 0.0, 3.0, 0.0])
    for seed in range(10):
        idx = weighted_random(weights, n_instances=2, random_state=seed)
        assert sorted(idx.tolist()) == [1, 3]
    draws = [int(weighted_random(weights, random_state=s)[0]) for s in range(200)]
    assert 0.6 < draws.count(3) / 200 < 0.9  # 3/4 expected
    assert np.array_equal(weighted_random(np.ones(9), 3, random_state=4),
                          weighted_random(np.ones(9), 3, random_state=4))


@pytest.mark.parametrize("selector", [multi_argmax, multi_argmin, shuffled_argmax,
                                      shuffled_argmin, weighted_random])
def test_selectors_validate_n_instances(selector):
    with pytest.raises(ValueError, match="between 1 and the number"):
        selector([1.0, 2.0], n_instances=3)
    with pytest.raises(ValueError, match="between 1 and the number"):
        selector([1.0, 2.0], n_instances=0)
    with pytest.raises(TypeError, match="n_instances must be an int"):
        selector([1.0, 2.0], n_instances=1.0)
    with pytest.raises(TypeError, match="n_instances must be an int"):
        selector([1.0, 2.0], n_instances=True)


def test_weighted_random_refuses_bad_weights():
    with pytest.raises(ValueError, match="non-negative"):
        weighted_random([1.0, -1.0])
    with pytest.raises(ValueError, match="finite"):
        weighted_random([1.0, np.nan])
    with pytest.raises(ValueError, match="1 positive entries; n_instances=2"):
        weighted_random([0.0, 1.0, 0.0], n_instances=2)


# ------------------------------------------------------------------- combinators
def test_make_linear_combination():
    f = make_linear_combination(lambda x: x, lambda x: x ** 2, weights=[2.0, -1.0])
    assert np.allclose(f(np.array([1.0, 3.0])), [1.0, -3.0])
    g = make_linear_combination(lambda x, k=1: k * x, lambda x, k=1: x + k)
    assert g(2.0, k=3) == 11.0  # every function gets the same arguments; weights of 1


def test_make_product():
    f = make_product(lambda x: x, lambda x: x + 1, exponents=[2.0, 1.0])
    assert np.allclose(f(np.array([2.0, 3.0])), [12.0, 36.0])
    assert make_product(lambda x: x, lambda x: x)(np.array([3.0])).tolist() == [9.0]


@pytest.mark.parametrize("make, name", [(make_linear_combination, "weights"),
                                        (make_product, "exponents")])
def test_combinators_validate_their_arguments(make, name):
    with pytest.raises(ValueError, match=f"{name} must have one entry per function \\(2\\)"):
        make(np.sin, np.cos, **{name: [1.0]})
    with pytest.raises(ValueError, match="at least one function"):
        make()
    with pytest.raises(TypeError, match="callable"):
        make(np.sin, 3.0)


def test_make_query_strategy():
    clf, X = _given(PROBA), np.zeros((4, 1))
    strategy = make_query_strategy(classifier_uncertainty, multi_argmax)
    idx, values = strategy(clf, X, n_instances=2)
    assert idx.tolist() == [1, 3] and np.allclose(values, [0.6, 0.5])
    combined = make_query_strategy(
        make_linear_combination(classifier_uncertainty, classifier_margin, weights=[1, -1]),
        multi_argmax)
    # uncertainty - margin: [-0.2, 0.6, -1.0, 0.3]
    assert combined(clf, X, n_instances=2)[0].tolist() == [1, 3]
    learner = ActiveLearner(_GivenProba(PROBA), strategy, X_training=X[:2], y_training=[0, 1])
    q, rows, scores = learner.query(X, n_instances=1, return_metrics=True)
    assert q.tolist() == [1] and np.allclose(scores, [0.6])
    with pytest.raises(TypeError, match="must both be callable"):
        make_query_strategy(classifier_uncertainty, "argmax")
