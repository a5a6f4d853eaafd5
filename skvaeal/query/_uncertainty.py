"""Uncertainty sampling on ``predict_proba``: least confident, margin and entropy.

Each strategy has a pure numpy score function beside it (``*_scores``) that maps
an ``(n_samples, n_classes)`` probability matrix to one uncertainty per row,
higher meaning more uncertain; the strategy queries the highest scores.
"""

import numpy as np
from scipy.special import entr
from sklearn.exceptions import NotFittedError

from ..utils import n_rows
from ..utils._blocks import is_out_of_core
from ._base import (TIE_BREAK_CONSTRAINTS, check_n_query, get_proba, pool_scores, query_result,
                    strategy_params, top_k_scored)

__all__ = [
    "classifier_entropy",
    "classifier_margin",
    "classifier_uncertainty",
    "entropy_sampling",
    "entropy_scores",
    "least_confident_scores",
    "margin_sampling",
    "margin_scores",
    "uncertainty_sampling",
]


def _check_proba(proba):
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] < 1:
        raise ValueError(
            f"proba must be a 2-D array of shape (n_samples, n_classes); got shape {proba.shape}."
        )
    if not np.all(np.isfinite(proba)):
        raise ValueError("proba must be finite.")
    return proba


def least_confident_scores(proba):
    """Least-confidence uncertainty, ``1 - max_k p_k``, per row.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities (rows summing to 1).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In ``[0, 1 - 1/n_classes]`` for probability rows; higher is more uncertain.

    Examples
    --------
    >>> from skvaeal.query import least_confident_scores
    >>> least_confident_scores([[0.9, 0.1], [0.5, 0.5]])
    array([0.1, 0.5])
    """
    proba = _check_proba(proba)
    return 1.0 - proba.max(axis=1)


def margin_scores(proba):
    """Margin uncertainty, ``1 - (p_(1) - p_(2))``, per row.

    ``p_(1)`` and ``p_(2)`` are the two largest probabilities of the row (``p_(2)``
    is 0 with a single class). One minus the margin, so that, as for the other
    scores, higher means more uncertain.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities (rows summing to 1).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In ``[0, 1]`` for probability rows; 1 when the top two classes tie.

    Examples
    --------
    >>> from skvaeal.query import margin_scores
    >>> margin_scores([[0.9, 0.1], [0.5, 0.5]])
    array([0.2, 1. ])
    """
    proba = _check_proba(proba)
    if proba.shape[1] == 1:
        return 1.0 - proba[:, 0]
    # A partition finds the top two in O(n_classes) per row, no full sort.
    top2 = np.partition(proba, proba.shape[1] - 2, axis=1)[:, -2:]
    return 1.0 - (top2[:, 1] - top2[:, 0])


def entropy_scores(proba):
    """Shannon entropy (in nats), ``-sum_k p_k log p_k``, per row.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities (rows summing to 1); ``0 log 0`` counts as 0.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        In ``[0, log(n_classes)]`` for probability rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.query import entropy_scores
    >>> s = entropy_scores([[1.0, 0.0], [0.5, 0.5]])
    >>> bool(s[0] == 0.0), bool(np.isclose(s[1], np.log(2)))
    (True, True)
    """
    proba = _check_proba(proba)
    # entr is exact at 0 (no 0 * log 0 = nan), and clipping keeps rounding noise
    # slightly below 0 from giving a nan.
    return entr(np.clip(proba, 0.0, None)).sum(axis=1)


def _proba_or_none(classifier, X, predict_proba_kwargs):
    # modAL's convention for its measures: an unfitted model is maximally
    # uncertain (uncertainty 1) and has no margin or entropy (0).
    if classifier is None:  # a cold start: no model yet
        return None
    try:
        return np.asarray(classifier.predict_proba(X, **predict_proba_kwargs), dtype=np.float64)
    except NotFittedError:
        return None


def classifier_uncertainty(classifier, X, **predict_proba_kwargs):
    """modAL's uncertainty measure, ``1 - max_k p_k`` per row; ones before any fit.

    Parameters
    ----------
    classifier : classifier, learner or committee
        Anything with ``predict_proba``.
    X : array-like
        Samples in the form ``predict_proba`` takes.
    **predict_proba_kwargs
        Passed to ``predict_proba``.

    Returns
    -------
    uncertainty : ndarray of shape (n_samples,)
        All ones when ``predict_proba`` raises
        :class:`~sklearn.exceptions.NotFittedError`, as in modAL.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.query import classifier_uncertainty
    >>> classifier_uncertainty(LogisticRegression(), [[0.0], [1.0]])
    array([1., 1.])
    """
    if is_out_of_core(X):  # a dask array or memmap: scored a block at a time
        return pool_scores(
            lambda rows: classifier_uncertainty(classifier, rows, **predict_proba_kwargs), X)
    proba = _proba_or_none(classifier, X, predict_proba_kwargs)
    if proba is None:
        return np.ones(n_rows(X))
    return 1.0 - proba.max(axis=1)


def classifier_margin(classifier, X, **predict_proba_kwargs):
    """modAL's margin, ``p_(1) - p_(2)`` per row (small is uncertain); zeros before any fit.

    The opposite orientation of :func:`margin_scores`, which is ``1 -`` this
    so that higher means more uncertain like the other skvaeal scores. With a
    single class the margin is 0, as in modAL.

    Parameters
    ----------
    classifier : classifier, learner or committee
    X : array-like
    **predict_proba_kwargs
        Passed to ``predict_proba``.

    Returns
    -------
    margin : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skvaeal.query import classifier_margin
    >>> clf = DummyClassifier(strategy="prior").fit([[0], [1], [2], [3]], [0, 0, 0, 1])
    >>> classifier_margin(clf, [[5.0]])
    array([0.5])
    """
    if is_out_of_core(X):  # a dask array or memmap: scored a block at a time
        return pool_scores(
            lambda rows: classifier_margin(classifier, rows, **predict_proba_kwargs), X)
    proba = _proba_or_none(classifier, X, predict_proba_kwargs)
    if proba is None:
        return np.zeros(n_rows(X))
    if proba.shape[1] == 1:
        return np.zeros(proba.shape[0])
    top2 = np.partition(proba, proba.shape[1] - 2, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def classifier_entropy(classifier, X, **predict_proba_kwargs):
    """Entropy (nats) of the predicted class distribution per row; zeros before any fit.

    Rows are normalised to sum to one first, as :func:`scipy.stats.entropy`
    does in modAL.

    Parameters
    ----------
    classifier : classifier, learner or committee
    X : array-like
    **predict_proba_kwargs
        Passed to ``predict_proba``.

    Returns
    -------
    entropy : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from skvaeal.query import classifier_entropy
    >>> clf = DummyClassifier(strategy="prior").fit([[0], [1]], [0, 1])
    >>> classifier_entropy(clf, [[0.0]]).round(4)
    array([0.6931])
    """
    if is_out_of_core(X):  # a dask array or memmap: scored a block at a time
        return pool_scores(
            lambda rows: classifier_entropy(classifier, rows, **predict_proba_kwargs), X)
    proba = _proba_or_none(classifier, X, predict_proba_kwargs)
    if proba is None:
        return np.zeros(n_rows(X))
    return normalized_entropy(proba)


def normalized_entropy(p, axis=-1):
    """Entropy of ``p`` along ``axis`` after normalising it to sum to one (0 for a zero row)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    total = p.sum(axis=axis, keepdims=True)
    p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    return entr(p).sum(axis=axis)


def _uncertainty_query(score_func, classifier, X_pool, n_instances, random_tie_break,
                       random_state, predict_proba_kwargs):
    n_instances = check_n_query(X_pool, n_instances)
    scores = pool_scores(
        lambda rows: score_func(get_proba(classifier, rows, **predict_proba_kwargs)), X_pool)
    return query_result(*top_k_scored(scores, n_instances, random_state,
                                      random_tie_break=random_tie_break))


_STRATEGY_DOC = """{summary}

    Parameters
    ----------
    classifier : fitted classifier, learner or committee
        Anything with ``predict_proba``: a fitted scikit-learn classifier or
        pipeline, skvaeal's or modAL's ``ActiveLearner`` or ``Committee``.
    X_pool : array-like of shape (n_samples, ...)
        Candidates, in the form ``classifier.predict_proba`` accepts (arrays,
        sparse matrices, DataFrames, lists of texts for a text pipeline).
    n_instances : int, default=1
        Number of samples to query, from 1 to ``n_samples``.
    random_tie_break : bool, default=True
        Break ties between equal scores at random (with ``random_state``);
        ``False`` gives them to the lowest index. modAL's default is
        ``False``; skvaeal breaks ties at random by default because they are
        common (tree ensembles predict few distinct probabilities) and the
        pool's order is arbitrary.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal scores; the same int gives the same indices.
    **predict_proba_kwargs
        Passed to ``classifier.predict_proba``.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Indices into ``X_pool``, most uncertain first.
    scores : ndarray of shape (n_instances,)
        Their uncertainty, :func:`{score_func}`.

    Raises
    ------
    ValueError
        If ``n_instances`` is < 1 or larger than the pool.
    TypeError
        If ``classifier`` is ``None``, not fitted, or has no ``predict_proba``
        (:class:`~skvaeal.query.ClassifierNotFittedError`). modAL queries an
        arbitrary row then; :func:`{measure}` keeps modAL's convention.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.query import {name}
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> query_idx, scores = {name}(clf, X, n_instances=3, random_state=0)
    >>> query_idx.shape, scores.shape
    ((3,), (3,))
    """


@strategy_params(TIE_BREAK_CONSTRAINTS)
def uncertainty_sampling(classifier, X_pool, n_instances=1, random_tie_break=True, *,
                         random_state=None, **predict_proba_kwargs):
    return _uncertainty_query(least_confident_scores, classifier, X_pool, n_instances,
                              random_tie_break, random_state, predict_proba_kwargs)


@strategy_params(TIE_BREAK_CONSTRAINTS)
def margin_sampling(classifier, X_pool, n_instances=1, random_tie_break=True, *,
                    random_state=None, **predict_proba_kwargs):
    return _uncertainty_query(margin_scores, classifier, X_pool, n_instances,
                              random_tie_break, random_state, predict_proba_kwargs)


@strategy_params(TIE_BREAK_CONSTRAINTS)
def entropy_sampling(classifier, X_pool, n_instances=1, random_tie_break=True, *,
                     random_state=None, **predict_proba_kwargs):
    return _uncertainty_query(entropy_scores, classifier, X_pool, n_instances,
                              random_tie_break, random_state, predict_proba_kwargs)


uncertainty_sampling.__doc__ = _STRATEGY_DOC.format(
    summary="Query the least confident samples, highest ``1 - max_k p_k`` first.",
    score_func="least_confident_scores", name="uncertainty_sampling",
    measure="classifier_uncertainty")
margin_sampling.__doc__ = _STRATEGY_DOC.format(
    summary="Query the samples with the smallest gap between their two likeliest classes.",
    score_func="margin_scores", name="margin_sampling", measure="classifier_margin")
entropy_sampling.__doc__ = _STRATEGY_DOC.format(
    summary="Query the samples whose predicted class distribution has the highest entropy.",
    score_func="entropy_scores", name="entropy_sampling", measure="classifier_entropy")
