"""VAAL's acquisition: query the rows the latent discriminator thinks least labelled."""

import numpy as np
from sklearn.utils import check_random_state

from ..query._base import (candidate_mask, check_query, get_labeled, lowest_score_pick,
                           strategy_params)
from ..utils import draw_seed
from ..utils._blocks import is_out_of_core
from ..utils._param_validation import HasMethods
from ._estimator import VAALSampler

__all__ = ["vaal_sampling"]


@strategy_params({
    "sampler": [None, HasMethods(["fit", "score_samples"])],
    "X_labeled": [None, "array-like"],
    "refit": ["boolean"],
}, fits_models=True)
def vaal_sampling(classifier, X_pool, n_instances=1, *, sampler=None, X_labeled=None,
                  refit=True, random_state=None, **sampler_params):
    """Query the pool rows that VAAL's discriminator scores least likely to be labelled.

    A :class:`~skvaeal.VAALSampler` is trained on the labelled rows against
    the candidate pool rows, then the ``n_instances`` candidates with the
    lowest ``S(z)`` are returned (Sinha et al., 2019). The task model plays no
    part: VAAL is task-agnostic.

    Parameters
    ----------
    classifier : object or None
        A learner with ``X_training`` (skvaeal's or modAL's
        ``ActiveLearner``), or anything when ``X_labeled`` is given.
    X_pool : array-like of shape (n_pool, n_features)
        Candidates. Rows equal to a labelled row are never queried and are
        not used as unlabelled rows, so the pool may include the labelled set.
    n_instances : int, default=1
    sampler : VAALSampler, default=None
        The sampler to train (in place) and query. Pass the same instance
        every round; with ``warm_start=True`` it continues training from the
        previous round instead of restarting; ``None`` builds a new
        ``VAALSampler(random_state=..., **sampler_params)`` at each call.
    X_labeled : array-like of shape (n_labeled, n_features), default=None
        The labelled rows; default ``classifier.X_training``.
    refit : bool, default=True
        Train the sampler on the current pools before scoring. ``False``
        scores with ``sampler`` as it is (it must be fitted).
    random_state : int, RandomState instance or None, default=None
        Seeds a new sampler (when ``sampler`` is None) and breaks ties.
    **sampler_params
        Parameters set on the sampler before fitting (e.g. ``max_epochs``).

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Distinct indices into ``X_pool``, most informative first.
    scores : ndarray of shape (n_instances,)
        ``1 - S(z)``: higher means less like the labelled set.

    Raises
    ------
    ValueError
        If ``n_instances`` is out of range, or on a cold start (no labelled
        rows) when the sampler must be trained: VAAL has nothing to compare
        the pool with, so label a first batch with
        :func:`~skvaeal.query.random_sampling` or
        :func:`~skvaeal.query.vae_coreset_sampling` first.
    TypeError
        If ``sampler`` is not a :class:`~skvaeal.VAALSampler`-like estimator.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal.query import vaal_sampling
    >>> X = load_digits().data[:200] / 16.0
    >>> idx, scores = vaal_sampling(None, X[20:], 5, X_labeled=X[:20], random_state=0,
    ...                             latent_dim=4, max_epochs=1)
    >>> idx.shape, bool((scores[:-1] >= scores[1:]).all())
    ((5,), True)
    """
    X_pool, n_instances = check_query(X_pool, n_instances)
    # One generator for the sampler's seed and the tie-breaks, so that an int and
    # RandomState(int) give the same query.
    rng = check_random_state(random_state)
    seed = draw_seed(rng)
    X_lab = get_labeled(classifier, X_labeled)
    candidates = candidate_mask(X_pool, X_labeled=X_lab, lazy=not refit)
    if refit:
        if is_out_of_core(X_pool):
            raise ValueError(
                "vaal_sampling(refit=True) trains its sampler on the whole pool, which a "
                f"{type(X_pool).__name__} pool is meant to avoid: fit a VAALSampler on a "
                "sample of it and pass sampler=..., refit=False; scoring then reads the "
                "pool a block at a time.")
        if X_lab is None:
            raise ValueError(
                "vaal_sampling needs labelled rows (classifier.X_training or X_labeled) to "
                "train its discriminator; label an initial batch first, e.g. with "
                "random_sampling or vae_coreset_sampling.")
        X_lab = np.asarray(X_lab, dtype=X_pool.dtype).reshape(len(X_lab), -1)
        if X_lab.shape[1] != X_pool.shape[1]:
            raise ValueError(
                f"X_labeled has {X_lab.shape[1]} features but X_pool has {X_pool.shape[1]}.")
        if sampler is None:
            sampler = VAALSampler(random_state=seed)
        if sampler_params:
            sampler.set_params(**sampler_params)
        X_fit = np.concatenate([X_lab, X_pool[candidates]])
        is_labeled = np.arange(len(X_fit)) < len(X_lab)
        sampler.fit(X_fit, is_labeled)
    elif sampler is None:
        raise ValueError("refit=False needs a fitted sampler.")
    proba = sampler.score_samples(X_pool)
    return lowest_score_pick(proba, candidates, n_instances, rng)
