"""Validation, device resolution, random-state plumbing and shared docs, used by all layers."""

from ._data import check_rows, hstack_columns, n_rows, stack_rows, take_rows
from ._device import resolve_device
from ._docstrings import Substitution
from ._random import MAX_SEED, draw_seed, seed_from_random_state, torch_rng_scope
from ._validation import (UNLABELED, check_fitted_shape, check_n_instances, check_numeric_X,
                          check_positive_int, label_kind, labeled_rows)

__all__ = [
    "MAX_SEED",
    "Substitution",
    "UNLABELED",
    "check_fitted_shape",
    "check_n_instances",
    "check_numeric_X",
    "check_rows",
    "check_positive_int",
    "draw_seed",
    "hstack_columns",
    "label_kind",
    "labeled_rows",
    "n_rows",
    "resolve_device",
    "seed_from_random_state",
    "stack_rows",
    "take_rows",
    "torch_rng_scope",
]
