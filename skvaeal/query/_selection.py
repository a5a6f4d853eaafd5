"""Pick indices from a vector of utilities: modAL's selectors, on :func:`top_k`.

Custom strategies written for modAL combine a utility measure with one of these
(``multi_argmax(utility, n_instances)``); they return ``(indices, values)``,
best first.
"""

import numpy as np
from sklearn.utils import check_random_state

from ._base import top_k

__all__ = ["multi_argmax", "multi_argmin", "shuffled_argmax", "shuffled_argmin",
           "weighted_random"]


def _check(values, n_instances, name="values"):
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if isinstance(n_instances, bool) or not isinstance(n_instances, (int, np.integer)):
        raise TypeError(f"n_instances must be an int; got {n_instances!r}.")
    if not 1 <= n_instances <= values.shape[0]:
        raise ValueError(
            f"n_instances must be between 1 and the number of {name} ({values.shape[0]}); "
            f"got {n_instances}.")
    return values


def multi_argmax(values, n_instances=1):
    """Indices and values of the ``n_instances`` largest values, largest first.

    Ties go to the lowest index (no randomness), as modAL's ``multi_argmax``
    (which returns them unordered).

    Parameters
    ----------
    values : array-like of shape (n_samples,)
    n_instances : int, default=1

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
    values : ndarray of shape (n_instances,)

    Examples
    --------
    >>> from skvaeal.query import multi_argmax
    >>> multi_argmax([0.1, 0.9, 0.5], n_instances=2)
    (array([1, 2]), array([0.9, 0.5]))
    """
    values = _check(values, n_instances)
    idx = top_k(values, n_instances, random_tie_break=False)
    return idx, values[idx]


def multi_argmin(values, n_instances=1):
    """Indices and values of the ``n_instances`` smallest values, smallest first.

    Examples
    --------
    >>> from skvaeal.query import multi_argmin
    >>> multi_argmin([0.1, 0.9, 0.5], n_instances=2)
    (array([0, 2]), array([0.1, 0.5]))
    """
    values = _check(values, n_instances)
    idx = top_k(-values, n_instances, random_tie_break=False)
    return idx, values[idx]


def shuffled_argmax(values, n_instances=1, *, random_state=None):
    """As :func:`multi_argmax`, with ties broken at random (``random_state``).

    Examples
    --------
    >>> from skvaeal.query import shuffled_argmax
    >>> idx, _ = shuffled_argmax([1.0, 1.0, 0.0], random_state=0)
    >>> int(idx[0]) in (0, 1)
    True
    """
    values = _check(values, n_instances)
    idx = top_k(values, n_instances, random_state)
    return idx, values[idx]


def shuffled_argmin(values, n_instances=1, *, random_state=None):
    """As :func:`multi_argmin`, with ties broken at random (``random_state``).

    Examples
    --------
    >>> from skvaeal.query import shuffled_argmin
    >>> shuffled_argmin([0.3, 0.1, 0.2], random_state=0)
    (array([1]), array([0.1]))
    """
    values = _check(values, n_instances)
    idx = top_k(-values, n_instances, random_state)
    return idx, values[idx]


def weighted_random(weights, n_instances=1, *, random_state=None):
    """``n_instances`` distinct indices drawn with probability proportional to ``weights``.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative, not all zero; at least ``n_instances`` must be positive.
    n_instances : int, default=1
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)

    Examples
    --------
    >>> from skvaeal.query import weighted_random
    >>> weighted_random([0.0, 1.0, 0.0], random_state=0)
    array([1])
    """
    weights = _check(weights, n_instances, "weights")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("weights must be finite and non-negative.")
    if np.count_nonzero(weights) < n_instances:
        raise ValueError(
            f"weights has {np.count_nonzero(weights)} positive entries; n_instances="
            f"{n_instances} distinct indices cannot be drawn.")
    rng = check_random_state(random_state)
    return rng.choice(weights.shape[0], size=n_instances, replace=False,
                      p=weights / weights.sum())
