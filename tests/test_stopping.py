"""Stopping rules: each fires where it must and stays quiet where it must not."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs
from sklearn.linear_model import LogisticRegression

from skvaeal.active import (AccuracyChange, ActiveLearner, ActiveLearningLoop, LabelBudget,
                            MaxUncertainty, StabilizingPredictions)
from skvaeal.oracle import PoolOracle
from skvaeal.query import entropy_sampling


class Predicts:
    """A fitted 'model' whose predictions, probabilities and score are given."""

    def __init__(self, labels=None, proba=None, score=None):
        self.labels, self.proba, self._score = labels, proba, score

    def predict(self, X):
        return np.resize(np.asarray(self.labels), len(X))

    def predict_proba(self, X):
        return np.tile(self.proba, (len(X), 1))

    def score(self, X, y):
        return self._score


def ask(rule, models, X=np.zeros((50, 2)), **kw):
    return [rule.should_stop(m, X, n_labeled=10 * (i + 1), **kw) for i, m in enumerate(models)]


def test_label_budget():
    assert ask(LabelBudget(30), [None] * 4) == [False, False, True, True]
    rule = LabelBudget(100)
    assert not any(ask(rule, [None] * 5)) and not rule.stopped_
    assert rule.n_labeled_at_stop_ is None and rule.history_ == [10, 20, 30, 40, 50]


def test_stabilizing_fires_when_predictions_settle():
    rng = np.random.RandomState(0)
    changing = [Predicts(rng.randint(3, size=50)) for _ in range(3)]
    settled = [Predicts(np.arange(50) % 3)] * 4
    rule = StabilizingPredictions(window=3, random_state=0)
    stops = ask(rule, changing + settled)
    # Kappas: three of changing rows (low), then 1, 1, 1: the mean of the last 3 is 1
    # only after three unchanged rounds.
    assert stops == [False] * 6 + [True]
    assert rule.n_labeled_at_stop_ == 70 and rule.history_[0] is None
    assert rule.history_[-1] == 1.0


def test_stabilizing_stays_quiet_while_predictions_flip():
    flips = [Predicts(np.arange(50) % 2), Predicts(1 - np.arange(50) % 2)] * 4
    rule = StabilizingPredictions(window=2)
    assert not any(ask(rule, flips))
    assert all(k < 0 for k in rule.history_[1:])  # perfect disagreement: kappa -1


def test_stabilizing_constant_predictions_count_as_agreement():
    rule = StabilizingPredictions(window=2)
    # sklearn's kappa is nan when both rounds predict one class everywhere.
    assert ask(rule, [Predicts([4])] * 3) == [False, False, True]
    assert rule.history_[1:] == [1.0, 1.0]


def test_stabilizing_stop_set_is_fixed_and_seeded():
    X = np.arange(100.0).reshape(50, 2)
    a = StabilizingPredictions(stop_set_size=10, random_state=0)
    b = clone(a)
    a.should_stop(Predicts([0]), X, n_labeled=1)
    b.should_stop(Predicts([0]), X, n_labeled=1)
    np.testing.assert_array_equal(a.stop_set_, b.stop_set_)
    assert a.stop_set_.shape == (10, 2)
    first = a.stop_set_.copy()
    a.should_stop(Predicts([0]), X[:20], n_labeled=2)  # the pool shrank; the stop set did not
    np.testing.assert_array_equal(a.stop_set_, first)
    given = StabilizingPredictions(X_stop=X[:5])
    given.should_stop(Predicts([0]), X, n_labeled=1)
    assert given.stop_set_ is given.X_stop


def test_max_uncertainty():
    sure, unsure = Predicts(proba=[0.97, 0.03]), Predicts(proba=[0.6, 0.4])
    assert ask(MaxUncertainty(0.1), [unsure, unsure, sure]) == [False, False, True]
    assert not any(ask(MaxUncertainty(0.1), [unsure] * 4))
    assert ask(MaxUncertainty(0.5, measure="entropy"), [unsure, sure]) == [False, True]
    # An empty pool: nothing is left to be uncertain about.
    assert MaxUncertainty(0.1).should_stop(unsure, np.zeros((0, 2)), n_labeled=5)


def test_accuracy_change():
    plateau = [Predicts(score=s) for s in (0.6, 0.7, 0.801, 0.802, 0.803)]
    rising = [Predicts(score=s) for s in (0.6, 0.65, 0.7, 0.75, 0.8)]
    kw = dict(X_held_out=np.zeros((3, 2)), y_held_out=[0, 1, 0])
    assert ask(AccuracyChange(threshold=0.005, window=2), plateau, **kw) == \
        [False, False, False, False, True]
    assert not any(ask(AccuracyChange(threshold=0.005, window=2), rising, **kw))
    own = AccuracyChange(np.zeros((2, 2)), [0, 1], window=1)
    assert ask(own, plateau[2:4]) == [False, True]  # its own set, no held-out given


def test_accuracy_change_needs_a_held_out_set():
    with pytest.raises(ValueError, match="needs a held-out set"):
        AccuracyChange().should_stop(Predicts(score=1), None, n_labeled=1)
    with pytest.raises(ValueError, match="X_val and y_val"):
        AccuracyChange(X_val=np.zeros((2, 2))).should_stop(Predicts(score=1), None,
                                                           n_labeled=1)


@pytest.mark.parametrize("rule, match", [
    (LabelBudget(0), "max_labels"),
    (StabilizingPredictions(window=0), "window"),
    (StabilizingPredictions(threshold=2), "threshold"),
    (MaxUncertainty(measure="gini"), "measure"),
    (AccuracyChange(threshold=-1), "threshold"),
])
def test_bad_parameters_are_named(rule, match):
    with pytest.raises(ValueError, match=match):
        rule.should_stop(Predicts([0], [1.0], 1.0), np.zeros((3, 2)), n_labeled=1,
                         X_held_out=np.zeros((1, 2)), y_held_out=[0])


def test_reset_forgets():
    rule = StabilizingPredictions(window=1)
    ask(rule, [Predicts([1])] * 2)
    assert rule.stopped_
    rule.reset()
    assert not hasattr(rule, "stopped_") and not hasattr(rule, "stop_set_")
    assert ask(rule, [Predicts([1])] * 2) == [False, True]


def test_dataframe_pool():
    pd = pytest.importorskip("pandas")
    X, y = make_blobs(80, centers=2, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b"], index=np.arange(80) + 500)
    model = LogisticRegression().fit(frame, y)
    rule = StabilizingPredictions(stop_set_size=20, window=1, random_state=0)
    assert ask(rule, [model, model], X=frame) == [False, True]
    assert isinstance(rule.stop_set_, pd.DataFrame) and len(rule.stop_set_) == 20
    assert MaxUncertainty(0.5).should_stop(model, frame, n_labeled=3) in (True, False)


def test_rules_in_a_loop_on_digits():
    """On real data the predictions settle before the budget, and the loop stops there."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rules = {"budget": LabelBudget(150),
             "stable": StabilizingPredictions(window=2, threshold=0.9, random_state=0)}
    loop = ActiveLearningLoop(ActiveLearner(LogisticRegression(max_iter=500), entropy_sampling),
                              X[:600], n_instances=10, stopping=rules, random_state=0)
    loop.run(PoolOracle(y[:600]))
    assert loop.stopped_by_ == ["stable"] and not rules["budget"].stopped_
    assert loop.history_[-1]["n_labeled"] == rules["stable"].n_labeled_at_stop_ < 150
    assert loop.history_[-1]["stopped"] == ["stable"]
