"""Committee and CommitteeRegressor: votes, consensus, teaching and state safety."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

from skvaeal.active import ActiveLearner, Committee, CommitteeRegressor
from skvaeal.query import max_std_sampling, random_sampling, vote_entropy, vote_entropy_sampling


class _Fixed(ClassifierMixin, BaseEstimator):
    """Predicts the same probabilities for every row; records what each fit saw."""

    def __init__(self, proba=(0.5, 0.5)):
        self.proba = proba

    def fit(self, X, y):
        self.fits_ = getattr(self, "fits_", []) + [(np.array(X), np.array(y))]
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p = np.asarray(self.proba, dtype=float)[: len(self.classes_)]
        return np.tile(p / p.sum(), (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class _Constant(RegressorMixin, BaseEstimator):
    """Predicts ``value`` everywhere."""

    def __init__(self, value=0.0):
        self.value = value

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.full(len(X), float(self.value))


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.RandomState(0)
    centers = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
    y = np.repeat(np.arange(3), 20)
    X = centers[y] + rng.normal(scale=0.6, size=(60, 2))
    return X, y


def _two_class_members(X, y):
    """Member 0 knows classes {0, 1}, member 1 knows {1, 2}."""
    first, second = np.isin(y, [0, 1]), np.isin(y, [1, 2])
    return [ActiveLearner(LogisticRegression(), X_training=X[first], y_training=y[first]),
            ActiveLearner(LogisticRegression(), X_training=X[second], y_training=y[second])]


def test_classes_are_none_before_fit_and_the_union_after(blobs):
    X, y = blobs
    committee = Committee([ActiveLearner(LogisticRegression()), ActiveLearner(None)])
    assert committee.classes_ is None and committee.n_classes_ == 0
    with pytest.raises(NotFittedError, match="no fitted member"):
        committee.vote_proba(X[:2])
    committee = Committee(_two_class_members(X, y))
    assert committee.classes_.tolist() == [0, 1, 2] and committee.n_classes_ == 3
    assert len(committee) == 2 and list(committee) == committee.learner_list


def test_vote_has_one_column_per_member(blobs):
    X, y = blobs
    members = _two_class_members(X, y)
    committee = Committee(members)
    votes = committee.vote(X)
    assert votes.shape == (60, 2)
    assert np.array_equal(votes[:, 0], members[0].predict(X))
    assert np.array_equal(votes[:, 1], members[1].predict(X))
    # Member 0 never saw class 2 and member 1 never saw class 0.
    assert not np.any(votes[:, 0] == 2) and not np.any(votes[:, 1] == 0)


def test_vote_proba_puts_zeros_on_classes_a_member_does_not_know(blobs):
    X, y = blobs
    members = _two_class_members(X, y)
    proba = Committee(members).vote_proba(X[:5])
    assert proba.shape == (5, 2, 3)
    assert np.array_equal(proba[:, 0, :2], members[0].predict_proba(X[:5]))
    assert np.all(proba[:, 0, 2] == 0.0)
    assert np.array_equal(proba[:, 1, 1:], members[1].predict_proba(X[:5]))
    assert np.all(proba[:, 1, 0] == 0.0)
    assert np.allclose(proba.sum(axis=2), 1.0)


def test_predict_proba_is_the_members_mean_and_predict_its_argmax(blobs):
    X, y = blobs
    members = _two_class_members(X, y)
    committee = Committee(members)
    proba = committee.predict_proba(X)
    assert np.allclose(proba, committee.vote_proba(X).mean(axis=1))
    expected = np.zeros((60, 3))
    expected[:, :2] += members[0].predict_proba(X) / 2
    expected[:, 1:] += members[1].predict_proba(X) / 2
    assert np.allclose(proba, expected)
    pred = committee.predict(X)
    assert np.array_equal(pred, np.array([0, 1, 2])[np.argmax(expected, axis=1)])
    assert committee.score(X, y) == pytest.approx(np.mean(pred == y))
    weights = (y == 0).astype(float)
    assert committee.score(X, y, sample_weight=weights) == pytest.approx(
        np.mean(pred[y == 0] == 0))


def test_predict_keeps_string_classes(blobs):
    X, y = blobs
    names = np.array(["left", "top", "right"])[y]
    committee = Committee([ActiveLearner(LogisticRegression(), X_training=X, y_training=names)
                           for _ in range(2)])
    assert committee.classes_.tolist() == ["left", "right", "top"]
    assert committee.predict(X[:1]).tolist() == [names[0]]


def test_teach_teaches_every_member(blobs):
    X, y = blobs
    committee = Committee([ActiveLearner(_Fixed(), X_training=X[:2], y_training=y[[0, 20]]),
                           ActiveLearner(_Fixed(), X_training=X[2:4], y_training=y[[0, 40]])])
    committee.teach(X[40:43], y[40:43])
    for member in committee:
        assert member.X_training.shape == (5, 2)
        assert np.array_equal(member.X_training[2:], X[40:43])
        assert np.array_equal(member.estimator.fits_[-1][0], member.X_training)
    # Member 0 has just seen class 2 for the first time: the union follows.
    assert committee.classes_.tolist() == [0, 1, 2]


def test_fit_replaces_every_members_set(blobs):
    X, y = blobs
    committee = Committee(_two_class_members(X, y))
    committee.fit(X[::3], y[::3])
    for member in committee:
        assert np.array_equal(member.X_training, X[::3])
    assert committee.classes_.tolist() == [0, 1, 2]


def _snapshot(committee):
    return [(m.X_training, m.y_training, len(m.estimator.fits_)) for m in committee]


def test_a_bad_batch_changes_no_member(blobs):
    X, y = blobs
    # Member 0 accepts NaN, member 1 does not: teaching member by member would
    # have taught member 0 before member 1 refused.
    committee = Committee([
        ActiveLearner(_Fixed(), X_training=X[:4], y_training=y[[0, 20, 40, 1]],
                      force_all_finite=False),
        ActiveLearner(_Fixed(), X_training=X[:4], y_training=y[[0, 20, 40, 1]])])
    before = _snapshot(committee)
    X_nan = np.array([[np.nan, 0.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="NaN or infinity"):
        committee.teach(X_nan, y[:2])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        committee.teach(X[:3], y[:2])
    with pytest.raises(ValueError, match="X_training has rows of shape"):
        committee.teach(np.zeros((2, 5)), y[:2])
    after = _snapshot(committee)
    for (xb, yb, nb), (xa, ya, na) in zip(before, after):
        assert xa is xb and ya is yb and na == nb


def test_teach_passes_bootstrap_and_only_new(blobs):
    X, y = blobs
    committee = Committee([ActiveLearner(_Fixed(), X_training=X[:10], y_training=y[:10],
                                         random_state=s) for s in (0, 1)])
    committee.teach(X[10:30], y[10:30], bootstrap=True)
    seen = []
    for member in committee:
        X_seen, _ = member.estimator.fits_[-1]
        assert member.X_training.shape == (30, 2)  # all rows are stored
        assert X_seen.shape == (30, 2)
        rows = {tuple(r) for r in X_seen}
        assert rows <= {tuple(r) for r in X[:30]}
        assert len(rows) < 30  # a bootstrap sample repeats rows
        seen.append(X_seen)
    assert not np.array_equal(seen[0], seen[1])  # each member draws its own sample

    committee.teach(X[30:33], y[30:33], only_new=True)
    for member in committee:
        assert np.array_equal(member.estimator.fits_[-1][0], X[30:33])
        assert member.X_training.shape == (30, 2)  # only_new keeps them out


def test_rebag_refits_on_bootstrap_samples(blobs):
    X, y = blobs
    committee = Committee([ActiveLearner(_Fixed(), X_training=X, y_training=y, random_state=s)
                           for s in (3, 4)])
    stored = [m.X_training for m in committee]
    committee.rebag()
    for member, X_before in zip(committee, stored):
        X_seen, y_seen = member.estimator.fits_[-1]
        assert member.X_training is X_before
        assert X_seen.shape == X.shape and len({tuple(r) for r in X_seen}) < len(X)
        # Rows keep their labels through the resampling.
        lookup = {tuple(r): label for r, label in zip(X, y)}
        assert all(lookup[tuple(r)] == label for r, label in zip(X_seen, y_seen))
    with pytest.raises(NotFittedError, match="rebag"):
        Committee([ActiveLearner(_Fixed())]).rebag()


def test_transform_without_estimating_puts_members_side_by_side(blobs):
    X, y = blobs
    double = make_pipeline(FunctionTransformer(lambda Z: 2 * Z), LogisticRegression())
    committee = Committee([ActiveLearner(double, X_training=X, y_training=y),
                           ActiveLearner(LogisticRegression(), X_training=X, y_training=y)])
    out = committee.transform_without_estimating(X[:4])
    assert out.shape == (4, 4)
    assert np.allclose(out, np.hstack([2 * X[:4], X[:4]]))


def test_X_training_stacks_the_members_sets(blobs):
    X, y = blobs
    assert Committee([ActiveLearner(_Fixed())]).X_training is None
    committee = Committee([ActiveLearner(_Fixed(), X_training=X[:3], y_training=y[:3]),
                           ActiveLearner(_Fixed()),
                           ActiveLearner(_Fixed(), X_training=X[5:7], y_training=y[5:7])])
    assert np.array_equal(committee.X_training, np.vstack([X[:3], X[5:7]]))


def test_committee_queries_with_vote_entropy_by_default(blobs):
    X, y = blobs
    members = [ActiveLearner(DecisionTreeClassifier(max_depth=d, random_state=0),
                             X_training=X[::4], y_training=y[::4]) for d in (1, 2, 3)]
    committee = Committee(members)
    assert committee.query_strategy is vote_entropy_sampling
    idx, rows, scores = committee.query(X, n_instances=3, return_metrics=True, random_state=0)
    expected_idx, expected_scores = vote_entropy_sampling(committee, X, 3, random_state=0)
    assert np.array_equal(idx, expected_idx) and np.allclose(scores, expected_scores)
    assert np.array_equal(rows, X[idx])
    entropy = vote_entropy(committee, X)
    assert np.allclose(scores, np.sort(entropy)[::-1][:3])
    custom = Committee(members, query_strategy=random_sampling)
    assert custom.query(X, n_instances=2, random_state=0)[0].shape == (2,)


def test_committee_regressor_mean_and_std():
    X = np.linspace(0, 1, 20).reshape(-1, 1)
    target = 3 * X[:, 0]
    members = [ActiveLearner(KNeighborsRegressor(k), X_training=X[::2], y_training=target[::2])
               for k in (1, 2, 4)]
    members.append(ActiveLearner(LinearRegression(), X_training=X[::2], y_training=target[::2]))
    committee = CommitteeRegressor(members)
    votes = np.column_stack([m.predict(X) for m in members])
    assert np.array_equal(committee.vote(X), votes)
    mean, std = committee.predict(X, return_std=True)
    assert np.allclose(mean, votes.mean(axis=1)) and np.allclose(std, votes.std(axis=1))
    assert np.allclose(committee.predict(X), mean)
    assert committee.score(X, target) > 0.9


def test_committee_regressor_queries_max_std_by_default():
    X = np.arange(6, dtype=float).reshape(-1, 1)
    members = [ActiveLearner(_Constant(v), X_training=X[:2], y_training=[0.0, 1.0])
               for v in (0.0, 2.0)]
    members[1].estimator.predict = lambda Z: np.where(np.ravel(Z) == 4.0, 10.0, 0.0)
    committee = CommitteeRegressor(members)
    assert committee.query_strategy is max_std_sampling
    idx, rows = committee.query(X, random_state=0)
    assert idx.tolist() == [4] and rows.tolist() == [[4.0]]


@pytest.mark.parametrize("cls", [Committee, CommitteeRegressor])
def test_bad_learner_list(cls):
    with pytest.raises(TypeError, match="learner_list must be a list"):
        cls((ActiveLearner(_Fixed()),))
    with pytest.raises(ValueError, match="learner_list must hold at least one"):
        cls([])
    with pytest.raises(TypeError, match=r"learner_list\[1\] must be an ActiveLearner"):
        cls([ActiveLearner(_Fixed()), LogisticRegression()])
    with pytest.raises(TypeError, match="query_strategy must be callable"):
        cls([ActiveLearner(_Fixed())], query_strategy="vote")
