"""A reusable contract check for query strategies.

Every strategy ``strategy(classifier, X_pool, n_instances=1, *, random_state=None,
**kwargs) -> (query_idx, scores)`` must pass every function in ``CONTRACT_CHECKS``
for every classifier it supports, on :func:`contract_data`. Which strategies run
with which classifiers is declared once, in ``tests/registry.py`` (``STRATEGIES``
and ``CLASSIFIERS``); ``tests/test_query_common.py`` runs every check over it, e.g.::

    check(STRATEGIES["random"].bound(), classifier, contract_data().X_pool)
"""

import functools
import inspect
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.datasets import load_digits

N_LABELED = 40
N_POOL = 150


@dataclass(frozen=True)
class ContractData:
    X_labeled: np.ndarray
    y_labeled: np.ndarray
    X_pool: np.ndarray
    y_pool: np.ndarray


@functools.lru_cache(maxsize=1)
def _digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def contract_data():
    """Small digits data: a labelled set and a disjoint pool (fresh copies each call)."""
    X, y = _digits()
    return ContractData(X[:N_LABELED].copy(), y[:N_LABELED].copy(),
                        X[N_LABELED:N_LABELED + N_POOL].copy(),
                        y[N_LABELED:N_LABELED + N_POOL].copy())


def semi_supervised_contract_data():
    """``(X, y, data)``: the contract's labelled rows and pool as one semi-supervised fit
    (``y == -1`` on the pool rows), and the :class:`ContractData` they came from."""
    d = contract_data()
    X = np.concatenate([d.X_labeled, d.X_pool])
    y = np.concatenate([d.y_labeled, -np.ones(len(d.X_pool), int)])
    return X, y, d


def _query(strategy, classifier, X_pool, n_instances, **kwargs):
    return strategy(classifier, X_pool, n_instances, **kwargs)


def check_returns_two_arrays(strategy, classifier, X_pool):
    result = _query(strategy, classifier, X_pool, 3, random_state=0)
    assert isinstance(result, tuple) and len(result) == 2, type(result)
    query_idx, scores = result
    assert isinstance(query_idx, np.ndarray) and isinstance(scores, np.ndarray)
    assert query_idx.dtype.kind in "iu", query_idx.dtype
    assert scores.dtype.kind == "f", scores.dtype
    assert query_idx.shape == scores.shape == (3,)
    assert not np.any(np.isnan(scores))


def check_unique_in_range_right_length(strategy, classifier, X_pool):
    for n in (1, 2, 17):
        query_idx, scores = _query(strategy, classifier, X_pool, n, random_state=n)
        assert query_idx.shape == (n,) and scores.shape == (n,)
        assert np.unique(query_idx).size == n
        assert query_idx.min() >= 0 and query_idx.max() < len(X_pool)


def check_whole_pool(strategy, classifier, X_pool):
    query_idx, _ = _query(strategy, classifier, X_pool, len(X_pool), random_state=0)
    np.testing.assert_array_equal(np.sort(query_idx), np.arange(len(X_pool)))


def check_reproducible(strategy, classifier, X_pool):
    a = _query(strategy, classifier, X_pool, 9, random_state=7)
    b = _query(strategy, classifier, X_pool, 9, random_state=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = _query(strategy, classifier, X_pool, 9, random_state=np.random.RandomState(7))
    np.testing.assert_array_equal(a[0], c[0])


def check_global_rng_untouched(strategy, classifier, X_pool):
    before = np.random.get_state()[1].copy(), np.random.get_state()[2]
    _query(strategy, classifier, X_pool, 5, random_state=0)
    after = np.random.get_state()
    np.testing.assert_array_equal(before[0], after[1])
    assert before[1] == after[2]


def check_pool_unchanged(strategy, classifier, X_pool):
    copy = X_pool.copy()
    _query(strategy, classifier, X_pool, 5, random_state=0)
    np.testing.assert_array_equal(X_pool, copy)


def check_bad_n_instances(strategy, classifier, X_pool):
    for bad in (0, -1, len(X_pool) + 1):
        with pytest.raises(ValueError, match="n_instances"):
            _query(strategy, classifier, X_pool, bad, random_state=0)


def check_caps_n_instances(strategy, classifier, X_pool):
    """For the strategies that cap the batch at the pool: 0 and -1 are refused, more than the
    pool gives the whole pool."""
    for bad in (0, -1):
        with pytest.raises(ValueError, match="n_instances"):
            _query(strategy, classifier, X_pool, bad, random_state=0)
    query_idx, _ = _query(strategy, classifier, X_pool, len(X_pool) + 1, random_state=0)
    np.testing.assert_array_equal(np.sort(query_idx), np.arange(len(X_pool)))


def check_partial(strategy, classifier, X_pool):
    bound = functools.partial(strategy, random_state=3)
    query_idx, scores = bound(classifier, X_pool, n_instances=4)
    expected = _query(strategy, classifier, X_pool, 4, random_state=3)
    np.testing.assert_array_equal(query_idx, expected[0])
    # The declared default n_instances (1, or modAL's batch of 20 for the ranked batch).
    default = inspect.signature(strategy).parameters["n_instances"].default
    assert bound(classifier, X_pool)[0].shape == (default,)


def check_list_pool(strategy, classifier, X_pool):
    """A nested list is a valid pool too."""
    query_idx, _ = _query(strategy, classifier, X_pool[:30].tolist(), 4, random_state=0)
    assert np.unique(query_idx).size == 4 and query_idx.max() < 30


def check_dataframe_pool(strategy, classifier, X_pool):
    """A DataFrame pool (named columns, an index not 0..n-1) gives positions, picks as good
    as the same pool as an array gives: the same indices, or, where a model's
    probabilities differ in the last bits between the two layouts and so break exact ties
    otherwise, rows with the same scores."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_pool, columns=[f"px{i}" for i in range(X_pool.shape[1])],
                         index=np.arange(len(X_pool)) * 2 + 1000)
    with warnings.catch_warnings():
        # Models fitted on arrays warn about feature names on a DataFrame (scikit-learn's).
        warnings.filterwarnings("ignore", message=".*feature names.*", category=UserWarning)
        from_array, array_scores = _query(strategy, classifier, X_pool, 5, random_state=0)
        from_frame, frame_scores = _query(strategy, classifier, frame, 5, random_state=0)
    from_frame = np.asarray(from_frame)
    assert from_frame.min() >= 0 and from_frame.max() < len(X_pool)
    assert np.unique(from_frame).size == 5
    if np.array_equal(from_frame, np.asarray(from_array)):
        return
    np.testing.assert_allclose(np.sort(np.asarray(frame_scores, dtype=float)),
                               np.sort(np.asarray(array_scores, dtype=float)),
                               rtol=1e-9, atol=1e-12)


def _same_picks(idx, scores, ref_idx, ref_scores, n_pool, k):
    idx = np.asarray(idx)
    assert idx.min() >= 0 and idx.max() < n_pool
    assert np.unique(idx).size == k
    if np.array_equal(idx, np.asarray(ref_idx)):
        return
    np.testing.assert_allclose(np.sort(np.asarray(scores, dtype=float)),
                               np.sort(np.asarray(ref_scores, dtype=float)),
                               rtol=1e-6, atol=1e-9)


def check_out_of_core_pool(strategy, classifier, X_pool):
    """A pool on disk (a numpy memmap) and a dask array cut in 4 row blocks give the picks
    of the same rows in memory: the same indices, or, where a network's float32 outputs
    differ in the last bits between batch sizes and so break exact ties otherwise, rows with
    the same scores. The dask pool is not turned into one array: the strategy reads it block
    by block (a block is checked to have been computed on its own)."""
    import tempfile

    da = pytest.importorskip("dask.array")
    k = 5
    ref_idx, ref_scores = _query(strategy, classifier, X_pool, k, random_state=0)
    if getattr(strategy, "func", None) is not None and strategy.func.__name__ == "vaal_sampling" \
            and strategy.keywords.get("refit", True):
        # Documented refusal: refit=True would train the sampler on the whole pool.
        with pytest.raises(ValueError, match="refit=False"):
            _query(strategy, classifier, da.from_array(X_pool, chunks=40), k, random_state=0)
        return
    with tempfile.TemporaryDirectory() as tmp:
        mm = np.memmap(f"{tmp}/pool.dat", dtype=X_pool.dtype, mode="w+", shape=X_pool.shape)
        mm[:] = X_pool
        mm.flush()
        mm = np.memmap(f"{tmp}/pool.dat", dtype=X_pool.dtype, mode="r", shape=X_pool.shape)
        idx, scores = _query(strategy, classifier, mm, k, random_state=0)
        _same_picks(idx, scores, ref_idx, ref_scores, len(X_pool), k)
        del mm
    lazy = da.from_array(X_pool, chunks=(len(X_pool) // 4 + 1, -1))
    idx, scores = _query(strategy, classifier, lazy, k, random_state=0)
    assert isinstance(idx, np.ndarray) and isinstance(scores, np.ndarray)
    _same_picks(idx, scores, ref_idx, ref_scores, len(X_pool), k)


CONTRACT_CHECKS = [
    check_returns_two_arrays,
    check_unique_in_range_right_length,
    check_whole_pool,
    check_reproducible,
    check_global_rng_untouched,
    check_pool_unchanged,
    check_bad_n_instances,
    check_partial,
    check_list_pool,
    check_dataframe_pool,
    check_out_of_core_pool,
]


def run_contract(strategy, classifier, X_pool):
    """Run every check on one (strategy, classifier) pair."""
    for check in CONTRACT_CHECKS:
        check(strategy, classifier, X_pool)
