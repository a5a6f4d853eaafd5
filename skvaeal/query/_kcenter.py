"""Greedy k-center (farthest-first traversal), Sener & Savarese (2018), paper 0 eq. (1).

Each pick is the pool point farthest from its nearest centre, where the centres
are the labelled points and the points picked so far. Keeping each pool point's
distance to its nearest centre and lowering it with every new centre makes a
query of B points cost O(n * B * d) time and O(n) extra memory: there is never
an n x n (or n x B) distance matrix.
"""

import numbers

import numpy as np
from sklearn.metrics import pairwise_distances, pairwise_distances_chunked
from sklearn.utils import check_random_state

from ._base import (check_query, get_labeled, n_pool_samples, query_result,
                    resolve_transformer)

__all__ = ["k_center_greedy"]

# Block size for distances to a labelled set: a pool chunk times the labelled rows
# stays under this many bytes, whatever the two sizes.
_BLOCK_BYTES = 64 * 2**20
_FAST_METRICS = ("euclidean", "sqeuclidean")


def _codes(transformer, X):
    """Latent codes (or the rows themselves), float32 kept as float32 to halve the traffic."""
    Z = X if transformer is None else transformer.transform(X)
    Z = np.asarray(Z)
    Z = Z.reshape(Z.shape[0], -1)
    if Z.dtype not in (np.float32, np.float64):
        Z = Z.astype(np.float64)
    return np.ascontiguousarray(Z)


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


def k_center_greedy(classifier, X_pool, n_instances=1, *, transformer=None, X_labeled=None,
                    metric="euclidean", random_state=None, chunk_size=None):
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
    metric : str, default="euclidean"
        ``"euclidean"`` and ``"sqeuclidean"`` use precomputed squared norms and
        one matrix-vector product per pick; any other metric of
        :func:`sklearn.metrics.pairwise_distances` is evaluated in row chunks
        (slower, still O(n) extra memory).
    random_state : int, RandomState instance or None, default=None
        Draws the first point on a cold start; the same int gives the same indices.
    chunk_size : int, default=None
        Pool rows per block when computing distances to the labelled set (and
        for the slow metrics); default: blocks of about 64 MiB.

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
        If ``n_instances`` is < 1 or larger than the pool, or ``chunk_size`` < 1.

    Notes
    -----
    Rows equal to a labelled row are at distance 0 and so come last; once all
    remaining points are at distance 0 (duplicates), picks continue among them
    in index order, never repeating an index.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.query import k_center_greedy
    >>> X = np.array([[0.0], [1.0], [2.0], [10.0]])
    >>> k_center_greedy(None, X, 2, X_labeled=[[0.0]])
    (array([3, 1]), array([10.,  1.]))
    """
    X_pool, n_instances = check_query(X_pool, n_instances, allow_nd=True)
    if chunk_size is not None and (
            isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral)
            or chunk_size < 1):
        raise ValueError(f"chunk_size must be None or an int >= 1; got {chunk_size!r}.")
    if not (isinstance(metric, str) or callable(metric)):
        raise TypeError(f"metric must be a string or a callable; got {metric!r}.")
    rng = check_random_state(random_state)
    transformer = resolve_transformer(classifier, transformer)
    Z = _codes(transformer, X_pool)
    n = n_pool_samples(Z)

    labeled = get_labeled(classifier, X_labeled)
    fast = isinstance(metric, str) and metric in _FAST_METRICS
    query_idx = np.empty(n_instances, dtype=np.intp)
    scores = np.empty(n_instances, dtype=np.float64)
    start = 0
    if labeled is not None:
        ZL = _codes(transformer, labeled)
        if ZL.shape[1] != Z.shape[1]:
            raise ValueError(
                f"the labelled rows map to {ZL.shape[1]} features but the pool to "
                f"{Z.shape[1]}; pass X_labeled in the space of X_pool."
            )
        mind = _min_dist_to_labeled(Z, ZL, metric, chunk_size)
        if fast:
            # The loop below works on squared distances: no square root per pick.
            np.square(mind, out=mind)
    else:
        first = int(rng.randint(n))
        query_idx[0], scores[0] = first, np.inf
        mind = np.full(n, np.inf, dtype=Z.dtype)
        start = 1

    if fast:
        sq_norms = np.einsum("ij,ij->i", Z, Z)
        buf = np.empty(n, dtype=Z.dtype)

        def lower(i):
            z = Z[i]
            # ||x - z||^2 = ||x||^2 - 2 x.z + ||z||^2, updated in place: one pass over Z.
            np.dot(Z, z, out=buf)
            np.multiply(buf, -2.0, out=buf)
            np.add(buf, sq_norms, out=buf)
            np.add(buf, sq_norms[i], out=buf)
            np.minimum(mind, buf, out=mind)
    else:
        step = chunk_size or max(1, _BLOCK_BYTES // (8 * max(Z.shape[1], 1)))

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
        query_idx[k] = i
        scores[k] = max(float(mind[i]), 0.0)
        # -inf marks a chosen point: it never wins the argmax again, even when all
        # the remaining points are duplicates at distance 0.
        mind[i] = -np.inf
        if k + 1 < n_instances:
            lower(i)
    if fast and metric == "euclidean":
        finite = np.isfinite(scores)
        scores[finite] = np.sqrt(scores[finite])
    return query_result(query_idx, scores)
