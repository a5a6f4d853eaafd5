"""asal_sampling: ASAL's query (Mayer & Timofte, 2020) in the strategy contract."""

import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..query._base import (check_n_query, get_labeled, get_proba, query_result,
                           strategy_params)
from ..query._uncertainty import normalized_entropy
from ..utils import n_rows, take_rows
from ..utils._param_validation import HasMethods, Interval, StrOptions
from ._matcher import PoolMatcher


def _ready_matcher(matcher, X_pool):
    """A fitted matcher for this pool: the one given (fitted once, then reused) or a new one."""
    if matcher is None:
        return PoolMatcher().fit(X_pool)
    try:
        check_is_fitted(matcher, "n_samples_fit_")
    except Exception:  # NotFittedError: fit it now; the caller's object keeps the index
        return matcher.fit(X_pool)
    if matcher.n_samples_fit_ != n_rows(X_pool):
        warnings.warn(
            f"the matcher's index holds {matcher.n_samples_fit_} rows but X_pool has "
            f"{n_rows(X_pool)}; rebuilding it. Pass the same pool every round (labelled rows "
            "are skipped) to keep selection sub-linear.", UserWarning, stacklevel=3)
        return matcher.fit(X_pool)
    return matcher


@strategy_params({
    "generator": [HasMethods(["synthesize"])],
    "matcher": [PoolMatcher, None],
    "n_steps": [Interval(Integral, 0, None, closed="left")],
    "method": [StrOptions({"auto", "gradient", "derivative-free"})],
    "X_labeled": ["array-like", None],
    "exclude": ["array-like", None],
})
def asal_sampling(classifier, X_pool, n_instances=1, *, generator, matcher=None, n_steps=100,
                  method="auto", X_labeled=None, exclude=None, random_state=None):
    """Query the pool rows nearest to GAN samples of maximal entropy (ASAL).

    The generator synthesises ``n_instances`` rows of maximal classifier
    entropy (:meth:`WGANTransformer.synthesize`, eq. 1 of Mayer & Timofte,
    2020); the matcher returns, for each, the nearest pool row not labelled
    and not chosen yet in its feature space (:meth:`PoolMatcher.match`, eq. 2).
    Only the synthesis touches the classifier: the pool is never scored, so
    with a matcher fitted once the query is sub-linear in the pool's size.

    Parameters
    ----------
    classifier : fitted classifier or active learner
        Has ``predict_proba``; its gradient is used where torch can follow it.
    X_pool : array-like of shape (n_samples, n_features)
        Pass the same pool every round: labelled rows are skipped by the
        matcher, so the index stays valid.
    n_instances : int, default=1
    generator : WGANTransformer
        Fitted on the pool (or on data like it).
    matcher : PoolMatcher, default=None
        Fitted on ``X_pool`` the first time it is used and reused afterwards
        (the object passed in keeps its index); refitted when ``X_pool`` has
        another number of rows. ``None`` builds one per call over the raw
        rows, which costs a pass over the pool.
    n_steps : int, default=100
        Adam steps of the synthesis.
    method : {"auto", "gradient", "derivative-free"}, default="auto"
        See :meth:`WGANTransformer.synthesize`.
    X_labeled : array-like, default=None
        Labelled rows to skip; by default ``classifier.X_training``. They are
        found through the matcher's row hashes, without a pass over the pool.
    exclude : array-like of int or bool, default=None
        More pool rows to skip.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
    scores : ndarray of shape (n_instances,)
        The classifier's entropy on the matched rows.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.asal import PoolMatcher, WGANTransformer, asal_sampling
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> gan = WGANTransformer(latent_dim=8, max_epochs=2, random_state=0).fit(X)
    >>> clf = LogisticRegression(max_iter=500).fit(X[:50], y[:50])
    >>> matcher = PoolMatcher(n_components=10)
    >>> idx, scores = asal_sampling(clf, X, 5, generator=gan, matcher=matcher, n_steps=10,
    ...                             X_labeled=X[:50], random_state=0)
    >>> idx.shape, bool(idx.min() >= 50)
    ((5,), True)
    """
    n_instances = check_n_query(X_pool, n_instances)
    # skorch classifiers draw from torch's global generator when they predict: fork it.
    with torch.random.fork_rng(devices=[]):
        return _asal_query(classifier, X_pool, n_instances, generator, matcher, n_steps,
                           method, X_labeled, exclude, random_state)


def _asal_query(classifier, X_pool, n_instances, generator, matcher, n_steps, method,
                X_labeled, exclude, random_state):
    # Fails fast, with the contract's error, on a missing or unfitted classifier.
    get_proba(classifier, np.asarray(take_rows(X_pool, [0])))
    matcher = _ready_matcher(matcher, X_pool)
    skip = np.zeros(matcher.n_samples_fit_, dtype=bool)
    labeled = get_labeled(classifier, X_labeled)
    if labeled is not None:
        skip[matcher.locate(labeled)] = True
    if exclude is not None:
        exclude = np.asarray(exclude)
        if exclude.dtype == bool:
            if exclude.shape != skip.shape:
                raise ValueError(f"a boolean exclude must have one entry per pool row "
                                 f"({skip.shape[0]}); got shape {exclude.shape}.")
            skip |= exclude
        elif exclude.size:
            skip[exclude.astype(np.intp)] = True
    if n_instances > int((~skip).sum()):
        raise ValueError(f"n_instances={n_instances} is larger than the {int((~skip).sum())} "
                         "pool rows that are not labelled (or excluded) yet.")
    rng = check_random_state(random_state)
    X_synth = generator.synthesize(classifier, n_instances, n_steps=n_steps, method=method,
                                   random_state=rng)
    query_idx, _ = matcher.match(X_synth, n_instances, exclude=skip, classifier=classifier)
    scores = normalized_entropy(
        get_proba(classifier, np.asarray(take_rows(X_pool, query_idx))), axis=1)
    return query_result(query_idx, scores)
