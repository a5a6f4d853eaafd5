"""Build utility measures and strategies from parts, as modAL's ``utils.combination``.

A utility measure is ``measure(classifier, X) -> ndarray`` (e.g.
:func:`~skvaeal.query.classifier_uncertainty`); a selector maps utilities to
``(indices, values)`` (e.g. :func:`~skvaeal.query.multi_argmax`).
"""

import numpy as np

__all__ = ["make_linear_combination", "make_product", "make_query_strategy"]


def _check_functions(functions, coefficients, name):
    if not functions:
        raise ValueError("pass at least one function to combine.")
    for f in functions:
        if not callable(f):
            raise TypeError(f"every function to combine must be callable; got {f!r}.")
    if coefficients is None:
        return np.ones(len(functions))
    coefficients = np.asarray(coefficients, dtype=np.float64).reshape(-1)
    if coefficients.shape[0] != len(functions):
        raise ValueError(
            f"{name} must have one entry per function ({len(functions)}); got "
            f"{coefficients.shape[0]}.")
    return coefficients


def make_linear_combination(*functions, weights=None):
    """A function returning ``sum_i weights[i] * functions[i](*args, **kwargs)``.

    Parameters
    ----------
    *functions : callables
        Called with the same arguments; they should return arrays of one shape.
    weights : sequence of float, default=None
        One per function; all ones when omitted.

    Returns
    -------
    combined : callable

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.query import make_linear_combination
    >>> f = make_linear_combination(np.sin, np.cos, weights=[2.0, 1.0])
    >>> float(f(0.0))
    1.0
    """
    weights = _check_functions(functions, weights, "weights")

    def linear_combination(*args, **kwargs):
        return sum(w * f(*args, **kwargs) for w, f in zip(weights, functions))

    return linear_combination


def make_product(*functions, exponents=None):
    """A function returning ``prod_i functions[i](*args, **kwargs) ** exponents[i]``.

    Parameters
    ----------
    *functions : callables
    exponents : sequence of float, default=None
        One per function; all ones when omitted.

    Returns
    -------
    product : callable

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.query import make_product
    >>> f = make_product(np.exp, np.exp, exponents=[1.0, 2.0])
    >>> bool(np.isclose(f(1.0), np.exp(3.0)))
    True
    """
    exponents = _check_functions(functions, exponents, "exponents")

    def product(*args, **kwargs):
        return np.prod([f(*args, **kwargs) ** e for e, f in zip(exponents, functions)], axis=0)

    return product


def make_query_strategy(utility_measure, selector):
    """A strategy ``(classifier, X_pool, **selector_kwargs)``: the selector on the utility.

    Parameters
    ----------
    utility_measure : callable
        ``utility_measure(classifier, X_pool) -> ndarray``.
    selector : callable
        ``selector(utility, **selector_kwargs) -> (indices, values)``;
        ``n_instances`` passed to the strategy reaches it.

    Returns
    -------
    query_strategy : callable

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.query import classifier_uncertainty, make_query_strategy, multi_argmax
    >>> strategy = make_query_strategy(classifier_uncertainty, multi_argmax)
    >>> clf = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> strategy(clf, [[0.0], [0.5], [1.0]], n_instances=1)[0]
    array([1])
    """
    if not callable(utility_measure) or not callable(selector):
        raise TypeError("utility_measure and selector must both be callable.")

    def query_strategy(classifier, X_pool, **selector_kwargs):
        return selector(utility_measure(classifier, X_pool), **selector_kwargs)

    return query_strategy
