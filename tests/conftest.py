"""Shared fixtures: small real data (sklearn digits) and a global-RNG guard."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@pytest.fixture(autouse=True)
def _torch_global_rng_untouched():
    """Every test: skvaeal must leave torch's global generator exactly as it found it.

    (numpy's global generator may legitimately advance when a caller passes
    ``random_state=None``, the scikit-learn convention, so only torch is guarded.)
    """
    before = torch.random.get_rng_state()
    yield
    after = torch.random.get_rng_state()
    assert torch.equal(before, after), "a test changed torch's global RNG state"


@pytest.fixture(scope="session")
def digits():
    """sklearn's 8x8 digits scaled to [0, 1]: ``(X, y)``."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="session")
def digits_split(digits):
    """Stratified 75/25 split of the digits: ``X_train, X_test, y_train, y_test``."""
    X, y = digits
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="session")
def small_digits(digits):
    """300 digits, enough for fast shape/contract tests."""
    X, y = digits
    rng = np.random.RandomState(0)
    idx = rng.choice(len(X), 300, replace=False)
    return X[idx], y[idx]
