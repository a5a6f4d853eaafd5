"""cluster_centre_sampling: the pool-based variant of Vengalil & Sinha as a query strategy."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..query._base import (candidate_mask, check_enough_candidates, check_geometric_query,
                           get_estimator, query_result, resolve_transformer, strategy_params,
                           to_space)
from ..utils._param_validation import HasMethods, Interval, StrOptions
from ._labelling import (CLUSTERERS, DISTANCES, cluster_latent, latent_distances,
                         nearest_allowed)

__all__ = ["cluster_centre_sampling"]


def _latent_map(classifier, transformer):
    """The map into the space to cluster: explicit, a pipeline's steps, or the model's own."""
    transformer = resolve_transformer(classifier, transformer)
    if transformer is not None:
        return transformer
    estimator = get_estimator(classifier)
    if estimator is not None and hasattr(estimator, "transform") and hasattr(estimator,
                                                                             "net_"):
        check_is_fitted(estimator)
        return estimator  # a generative classifier: cluster its latent codes
    return None


@strategy_params({
    "transformer": [None, HasMethods(["transform"])],
    "clusterer": [StrOptions(set(CLUSTERERS)), HasMethods(["fit_predict"])],
    "distance": [StrOptions(set(DISTANCES))],
    "max_fit_samples": [None, Interval(Integral, 1, None, closed="left")],
    "X_labeled": [None, "array-like"],
    "exclude": [None, "array-like"],
})
def cluster_centre_sampling(classifier, X_pool, n_instances=1, *, transformer=None,
                            clusterer="kmeans", distance="euclidean", max_fit_samples=20_000,
                            X_labeled=None, exclude=None, random_state=None):
    """Query the pool rows nearest to the centres of ``n_instances`` latent clusters.

    The pool-based variant of Vengalil & Sinha's labelling step: the pool's
    codes are clustered into ``n_instances`` clusters and, for each, the
    selectable row nearest to its centre is queried, so the batch covers
    the latent space one representative per cluster. With a
    :class:`ClusterLabelClassifier` (or any net-holding estimator with
    ``transform``) as the model, its latent space is used.

    Parameters
    ----------
    classifier : object or None
        Read for the space (an estimator with a latent ``transform``, or a
        pipeline, whose steps but the last map the rows) and for the
        labelled rows (``X_training`` of a learner), never picked. ``None``
        on a cold start clusters the rows themselves.
    X_pool : array-like of shape (n_samples, n_features)
    n_instances : int, default=1
        Clusters, and rows queried.
    transformer : object with ``transform``, default=None
        The map into the latent space; wins over the classifier's.
    clusterer : {"kmeans", "gmm"} or clusterer, default="kmeans"
        See :func:`cluster_latent`.
    distance : {"euclidean", "mahalanobis"}, default="euclidean"
        Nearness to a centre; Mahalanobis under the cluster's covariance.
    max_fit_samples : int or None, default=20_000
        Fit the clusterer on a subsample of this many codes, then assign every
        code: for large pools.
    X_labeled : array-like, default=None
        Labelled rows in the pool's space; default ``classifier.X_training``.
        Pool rows equal to one are never picked.
    exclude : array-like of int or bool, default=None
        More pool rows never to pick.
    random_state : int, RandomState instance or None, default=None
        Seeds the clustering; the same int gives the same indices.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Pool indices, one per cluster.
    scores : ndarray of shape (n_instances,)
        Minus each pick's distance to its cluster's centre.

    Notes
    -----
    The clusters are formed on the whole pool, labelled rows included, as
    they describe where the data lie. A cluster whose rows are all labelled
    or excluded gives its pick to the selectable row nearest to its centre
    among the rest.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skvaeal.clusterlabel import cluster_centre_sampling
    >>> X, y = make_blobs(120, centers=4, random_state=0)
    >>> idx, scores = cluster_centre_sampling(None, X, 4, random_state=0)
    >>> sorted(y[idx].tolist())
    [0, 1, 2, 3]
    """
    space = _latent_map(classifier, transformer)
    X_pool, n_instances = check_geometric_query(X_pool, n_instances, space)
    rng = check_random_state(random_state)
    selectable = candidate_mask(X_pool, classifier, X_labeled=X_labeled, exclude=exclude)
    check_enough_candidates(selectable, n_instances)
    Z = to_space(space, X_pool)
    clusters = cluster_latent(Z, n_instances, clusterer=clusterer,
                              max_fit_samples=max_fit_samples, random_state=rng)
    free = selectable.copy()
    picks, scores = [], []

    def pick(rows, k):
        d = latent_distances(Z[rows], clusters.centres[k], clusters.covariances[k],
                             distance=distance)
        index, dist = nearest_allowed(rows, d, free)
        if index >= 0:
            picks.append(index)
            scores.append(-dist)
            free[index] = False
        return index >= 0

    missing = [k for k in range(clusters.n_clusters) if not pick(clusters.members(k), k)]
    # Clusters without a selectable row (or fewer clusters than asked, on duplicate
    # codes): the selectable rows nearest to those centres, then to each centre in turn.
    fill = missing + [k % clusters.n_clusters for k in range(n_instances)]
    for k in fill[:n_instances - len(picks)]:
        pick(np.flatnonzero(free), k)
    return query_result(np.asarray(picks, dtype=np.int64), np.asarray(scores))
