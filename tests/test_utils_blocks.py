"""Pools larger than memory (skvaeal/utils/_blocks.py): block-by-block scoring, lazy dask
results, and a top-k reduction that picks what the same rows in memory pick."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registry import ESTIMATORS
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skvaeal.query import entropy_sampling, uncertainty_sampling
from skvaeal.query._base import top_k_scored
from skvaeal.utils._blocks import is_dask_array, map_row_blocks, tie_keys, top_k_rows

da = pytest.importorskip("dask.array")


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.sampled_from([0.0, 0.5, 1.0, np.nan, -np.inf, np.inf]),
                       min_size=1, max_size=60),
       k=st.integers(1, 60), chunk=st.integers(1, 20),
       seed=st.one_of(st.none(), st.integers(0, 2**40)))
def test_top_k_of_dask_blocks_equals_top_k_in_memory(values, k, chunk, seed):
    scores = np.array(values)
    k = min(k, len(scores))
    pos, top = top_k_rows(scores, k, seed)
    lazy_pos, lazy_top = top_k_rows(da.from_array(scores, chunks=chunk), k, seed)
    np.testing.assert_array_equal(lazy_pos, pos)
    np.testing.assert_array_equal(lazy_top, top)
    # Best first: numbers in decreasing order, NaN last.
    finite_part = top[~np.isnan(top)]
    assert (finite_part[:-1] >= finite_part[1:]).all()
    assert not np.isnan(top[:len(finite_part)]).any()
    n_nan = int(np.isnan(scores).sum())
    assert np.isnan(top).sum() == max(0, k - (len(scores) - n_nan))


def test_ties_break_by_seed_and_position_not_by_block():
    scores = np.zeros(1000)
    a = top_k_rows(scores, 10, seed=3)[0]
    b = top_k_rows(da.from_array(scores, chunks=37), 10, seed=3)[0]
    c = top_k_rows(scores, 10, seed=4)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # Without a seed, ties go to the lowest position, as with random_tie_break=False.
    np.testing.assert_array_equal(top_k_rows(scores, 3, None)[0], [0, 1, 2])
    assert tie_keys(3, np.arange(5)).dtype == np.uint64


def test_random_state_none_leaves_the_global_generator_alone():
    state = np.random.get_state()
    top_k_scored(np.zeros(50), 5, None)
    assert np.array_equal(np.random.get_state()[1], state[1])


def test_memmap_is_read_a_block_at_a_time(tmp_path):
    X = np.arange(1000 * 4, dtype=np.float32).reshape(1000, 4)
    mm = np.memmap(tmp_path / "pool.dat", dtype=np.float32, mode="w+", shape=X.shape)
    mm[:] = X
    seen = []

    def row_sums(rows):
        assert type(rows) is np.ndarray  # a copy in memory, not the file
        seen.append(len(rows))
        return rows.sum(axis=1)

    out = map_row_blocks(row_sums, mm, block_rows=128)
    np.testing.assert_array_equal(out, X.sum(axis=1))
    assert max(seen) == 128 and sum(seen) == 1000


class _RecordingClassifier:
    """predict_proba of a LogisticRegression that records the rows of each call."""

    def __init__(self, model):
        self.model, self.calls = model, []

    def predict_proba(self, X):
        self.calls.append(len(X))
        return self.model.predict_proba(X)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


@pytest.mark.parametrize("strategy", [uncertainty_sampling, entropy_sampling])
def test_strategies_score_a_dask_pool_block_by_block(digits, strategy):
    X, y = digits
    clf = _RecordingClassifier(LogisticRegression(max_iter=300).fit(X[:100], y[:100]))
    pool = da.from_array(X, chunks=(200, -1))
    idx, scores = strategy(clf, pool, 7, random_state=0)
    # Every call saw one block, never the pool; the picks are those of the array.
    assert max(clf.calls) <= 200 and sum(clf.calls) == len(X)
    ref_idx, ref_scores = strategy(clf, X, 7, random_state=0)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(scores, ref_scores)


@functools.lru_cache(maxsize=None)
def _fitted_once(name):
    X, y = load_digits(return_X_y=True)
    return _fitted(name, (X[:400] / 16.0).astype(np.float32), y[:400])


def _fitted(name, X, y):
    est = clone(ESTIMATORS[name].instance)
    if name in ("ASSALClassifier", "ARALClassifier", "ClusterLabelClassifier",
                "MCDropoutClassifier", "VAALSampler"):
        target = y.copy()
        if name == "VAALSampler":
            target = np.arange(len(y)) < 100
        elif name != "MCDropoutClassifier":
            target[100:] = -1
        return est.fit(X, target)
    return est.fit(X)


_OUT_OF_CORE_METHODS = [(name, method) for name in sorted(ESTIMATORS)
                        for method in ("transform", "score_samples", "transform_and_score")
                        if hasattr(ESTIMATORS[name].instance, method) and name != "PoolMatcher"]


@pytest.mark.parametrize("name, method", _OUT_OF_CORE_METHODS)
def test_estimators_map_a_dask_pool_lazily_and_a_memmap_in_blocks(name, method, digits, tmp_path):
    X = digits[0][:400]
    est = _fitted_once(name)
    expected = getattr(est, method)(X)
    lazy = getattr(est, method)(da.from_array(X, chunks=(96, -1)))
    parts = lazy if isinstance(lazy, tuple) else (lazy,)
    refs = expected if isinstance(expected, tuple) else (expected,)
    for part, ref in zip(parts, refs):
        assert is_dask_array(part), "a dask array in gives a lazy dask array out"
        assert part.shape == ref.shape and part.dtype == ref.dtype
        assert part.chunks[0] == (96, 96, 96, 96, 16)
        np.testing.assert_allclose(part.compute(), ref, rtol=1e-4, atol=1e-5)
    mm = np.memmap(tmp_path / "pool.dat", dtype=X.dtype, mode="w+", shape=X.shape)
    mm[:] = X
    from_disk = getattr(est, method)(mm)
    for part, ref in zip(from_disk if isinstance(from_disk, tuple) else (from_disk,), refs):
        assert type(part) is np.ndarray
        np.testing.assert_allclose(part, ref, rtol=1e-4, atol=1e-5)


def test_a_dask_pool_of_the_wrong_width_fails_before_computing(digits):
    X, y = digits
    est = _fitted("VAETransformer", X[:200], y[:200])
    with pytest.raises(ValueError, match="64 features"):
        est.transform(da.from_array(X[:, :10], chunks=50))
