"""Query by committee: disagreement measures and the strategies built on them.

The measures read a committee by duck typing (``vote``, ``vote_proba``,
``predict_proba``, ``classes_``), so they work with
:class:`skvaeal.active.Committee`, modAL's ``Committee`` or any object with
those methods. As in modAL, a committee that is not fitted yet (one raising
:class:`~sklearn.exceptions.NotFittedError`) disagrees nowhere: the measures
return zeros. Seung, Opper & Sompolinsky (1992) introduced query by committee;
vote entropy is from Dagan & Engelson (1995), KL-to-the-mean disagreement from
McCallum & Nigam (1998).
"""

import numpy as np
from scipy.special import rel_entr
from sklearn.exceptions import NotFittedError

from ..utils import n_rows
from ..utils._blocks import is_out_of_core
from ._base import (TIE_BREAK_CONSTRAINTS, check_n_query, pool_scores, query_result,
                    strategy_params, top_k_scored)
from ._uncertainty import normalized_entropy

__all__ = [
    "KL_max_disagreement",
    "consensus_entropy",
    "consensus_entropy_sampling",
    "max_disagreement_sampling",
    "max_std_sampling",
    "vote_entropy",
    "vote_entropy_sampling",
]


def vote_entropy(committee, X, **predict_proba_kwargs):
    """Entropy of the committee's votes per row: 0 when every member agrees.

    Parameters
    ----------
    committee : committee
        Has ``vote(X)`` (one predicted label per member and row) and
        ``classes_``.
    X : array-like
    **predict_proba_kwargs
        Passed to ``committee.vote``.

    Returns
    -------
    entropy : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skvaeal.active import ActiveLearner, Committee
    >>> from skvaeal.query import vote_entropy
    >>> X, y = load_iris(return_X_y=True)
    >>> committee = Committee([ActiveLearner(DecisionTreeClassifier(max_depth=d, random_state=0),
    ...                                      X_training=X[::5], y_training=y[::5])
    ...                        for d in (1, 3)])
    >>> vote_entropy(committee, X[:3]).tolist()
    [0.0, 0.0, 0.0]
    """
    try:
        votes = np.asarray(committee.vote(X, **predict_proba_kwargs))
    except NotFittedError:
        return np.zeros(n_rows(X))
    votes = votes.reshape(votes.shape[0], -1)
    classes = np.asarray(committee.classes_)
    # One column per class: how many members voted for it. O(n * members * classes) booleans.
    counts = np.stack([(votes == c).sum(axis=1) for c in classes], axis=1) if classes.size \
        else np.zeros((votes.shape[0], 0))
    return normalized_entropy(counts, axis=1)


def consensus_entropy(committee, X, **predict_proba_kwargs):
    """Entropy of the committee's mean class distribution per row.

    Parameters
    ----------
    committee : committee
        Has ``predict_proba(X)``: the members' mean probabilities.
    X : array-like
    **predict_proba_kwargs
        Passed to ``committee.predict_proba``.

    Returns
    -------
    entropy : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.active import ActiveLearner, Committee
    >>> from skvaeal.query import consensus_entropy
    >>> X, y = load_iris(return_X_y=True)
    >>> committee = Committee([ActiveLearner(LogisticRegression(C=c, max_iter=500),
    ...                                      X_training=X, y_training=y) for c in (0.1, 1.0)])
    >>> consensus_entropy(committee, X[:2]).shape
    (2,)
    """
    try:
        proba = committee.predict_proba(X, **predict_proba_kwargs)
    except NotFittedError:
        return np.zeros(n_rows(X))
    return normalized_entropy(proba, axis=1)


def KL_max_disagreement(committee, X, **predict_proba_kwargs):
    """Largest Kullback-Leibler divergence of a member from the consensus, per row.

    Parameters
    ----------
    committee : committee
        Has ``vote_proba(X)`` of shape (n_samples, n_members, n_classes).
    X : array-like
    **predict_proba_kwargs
        Passed to ``committee.vote_proba``.

    Returns
    -------
    disagreement : ndarray of shape (n_samples,)
        In nats; 0 where all members give the same distribution.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.active import ActiveLearner, Committee
    >>> from skvaeal.query import KL_max_disagreement
    >>> X, y = load_iris(return_X_y=True)
    >>> committee = Committee([ActiveLearner(LogisticRegression(C=c, max_iter=500),
    ...                                      X_training=X, y_training=y) for c in (0.01, 10.0)])
    >>> bool((KL_max_disagreement(committee, X) >= 0).all())
    True
    """
    try:
        p = np.asarray(committee.vote_proba(X, **predict_proba_kwargs), dtype=np.float64)
    except NotFittedError:
        return np.zeros(n_rows(X))
    p = np.clip(p, 0.0, None)
    total = p.sum(axis=2, keepdims=True)
    p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    consensus = p.mean(axis=1, keepdims=True)
    if p.shape[1] == 0 or p.shape[2] == 0:
        return np.zeros(p.shape[0])
    return rel_entr(p, consensus).sum(axis=2).max(axis=1)


def _disagreement_query(measure, committee, X_pool, n_instances, random_tie_break,
                        random_state, kwargs):
    n_instances = check_n_query(X_pool, n_instances)
    scores = pool_scores(lambda rows: np.asarray(measure(committee, rows, **kwargs),
                                                 dtype=np.float64).reshape(-1), X_pool)
    return query_result(*top_k_scored(scores, n_instances, random_state,
                                      random_tie_break=random_tie_break))


_SAMPLING_DOC = """Query the rows where the committee disagrees most, by :func:`{measure}`.

    Parameters
    ----------
    committee : committee
        A fitted :class:`skvaeal.active.Committee` (or modAL's).
    X_pool : array-like of shape (n_samples, ...)
        Candidates, in the form the members' estimators accept.
    n_instances : int, default=1
    random_tie_break : bool, default=True
        Break ties at random (with ``random_state``); ``False`` gives them to
        the lowest index (modAL's default).
    random_state : int, RandomState instance or None, default=None
    **disagreement_measure_kwargs
        Passed to :func:`{measure}`.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Most disagreed-on first.
    scores : ndarray of shape (n_instances,)
        Their disagreement.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skvaeal.active import ActiveLearner, Committee
    >>> from skvaeal.query import {name}
    >>> X, y = load_iris(return_X_y=True)
    >>> committee = Committee([
    ...     ActiveLearner(RandomForestClassifier(5, random_state=s), X_training=X[s::7],
    ...                   y_training=y[s::7]) for s in range(3)])
    >>> query_idx, scores = {name}(committee, X, n_instances=2, random_state=0)
    >>> query_idx.shape
    (2,)
    """


@strategy_params(TIE_BREAK_CONSTRAINTS)
def vote_entropy_sampling(committee, X_pool, n_instances=1, random_tie_break=True, *,
                          random_state=None, **disagreement_measure_kwargs):
    return _disagreement_query(vote_entropy, committee, X_pool, n_instances, random_tie_break,
                               random_state, disagreement_measure_kwargs)


@strategy_params(TIE_BREAK_CONSTRAINTS)
def consensus_entropy_sampling(committee, X_pool, n_instances=1, random_tie_break=True, *,
                               random_state=None, **disagreement_measure_kwargs):
    return _disagreement_query(consensus_entropy, committee, X_pool, n_instances,
                               random_tie_break, random_state, disagreement_measure_kwargs)


@strategy_params(TIE_BREAK_CONSTRAINTS)
def max_disagreement_sampling(committee, X_pool, n_instances=1, random_tie_break=True, *,
                              random_state=None, **disagreement_measure_kwargs):
    return _disagreement_query(KL_max_disagreement, committee, X_pool, n_instances,
                               random_tie_break, random_state, disagreement_measure_kwargs)


vote_entropy_sampling.__doc__ = _SAMPLING_DOC.format(
    measure="vote_entropy", name="vote_entropy_sampling")
consensus_entropy_sampling.__doc__ = _SAMPLING_DOC.format(
    measure="consensus_entropy", name="consensus_entropy_sampling")
max_disagreement_sampling.__doc__ = _SAMPLING_DOC.format(
    measure="KL_max_disagreement", name="max_disagreement_sampling")


@strategy_params(TIE_BREAK_CONSTRAINTS)
def max_std_sampling(regressor, X_pool, n_instances=1, random_tie_break=True, *,
                     random_state=None, **predict_kwargs):
    """Query the rows whose predicted value is least certain (largest standard deviation).

    Parameters
    ----------
    regressor : regressor, learner or committee
        ``predict(X, return_std=True)`` must return ``(mean, std)``: a
        :class:`~sklearn.gaussian_process.GaussianProcessRegressor`, a
        learner holding one, or a :class:`skvaeal.active.CommitteeRegressor`.
    X_pool : array-like of shape (n_samples, ...)
    n_instances : int, default=1
    random_tie_break : bool, default=True
        Break ties at random (with ``random_state``); ``False`` gives them to
        the lowest index (modAL's default).
    random_state : int, RandomState instance or None, default=None
    **predict_kwargs
        Passed to ``regressor.predict``.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
    scores : ndarray of shape (n_instances,)
        Their standard deviation (the largest over targets for several).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.gaussian_process import GaussianProcessRegressor
    >>> from skvaeal.query import max_std_sampling
    >>> X = np.linspace(0, 10, 50).reshape(-1, 1)
    >>> gp = GaussianProcessRegressor().fit(X[:5], np.sin(X[:5, 0]))
    >>> max_std_sampling(gp, X, random_state=0)[0]
    array([49])
    """
    n_instances = check_n_query(X_pool, n_instances)

    def largest_std(rows):
        try:
            _, std = regressor.predict(rows, return_std=True, **predict_kwargs)
        except TypeError as exc:
            raise TypeError(
                f"max_std_sampling needs predict(X, return_std=True); "
                f"{type(regressor).__name__} does not take it ({exc}).") from exc
        return np.asarray(std, dtype=np.float64).reshape(n_rows(rows), -1).max(axis=1)

    if is_out_of_core(X_pool):
        largest_std(np.asarray(X_pool[:1]))  # a regressor without return_std fails now
    std = pool_scores(largest_std, X_pool)
    return query_result(*top_k_scored(std, n_instances, random_state,
                                      random_tie_break=random_tie_break))
