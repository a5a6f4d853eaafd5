"""Validation, device resolution and random-state plumbing shared by all layers."""

from ._device import resolve_device
from ._random import seed_from_random_state, torch_rng_scope
from ._validation import check_fitted_shape, check_n_instances, check_positive_int

__all__ = [
    "check_fitted_shape",
    "check_n_instances",
    "check_positive_int",
    "resolve_device",
    "seed_from_random_state",
    "torch_rng_scope",
]
