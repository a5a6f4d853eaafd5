"""Greedy k-center (farthest-first traversal): Sener & Savarese (2018); eq. (1) of
Pourkamali-Anaraki & Wakin (2019).

Each pick is the pool point farthest from its nearest centre, where the centres
are the labelled points and the points picked so far. Keeping each pool point's
distance to its nearest centre and lowering it with every new centre makes a
query of B points cost O(n * B * d) time and O(n) extra memory: there is never
an n x n (or n x B) distance matrix. For the Euclidean metric, the triangle
inequality skips the points a new centre cannot come closer to, which on
clustered data leaves most picks a small fraction of the pool to update.
"""

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
from sklearn.metrics import pairwise_distances, pairwise_distances_chunked
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ..utils._param_validation import HasMethods, Interval, StrOptions
from ..utils._blocks import is_out_of_core
from ..utils import take_rows
from ._base import (candidate_mask, check_enough_candidates, check_geometric_query,
                    get_labeled, labeled_mask, pool_codes, query_result, resolve_transformer,
                    strategy_params)

__all__ = ["k_center_greedy"]

# Block size for distances to a labelled set: a pool chunk times the labelled rows
# (and its differences to them) stays under this many bytes, whatever the sizes.
_BLOCK_BYTES = 16 * 2**20
_FAST_METRICS = ("euclidean", "sqeuclidean")
# Rows gathered at a time when a pick updates only part of the pool, and rows per
# block for metrics without the fast path: bounds the temporaries to a few MiB.
_ROWS_PER_CHUNK = 16384
_SINGLE_THREAD_FROM = 100_000
# Pools (rows x features) from which the greedy passes are split over threads: below it
# a pass takes well under a millisecond and handing it to threads costs more than it saves.
_THREADS_FROM = 2_000_000


def _codes(transformer, X):
    """Latent codes (or the rows themselves), float32 kept as float32 to halve the traffic."""
    return np.ascontiguousarray(pool_codes(transformer, X))


def _min_dist_to_labeled(Z, ZL, metric, chunk_size):
    """Distance from each row of Z to its nearest row of ZL, in row blocks."""
    if chunk_size is None:
        chunk_size = max(1, _BLOCK_BYTES // (8 * ZL.shape[0]))
    # sklearn sizes its blocks in MiB of working memory; asking for exactly one
    # block of chunk_size rows reuses its chunked (and metric-aware) loop.
    working_memory = chunk_size * ZL.shape[0] * 8 / 2**20
    sk_metric = "euclidean" if metric == "sqeuclidean" else metric
    parts = pairwise_distances_chunked(
        Z, ZL, metric=sk_metric, working_memory=max(working_memory, 1e-6),
        reduce_func=lambda D, start: D.min(axis=1),
    )
    mind = np.concatenate(list(parts)).astype(Z.dtype, copy=False)
    return mind


def _nearest_labeled(Z, ZL, chunk_size):
    """Index of and squared distance to the nearest labelled row, in blocks of pool rows.

    Hand-blocked rather than :func:`~sklearn.metrics.pairwise_distances_chunked`
    because the greedy loop needs the argmin (the nearest centre of every
    point, for its pruning) as well as the min: one matrix product per block
    finds the argmin, then the distance to it is recomputed from the
    differences so that rows equal to a labelled row get exactly 0.
    """
    n = Z.shape[0]
    rows = chunk_size or max(1, _BLOCK_BYTES // (8 * (ZL.shape[0] + 2 * Z.shape[1])))
    sq_l = np.einsum("ij,ij->i", ZL, ZL)
    mind2 = np.empty(n, dtype=Z.dtype)
    assign = np.empty(n, dtype=np.intp)
    for s in range(0, n, rows):
        Zb = Z[s:s + rows]
        # ||x - l||^2 up to the per-row constant ||x||^2, which does not move the argmin.
        D = Zb @ ZL.T
        D *= -2.0
        D += sq_l
        a = np.argmin(D, axis=1)
        assign[s:s + rows] = a
        diff = Zb - ZL[a]
        mind2[s:s + rows] = np.einsum("ij,ij->i", diff, diff)
    return mind2, assign


def _row_ranges(n, n_threads, block):
    """``n_threads`` contiguous ``(start, stop)`` ranges of rows, cut at whole blocks."""
    n_blocks = -(-n // block)
    n_threads = max(1, min(n_threads, n_blocks))
    cuts = [min(n, (n_blocks * t // n_threads) * block) for t in range(n_threads + 1)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def _n_threads(n_jobs, n, d):
    """Threads for the greedy passes: ``n_jobs`` (joblib's convention), one for small pools."""
    if n * d < _THREADS_FROM:
        return 1
    if n_jobs is None:
        n_jobs = -1
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else (os.cpu_count() or 1)
    return max(1, available + 1 + n_jobs if n_jobs < 0 else min(n_jobs, available))


def _greedy_euclidean(Z, ZL, n_instances, rng, chunk_size, blocked=None, n_threads=1):
    """Farthest-first in squared Euclidean distance, pruned by the triangle inequality.

    Each point x keeps ``mind2[x]``, its squared distance to its nearest centre
    ``a(x)``. A new centre c can only come closer to x than ``a(x)`` when
    ``d(a(x), c) < 2 d(x, a(x))`` (triangle inequality), so only those points are
    recomputed; once the centres spread over clustered data, a pick touches only
    the points near it. The picks are those of the unpruned algorithm (a small
    slack keeps rounding from skipping a point that it should not).
    """
    n, d = Z.shape
    gather_rows = chunk_size or _ROWS_PER_CHUNK
    executor = ThreadPoolExecutor(n_threads) if n_threads > 1 else None

    def run_ranges(fn, ranges):
        if executor is None or len(ranges) == 1:
            return [fn(a, b) for a, b in ranges]
        return [future.result() for future in [executor.submit(fn, a, b) for a, b in ranges]]

    n_lab = 0 if ZL is None else ZL.shape[0]
    centres = np.empty((n_lab + n_instances, d), dtype=Z.dtype)
    query_idx = np.empty(n_instances, dtype=np.intp)
    scores = np.empty(n_instances, dtype=np.float64)
    slack = 4.0 * (1.0 + (1e-6 if Z.dtype == np.float64 else 1e-3))
    sq_norms = np.einsum("ij,ij->i", Z, Z)
    buf = np.empty(n, dtype=Z.dtype)
    closer = np.empty(n, dtype=bool)

    # Row blocks of about 2 MiB: the block's distances and masks stay in the core's cache
    # between the product and the updates, so each pick reads the pool once from memory.
    block = max(1024, (2 * 2**20) // max(1, d * Z.itemsize))
    ranges = _row_ranges(n, n_threads, block)
    # A large pool is also kept as column-major blocks (each block's features contiguous
    # over its rows): the product with a centre then streams whole columns, which BLAS
    # does at the memory's speed, where the row-major product of a tall, thin matrix with
    # a vector ran at half of it (sgemv "T" on 50 features: 5.5 against 12 GB/s on one
    # core, benchmarks/kcenter_bandwidth.py). It costs one copy of the codes, so only
    # float32 codes get it: float64 codes keep the memory lead (their copy would be twice
    # the size) and their row-major product is the smaller loss (dgemv).
    columns = None
    if n * d >= _THREADS_FROM and Z.dtype == np.float32:
        columns = [np.ascontiguousarray(Z[s:s + block].T) for s in range(0, n, block)]

    def lower_range(c2, sq_c, centre, start, stop):
        best_value, best_index = -np.inf, start
        for s in range(start, stop, block):
            e = min(stop, s + block)
            b, m, near = buf[s:e], mind2[s:e], closer[s:e]
            # ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2 in place (c2 = -2 c: exact scaling).
            if columns is None:
                np.dot(Z[s:e], c2, out=b)
            else:
                np.dot(c2, columns[s // block], out=b)
            np.add(b, sq_norms[s:e], out=b)
            np.add(b, sq_c, out=b)
            np.maximum(b, 0.0, out=b)
            np.less(b, m, out=near)
            np.copyto(m, b, where=near)
            np.copyto(assign[s:e], centre, where=near)
            # The next pick's argmax, while the block is still in cache.
            i = int(np.argmax(m))
            if m[i] > best_value:
                best_value, best_index = m[i], s + i
        return best_value, best_index

    def lower_all(c, sq_c, centre):
        """Update every row; return the index of the farthest row afterwards."""
        # One read of the pool, split into a contiguous range per thread (numpy releases
        # the GIL in the products and ufuncs): memory-bound work gains from a second
        # core's bandwidth, which BLAS threading of one tall product does not deliver.
        c2 = (-2.0 * c).astype(Z.dtype)
        found = run_ranges(lambda a, b: lower_range(c2, sq_c, centre, a, b), ranges)
        # The first of the largest, as np.argmax over the whole vector would give.
        best = max(v for v, _ in found)
        return min(i for v, i in found if v == best)

    def lower_some(idx, c, sq_c, centre):
        for s in range(0, idx.size, gather_rows):
            rows = idx[s:s + gather_rows]
            # np.take copies rows ~2.5x faster than fancy indexing Z[rows].
            d2 = np.take(Z, rows, axis=0) @ c
            d2 *= -2.0
            d2 += sq_norms[rows]
            d2 += sq_c
            np.maximum(d2, 0.0, out=d2)
            better = d2 < mind2[rows]
            mind2[rows[better]] = d2[better]
            assign[rows[better]] = centre

    if ZL is not None:
        centres[:n_lab] = ZL
        mind2, assign = _nearest_labeled(Z, ZL, chunk_size)
        if callable(blocked):
            blocked = blocked(mind2, sq_norms)
        if blocked is not None:
            # -inf: never picked, never updated (rows equal to a labelled row).
            mind2[blocked] = -np.inf
        n_centres, start = n_lab, 0
    else:
        first = int(rng.randint(n))
        centres[0] = Z[first]
        query_idx[0], scores[0] = first, np.inf
        mind2 = np.full(n, np.inf, dtype=Z.dtype)
        assign = np.zeros(n, dtype=np.intp)
        n_centres, start = 1, 1

    # Matrix-vector products on a tall, thin pool are memory-bound: BLAS threads
    # only add synchronisation (15x slower for 10^5 x 8 on a busy 2-core machine),
    # so the loop runs single-threaded, as scikit-learn's own k-means loops do. Small
    # pools skip it: the limit itself costs ~20 ms, and BLAS does not thread them.
    single = n * d >= _SINGLE_THREAD_FROM
    with (threadpool_limits(limits=1, user_api="blas") if single else contextlib.nullcontext()), \
            (executor or contextlib.nullcontext()):
        next_i = None
        if start == 1:
            lower_all(centres[0], sq_norms[query_idx[0]], 0)
            # -inf marks a chosen point: it never wins the argmax again (even when
            # all the remaining points are duplicates at distance 0) nor is updated.
            mind2[query_idx[0]] = -np.inf
        dense_streak = 0
        for k in range(start, n_instances):
            i = int(np.argmax(mind2)) if next_i is None else next_i
            next_i = None
            query_idx[k], scores[k] = i, max(float(mind2[i]), 0.0)
            mind2[i] = -np.inf
            c = Z[i]
            centres[n_centres] = c
            assign[i] = n_centres
            n_centres += 1
            if k + 1 == n_instances:
                break
            if dense_streak and dense_streak % 8:
                # The last test found most points in need: skip the test (a pass over
                # three length-n vectors) for a while and update them all.
                next_i = lower_all(c, sq_norms[i], n_centres - 1)
                dense_streak += 1
                continue
            # Pruning test d(a(x), c)^2 < 4 d(x, a(x))^2, from the few centre distances.
            diff = centres[:n_centres] - c
            to_c = (np.einsum("ij,ij->i", diff, diff) / slack).astype(Z.dtype)

            def need_range(a, b):
                np.take(to_c, assign[a:b], out=buf[a:b])
                np.less(buf[a:b], mind2[a:b], out=closer[a:b])
                return int(np.count_nonzero(closer[a:b]))

            n_need = sum(run_ranges(need_range, ranges))
            if n_need > n // 8:
                # Most points need it anyway: one contiguous pass beats gathering rows.
                next_i = lower_all(c, sq_norms[i], n_centres - 1)
                dense_streak += 1
            else:
                dense_streak = 0
                if n_need:
                    lower_some(np.flatnonzero(closer), c, sq_norms[i], n_centres - 1)
    return query_idx, scores


def _greedy_any_metric(Z, ZL, n_instances, rng, metric, chunk_size, blocked=None):
    """Farthest-first for any metric: one chunked pass over the pool per pick."""
    n = Z.shape[0]
    query_idx = np.empty(n_instances, dtype=np.intp)
    scores = np.empty(n_instances, dtype=np.float64)
    step = chunk_size or _ROWS_PER_CHUNK
    if ZL is not None:
        mind = _min_dist_to_labeled(Z, ZL, metric, chunk_size)
        if blocked is not None:
            mind[blocked] = -np.inf
        start = 0
    else:
        first = int(rng.randint(n))
        query_idx[0], scores[0] = first, np.inf
        mind = np.full(n, np.inf, dtype=Z.dtype)
        start = 1

    def lower(i):
        z = Z[i:i + 1]
        for s in range(0, n, step):
            d = pairwise_distances(Z[s:s + step], z, metric=metric).ravel()
            np.minimum(mind[s:s + step], d, out=mind[s:s + step])

    if start == 1:
        lower(query_idx[0])
        mind[query_idx[0]] = -np.inf
    for k in range(start, n_instances):
        i = int(np.argmax(mind))
        query_idx[k], scores[k] = i, max(float(mind[i]), 0.0)
        mind[i] = -np.inf
        if k + 1 < n_instances:
            lower(i)
    return query_idx, scores


@strategy_params({
    "transformer": [None, HasMethods(["transform"])],
    "X_labeled": [None, "array-like"],
    "metric": [str, callable],
    "chunk_size": [None, Interval(Integral, 1, None, closed="left")],
    "dtype": [None, StrOptions({"float32", "float64"})],
    "n_jobs": [None, Integral],
})
def k_center_greedy(classifier, X_pool, n_instances=1, *, transformer=None, X_labeled=None,
                    metric="euclidean", random_state=None, chunk_size=None, dtype=None,
                    n_jobs=None):
    """Query a farthest-first (greedy k-center) set of samples.

    Each pick maximises the distance to its nearest centre, the centres being
    the labelled samples and the samples already picked (eq. 1 of
    Pourkamali-Anaraki & Wakin, 2019; Sener & Savarese, 2018). This greedily
    approximates, within a factor 2, the k-center cover of eq. (3). It works
    in the latent space of ``transformer`` (or of the pipeline's first steps),
    else on ``X_pool`` as given.

    Parameters
    ----------
    classifier : object or None
        Used only for its labelled rows (``X_training``) and, when it is (or
        wraps) a :class:`~sklearn.pipeline.Pipeline` and ``transformer`` is
        ``None``, for the space (all steps but the last). ``None`` for a cold start.
    X_pool : array-like of shape (n_samples, n_features)
        Candidates.
    n_instances : int, default=1
        Number of samples to query, from 1 to ``n_samples``.
    transformer : object with ``transform``, default=None
        Map into the working space, e.g. a fitted
        :class:`~skvaeal.VAETransformer`; wins over the pipeline's steps.
    X_labeled : array-like of shape (n_labeled, n_features), default=None
        Labelled samples, in the space of ``X_pool`` (mapped by the same
        ``transformer``); default ``classifier.X_training`` when present. With
        none, the first pick is uniformly random.
    metric : str or callable, default="euclidean"
        ``"euclidean"`` and ``"sqeuclidean"`` (same picks, squared scores) use
        precomputed squared norms, one matrix-vector product per pick and
        triangle-inequality pruning; any other metric of
        :func:`sklearn.metrics.pairwise_distances` is evaluated on every pool
        row per pick, in row chunks (slower, still O(n) extra memory).
    random_state : int, RandomState instance or None, default=None
        Draws the first point on a cold start; the same int gives the same indices.
    chunk_size : int, default=None
        Pool rows per block: for the distances to the labelled set (default:
        blocks of about 16 MiB), for the rows gathered in a partial update and
        for the metrics without a fast path (default 16384).
    dtype : {None, "float32", "float64"}, default=None
        Precision of the distance passes. ``None`` keeps the codes' own
        (float32 codes stay float32, others are float64). ``"float32"`` on
        float64 codes halves the memory traffic, and so nearly halves the time
        of a large query, but rounding can reorder points whose distances
        agree to about 7 digits, so picks may differ at such near-ties: an
        opt-in, not the default.
    n_jobs : int, default=None
        Threads for the passes over a large pool (at least 2 million values):
        each reads its own range of rows. ``None`` and ``-1`` use every core
        this process may run on; small pools use one thread.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Indices into ``X_pool``, in the order they were picked.
    scores : ndarray of shape (n_instances,)
        Each pick's distance to its nearest centre at the time it was picked
        (``inf`` for a cold-start first pick, which has no centre to be far from).

    Raises
    ------
    ValueError
        If ``n_instances`` is < 1 or larger than the pool rows that are not
        labelled yet, or ``chunk_size`` < 1.

    Notes
    -----
    Pool rows equal to a labelled row (exact match of values) are never
    picked, as in every other strategy; once all remaining points are at
    distance 0 (duplicates), picks continue among them in index order, never
    repeating an index.

    Memory beyond the codes: four length-n vectors (squared norms, current
    distances, nearest-centre index, a work buffer), the labelled blocks and
    at most ``chunk_size`` gathered rows; for float32 codes of at least 2
    million values, also one copy of the codes in column-major blocks, which
    halves the time of each pass. The greedy loop limits BLAS to one
    thread while it runs (matrix-vector products are memory-bound; BLAS's
    threads only slowed them down in our measurements) and splits each pass
    over a large pool into a range of rows per thread instead (``n_jobs``).

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.query import k_center_greedy
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0]])
    >>> k_center_greedy(None, X, 2, X_labeled=[[0.0]])
    (array([3, 2]), array([10.,  2.]))
    """
    transformer = resolve_transformer(classifier, transformer)
    X_pool, n_instances = check_geometric_query(X_pool, n_instances, transformer)
    rng = check_random_state(random_state)
    labeled = get_labeled(classifier, X_labeled)
    fast = isinstance(metric, str) and metric in _FAST_METRICS
    blocked = None
    if labeled is not None and not fast:
        candidates = candidate_mask(X_pool, X_labeled=labeled)
        check_enough_candidates(candidates, n_instances)
        blocked = None if candidates.all() else ~candidates
    elif labeled is not None:
        def blocked(mind2, sq_norms):
            # A pool row equal to a labelled row has a code at (numerically) zero distance
            # from its nearest labelled code, so only rows that close are compared with
            # the labelled rows exactly: the same mask as candidate_mask, without hashing
            # the whole pool. The tolerance is loose on purpose (a transformer's rounding
            # may differ between batch sizes); a suspect costs one exact comparison.
            tol = (1e-6 if Z.dtype == np.float64 else 1e-3) * (sq_norms + 1.0)
            suspects = np.flatnonzero(mind2 <= tol)
            mask = np.zeros(Z.shape[0], dtype=bool)
            if suspects.size:
                rows = take_rows(X_pool, suspects)
                if is_out_of_core(rows):
                    rows = np.asarray(rows)
                mask[suspects] = labeled_mask(rows, labeled)
            check_enough_candidates(~mask, n_instances)
            return mask if mask.any() else None
    Z = _codes(transformer, X_pool)
    if dtype is not None and Z.dtype != np.dtype(dtype):
        Z = Z.astype(dtype)

    ZL = None
    if labeled is not None:
        ZL = _codes(transformer, labeled).astype(Z.dtype, copy=False)
        if ZL.shape[1] != Z.shape[1]:
            raise ValueError(
                f"the labelled rows map to {ZL.shape[1]} features but the pool to "
                f"{Z.shape[1]}; pass X_labeled in the space of X_pool."
            )
    if fast:
        query_idx, scores = _greedy_euclidean(Z, ZL, n_instances, rng, chunk_size, blocked,
                                              _n_threads(n_jobs, *Z.shape))
        if metric == "euclidean":
            finite = np.isfinite(scores)
            scores[finite] = np.sqrt(scores[finite])
    else:
        query_idx, scores = _greedy_any_metric(Z, ZL, n_instances, rng, metric, chunk_size,
                                               blocked)
    return query_result(query_idx, scores)
