"""Query by committee: a committee of active learners, for classes or for values.

:class:`Committee` and :class:`CommitteeRegressor` follow modAL 0.4's classes of
the same names: each member is an :class:`~skvaeal.active.ActiveLearner` with a
labelled set of its own; teaching the committee teaches every member, and the
disagreement strategies of :mod:`skvaeal.query` (vote entropy, consensus
entropy, KL-max disagreement, max standard deviation) read its votes.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score

from ..utils import hstack_columns, n_rows, stack_rows
from ._learner import _QueryMixin


def _check_learners(learner_list):
    if not isinstance(learner_list, list):
        raise TypeError(
            f"learner_list must be a list of ActiveLearner; got {type(learner_list).__name__}.")
    if not learner_list:
        raise ValueError("learner_list must hold at least one learner.")
    for i, learner in enumerate(learner_list):
        if not (hasattr(learner, "predict") and hasattr(learner, "estimator")):
            raise TypeError(
                f"learner_list[{i}] must be an ActiveLearner (with estimator and predict); "
                f"got {type(learner).__name__}.")
    return learner_list


def _class_columns(known, classes):
    """Position in ``classes`` of each of a member's ``known`` classes."""
    known = np.asarray(known)
    lookup = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
    try:
        return np.array([lookup[c] for c in known.tolist()], dtype=np.intp)
    except KeyError as exc:
        raise ValueError(f"a member knows class {exc.args[0]!r}, which the committee does not; "
                         "call teach or fit through the committee.") from None


class _BaseCommittee(_QueryMixin, BaseEstimator):
    def __init__(self, learner_list, query_strategy, on_transformed=False):
        self.learner_list = _check_learners(learner_list)
        if not callable(query_strategy):
            raise TypeError(
                f"query_strategy must be callable; got {type(query_strategy).__name__}.")
        self.query_strategy = query_strategy
        self.on_transformed = bool(on_transformed)

    @property
    def _finite(self):
        # The committee accepts what its most permissive member does; members check again.
        options = [getattr(learner, "force_all_finite", True) for learner in self]
        return False if False in options else ("allow-nan" if "allow-nan" in options else True)

    def __iter__(self):
        return iter(self.learner_list)

    def __len__(self):
        return len(self.learner_list)

    @property
    def X_training(self):
        """All members' labelled rows stacked (``None`` before any): the committee's labelled set.

        Geometric and batch strategies read it to keep away from labelled rows.
        """
        blocks = [learner.X_training for learner in self
                  if getattr(learner, "X_training", None) is not None]
        return stack_rows(blocks) if blocks else None

    def _check_all(self, X, y):
        """Validate (X, y) against every member before any member changes."""
        for learner in self:
            check = getattr(learner, "_check_new", None)
            if check is not None:
                check(X, y)

    def fit(self, X, y, **fit_kwargs):
        """Replace every member's labelled set with ``(X, y)`` and refit it.

        Returns
        -------
        self
        """
        for learner in self:
            learner.fit(X, y, **fit_kwargs)
        self._after_fit()
        return self

    def teach(self, X, y, bootstrap=False, only_new=False, **fit_kwargs):
        """Teach every member ``(X, y)``; see :meth:`ActiveLearner.teach`.

        The rows are validated against every member first, so that a bad batch
        changes no member.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list
        y : array-like
        bootstrap : bool, default=False
            Each member fits on its own bootstrap sample (bagging).
        only_new : bool, default=False
            Fit on the new rows only, and keep them out of the labelled sets.
        **fit_kwargs
            Passed to every member's ``estimator.fit``.
        """
        self._check_all(X, y)
        for learner in self:
            learner.teach(X, y, bootstrap=bootstrap, only_new=only_new, **fit_kwargs)
        self._after_fit()

    def rebag(self, **fit_kwargs):
        """Refit every member on a bootstrap sample of its own labelled set."""
        for learner in self:
            if learner.X_training is None:
                raise NotFittedError("rebag needs labelled rows in every member.")
            learner._fit_and_store(learner.X_training, learner.y_training,
                                   learner.X_training, learner.y_training, bootstrap=True,
                                   **fit_kwargs)
        self._after_fit()

    def transform_without_estimating(self, X):
        """The members' transformations of ``X``, side by side."""
        return hstack_columns([learner.transform_without_estimating(X) for learner in self])

    def _after_fit(self):
        pass


class Committee(_BaseCommittee):
    """A committee of classifiers for query by committee (Seung et al., 1992).

    Parameters
    ----------
    learner_list : list of ActiveLearner
        The members, each with its own estimator and labelled set.
    query_strategy : callable, default=None
        ``None`` means :func:`skvaeal.query.vote_entropy_sampling`; the
        uncertainty strategies work too (on the consensus probabilities).
    on_transformed : bool, default=False
        Batch strategies compare rows after the members' transformers.

    Attributes
    ----------
    classes_ : ndarray or None
        The union of the members' classes (``None`` before any is fitted).
    n_classes_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skvaeal.active import ActiveLearner, Committee
    >>> X, y = load_iris(return_X_y=True)
    >>> committee = Committee([
    ...     ActiveLearner(RandomForestClassifier(10, random_state=s), X_training=X[s::10],
    ...                   y_training=y[s::10]) for s in range(3)])
    >>> query_idx, rows = committee.query(X, n_instances=2, random_state=0)
    >>> committee.teach(rows, y[query_idx])
    >>> committee.classes_
    array([0, 1, 2])
    """

    def __init__(self, learner_list, query_strategy=None, on_transformed=False):
        if query_strategy is None:
            from ..query import vote_entropy_sampling

            query_strategy = vote_entropy_sampling
        super().__init__(learner_list, query_strategy, on_transformed)
        self._after_fit()

    def _after_fit(self):
        try:
            known = [np.asarray(learner.estimator.classes_) for learner in self]
        except AttributeError:
            self.classes_, self.n_classes_ = None, 0
            return
        self.classes_ = np.unique(np.concatenate(known, axis=0), axis=0)
        self.n_classes_ = len(self.classes_)

    def vote(self, X, **predict_kwargs):
        """Each member's predicted class: shape (n_samples, n_members)."""
        return np.column_stack([np.asarray(learner.predict(X, **predict_kwargs)).reshape(-1)
                                for learner in self])

    def vote_proba(self, X, **predict_proba_kwargs):
        """Each member's class probabilities over the committee's classes.

        A member that has not seen a class gives it probability 0.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_members, n_classes)
        """
        if self.classes_ is None:
            raise NotFittedError("This Committee has no fitted member yet; teach it first.")
        n = n_rows(X)
        proba = np.zeros((n, len(self), self.n_classes_))
        for i, learner in enumerate(self):
            p = np.asarray(learner.predict_proba(X, **predict_proba_kwargs), dtype=np.float64)
            known = getattr(learner.estimator, "classes_", self.classes_)
            proba[:, i, _class_columns(known, self.classes_)] = p.reshape(n, -1)
        return proba

    def predict_proba(self, X, **predict_proba_kwargs):
        """Consensus probabilities: the members' mean, shape (n_samples, n_classes)."""
        return self.vote_proba(X, **predict_proba_kwargs).mean(axis=1)

    def predict(self, X, **predict_proba_kwargs):
        """The class of highest consensus probability."""
        return self.classes_[np.argmax(self.predict_proba(X, **predict_proba_kwargs), axis=1)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of the consensus prediction."""
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)


class CommitteeRegressor(_BaseCommittee):
    """A committee of regressors: mean prediction, disagreement as standard deviation.

    Parameters
    ----------
    learner_list : list of ActiveLearner
        The members, each holding a regressor.
    query_strategy : callable, default=None
        ``None`` means :func:`skvaeal.query.max_std_sampling`.
    on_transformed : bool, default=False

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from skvaeal.active import ActiveLearner, CommitteeRegressor
    >>> X = np.linspace(0, 1, 40).reshape(-1, 1)
    >>> committee = CommitteeRegressor([
    ...     ActiveLearner(KNeighborsRegressor(k), X_training=X[::4], y_training=X[::4, 0] ** 2)
    ...     for k in (1, 3)])
    >>> mean, std = committee.predict(X[:2], return_std=True)
    >>> mean.shape, std.shape
    ((2,), (2,))
    """

    def __init__(self, learner_list, query_strategy=None, on_transformed=False):
        if query_strategy is None:
            from ..query import max_std_sampling

            query_strategy = max_std_sampling
        super().__init__(learner_list, query_strategy, on_transformed)

    def vote(self, X, **predict_kwargs):
        """Each member's prediction: shape (n_samples, n_members)."""
        n = n_rows(X)
        return np.column_stack([np.asarray(learner.predict(X, **predict_kwargs)).reshape(n)
                                for learner in self])

    def predict(self, X, return_std=False, **predict_kwargs):
        """The members' mean prediction, and their standard deviation when ``return_std``."""
        vote = self.vote(X, **predict_kwargs)
        if return_std:
            return vote.mean(axis=1), vote.std(axis=1)
        return vote.mean(axis=1)

    def score(self, X, y, sample_weight=None):
        """R^2 of the mean prediction."""
        from sklearn.metrics import r2_score

        return r2_score(y, self.predict(X), sample_weight=sample_weight)
