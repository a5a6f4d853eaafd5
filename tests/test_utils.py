"""Validation, devices and random-state plumbing."""

import numpy as np
import pytest
import torch

from skvaeal.utils import (check_fitted_shape, check_n_instances, check_positive_int,
                           resolve_device, seed_from_random_state, torch_rng_scope)


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ValueError, match="not a valid torch device"):
        resolve_device("gpu-please")
    with pytest.raises(TypeError, match="device"):
        resolve_device(3)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:0")


def test_seed_from_random_state():
    assert seed_from_random_state(7) == 7
    rs1, rs2 = np.random.RandomState(0), np.random.RandomState(0)
    assert seed_from_random_state(rs1) == seed_from_random_state(rs2)
    assert 0 <= seed_from_random_state(None) < 2**31


def test_torch_rng_scope_is_reproducible_and_restores_state():
    before = torch.random.get_rng_state()
    with torch_rng_scope(1):
        a = torch.rand(3)
    with torch_rng_scope(1):
        b = torch.rand(3)
    assert torch.equal(a, b)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_validators_name_the_parameter():
    assert check_positive_int(4, "k") == 4
    with pytest.raises(ValueError, match="k must be"):
        check_positive_int(0, "k")
    with pytest.raises(TypeError, match="k must be"):
        check_positive_int(True, "k")
    with pytest.raises(ValueError, match="n_instances=11 is larger than the pool"):
        check_n_instances(11, 10)
    with pytest.raises(ValueError, match="n_instances"):
        check_n_instances(0, 10)
    with pytest.raises(ValueError, match="columns"):
        check_fitted_shape(np.zeros((2, 3)), 4, "Z")
