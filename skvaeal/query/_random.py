"""Uniform random sampling, the baseline every strategy is compared against."""

import numpy as np
from sklearn.utils import check_random_state

from ._base import check_n_query, n_pool_samples, query_result, strategy_params

__all__ = ["random_sampling"]


@strategy_params()
def random_sampling(classifier, X_pool, n_instances=1, *, random_state=None):
    """Query ``n_instances`` samples uniformly at random, without replacement.

    Parameters
    ----------
    classifier : object or None
        Ignored (accepted for the common strategy signature); ``None`` is fine.
    X_pool : array-like of shape (n_samples, ...)
        Candidates; only their number is used.
    n_instances : int, default=1
        Number of samples to query, from 1 to ``n_samples``.
    random_state : int, RandomState instance or None, default=None
        The same int gives the same indices.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Distinct indices into ``X_pool``.
    scores : ndarray of shape (n_instances,)
        All 0.0: random sampling ranks no sample above another.

    Raises
    ------
    ValueError
        If ``n_instances`` is < 1 or larger than the pool.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.query import random_sampling
    >>> query_idx, scores = random_sampling(None, np.zeros((10, 2)), 3, random_state=0)
    >>> query_idx.shape, scores.tolist()
    ((3,), [0.0, 0.0, 0.0])
    """
    n_instances = check_n_query(X_pool, n_instances)
    n_pool = n_pool_samples(X_pool)
    rng = check_random_state(random_state)
    query_idx = rng.choice(n_pool, size=n_instances, replace=False)
    return query_result(query_idx, np.zeros(n_instances))
