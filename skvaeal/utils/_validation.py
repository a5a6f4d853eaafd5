"""Small validators that give errors naming the offending parameter."""

import contextlib
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


#: The label of an unlabelled row (scikit-learn's semi-supervised convention).
UNLABELED = -1


def labeled_rows(y):
    """Boolean mask of the labelled rows of a semi-supervised target.

    A boolean ``y`` is the mask itself; otherwise rows equal to ``-1``
    (:data:`UNLABELED`) are unlabelled, scikit-learn's semi-supervised
    convention, and every other value marks a labelled row.

    Examples
    --------
    >>> from skvaeal.utils import labeled_rows
    >>> labeled_rows([3, -1, 0]).tolist()
    [True, False, True]
    >>> labeled_rows([True, False]).tolist()
    [True, False]
    """
    y = np.asarray(y)
    if y.dtype == bool:
        return y.copy()
    if y.dtype.kind in "iuf":
        return y != UNLABELED
    # Object or string labels: -1 may still appear as an int or as the string "-1".
    return np.array([not (v == UNLABELED or (isinstance(v, str) and v == "-1")) for v in y],
                    dtype=bool)


def label_kind(y):
    """``"numeric"``, ``"string"`` or ``"other"``: what a 1-D array of labels holds.

    Labels of different kinds cannot be stored together without numpy turning
    every one into a string, so a learner compares the kinds before it stores
    new labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.utils import label_kind
    >>> label_kind(np.array([1, 2])), label_kind(np.array(["a"])), label_kind(np.array([1.5]))
    ('numeric', 'string', 'numeric')
    """
    y = np.asarray(y)
    if y.dtype.kind in "biuf":
        return "numeric"
    if y.dtype.kind in "US":
        return "string"
    if y.dtype.kind == "O" and y.size:
        if all(isinstance(v, str) for v in y.ravel()):
            return "string"
        if all(isinstance(v, numbers.Number) for v in y.ravel()):
            return "numeric"
    return "other"


def check_numeric_X(X, name="X", **check_array_params):
    """:func:`~sklearn.utils.check_array` with an error that names ``name`` for non-numbers.

    scikit-learn passes numpy's own message ("could not convert string to
    float") on for an array of strings; this says which argument held them.
    A ``TypeError`` keeps numpy's text, which scikit-learn's estimator checks
    look for.

    Examples
    --------
    >>> from skvaeal.utils import check_numeric_X
    >>> check_numeric_X([["a", "b"]], "X_pool")
    Traceback (most recent call last):
    ...
    ValueError: X_pool must hold numbers; it holds strings ('a' cannot be read as one).
    """
    from sklearn.utils import check_array

    with explained_non_numeric(X, name):
        return check_array(X, input_name=name, **check_array_params)


@contextlib.contextmanager
def explained_non_numeric(X, name):
    """Re-raise a conversion error of ``X`` as :func:`explain_non_numeric` words it."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        error = explain_non_numeric(X, name, exc)
        if error is exc:
            raise
        raise error from exc


def explain_non_numeric(X, name, exc):
    """The error to raise for ``exc``, caught while converting ``X`` to numbers.

    A clearer one naming ``name`` when ``X`` holds strings or other
    non-numbers; ``exc`` itself otherwise (e.g. for NaN in a float array).
    """
    dtype = getattr(X, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "O") not in "OUS":
        return exc  # a numeric array: the error is about its values or shape
    try:
        values = np.asarray(X, dtype=object).ravel()
    except Exception:  # ragged or exotic input: keep the original error
        return exc
    bad = next((v for v in values if isinstance(v, (str, bytes))), None)
    if bad is not None:
        return ValueError(f"{name} must hold numbers; it holds strings ({bad!r} cannot be "
                          "read as one).")
    if isinstance(exc, TypeError):
        return TypeError(f"{name} must hold numbers: {exc}")
    return exc
