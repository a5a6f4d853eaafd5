"""Data sets: MNIST from IDX files, class subsets, and the embedded default digits."""

from ._digits import load_digits_subset
from ._idx import load_idx, parse_idx
from ._mnist import load_mnist

__all__ = ["load_digits_subset", "load_idx", "load_mnist", "parse_idx"]
