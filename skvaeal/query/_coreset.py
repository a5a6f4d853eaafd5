"""VAE coreset sampling (Pourkamali-Anaraki & Wakin, 2019, section 3).

Cluster the latent codes of the pool into K groups with K-means, then draw
``m = B / K`` points from each group, so that the B queried points cover every
region of the latent space (an approximation of the k-center cover of eq. 3).
"""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from ..utils._param_validation import HasMethods, Interval, StrOptions
from ._base import (candidate_mask, check_enough_candidates, check_geometric_query,
                    get_proba, pool_scores, query_result, resolve_transformer, strategy_params,
                    to_space)
from ._clustering import cluster_codes, cluster_quotas
from ._uncertainty import entropy_scores, least_confident_scores, margin_scores

__all__ = ["vae_coreset_sampling"]

_WITHIN = ("uniform", "closest", "uncertainty")
_UNCERTAINTY = {
    "entropy": entropy_scores,
    "margin": margin_scores,
    "least_confident": least_confident_scores,
}


@strategy_params({
    "transformer": [None, HasMethods(["transform"])],
    "n_clusters": [Interval(Integral, 1, None, closed="left")],
    "within": [StrOptions(set(_WITHIN))],
    "clusterer": [None, HasMethods(["fit"])],
    "max_fit_samples": [None, Interval(Integral, 1, None, closed="left")],
    "uncertainty": [StrOptions(set(_UNCERTAINTY)), callable],
    "X_labeled": [None, "array-like"],
    "exclude": [None, "array-like"],
})
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
    transformer = resolve_transformer(classifier, transformer)
    X_pool, n_instances = check_geometric_query(X_pool, n_instances, transformer)
    score_func = uncertainty if callable(uncertainty) else _UNCERTAINTY[uncertainty]
    rng = check_random_state(random_state)
    selectable = candidate_mask(X_pool, classifier, X_labeled=X_labeled, exclude=exclude)
    check_enough_candidates(selectable, n_instances)
    proba_scores = None
    if within == "uncertainty":
        # Checked before the clustering, so that a missing classifier fails fast.
        proba_scores = np.asarray(pool_scores(lambda rows: score_func(get_proba(classifier, rows)),
                                              X_pool), dtype=np.float64)

    Z = to_space(transformer, X_pool)
    n_clusters = min(int(n_clusters), n_instances)
    labels, centers = cluster_codes(Z, n_clusters, clusterer, max_fit_samples, rng)
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
