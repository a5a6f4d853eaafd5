"""Small validators that give errors naming the offending parameter."""

import numbers

import numpy as np


def check_positive_int(value, name, *, minimum=1):
    """Return ``value`` as an int, or raise naming ``name``.

    Examples
    --------
    >>> from skvaeal.utils import check_positive_int
    >>> check_positive_int(3, "latent_dim")
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")
    return int(value)


def check_n_instances(n_instances, n_pool):
    """Validate a query size against the size of the pool.

    Raises
    ------
    ValueError
        If ``n_instances`` is < 1 or larger than ``n_pool``.

    Examples
    --------
    >>> from skvaeal.utils import check_n_instances
    >>> check_n_instances(5, 100)
    5
    """
    n_instances = check_positive_int(n_instances, "n_instances")
    if n_instances > n_pool:
        raise ValueError(
            f"n_instances={n_instances} is larger than the pool, which has "
            f"{n_pool} candidate samples."
        )
    return n_instances


def check_fitted_shape(Z, n_columns, name):
    """Check a 2-D finite array with ``n_columns`` columns (e.g. latent codes).

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.utils import check_fitted_shape
    >>> check_fitted_shape(np.zeros((2, 3)), 3, "Z").shape
    (2, 3)
    """
    from sklearn.utils import check_array

    Z = check_array(Z, dtype=[np.float64, np.float32], input_name=name)
    if Z.shape[1] != n_columns:
        raise ValueError(
            f"{name} has {Z.shape[1]} columns, but {n_columns} were expected "
            f"(the fitted latent_dim)."
        )
    return Z
