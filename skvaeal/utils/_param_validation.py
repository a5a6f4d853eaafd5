"""Declared parameter constraints: scikit-learn's mechanism, plus the few kinds it lacks.

Every estimator lists its constraints once in ``_parameter_constraints`` (merged
from its bases) and validates them at ``fit`` through scikit-learn's
``_fit_context``; public functions use :func:`validate_params`. These live in
scikit-learn's private ``sklearn.utils._param_validation`` (stable from 1.3 to
1.9, the versions skvaeal supports); importing them here, in one place, keeps
any future change of that private API to this file.
"""

import numbers

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (HasMethods, Hidden, Interval, Options,
                                             StrOptions, validate_parameter_constraints,
                                             validate_params)

__all__ = [
    "CaseInsensitiveOptions",
    "HasMethods",
    "Hidden",
    "Interval",
    "IntTuple",
    "ModulePair",
    "NameTuple",
    "Options",
    "StrOptions",
    "SubclassOf",
    "fit_context",
    "validate_parameter_constraints",
    "validate_params",
]

#: ``fit`` decorator: validates ``_parameter_constraints`` first (scikit-learn's ``_fit_context``).
fit_context = _fit_context


class _Constraint(Options):
    """Base of skvaeal's own constraints.

    scikit-learn accepts only its own constraint classes in
    ``_parameter_constraints``; subclassing ``Options`` (and overriding what
    it checks) is how a new kind gets through.
    """

    def __init__(self):
        super().__init__(object, set())


class IntTuple(_Constraint):
    """A tuple or list of ints ``>= minimum`` (layer widths, image shapes).

    Parameters
    ----------
    minimum : int, default=1
    lengths : tuple of int or None, default=None
        Allowed lengths; ``None`` allows any, the empty tuple included.
    """

    def __init__(self, minimum=1, lengths=None):
        super().__init__()
        self.minimum = minimum
        self.lengths = lengths

    def is_satisfied_by(self, val):
        if not isinstance(val, (tuple, list)):
            return False
        if self.lengths is not None and len(val) not in self.lengths:
            return False
        return all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                   and v >= self.minimum for v in val)

    def __str__(self):
        length = ("" if self.lengths is None
                  else f" of length {' or '.join(str(n) for n in self.lengths)}")
        return f"a tuple{length} of ints >= {self.minimum}"


class NameTuple(_Constraint):
    """A non-empty tuple or list of distinct names out of ``options``."""

    def __init__(self, options):
        super().__init__()
        self.options = tuple(options)

    def is_satisfied_by(self, val):
        return (isinstance(val, (tuple, list)) and len(val) > 0
                and all(isinstance(v, str) and v in self.options for v in val)
                and len(set(val)) == len(val))

    def __str__(self):
        return f"a tuple of distinct names out of {self.options}"


class CaseInsensitiveOptions(_Constraint):
    """A string equal to one of ``options`` up to case (e.g. ``"Adam"`` for ``"adam"``)."""

    def __init__(self, options):
        super().__init__()
        self.options = tuple(sorted(options))

    def is_satisfied_by(self, val):
        return isinstance(val, str) and val.lower() in self.options

    def __str__(self):
        return f"a str among {self.options} (any case)"


class SubclassOf(_Constraint):
    """A class that subclasses ``base`` (e.g. an optimizer class)."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def is_satisfied_by(self, val):
        return isinstance(val, type) and issubclass(val, self.base)

    def __str__(self):
        return f"a subclass of {self.base.__module__}.{self.base.__qualname__}"


class ModulePair(_Constraint):
    """A pair ``(encoder, decoder)`` of ``torch.nn.Module`` instances."""

    def is_satisfied_by(self, val):
        import torch

        return (isinstance(val, (tuple, list)) and len(val) == 2
                and all(isinstance(m, torch.nn.Module) for m in val))

    def __str__(self):
        return "a pair (encoder, decoder) of torch.nn.Module instances"
