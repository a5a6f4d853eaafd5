"""Pools larger than memory: dask arrays and numpy memmaps, read a block of rows at a time.

Every estimator's ``transform``/``score_samples`` and every strategy's scoring
is a function of one row at a time, so it can run on a block of rows and the
results be stacked. This module is the one place that does it:

- a dask array gives a lazy dask array back (:meth:`dask.array.Array.map_blocks`
  over row blocks, as dask-ml's wrappers do), so nothing is read until the
  user, or a top-k reduction, computes it;
- a numpy memmap (an array on disk) is read a block at a time and the
  per-row results, which are small next to the rows, are stacked in memory;
- anything else is passed to the function whole.

:func:`top_k_rows` selects the best rows of a score array that may be lazy:
each block keeps its own best ``k`` and only those ``k`` per block are
gathered, never the pool. Ties are broken by a hash of the seed and the row's
position, which does not depend on how the pool is cut into blocks: a dask
array, a memmap and the same rows in memory give the same picks.

dask is never imported here unless a dask array was passed in.
"""

import sys

import numpy as np

__all__ = ["is_dask_array", "is_memmap", "is_out_of_core", "iter_row_blocks", "map_row_blocks",
           "rows_per_block", "tie_keys", "top_k_rows"]

#: Bytes of input rows per block when a pool on disk is read in blocks: large enough
#: to amortise the per-call cost of a network's forward pass, small enough that a few
#: blocks in flight stay well under the memory of a laptop.
BLOCK_BYTES = 64 * 2**20


def is_dask_array(X):
    """Whether ``X`` is a dask array (checked without importing dask)."""
    return (type(X).__module__.split(".")[0] == "dask" and hasattr(X, "map_blocks")
            and hasattr(X, "chunks"))


def is_memmap(X):
    """Whether ``X`` is a :class:`numpy.memmap` (or a view of one)."""
    return isinstance(X, np.memmap) or isinstance(getattr(X, "base", None), np.memmap)


def is_out_of_core(X):
    """Whether ``X`` should be read a block of rows at a time (dask array or memmap)."""
    return is_dask_array(X) or is_memmap(X)


def rows_per_block(X, block_bytes=BLOCK_BYTES):
    """Rows of ``X`` per block so that a block holds about ``block_bytes`` bytes."""
    row_bytes = max(1, int(np.prod(X.shape[1:], dtype=np.int64)) * np.dtype(X.dtype).itemsize)
    return max(1, int(block_bytes // row_bytes))


def _row_chunked(X, block_rows=None):
    """``X`` (a dask array) with each block holding whole rows (one chunk along other axes)."""
    rechunk = {axis: -1 for axis in range(1, X.ndim)}
    if block_rows is not None:
        rechunk[0] = block_rows
    return X.rechunk(rechunk) if rechunk else X


def map_row_blocks(func, X, *, out_shape=(), dtype=np.float64, block_rows=None):
    """``func`` applied to blocks of rows of ``X``, the results stacked along rows.

    Parameters
    ----------
    func : callable
        Maps an ndarray of rows to an ndarray with one entry (of shape
        ``out_shape``) per row.
    X : dask array, memmap or array-like
    out_shape : tuple of int, default=()
        Shape of ``func``'s result for one row: ``()`` for a score per row,
        ``(d,)`` for ``d`` features per row.
    dtype : dtype, default=float64
        Of the result (declared up front for a lazy dask result).
    block_rows : int, default=None
        Rows per block of a memmap, or the row chunks of a dask array (default:
        a memmap's blocks of :data:`BLOCK_BYTES`; a dask array keeps its own
        row chunks).

    Returns
    -------
    result : dask array when ``X`` is one (lazy), else ndarray
    """
    if is_dask_array(X):
        Xr = _row_chunked(X, block_rows)
        out_ndim = 1 + len(out_shape)
        kwargs = dict(dtype=dtype, meta=np.empty((0,) * out_ndim, dtype=dtype))
        if Xr.ndim > out_ndim:
            kwargs["drop_axis"] = list(range(out_ndim, Xr.ndim))
        elif Xr.ndim < out_ndim:
            kwargs["new_axis"] = list(range(Xr.ndim, out_ndim))
        if out_shape:
            kwargs["chunks"] = (Xr.chunks[0],) + tuple((int(s),) for s in out_shape)
        return Xr.map_blocks(_call_on_block, func, **kwargs)
    if is_memmap(X):
        n = X.shape[0]
        step = block_rows or rows_per_block(X)
        out = np.empty((n,) + tuple(out_shape), dtype=dtype)
        for start in range(0, n, step):
            # np.array copies the block off the disk: func may convert it in place.
            out[start:start + step] = func(np.array(X[start:start + step]))
        return out
    return func(X)


def iter_row_blocks(X, block_rows=None):
    """Blocks of whole rows of ``X`` as ndarrays, in order (a dask array's computed one by one).

    For the few steps that need a per-row result with another layout than
    rows first (BatchBALD's ``(T, n, K)`` samples); prefer
    :func:`map_row_blocks`, which keeps a dask pool lazy and parallel.
    """
    if is_dask_array(X):
        Xr = _row_chunked(X, block_rows)
        for block in Xr.to_delayed().reshape(-1):
            yield np.asarray(block.compute())
        return
    if block_rows is None:
        block_rows = rows_per_block(X) if is_memmap(X) else max(1, X.shape[0])
    for start in range(0, X.shape[0], block_rows):
        yield np.array(X[start:start + block_rows])


def _call_on_block(block, func):
    # dask may hand a read-only view of a shared block; torch and in-place code want their own.
    return np.asarray(func(np.array(block)))


# ------------------------------------------------------------------- top-k selection
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def tie_keys(seed, positions):
    """Pseudo-random uint64 keys of row positions under ``seed`` (splitmix64).

    The key of a row depends only on the seed and the row's position in the
    pool, so the order it gives to rows with equal scores is the same however
    the pool is cut into blocks.
    """
    with np.errstate(over="ignore"):
        z = np.asarray(positions, dtype=np.uint64) + np.uint64(seed) * _GOLDEN + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _order_keys(scores, positions, seed):
    """(primary, nan, key) of each row: sort ascending to get the best first."""
    neg = -np.asarray(scores, dtype=np.float64)
    nan = np.isnan(neg)
    keys = (np.asarray(positions, dtype=np.uint64) if seed is None
            else tie_keys(seed, positions))
    return np.where(nan, np.inf, neg), nan, keys


def _best_k(scores, positions, k, seed):
    """Local positions of the ``k`` best rows, best first: high score, then its tie key.

    NaN scores come after every number (``-inf`` included); ``seed=None``
    breaks ties by position. Runs in O(n) (:func:`numpy.argpartition`) plus a
    sort of the ``k`` picked.
    """
    primary, nan, keys = _order_keys(scores, positions, seed)
    n = primary.shape[0]
    if k < n:
        part = np.argpartition(primary, k - 1)[:k]
        kth = primary[part].max()
        # argpartition splits the rows equal to the k-th arbitrarily: settle them by key.
        better = np.flatnonzero(primary < kth)
        tied = np.flatnonzero(primary == kth)
        need = k - better.shape[0]
        if tied.shape[0] > need:
            tied = tied[np.lexsort((keys[tied], nan[tied]))[:need]]
        part = np.concatenate([better, tied])
    else:
        part = np.arange(n)
    return part[np.lexsort((keys[part], nan[part], primary[part]))]


def _block_best(scores, offset, k, seed):
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    positions = np.arange(offset, offset + scores.shape[0], dtype=np.int64)
    best = _best_k(scores, positions, min(k, scores.shape[0]), seed)
    return positions[best], scores[best]


def top_k_rows(scores, k, seed=None):
    """Positions and scores of the ``k`` highest ``scores``, best first.

    Parameters
    ----------
    scores : array-like or dask array of shape (n,)
        A dask array is reduced block by block: each block's best ``k`` are
        computed in parallel (by dask's scheduler) and only those are gathered.
    k : int
    seed : int or None, default=None
        Ties are broken by :func:`tie_keys` of this seed and the position;
        ``None`` gives them to the lowest position.

    Returns
    -------
    positions : ndarray of int of shape (k,)
    top_scores : ndarray of float64 of shape (k,)
    """
    if is_dask_array(scores):
        dask = sys.modules["dask"]
        delayed = dask.delayed
        flat = scores.reshape(-1)
        blocks = flat.to_delayed().ravel()
        offsets = np.concatenate([[0], np.cumsum(flat.chunks[0])[:-1]])
        parts = dask.compute(*[delayed(_block_best, pure=True)(b, int(o), k, seed)
                               for b, o in zip(blocks, offsets)])
        positions = np.concatenate([p for p, _ in parts])
        values = np.concatenate([s for _, s in parts])
    else:
        values = np.asarray(scores, dtype=np.float64).reshape(-1)
        positions = np.arange(values.shape[0], dtype=np.int64)
    best = _best_k(values, positions, min(k, values.shape[0]), seed)
    return positions[best].astype(np.intp), values[best]
