"""VAE coreset sampling (Pourkamali-Anaraki & Wakin, 2019, section 3).

Cluster the latent codes of the pool into K groups with K-means, then draw
``m = B / K`` points from each group, so that the B queried points cover every
region of the latent space (an approximation of the k-center cover of eq. 3).
"""

import contextlib
import numbers

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ._base import (candidate_mask, check_query, get_proba, query_result,
                    resolve_transformer, to_space)
from ._uncertainty import entropy_scores, least_confident_scores, margin_scores

__all__ = ["cluster_quotas", "vae_coreset_sampling"]

_WITHIN = ("uniform", "closest", "uncertainty")
_UNCERTAINTY = {
    "entropy": entropy_scores,
    "margin": margin_scores,
    "least_confident": least_confident_scores,
}
_MAX_SEED = np.iinfo(np.int32).max
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


def _check_params(n_clusters, within, max_fit_samples, uncertainty):
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral) \
            or n_clusters < 1:
        raise ValueError(f"n_clusters must be an int >= 1; got {n_clusters!r}.")
    if within not in _WITHIN:
        raise ValueError(f"within must be one of {_WITHIN}; got {within!r}.")
    if max_fit_samples is not None and (
            isinstance(max_fit_samples, bool)
            or not isinstance(max_fit_samples, numbers.Integral) or max_fit_samples < 1):
        raise ValueError(f"max_fit_samples must be None or an int >= 1; got {max_fit_samples!r}.")
    if callable(uncertainty):
        return uncertainty
    try:
        return _UNCERTAINTY[uncertainty]
    except (KeyError, TypeError):
        raise ValueError(
            f"uncertainty must be one of {sorted(_UNCERTAINTY)} or a callable mapping "
            f"predict_proba output to scores; got {uncertainty!r}."
        ) from None


def _cluster(Z, n_clusters, clusterer, max_fit_samples, rng):
    """Labels in 0..K-1 for every row of Z, and the K centres (or None)."""
    seed = int(rng.randint(_MAX_SEED))
    if clusterer is None:
        # Three k-means++ starts cost little on a subsample and avoid the merged or
        # split clusters that a single start often gives on well-separated groups;
        # 30 Lloyd iterations bound the time on unstructured codes, where the last
        # few hundred iterations gain under 1% inertia (benchmarks/query_latency.py
        # compares the inertia with full-batch KMeans).
        est = KMeans(n_clusters=n_clusters, n_init=3, max_iter=30, random_state=seed)
    else:
        est = clone(clusterer)
        params = est.get_params()
        if "n_clusters" in params:
            est.set_params(n_clusters=n_clusters)
        if "random_state" in params and params["random_state"] is None:
            est.set_params(random_state=seed)
    n = Z.shape[0]
    fit_size = n if max_fit_samples is None else max(max_fit_samples, n_clusters)
    subsample = fit_size < n and hasattr(est, "predict")
    # On a few ten thousand codes each Lloyd iteration is too short to share between
    # threads: one thread fitted 20k x 50 codes 7x faster than two on a busy 2-core
    # machine (0.6 s vs 4.3 s) and loses little on an idle one.
    one_thread = (fit_size if subsample else n) <= _SINGLE_THREAD_FIT
    with threadpool_limits(limits=1) if one_thread else contextlib.nullcontext():
        if subsample:
            # K centres are well estimated from a uniform subsample; assigning all n
            # points to them is one pass, far cheaper than Lloyd iterations on all n.
            sub = np.sort(rng.choice(n, size=fit_size, replace=False))
            est.fit(Z[sub])
        else:
            est.fit(Z)
            labels = getattr(est, "labels_", None)
    if subsample or labels is None:
        labels = est.predict(Z)
    labels = np.asarray(labels)
    uniq, labels = np.unique(labels, return_inverse=True)
    centers = getattr(est, "cluster_centers_", None)
    if centers is not None:
        centers = np.asarray(centers, dtype=np.float64)
        if uniq.min() < 0 or uniq.max() >= len(centers) or centers.shape[1] != Z.shape[1]:
            centers = None
        else:
            centers = centers[uniq]
    return labels.ravel(), centers


def vae_coreset_sampling(classifier, X_pool, n_instances=1, *, transformer=None,
                         n_clusters=20, within="uniform", clusterer=None,
                         max_fit_samples=20_000, uncertainty="entropy", X_labeled=None,
                         exclude=None, random_state=None):
    """Query a coreset: cluster the latent codes, then pick ``B / K`` per cluster.

    The method of Pourkamali-Anaraki & Wakin (2019, section 3): K-means with
    ``K = n_clusters`` on the latent codes of the pool, then ``m = B / K``
    points per cluster, drawn uniformly at random (the paper), nearest to the
    cluster centre, or most uncertain under the classifier (the paper's
    suggested extension).

    Parameters
    ----------
    classifier : object or None
        ``None`` on a cold start. Otherwise read for its labelled rows
        (``X_training``, never picked again), for the space when it is (or
        wraps) a :class:`~sklearn.pipeline.Pipeline` (all steps but the last),
        and for ``predict_proba`` when ``within="uncertainty"``.
    X_pool : array-like of shape (n_samples, n_features)
        Candidates.
    n_instances : int, default=1
        The budget B, from 1 to the number of selectable samples.
    transformer : object with ``transform``, default=None
        Map into the latent space, e.g. a fitted
        :class:`~skvaeal.VAETransformer`; wins over the pipeline's steps. With
        neither, clusters are formed on ``X_pool`` itself.
    n_clusters : int, default=20
        K. Capped at ``n_instances``: with ``K > B`` some clusters would get no
        pick at all, so ``K = B`` (one pick per cluster) is used instead.
    within : {"uniform", "closest", "uncertainty"}, default="uniform"
        How each cluster's picks are chosen: uniformly at random, nearest to
        the cluster centre (Euclidean), or highest ``uncertainty`` under
        ``classifier.predict_proba`` (which must then be fitted).
    clusterer : scikit-learn clusterer, default=None
        Used instead of ``KMeans(n_init=3, max_iter=30)``; cloned, with its ``n_clusters``
        set to K and, when unset, its ``random_state`` drawn from
        ``random_state``. Its ``cluster_centers_``, when present, are the
        centres for ``within="closest"``; otherwise the cluster means are.
    max_fit_samples : int or None, default=20_000
        Fit the clusterer on a uniform random subsample of this many codes,
        then assign every code to its nearest centre (``predict``): on 10^6
        codes several times faster than full-batch K-means, for the same
        inertia on the whole pool (``benchmarks/query_latency.py``).
        ``None`` (or a clusterer without ``predict``) fits on all codes.
    uncertainty : {"entropy", "margin", "least_confident"} or callable, default="entropy"
        Score for ``within="uncertainty"``: a callable maps ``predict_proba``
        output to one score per row, higher picked first.
    X_labeled : array-like, default=None
        Labelled rows, in the space of ``X_pool``; default
        ``classifier.X_training``. Pool rows equal to one of them (exact
        match of values) are never picked.
    exclude : array-like of int or bool, default=None
        Further pool indices (or a boolean mask) never to pick.
    random_state : int, RandomState instance or None, default=None
        Seeds the clustering, the draws within clusters and tie breaks; the
        same int gives the same indices.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Indices into ``X_pool``, grouped by cluster.
    scores : ndarray of shape (n_instances,)
        ``"uniform"``: how many selectable pool points the pick stands for (its
        cluster's size over its number of picks); ``"closest"``: minus its
        distance to the centre; ``"uncertainty"``: its uncertainty.

    Raises
    ------
    ValueError
        If ``n_instances`` is < 1, larger than the pool, or larger than the
        samples left after excluding labelled and ``exclude`` rows.
    TypeError
        With ``within="uncertainty"`` and no fitted classifier.

    Notes
    -----
    Clusters are formed on the whole pool, labelled rows included, since they
    describe where the data lie; labelled and excluded rows are only removed
    from the candidates afterwards. Picks per cluster follow
    :func:`cluster_quotas`: ``m = B // K`` each, the remainder to the
    largest clusters, and a small cluster's shortfall to the others.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skvaeal.query import vae_coreset_sampling
    >>> X, _ = make_blobs(200, centers=4, random_state=0)
    >>> query_idx, scores = vae_coreset_sampling(None, X, 8, n_clusters=4, random_state=0)
    >>> query_idx.shape
    (8,)
    """
    X_pool, n_instances = check_query(X_pool, n_instances, allow_nd=True)
    score_func = _check_params(n_clusters, within, max_fit_samples, uncertainty)
    rng = check_random_state(random_state)
    selectable = candidate_mask(X_pool, classifier, X_labeled=X_labeled, exclude=exclude)
    n_selectable = int(selectable.sum())
    if n_instances > n_selectable:
        raise ValueError(
            f"n_instances={n_instances} is larger than the {n_selectable} pool samples left "
            "after excluding labelled and excluded rows."
        )
    proba_scores = None
    if within == "uncertainty":
        # Checked before the clustering, so that a missing classifier fails fast.
        proba_scores = np.asarray(score_func(get_proba(classifier, X_pool)), dtype=np.float64)

    Z = to_space(resolve_transformer(classifier, transformer), X_pool)
    n_clusters = min(int(n_clusters), n_instances)
    labels, centers = _cluster(Z, n_clusters, clusterer, max_fit_samples, rng)
    n_found = int(labels.max()) + 1

    cand = np.flatnonzero(selectable)
    cand_labels = labels[cand]
    sizes = np.bincount(cand_labels, minlength=n_found)
    quotas = cluster_quotas(sizes, n_instances, rng)
    # Candidates grouped by cluster, each group in pool order.
    grouped = cand[np.argsort(cand_labels, kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    if within == "closest" and centers is None:
        centers = np.stack([
            np.bincount(labels, weights=Z[:, j], minlength=n_found) for j in range(Z.shape[1])
        ], axis=1) / np.maximum(np.bincount(labels, minlength=n_found), 1)[:, None]

    query_idx, scores = [], []
    for k in np.flatnonzero(quotas):
        members, q = grouped[bounds[k]:bounds[k + 1]], int(quotas[k])
        if within == "uniform":
            picked = rng.choice(members, size=q, replace=False)
            picked_scores = np.full(q, sizes[k] / q)
        else:
            if within == "closest":
                diff = Z[members] - centers[k]
                utility = -np.sqrt(np.einsum("ij,ij->i", diff, diff))
            else:
                utility = proba_scores[members]
            # A random order first, then a stable sort: ties broken at random.
            perm = rng.permutation(members.size)
            best = perm[np.argsort(-utility[perm], kind="stable")[:q]]
            picked, picked_scores = members[best], utility[best]
        query_idx.append(picked)
        scores.append(picked_scores)
    return query_result(np.concatenate(query_idx), np.concatenate(scores))
