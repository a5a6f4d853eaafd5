"""Stopping rules: when more labels stop paying, for a loop to act on or a simulation to report."""

import numbers
import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import cohen_kappa_score
from sklearn.utils import check_random_state

from ..query import entropy_scores, least_confident_scores, margin_scores
from ..query._base import get_proba
from ..utils import n_rows, take_rows
from ..utils._param_validation import Interval, StrOptions, validate_parameter_constraints

__all__ = ["AccuracyChange", "LabelBudget", "MaxUncertainty", "StabilizingPredictions",
           "StoppingRule"]

_MEASURES = {"least_confident": least_confident_scores, "margin": margin_scores,
             "entropy": entropy_scores}


class StoppingRule(BaseEstimator, metaclass=ABCMeta):
    """The base of the stopping rules: asked once per round, it says whether to stop.

    A rule is stateful: :meth:`should_stop` is called after every round,
    once the learner was refitted, with the rows still unlabelled; it records
    what it measured in ``history_`` and, once it fired, keeps answering True.
    :func:`~sklearn.base.clone` gives a fresh rule with the same parameters
    (a simulation clones one per trial); :meth:`reset` forgets the state.

    Subclasses implement ``_measure(learner, X_pool, n_labeled, X_held_out,
    y_held_out) -> (value, fire)``.

    Attributes
    ----------
    history_ : list
        The value measured at each call (None where there was nothing to
        measure yet).
    stopped_ : bool
        Whether the rule has fired.
    n_labeled_at_stop_ : int or None
        ``n_labeled`` of the first call that fired.
    """

    #: Parameters that hold rows (in the learner's input space): a simulation whose arm
    #: maps rows through a transformer maps these too.
    _data_params = ()
    _parameter_constraints = {}

    def should_stop(self, learner, X_pool, *, n_labeled, X_held_out=None, y_held_out=None):
        """Whether to stop after this round.

        Parameters
        ----------
        learner : ActiveLearner or fitted classifier
            skvaeal's or modAL's learner, or any fitted model with
            ``predict`` (and ``predict_proba`` for :class:`MaxUncertainty`).
        X_pool : array-like or DataFrame
            The rows still unlabelled.
        n_labeled : int
            Labels so far.
        X_held_out, y_held_out : array-like, default=None
            The loop's or simulation's held-out set, for rules that need one
            and hold none of their own.

        Returns
        -------
        stop : bool
        """
        if not hasattr(self, "history_"):
            validate_parameter_constraints(self._parameter_constraints,
                                           self.get_params(deep=False),
                                           caller_name=type(self).__name__)
            self.history_, self.stopped_, self.n_labeled_at_stop_ = [], False, None
        if not isinstance(n_labeled, numbers.Integral) or n_labeled < 0:
            raise ValueError(f"n_labeled must be an int >= 0; got {n_labeled!r}.")
        value, fire = self._measure(learner, X_pool, int(n_labeled), X_held_out, y_held_out)
        self.history_.append(value)
        if fire and not self.stopped_:
            self.stopped_, self.n_labeled_at_stop_ = True, int(n_labeled)
        return self.stopped_

    def reset(self):
        """Forget every round seen; the next call starts afresh.

        Returns
        -------
        self : StoppingRule
        """
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)
        return self

    @abstractmethod
    def _measure(self, learner, X_pool, n_labeled, X_held_out, y_held_out):
        """``(value, fire)``: what this round measured (for ``history_``) and whether it
        calls for a stop. Each rule defines its own; the base cannot be instantiated."""


class LabelBudget(StoppingRule):
    """Stop once ``max_labels`` rows are labelled.

    Parameters
    ----------
    max_labels : int
        The budget.

    Examples
    --------
    >>> from skvaeal.active import LabelBudget
    >>> rule = LabelBudget(30)
    >>> [rule.should_stop(None, None, n_labeled=n) for n in (10, 20, 30)]
    [False, False, True]
    >>> rule.n_labeled_at_stop_
    30
    """

    _parameter_constraints = {"max_labels": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, max_labels):
        self.max_labels = max_labels

    def _measure(self, learner, X_pool, n_labeled, X_held_out, y_held_out):
        return n_labeled, n_labeled >= self.max_labels


def _kappa(previous, current):
    # Cohen's kappa is 0/0 when both rounds predict one and the same class for every row
    # (expected agreement 1); the predictions then agree entirely and have not changed,
    # which is what the rule measures, so that case counts as 1.
    if np.array_equal(previous, current):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = cohen_kappa_score(previous, current)
    return 0.0 if np.isnan(kappa) else float(kappa)


class StabilizingPredictions(StoppingRule):
    """Stop when the predictions on a stop set no longer change (Bloodgood & Vijay-Shanker, 2009).

    After each round the learner predicts a fixed set of unlabelled rows, the
    stop set; the agreement of consecutive rounds' predictions is measured by
    Cohen's kappa, and the rule fires when the mean of the last ``window``
    kappas reaches ``threshold``. Bloodgood & Vijay-Shanker use a random
    sample of the pool of 2,000 rows, ``window=3`` and ``threshold=0.99``,
    the defaults here; the stop set needs no labels.

    Parameters
    ----------
    X_stop : array-like, default=None
        The stop set. None draws ``stop_set_size`` rows of the pool at the
        first call and keeps them.
    stop_set_size : int, default=2000
        Rows drawn when ``X_stop`` is None (all of a smaller pool).
    window : int, default=3
        Consecutive kappas averaged.
    threshold : float, default=0.99
        The mean kappa at or above which the rule fires.
    random_state : int, RandomState instance or None, default=None
        Draws the stop set; None draws it from fresh entropy (numpy's global
        generator is never used).
        :func:`~skvaeal.active.simulate_active_learning` seeds a
        None from its own ``random_state``.

    Attributes
    ----------
    stop_set_ : array-like
        The stop set used.
    history_ : list
        Cohen's kappa with the previous round (None at the first call).

    References
    ----------
    M. Bloodgood and K. Vijay-Shanker (2009), "A method for stopping active
    learning based on stabilizing predictions and the need for user-adjustable
    stopping", *CoNLL 2009*, 39-47.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.active import StabilizingPredictions
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> model = LogisticRegression().fit(X, X[:, 0] > 0)
    >>> rule = StabilizingPredictions(window=2, random_state=0)
    >>> [rule.should_stop(model, X, n_labeled=n) for n in (10, 20, 30)]  # the same model
    [False, False, True]
    """

    _data_params = ("X_stop",)
    _parameter_constraints = {
        "X_stop": [None, "array-like"],
        "stop_set_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "window": [Interval(numbers.Integral, 1, None, closed="left")],
        "threshold": [Interval(numbers.Real, -1, 1, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(self, X_stop=None, *, stop_set_size=2000, window=3, threshold=0.99,
                 random_state=None):
        self.X_stop = X_stop
        self.stop_set_size = stop_set_size
        self.window = window
        self.threshold = threshold
        self.random_state = random_state

    def _measure(self, learner, X_pool, n_labeled, X_held_out, y_held_out):
        if not hasattr(self, "stop_set_"):
            if self.X_stop is not None:
                self.stop_set_ = self.X_stop
            else:
                n = n_rows(X_pool)
                if n == 0:
                    raise ValueError("StabilizingPredictions draws its stop set from X_pool, "
                                     "which is empty; pass X_stop.")
                # None draws from fresh OS entropy rather than numpy's global generator,
                # which a rule must leave as it found it.
                rng = (np.random.default_rng() if self.random_state is None
                       else check_random_state(self.random_state))
                rows = np.sort(rng.choice(n, min(self.stop_set_size, n), replace=False))
                self.stop_set_ = take_rows(X_pool, rows)
            self._kappas = []
        current = np.asarray(learner.predict(self.stop_set_))
        previous, self._previous = getattr(self, "_previous", None), current
        if previous is None:
            return None, False
        kappa = _kappa(previous, current)
        self._kappas.append(kappa)
        recent = self._kappas[-self.window:]
        return kappa, len(recent) == self.window and np.mean(recent) >= self.threshold

    def reset(self):
        super().reset()
        for name in ("_previous", "_kappas"):
            self.__dict__.pop(name, None)
        return self


class MaxUncertainty(StoppingRule):
    """Stop when no unlabelled row is uncertain any more (Zhu, Wang & Hovy, 2008).

    The max-confidence criterion: the rule fires when the largest
    uncertainty over the rows still unlabelled falls below ``threshold``, so
    that every remaining query would be a row the model is already sure of.
    An empty pool fires too.

    Parameters
    ----------
    threshold : float, default=0.1
        Largest uncertainty allowed.
    measure : {"least_confident", "margin", "entropy"}, default="least_confident"
        ``1 - max p`` (:func:`~skvaeal.query.least_confident_scores`),
        ``1 - (p1 - p2)`` (:func:`~skvaeal.query.margin_scores`) or the
        entropy in nats (:func:`~skvaeal.query.entropy_scores`).

    Attributes
    ----------
    history_ : list of float
        The largest uncertainty at each call.

    References
    ----------
    J. Zhu, H. Wang and E. Hovy (2008), "Multi-criteria-based strategy to stop
    active learning for data annotation", *COLING 2008*, 1129-1136.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.active import MaxUncertainty
    >>> X = np.r_[np.full((5, 1), -5.0), np.full((5, 1), 5.0)]
    >>> model = LogisticRegression().fit(X, [0] * 5 + [1] * 5)
    >>> MaxUncertainty(0.1).should_stop(model, X, n_labeled=10)  # sure of every row
    True
    >>> MaxUncertainty(0.1).should_stop(model, np.zeros((1, 1)), n_labeled=10)  # on the edge
    False
    """

    _parameter_constraints = {
        "threshold": [Interval(numbers.Real, 0, None, closed="left")],
        "measure": [StrOptions(set(_MEASURES))],
    }

    def __init__(self, threshold=0.1, *, measure="least_confident"):
        self.threshold = threshold
        self.measure = measure

    def _measure(self, learner, X_pool, n_labeled, X_held_out, y_held_out):
        if X_pool is None or n_rows(X_pool) == 0:
            return 0.0, True
        if not hasattr(learner, "predict_proba"):
            raise TypeError(f"MaxUncertainty needs a learner with predict_proba; "
                            f"{type(learner).__name__} has none.")
        # get_proba: the query strategies' checks (fitted, one row of proba per pool row).
        scores = _MEASURES[self.measure](get_proba(learner, X_pool))
        largest = float(np.max(scores))
        return largest, largest < self.threshold


class AccuracyChange(StoppingRule):
    """Stop when the held-out accuracy stops moving.

    After each round the learner is scored on a labelled held-out set; the
    rule fires once the change from the previous round stayed below
    ``threshold`` for ``window`` consecutive rounds. It needs labels the
    learner never sees, so it suits simulations and sessions with a
    validation set.

    Parameters
    ----------
    X_val, y_val : array-like, default=None
        The held-out set; None uses the loop's or the simulation's
        (``X_held_out``, ``y_held_out``).
    threshold : float, default=0.005
        Largest change of accuracy counted as no change.
    window : int, default=2
        Consecutive small changes needed.

    Attributes
    ----------
    history_ : list of float
        The held-out score at each call.

    Examples
    --------
    >>> from skvaeal.active import AccuracyChange
    >>> class Fixed:  # a model whose score is given
    ...     def __init__(self, s): self.s = s
    ...     def score(self, X, y): return self.s
    >>> rule = AccuracyChange(threshold=0.01, window=2)
    >>> [rule.should_stop(Fixed(s), None, n_labeled=n, X_held_out=[[0]], y_held_out=[0])
    ...  for n, s in [(10, .70), (20, .80), (30, .805), (40, .806)]]
    [False, False, False, True]
    """

    _data_params = ("X_val",)
    _parameter_constraints = {
        "X_val": [None, "array-like"],
        "y_val": [None, "array-like"],
        "threshold": [Interval(numbers.Real, 0, None, closed="left")],
        "window": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, X_val=None, y_val=None, *, threshold=0.005, window=2):
        self.X_val = X_val
        self.y_val = y_val
        self.threshold = threshold
        self.window = window

    def _measure(self, learner, X_pool, n_labeled, X_held_out, y_held_out):
        if (self.X_val is None) != (self.y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        X, y = (self.X_val, self.y_val) if self.X_val is not None else (X_held_out, y_held_out)
        if X is None or y is None:
            raise ValueError("AccuracyChange needs a held-out set: pass X_val and y_val, or "
                             "give the loop X_test and y_test.")
        score = float(learner.score(X, y))
        scores = [s for s in self.history_ if s is not None] + [score]
        changes = np.abs(np.diff(scores))[-self.window:]
        return score, len(changes) == self.window and bool(np.all(changes < self.threshold))
