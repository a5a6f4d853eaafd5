"""Ranked batch-mode uncertainty sampling (Cardoso, Lopes, Goldschmidt & Macedo, 2017).

A batch of the most uncertain rows tends to be a batch of near-duplicates. The
ranked batch builds it one row at a time, scoring each candidate by

    alpha * (1 - 1 / (1 + d)) + (1 - alpha) * uncertainty,

with ``d`` its distance to the nearest labelled or already chosen row and
``alpha = |unlabelled| / (|unlabelled| + |labelled|)``, so that diversity weighs
most while few rows are labelled. Unlike modAL, the distances to the chosen set
are updated incrementally (one pass over the pool per pick, never a pool x
labelled matrix), and a cold-start row is never picked twice.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import pairwise_distances, pairwise_distances_argmin_min
from sklearn.metrics.pairwise import pairwise_distances_chunked
from sklearn.utils import check_random_state

from ..utils import n_rows, take_rows
from ._base import query_result, strategy_params
from ._uncertainty import classifier_uncertainty

__all__ = ["ranked_batch", "select_cold_start_instance", "select_instance",
           "uncertainty_batch_sampling"]


def _as_space(X):
    """Rows as a 2-D matrix for distances: sparse stays sparse, the rest dense float."""
    if sp.issparse(X):
        return X.tocsr()
    if hasattr(X, "iloc"):
        X = X.to_numpy()
    X = np.asarray(X)
    try:
        return X.astype(np.float64, copy=False).reshape(X.shape[0], -1)
    except (TypeError, ValueError):
        raise ValueError(
            "ranked batch sampling measures distances between rows, but they are not "
            "numbers; pass a pipeline as the estimator and on_transformed=True to the "
            "learner, so that the rows are compared after its transformers.") from None


def _distances_to(Z, row, metric, n_jobs):
    return pairwise_distances(Z, row, metric=metric, n_jobs=n_jobs).ravel()


def _argmax(scores, available, order):
    """Index of the best available score; among equals, the first in ``order``."""
    masked = np.where(available, scores, -np.inf)[order]
    return order[int(np.argmax(masked))]


def select_cold_start_instance(X, metric="euclidean", n_jobs=None):
    """The row with the smallest mean distance to all others: the pool's medoid.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
    metric : str or callable, default="euclidean"
        Passed to :func:`~sklearn.metrics.pairwise_distances`.
    n_jobs : int, default=None

    Returns
    -------
    index : int
    row : the row ``X[[index]]``

    Notes
    -----
    O(n_samples ** 2) distance computations, in row blocks of bounded memory
    (:func:`~sklearn.metrics.pairwise_distances_chunked`).

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.query import select_cold_start_instance
    >>> select_cold_start_instance(np.array([[0.0], [1.0], [5.0]]))[0]
    1
    """
    Z = _as_space(X)
    means = np.concatenate(list(pairwise_distances_chunked(
        Z, metric=metric, n_jobs=n_jobs, reduce_func=lambda D, start: D.mean(axis=1))))
    index = int(np.argmin(means))
    return index, take_rows(X, [index])


def select_instance(X_training, X_pool, X_uncertainty, mask, metric="euclidean", n_jobs=None):
    """One step of the ranked batch: the best row of ``X_pool[mask]``; ``mask`` is updated.

    Parameters
    ----------
    X_training : array-like or sparse matrix
        Labelled rows and those already chosen for the batch.
    X_pool : array-like or sparse matrix
    X_uncertainty : ndarray of shape (n_pool,)
    mask : ndarray of bool of shape (n_pool,)
        Rows still available; the chosen one is set to ``False`` in place.
    metric : str or callable, default="euclidean"
    n_jobs : int, default=None

    Returns
    -------
    index : int
    row : ``X_pool[[index]]``
    mask : ndarray of bool

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.query import select_instance
    >>> mask = np.ones(3, bool)
    >>> select_instance(np.array([[0.0]]), np.array([[0.1], [3.0], [0.2]]),
    ...                 np.array([0.5, 0.5, 0.5]), mask)[0]
    1
    """
    Z, L = _as_space(X_pool), _as_space(X_training)
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        raise ValueError("mask leaves no row of X_pool to select.")
    _, d = pairwise_distances_argmin_min(Z, L, metric=metric)
    n_unlabeled = int(mask.sum())
    alpha = n_unlabeled / (n_unlabeled + L.shape[0])
    scores = alpha * (1.0 - 1.0 / (1.0 + d)) + (1.0 - alpha) * np.asarray(X_uncertainty)
    index = int(_argmax(scores, mask, np.arange(Z.shape[0])))
    mask[index] = False
    return index, take_rows(X_pool, [index]), mask


def ranked_batch(classifier, unlabeled, uncertainty_scores, n_instances, metric="euclidean",
                 n_jobs=None, *, random_state=None):
    """Rank ``n_instances`` rows of ``unlabeled`` by uncertainty and distance to the labelled set.

    Parameters
    ----------
    classifier : learner or committee
        Its ``X_training`` (``None`` for a cold start) is the labelled set;
        with ``on_transformed=True`` both sets are compared after
        ``classifier.transform_without_estimating``.
    unlabeled : array-like or sparse matrix of shape (n_pool, ...)
    uncertainty_scores : ndarray of shape (n_pool,)
    n_instances : int
        At most the pool's size: a larger value gives the whole pool, ranked.
    metric : str or callable, default="euclidean"
    n_jobs : int, default=None
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal scores.

    Returns
    -------
    query_idx : ndarray of shape (min(n_instances, n_pool),)
        In the order chosen.
    scores : ndarray
        Their uncertainty scores.
    """
    uncertainty_scores = np.asarray(uncertainty_scores, dtype=np.float64).reshape(-1)
    n_pool = n_rows(unlabeled)
    if uncertainty_scores.shape[0] != n_pool:
        raise ValueError(
            f"uncertainty_scores has {uncertainty_scores.shape[0]} entries for {n_pool} rows.")
    transform = (classifier.transform_without_estimating
                 if getattr(classifier, "on_transformed", False) else None)
    Z = _as_space(transform(unlabeled) if transform else unlabeled)
    labeled = getattr(classifier, "X_training", None)
    has_labeled = labeled is not None and n_rows(labeled) > 0
    # A random order to break ties; the same seed gives the same batch.
    order = check_random_state(random_state).permutation(n_pool)
    available = np.ones(n_pool, dtype=bool)
    ranking = []
    if has_labeled:
        L = _as_space(transform(labeled) if transform else labeled)
        _, d_min = pairwise_distances_argmin_min(Z, L, metric=metric)
        n_labeled = L.shape[0]
    else:
        first, _ = select_cold_start_instance(Z, metric=metric, n_jobs=n_jobs)
        ranking.append(first)
        available[first] = False
        d_min = _distances_to(Z, Z[[first]], metric, n_jobs)
        n_labeled = 1
    for _ in range(min(n_instances, n_pool) - len(ranking)):
        n_unlabeled = int(available.sum())
        alpha = n_unlabeled / (n_unlabeled + n_labeled)
        scores = alpha * (1.0 - 1.0 / (1.0 + d_min)) + (1.0 - alpha) * uncertainty_scores
        best = int(_argmax(scores, available, order))
        ranking.append(best)
        available[best] = False
        n_labeled += 1
        d_min = np.minimum(d_min, _distances_to(Z, Z[[best]], metric, n_jobs))
    query_idx = np.asarray(ranking, dtype=np.intp)
    return query_result(query_idx, uncertainty_scores[query_idx])


@strategy_params({
    "metric": [str, callable],
    "n_jobs": [numbers.Integral, None],
})
def uncertainty_batch_sampling(classifier, X_pool, n_instances=20, metric="euclidean",
                               n_jobs=None, *, random_state=None,
                               **uncertainty_measure_kwargs):
    """Ranked batch-mode uncertainty sampling (Cardoso et al., 2017).

    Parameters
    ----------
    classifier : learner or committee
        Uncertainty comes from :func:`classifier_uncertainty` (ones before any
        fit, so a cold start picks by diversity alone); the labelled set from
        its ``X_training``.
    X_pool : array-like or sparse matrix of shape (n_samples, ...)
    n_instances : int, default=20
        Batch size (modAL's default); a larger value than the pool gives the
        whole pool, ranked.
    metric : str or callable, default="euclidean"
        Passed to :func:`~sklearn.metrics.pairwise_distances`.
    n_jobs : int, default=None
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal scores; the same int gives the same batch.
    **uncertainty_measure_kwargs
        Passed to ``predict_proba``.

    Returns
    -------
    query_idx : ndarray of shape (min(n_instances, n_samples),)
        In ranked order.
    scores : ndarray
        Their uncertainty.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skvaeal.active import ActiveLearner
    >>> from skvaeal.query import uncertainty_batch_sampling
    >>> X, y = load_iris(return_X_y=True)
    >>> learner = ActiveLearner(KNeighborsClassifier(3), uncertainty_batch_sampling,
    ...                         X_training=X[[0, 50, 100]], y_training=y[[0, 50, 100]])
    >>> query_idx, rows = learner.query(X, n_instances=5, random_state=0)
    >>> query_idx.shape
    (5,)
    """
    uncertainty = classifier_uncertainty(classifier, X_pool, **uncertainty_measure_kwargs)
    return ranked_batch(classifier, X_pool, uncertainty, n_instances, metric=metric,
                        n_jobs=n_jobs, random_state=random_state)
