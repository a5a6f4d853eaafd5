"""Clustering shared by the strategies that spread a batch over the data's clusters."""

import contextlib

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ..utils import draw_seed

__all__ = ["cluster_codes", "cluster_quotas", "fit_assign", "make_clusterer"]

_SINGLE_THREAD_FIT = 50_000


def cluster_quotas(cluster_sizes, n_instances, random_state=None):
    """How many of ``n_instances`` picks each cluster gets (water-filling).

    Every cluster gets ``min(size, L)`` picks, with ``L`` the largest level whose
    total stays within the budget; ``L`` is at least ``n_instances // K``, and is
    exactly that (the paper's ``m = B / K``) when every cluster has enough
    points. The ``r`` picks still left then go, one each, to the ``r`` clusters
    with the most points beyond ``L`` (ties broken at random). So a remainder of
    ``B / K`` goes to the largest clusters, and the shortfall of a cluster smaller
    than its share is spread over the others, largest first, never more than one
    pick apart.

    Parameters
    ----------
    cluster_sizes : array-like of int, shape (n_clusters,)
        Number of selectable points per cluster (0 for empty clusters).
    n_instances : int
        Total picks, at most ``sum(cluster_sizes)``.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between clusters of equal size.

    Returns
    -------
    quotas : ndarray of int, shape (n_clusters,)
        ``0 <= quotas <= cluster_sizes`` and ``quotas.sum() == n_instances``.

    Examples
    --------
    >>> from skvaeal.query import cluster_quotas
    >>> cluster_quotas([50, 40, 2, 30], 12).tolist()
    [4, 3, 2, 3]
    """
    sizes = np.asarray(cluster_sizes)
    if sizes.ndim != 1 or sizes.size == 0 or (sizes.size and sizes.min() < 0):
        raise ValueError("cluster_sizes must be a non-empty 1-D array of counts >= 0.")
    sizes = sizes.astype(np.int64)
    n_instances = int(n_instances)
    if n_instances < 0 or n_instances > sizes.sum():
        raise ValueError(
            f"n_instances={n_instances} must be between 0 and the {int(sizes.sum())} "
            "selectable points."
        )
    # Largest level L with sum(min(sizes, L)) <= n_instances, by bisection on L.
    lo, hi = n_instances // sizes.size, int(sizes.max())
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if np.minimum(sizes, mid).sum() <= n_instances:
            lo = mid
        else:
            hi = mid - 1
    quotas = np.minimum(sizes, lo)
    left = n_instances - int(quotas.sum())
    if left:
        rng = check_random_state(random_state)
        order = rng.permutation(sizes.size)
        spare = (sizes - quotas)[order]
        # Stable sort on a random order: most spare first, ties at random.
        best = order[np.argsort(-spare, kind="stable")[:left]]
        quotas[best] += 1
    return quotas


def make_clusterer(clusterer, n_clusters, seed, size_params=("n_clusters",)):
    """A clone of ``clusterer`` asked for ``n_clusters``, seeded with ``seed`` when unseeded.

    ``size_params`` names the parameters that hold the number of clusters
    (``n_components`` for a Gaussian mixture).
    """
    est = clone(clusterer)
    params = est.get_params()
    sizes = {name: n_clusters for name in size_params if name in params}
    if sizes:
        est.set_params(**sizes)
    if "random_state" in params and params["random_state"] is None:
        est.set_params(random_state=seed)
    return est


def fit_assign(est, Z, n_clusters, max_fit_samples, rng):
    """Fit ``est`` on ``Z`` (or a uniform subsample of ``max_fit_samples`` rows); every row's label.

    K centres are well estimated from a subsample, and assigning all rows to
    them is one pass, far cheaper than fitting on all of them; a clusterer
    without ``predict`` fits on all rows.
    """
    n = Z.shape[0]
    fit_size = n if max_fit_samples is None else max(max_fit_samples, n_clusters)
    if fit_size < n and hasattr(est, "predict"):
        est.fit(Z[np.sort(rng.choice(n, size=fit_size, replace=False))])
        return np.asarray(est.predict(Z))
    est.fit(Z)
    labels = getattr(est, "labels_", None)
    return np.asarray(est.predict(Z) if labels is None else labels)


def cluster_codes(Z, n_clusters, clusterer, max_fit_samples, rng):
    """Labels in 0..K-1 for every row of Z, and the K centres (or None).

    K-means (or ``clusterer``) fitted on a uniform subsample of at most
    ``max_fit_samples`` rows, then every row assigned to its nearest centre:
    the clustering of :func:`~skvaeal.query.vae_coreset_sampling` and of the
    diverse batches of :func:`~skvaeal.query.assal_sampling`.
    """
    seed = draw_seed(rng)
    if clusterer is None:
        # Three k-means++ starts cost little on a subsample and avoid the merged or
        # split clusters that a single start often gives on well-separated groups;
        # 30 Lloyd iterations bound the time on unstructured codes, where the last
        # few hundred iterations gain under 1% inertia (benchmarks/query_latency.py
        # compares the inertia with full-batch KMeans).
        est = KMeans(n_clusters=n_clusters, n_init=3, max_iter=30, random_state=seed)
    else:
        est = make_clusterer(clusterer, n_clusters, seed)
    n = Z.shape[0]
    fit_rows = n if max_fit_samples is None or not hasattr(est, "predict") else min(
        n, max(max_fit_samples, n_clusters))
    # On a few ten thousand codes each Lloyd iteration is too short to share between
    # threads: one thread fitted 20k x 50 codes 7x faster than two on a busy 2-core
    # machine (0.6 s vs 4.3 s) and loses little on an idle one.
    one_thread = fit_rows <= _SINGLE_THREAD_FIT
    with threadpool_limits(limits=1) if one_thread else contextlib.nullcontext():
        labels = fit_assign(est, Z, n_clusters, max_fit_samples, rng)
    uniq, labels = np.unique(labels, return_inverse=True)
    centers = getattr(est, "cluster_centers_", None)
    if centers is not None:
        centers = np.asarray(centers, dtype=np.float64)
        if uniq.min() < 0 or uniq.max() >= len(centers) or centers.shape[1] != Z.shape[1]:
            centers = None
        else:
            centers = centers[uniq]
    return labels.ravel(), centers
