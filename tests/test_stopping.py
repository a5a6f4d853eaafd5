"""Stopping rules: each fires where it must and stays quiet where it must not."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs
from sklearn.linear_model import LogisticRegression

from skvaeal.active import (AccuracyChange, ActiveLearner, ActiveLearningLoop, LabelBudget,
                            MaxUncertainty, StabilizingPredictions, StoppingRule)
from skvaeal.oracle import PoolOracle
from skvaeal.query import entropy_sampling, random_sampling


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


def test_stabilizing_stop_set_depends_on_the_seed_and_spares_the_global_rng():
    X = np.arange(200.0).reshape(100, 2)

    def stop_set(random_state):
        rule = StabilizingPredictions(stop_set_size=10, random_state=random_state)
        rule.should_stop(Predicts([0]), X, n_labeled=1)
        return rule.stop_set_

    np.testing.assert_array_equal(stop_set(3), stop_set(3))
    assert not np.array_equal(stop_set(3), stop_set(4))
    rng = np.random.RandomState(3)
    np.testing.assert_array_equal(stop_set(rng), stop_set(np.random.RandomState(3)))
    np.random.seed(0)
    expected = np.random.rand()
    np.random.seed(0)
    stop_set(None)
    assert np.random.rand() == expected  # the global generator did not move
    # A stop set smaller than asked: the whole pool, in its order.
    rule = StabilizingPredictions(random_state=0)
    rule.should_stop(Predicts([0]), X[:7], n_labeled=1)
    np.testing.assert_array_equal(rule.stop_set_, X[:7])


def test_stabilizing_needs_rows():
    with pytest.raises(ValueError, match="X_stop"):
        StabilizingPredictions().should_stop(Predicts([0]), np.zeros((0, 2)), n_labeled=1)


def test_stabilizing_with_fitted_learners_on_blobs():
    X, y = make_blobs(300, centers=3, random_state=0)
    X_pool = X[100:]
    same = LogisticRegression().fit(X[:100], y[:100])
    learner = ActiveLearner(LogisticRegression(), random_sampling,
                            X_training=X[:100], y_training=y[:100])
    rule = StabilizingPredictions(window=2, random_state=0)
    assert ask(rule, [same, learner, same], X=X_pool) == [False, False, True]
    # Rounds alternate between models that each single out another blob: they agree on the
    # third blob only, and kappa stays below 0.
    flip = [LogisticRegression().fit(X[:100], (y[:100] == k).astype(int) * k) for k in (1, 2)]
    rule = StabilizingPredictions(window=1, threshold=0.5, random_state=0)
    assert not any(ask(rule, flip * 3, X=X_pool))
    assert all(k < 0 for k in rule.history_[1:])


def test_max_uncertainty():
    sure, unsure = Predicts(proba=[0.97, 0.03]), Predicts(proba=[0.6, 0.4])
    assert ask(MaxUncertainty(0.1), [unsure, unsure, sure]) == [False, False, True]
    assert not any(ask(MaxUncertainty(0.1), [unsure] * 4))
    assert ask(MaxUncertainty(0.5, measure="entropy"), [unsure, sure]) == [False, True]
    # An empty pool: nothing is left to be uncertain about.
    assert MaxUncertainty(0.1).should_stop(unsure, np.zeros((0, 2)), n_labeled=5)
    # 1 - (0.6 - 0.4) = 0.8: the margin measure is quiet at 0.5 where entropy fired.
    assert not any(ask(MaxUncertainty(0.5, measure="margin"), [unsure] * 3))
    assert ask(MaxUncertainty(0.5, measure="margin"), [sure]) == [True]
    rule = MaxUncertainty(0.1)
    assert ask(rule, [unsure, sure]) == [False, True]
    assert rule.history_ == pytest.approx([0.4, 0.03])


def test_max_uncertainty_on_blobs():
    X, y = make_blobs(200, centers=[[-10, 0], [10, 0]], cluster_std=0.5, random_state=0)
    model = ActiveLearner(LogisticRegression(), random_sampling, X_training=X, y_training=y)
    assert MaxUncertainty(0.05).should_stop(model, X, n_labeled=200)
    # The pool now includes rows on the decision boundary.
    boundary = np.r_[X, np.zeros((3, 2))]
    assert not MaxUncertainty(0.05).should_stop(model, boundary, n_labeled=200)


def test_max_uncertainty_needs_predict_proba():
    class PredictOnly:
        def predict(self, X):
            return np.zeros(len(X))

    with pytest.raises(TypeError, match="predict_proba"):
        MaxUncertainty().should_stop(PredictOnly(), np.zeros((3, 2)), n_labeled=1)
    with pytest.raises(TypeError, match="not fitted"):
        MaxUncertainty().should_stop(LogisticRegression(), np.zeros((3, 2)), n_labeled=1)


def test_a_fired_rule_keeps_firing():
    sure, unsure = Predicts(proba=[0.97, 0.03]), Predicts(proba=[0.6, 0.4])
    rule = MaxUncertainty(0.1)
    assert ask(rule, [sure, unsure, unsure]) == [True, True, True]
    assert rule.n_labeled_at_stop_ == 10  # the first call that fired
    assert rule.history_ == pytest.approx([0.03, 0.4, 0.4])  # still measured


def test_accuracy_change():
    plateau = [Predicts(score=s) for s in (0.6, 0.7, 0.801, 0.802, 0.803)]
    rising = [Predicts(score=s) for s in (0.6, 0.65, 0.7, 0.75, 0.8)]
    kw = dict(X_held_out=np.zeros((3, 2)), y_held_out=[0, 1, 0])
    assert ask(AccuracyChange(threshold=0.005, window=2), plateau, **kw) == \
        [False, False, False, False, True]
    assert not any(ask(AccuracyChange(threshold=0.005, window=2), rising, **kw))
    own = AccuracyChange(np.zeros((2, 2)), [0, 1], window=1)
    assert ask(own, plateau[2:4]) == [False, True]  # its own set, no held-out given
    # One small change between two large ones is not a plateau of window=2.
    bumpy = [Predicts(score=s) for s in (0.6, 0.7, 0.701, 0.8, 0.801)]
    assert not any(ask(AccuracyChange(threshold=0.005, window=2), bumpy, **kw))


def test_accuracy_change_prefers_its_own_set():
    X, y = make_blobs(120, centers=2, random_state=0)
    model = LogisticRegression().fit(X[:60], y[:60])
    rule = AccuracyChange(X[60:], y[60:], window=1)
    # The loop's held-out set, all labels flipped, would score about 0: not used.
    ask(rule, [model], X_held_out=X[60:], y_held_out=1 - y[60:])
    assert rule.history_ == [model.score(X[60:], y[60:])] and rule.history_[0] > 0.9


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


@pytest.mark.parametrize("rule, match", [
    (LabelBudget(2.5), "'max_labels' parameter of LabelBudget"),
    (StabilizingPredictions(stop_set_size="all"), "'stop_set_size' parameter"),
    (StabilizingPredictions(random_state="seed"), "'random_state' parameter"),
    (MaxUncertainty(measure=3), "'measure' parameter of MaxUncertainty"),
    (AccuracyChange(window=1.5), "'window' parameter of AccuracyChange"),
])
def test_wrongly_typed_parameters_are_named(rule, match):
    with pytest.raises(TypeError, match=match):
        rule.should_stop(Predicts([0], [1.0], 1.0), np.zeros((3, 2)), n_labeled=1,
                         X_held_out=np.zeros((1, 2)), y_held_out=[0])


def test_parameters_are_validated_at_the_first_call_only():
    rule = LabelBudget(0)  # the constructor stores, as in scikit-learn
    assert rule.max_labels == 0
    with pytest.raises(ValueError, match="max_labels"):
        rule.should_stop(None, None, n_labeled=1)
    with pytest.raises(ValueError, match="n_labeled"):
        LabelBudget(3).should_stop(None, None, n_labeled=-1)


def test_the_base_rule_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        StoppingRule()


def test_clone_gives_a_fresh_rule_with_the_same_parameters():
    rule = StabilizingPredictions(window=1, threshold=0.5, stop_set_size=7, random_state=2)
    ask(rule, [Predicts([1])] * 2)
    assert rule.stopped_
    fresh = clone(rule)
    assert fresh.get_params() == rule.get_params()
    assert not hasattr(fresh, "stopped_") and not hasattr(fresh, "history_")
    assert ask(fresh, [Predicts([1])] * 2) == [False, True]
    assert rule.set_params(window=4).window == 4


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
    # The largest uncertainty over the frame's rows, and "below" is strict.
    top = float(np.max(1 - model.predict_proba(frame).max(axis=1)))
    assert MaxUncertainty(top + 1e-9).should_stop(model, frame, n_labeled=3)
    assert not MaxUncertainty(top).should_stop(model, frame, n_labeled=3)
    rule = AccuracyChange(frame.iloc[:40], y[:40], window=1)
    assert ask(rule, [model, model], X=frame) == [False, True]


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
