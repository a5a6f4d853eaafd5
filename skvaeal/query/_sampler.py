"""Querying the lowest scores of an estimator's labelled/unlabelled sampler.

What the strategies of the methods with a jointly trained sampler share
(ASSAL's Algorithm 3, ARAL's Algorithm 1): the model's ``score_samples`` is the
sampler's probability that a row is labelled, and the lowest are queried,
optionally one per K-means cluster of the codes for a diverse batch.
"""

import sys
from numbers import Integral

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state

from ._base import (ClassifierNotFittedError, candidate_mask, check_enough_candidates,
                    check_query, get_estimator, get_labeled, lowest_score_pick, query_result,
                    top_k)
from ..utils._blocks import is_dask_array
from ..utils._param_validation import Interval, StrOptions
from ._clustering import cluster_codes

__all__ = ["SAMPLER_QUERY_CONSTRAINTS", "lowest_sampler_scores"]

#: The options every lowest-sampler-score strategy takes, declared once.
SAMPLER_QUERY_CONSTRAINTS = {
    "X_labeled": [None, "array-like"],
    "diversity": [None, StrOptions({"kmeans"})],
    "max_fit_samples": [None, Interval(Integral, 1, None, closed="left")],
}


def lowest_sampler_scores(classifier, X_pool, n_instances, *, owner, model, X_labeled,
                          diversity, max_fit_samples, random_state):
    """``(query_idx, 1 - S)`` of the candidates the sampler finds least labelled.

    Parameters
    ----------
    classifier : estimator or learner
        A fitted estimator with ``score_samples`` (and ``transform_and_score``
        or ``transform`` for ``diversity="kmeans"``), or a learner wrapping one.
    X_pool : array-like of shape (n_pool, n_features)
    n_instances : int
    owner, model : str
        The strategy's and the expected estimator's names, for the errors.
    X_labeled : array-like or None
        Rows to exclude; default the learner's ``X_training``.
    diversity : {None, "kmeans"}
    max_fit_samples : int or None
    random_state : int, RandomState instance or None

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
    scores : ndarray of shape (n_instances,)
    """
    X_pool, n_instances = check_query(X_pool, n_instances)
    estimator = get_estimator(classifier)
    if estimator is None or not hasattr(estimator, "score_samples"):
        raise ClassifierNotFittedError(
            f"{owner} needs a fitted {model} (or a learner wrapping one); got "
            f"{type(estimator).__name__ if estimator is not None else None}.")
    try:
        if diversity is None:
            Z, proba = None, estimator.score_samples(X_pool)
        elif hasattr(estimator, "transform_and_score"):
            # Codes and scores from one encoder pass instead of two.
            Z, proba = estimator.transform_and_score(X_pool)
        else:
            Z, proba = estimator.transform(X_pool), estimator.score_samples(X_pool)
    except NotFittedError as exc:
        raise ClassifierNotFittedError(
            f"{owner} needs a fitted {model}; fit it on the labelled rows and the pool "
            f"(y == -1) first ({exc})") from exc
    candidates = candidate_mask(X_pool, X_labeled=get_labeled(classifier, X_labeled), lazy=True)
    if diversity is None:
        return lowest_score_pick(proba, candidates, n_instances, random_state)
    if is_dask_array(proba):
        # The codes are clustered in memory (they are small); one pass computes all three.
        Z, proba, candidates = sys.modules["dask"].compute(Z, proba, candidates)
    check_enough_candidates(candidates, n_instances)
    return _lowest_per_cluster(Z, proba, candidates, n_instances, max_fit_samples,
                               random_state)


def _lowest_per_cluster(Z, proba, candidates, n_instances, max_fit_samples, random_state):
    """The lowest-``proba`` candidate of each of ``n_instances`` K-means clusters of codes."""
    rng = check_random_state(random_state)
    rows = np.flatnonzero(candidates)
    informativeness = 1.0 - np.asarray(proba, dtype=np.float64)[rows]
    labels, _ = cluster_codes(np.asarray(Z, dtype=np.float64)[rows], n_instances, None,
                              max_fit_samples, rng)
    # Best first (random among ties); the first row of each cluster in that order wins.
    order = top_k(informativeness, len(rows), rng)
    _, first = np.unique(labels[order], return_index=True)
    picked = order[np.sort(first)]
    if len(picked) < n_instances:
        # K-means can return fewer clusters than asked (duplicate codes): top up
        # with the best rows not picked yet.
        rest = order[~np.isin(order, picked)]
        picked = np.concatenate([picked, rest[:n_instances - len(picked)]])
    return query_result(rows[picked], informativeness[picked])
