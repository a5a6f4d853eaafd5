"""Class subsets, shared by the MNIST and digits loaders."""

import numbers

import numpy as np


def check_digits(digits, valid=range(10)):
    """Validate a class subset such as ``(0, 3, 9)``; ``None`` means all classes.

    Returns a sorted tuple of ints or ``None``.
    """
    if digits is None:
        return None
    if isinstance(digits, (numbers.Integral, str)) and not isinstance(digits, bool):
        digits = [digits]
    try:
        values = list(digits)
    except TypeError:
        raise TypeError(f"digits must be None or a sequence of ints; got {digits!r}.") from None
    if not values:
        raise ValueError("digits must name at least one class; got an empty sequence.")
    for d in values:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(f"digits must hold ints; got {d!r} in {digits!r}.")
        if int(d) not in valid:
            raise ValueError(f"digits must lie in {min(valid)}..{max(valid)}; got {d!r}.")
    if len(set(int(d) for d in values)) != len(values):
        raise ValueError(f"digits must not repeat a class; got {digits!r}.")
    return tuple(sorted(int(d) for d in values))


def class_mask(y, digits):
    """Boolean mask of the rows whose label is in ``digits`` (all rows for None)."""
    if digits is None:
        return np.ones(len(y), dtype=bool)
    return np.isin(y, np.asarray(digits))
