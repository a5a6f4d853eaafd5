"""Validation, devices and random-state plumbing."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skvaeal.utils import (check_fitted_shape, check_n_instances, check_positive_int,
                           check_rows, hstack_columns, n_rows, stack_rows, take_rows,
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


# ----------------------------------------------------------- rows of any container
def _frame(values, index):
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(np.asarray(values, dtype=float), columns=["a", "b"], index=index)


def test_n_rows_counts_every_container():
    assert n_rows(np.zeros((4, 3))) == 4
    assert n_rows(np.zeros(5)) == 5
    assert n_rows(np.zeros((2, 3, 4))) == 2
    assert n_rows(sp.random(6, 3, format="csr")) == 6
    assert n_rows(["a text", "another", "third"]) == 3
    assert n_rows((1, 2)) == 2
    assert n_rows(_frame(np.zeros((7, 2)), range(7))) == 7
    with pytest.raises(TypeError, match="scalar"):
        n_rows(np.float64(1.0))
    with pytest.raises(TypeError, match="array-like of samples; got object"):
        n_rows(object())


def test_take_rows_uses_positions_not_dataframe_labels():
    df = _frame([[0, 1], [2, 3], [4, 5]], index=[10, 2, 0])
    rows = take_rows(df, np.array([2, 0]))
    assert type(rows) is type(df)
    assert rows.index.tolist() == [0, 10]  # positions 2 and 0, labels kept
    assert rows["a"].tolist() == [4.0, 0.0]
    one = take_rows(df, 1)  # a single position gives the row as a Series
    assert one.name == 2 and one.tolist() == [2.0, 3.0]
    series = df["b"]
    assert take_rows(series, [1]).tolist() == [3.0]


@pytest.mark.parametrize("fmt", ["coo", "csr", "csc", "lil", "dia", "bsr"])
def test_take_rows_keeps_the_sparse_format(fmt):
    dense = np.arange(12, dtype=float).reshape(4, 3)
    X = sp.csr_matrix(dense).asformat(fmt)
    rows = take_rows(X, np.array([3, 1]))
    assert sp.issparse(rows) and rows.format == fmt
    assert np.array_equal(rows.toarray(), dense[[3, 1]])


def test_take_rows_of_lists_tuples_and_masks():
    texts = ["cat", "dog", "tree", "sky"]
    assert take_rows(texts, np.array([2, 0])) == ["tree", "cat"]
    assert take_rows(texts, np.array([True, False, False, True])) == ["cat", "sky"]
    assert take_rows(texts, np.int64(1)) == "dog"
    assert take_rows(tuple(texts), [3]) == ("sky",)
    X = np.arange(8).reshape(4, 2)
    assert np.array_equal(take_rows(X, np.array([False, True, True, False])), X[1:3])
    assert np.array_equal(take_rows(X, 2), [4, 5])


def test_stack_rows_keeps_the_first_blocks_type():
    a = sp.csc_matrix(np.eye(2))
    b = sp.csr_matrix(np.ones((1, 2)))
    stacked = stack_rows([a, b])
    assert stacked.format == "csc"
    assert np.array_equal(stacked.toarray(), [[1, 0], [0, 1], [1, 1]])
    # A dense first block with a sparse one gives CSR.
    mixed = stack_rows([np.zeros((1, 2)), b])
    assert sp.issparse(mixed) and mixed.format == "csr" and mixed.shape == (2, 2)
    lil = stack_rows([sp.lil_matrix(np.eye(2)), sp.lil_matrix(np.eye(2))])
    assert lil.format == "lil" and lil.shape == (4, 2)


def test_stack_rows_of_dataframes_keeps_the_index():
    first = _frame([[0, 1], [2, 3]], index=[7, 3])
    second = _frame([[4, 5]], index=[11])
    stacked = stack_rows([first, second])
    assert stacked.index.tolist() == [7, 3, 11]
    assert stacked.columns.tolist() == ["a", "b"]
    assert stacked["b"].tolist() == [1.0, 3.0, 5.0]
    # An array after a DataFrame becomes rows with the DataFrame's columns.
    with_array = stack_rows([first, np.array([[8.0, 9.0]])])
    assert type(with_array) is type(first)
    assert with_array.columns.tolist() == ["a", "b"] and with_array["a"].tolist()[-1] == 8.0
    series = stack_rows([first["a"], np.array([6.0])])
    assert series.name == "a" and series.tolist() == [0.0, 2.0, 6.0]


def test_stack_rows_of_lists_and_arrays():
    assert stack_rows([["a"], ["b", "c"]]) == ["a", "b", "c"]
    mixed = stack_rows([["a", "b"], np.array(["c"])])
    assert mixed == ["a", "b", "c"] and isinstance(mixed, list)
    assert stack_rows([("a",), ("b",)]) == ("a", "b")
    stacked = stack_rows([np.zeros((1, 3)), np.ones((2, 3))])
    assert isinstance(stacked, np.ndarray) and stacked.shape == (3, 3)
    assert np.array_equal(stacked[1:], np.ones((2, 3)))
    y = stack_rows([np.array([0, 1]), [2]])
    assert y.tolist() == [0, 1, 2]
    only = np.zeros(2)
    assert stack_rows([only]) is only
    with pytest.raises(ValueError, match="at least one block"):
        stack_rows([])


def test_hstack_columns():
    dense = hstack_columns([np.zeros((2, 1)), np.ones((2, 3)), np.array([5.0, 6.0])])
    assert dense.shape == (2, 5)
    assert dense[:, -1].tolist() == [5.0, 6.0]  # a 1-D block is one column
    sparse = hstack_columns([sp.csc_matrix(np.eye(2)), np.ones((2, 1))])
    assert sp.issparse(sparse) and sparse.format == "csr"
    assert np.array_equal(sparse.toarray(), [[1, 0, 1], [0, 1, 1]])
    left = _frame([[0, 1], [2, 3]], index=[4, 5])
    right = _frame([[6, 7], [8, 9]], index=[4, 5]).rename(columns={"a": "c", "b": "d"})
    frame = hstack_columns([left, right])
    assert frame.columns.tolist() == ["a", "b", "c", "d"] and frame.index.tolist() == [4, 5]
    only = np.zeros((2, 2))
    assert hstack_columns([only]) is only


def test_check_rows_returns_its_input_unchanged():
    texts = ["a text", "another"]
    assert check_rows(texts, "X_pool") is texts
    X = sp.random(3, 2, format="lil")
    assert check_rows(X, "X_pool") is X
    df = _frame([[0, 1]], index=[9])
    assert check_rows(df, "X_pool") is df
    one_d = np.arange(4.0)
    assert check_rows(one_d, "X") is one_d
    # Ragged rows (token lists of different lengths) may still suit a pipeline.
    ragged = [[1, 2], [3]]
    assert check_rows(ragged, "X") is ragged


def test_check_rows_errors_name_the_parameter():
    with pytest.raises(TypeError, match="X_pool must be a collection of samples; got None"):
        check_rows(None, "X_pool")
    with pytest.raises(TypeError, match="X_pool"):
        check_rows(3.0, "X_pool")
    with pytest.raises(ValueError, match="X_pool must hold at least one row"):
        check_rows(np.zeros((0, 3)), "X_pool")
    with pytest.raises(ValueError, match="X_pool must hold at least one row"):
        check_rows([], "X_pool")


def test_check_rows_finite_options():
    nan, inf = np.array([[1.0, np.nan]]), np.array([[1.0, np.inf]])
    for bad in (nan, inf, sp.csr_matrix(nan)):
        with pytest.raises(ValueError, match="X contains NaN or infinity.*force_all_finite"):
            check_rows(bad, "X")
    assert check_rows(nan, "X", ensure_all_finite="allow-nan") is nan
    with pytest.raises(ValueError, match="force_all_finite"):
        check_rows(inf, "X", ensure_all_finite="allow-nan")
    assert check_rows(inf, "X", ensure_all_finite=False) is inf
    assert check_rows(nan, "X", ensure_all_finite=False) is nan
