"""The labelling step of Vengalil & Sinha: cluster the codes, ask about the centres, propagate.

Public and reusable, independent of the classifier: :func:`cluster_latent`
clusters latent codes (scikit-learn's ``KMeans`` or ``GaussianMixture``);
:func:`propagation_weights` is eqs. 2 and 3; :func:`label_cluster_centres`
runs one labelling step with an oracle (decoded centres or their nearest pool
rows shown, "not a valid sample" answered by sub-clustering); and
:func:`cluster_label_learning` runs the paper's whole loop.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state

from ..oracle import check_oracle_answer
from ..query._base import candidate_mask
from ..query._clustering import fit_assign, make_clusterer
from ..utils import draw_seed, take_rows
from ..utils._param_validation import (HasMethods, Interval, StrOptions, validate_params,
                                       validate_parameter_constraints)

__all__ = ["CentreLabellingStep", "ClusterLabels", "LatentClusters", "cluster_latent",
           "label_cluster_centres", "latent_distances", "propagation_weights"]

CLUSTERERS = ("kmeans", "gmm")
DISTANCES = ("euclidean", "mahalanobis")
DECAYS = ("exponential", "gaussian")
#: Ridge added to each cluster covariance, relative to its mean variance: a cluster of a
#: few codes has a singular covariance, and Mahalanobis distances need its inverse.
COVARIANCE_RIDGE = 1e-3


@dataclass
class LatentClusters:
    """Clusters of latent codes, with what propagation needs.

    Attributes
    ----------
    rows : ndarray of shape (m,)
        Positions in the pool of the rows clustered (all rows, or one
        cluster's rows for sub-clusters).
    assignment : ndarray of shape (m,)
        Cluster index, ``0..K-1``, of each of ``rows``.
    centres : ndarray of shape (K, d)
    covariances : ndarray of shape (K, d, d)
        Each cluster's covariance (the mixture's for a GMM; the members'
        sample covariance, with a small ridge, for K-means).
    posterior : ndarray of shape (m,) or None
        A GMM's posterior probability of each row's own cluster.
    """

    rows: np.ndarray
    assignment: np.ndarray
    centres: np.ndarray
    covariances: np.ndarray
    posterior: np.ndarray = None

    @property
    def n_clusters(self):
        return len(self.centres)

    def members(self, k):
        """Pool positions of the rows of cluster ``k``."""
        return self.rows[self.assignment == k]


def _regularised(cov):
    scale = max(float(np.trace(cov)) / len(cov), 1e-12)
    return cov + COVARIANCE_RIDGE * scale * np.eye(len(cov))


def cluster_latent(Z, n_clusters, *, clusterer="gmm", rows=None, max_fit_samples=None,
                   random_state=None):
    """Cluster latent codes; return the :class:`LatentClusters`.

    Parameters
    ----------
    Z : ndarray of shape (m, d)
        The codes to cluster.
    n_clusters : int
        K, capped at the number of codes.
    clusterer : {"kmeans", "gmm"} or scikit-learn clusterer, default="gmm"
        ``"kmeans"``: :class:`~sklearn.cluster.KMeans` (10 starts);
        ``"gmm"``: :class:`~sklearn.mixture.GaussianMixture` with full
        covariances, the paper's best. A clusterer instance is cloned, given
        ``n_clusters`` (or ``n_components``) and, when unset, a seed.
    rows : ndarray of shape (m,), default=None
        Pool positions of the codes (default ``0..m-1``).
    max_fit_samples : int or None, default=None
        Fit on a uniform subsample of this many codes, then assign every code
        (``predict``): for large pools. ``None`` fits on all.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    clusters : LatentClusters

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skvaeal.clusterlabel import cluster_latent
    >>> Z, _ = make_blobs(90, centers=3, cluster_std=0.5, random_state=0)
    >>> clusters = cluster_latent(Z, 3, clusterer="kmeans", random_state=0)
    >>> clusters.centres.shape, sorted(map(int, np.bincount(clusters.assignment)))
    ((3, 2), [30, 30, 30])
    """
    Z = np.asarray(Z, dtype=np.float64)
    rows = np.arange(len(Z)) if rows is None else np.asarray(rows)
    k = int(min(n_clusters, len(Z)))
    rng = check_random_state(random_state)
    seed = draw_seed(rng)
    if isinstance(clusterer, str):
        est = (KMeans(n_clusters=k, n_init=10, random_state=seed) if clusterer == "kmeans"
               else GaussianMixture(n_components=k, covariance_type="full", n_init=2,
                                    reg_covar=1e-4, random_state=seed))
    else:
        est = make_clusterer(clusterer, k, seed, size_params=("n_clusters", "n_components"))
    assignment = fit_assign(est, Z, k, max_fit_samples, rng)
    found, assignment = np.unique(assignment, return_inverse=True)
    posterior = None
    if hasattr(est, "predict_proba") and hasattr(est, "means_"):
        proba = est.predict_proba(Z)[:, found]
        posterior = proba[np.arange(len(Z)), assignment]
    centres, covariances = [], []
    for j, label in enumerate(found):
        members = Z[assignment == j]
        if hasattr(est, "means_") and getattr(est, "covariance_type", None) == "full":
            centres.append(est.means_[label])
            covariances.append(_regularised(est.covariances_[label]))
            continue
        centre = getattr(est, "cluster_centers_", None)
        centres.append(members.mean(0) if centre is None else centre[label])
        cov = (np.cov(members, rowvar=False).reshape(Z.shape[1], Z.shape[1])
               if len(members) > 1 else np.zeros((Z.shape[1], Z.shape[1])))
        if not np.trace(cov) > 0:
            cov = np.cov(Z, rowvar=False).reshape(Z.shape[1], Z.shape[1])
        covariances.append(_regularised(cov))
    return LatentClusters(rows=rows, assignment=assignment.ravel(),
                          centres=np.asarray(centres, dtype=np.float64),
                          covariances=np.asarray(covariances, dtype=np.float64),
                          posterior=posterior)


def latent_distances(Z, centre, covariance=None, *, distance="euclidean"):
    """Distance of each code to a centre: Euclidean, or Mahalanobis under ``covariance``.

    Parameters
    ----------
    Z : ndarray of shape (m, d)
    centre : ndarray of shape (d,)
    covariance : ndarray of shape (d, d), default=None
        Needed for ``distance="mahalanobis"``.
    distance : {"euclidean", "mahalanobis"}, default="euclidean"

    Returns
    -------
    d : ndarray of shape (m,)

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.clusterlabel import latent_distances
    >>> Z = np.array([[3.0, 0.0], [0.0, 3.0]])
    >>> latent_distances(Z, np.zeros(2), np.diag([9.0, 1.0]), distance="mahalanobis").tolist()
    [1.0, 3.0]
    """
    diff = np.asarray(Z, dtype=np.float64) - np.asarray(centre, dtype=np.float64)
    if distance == "euclidean":
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))
    if distance != "mahalanobis":
        raise ValueError(f"distance must be one of {DISTANCES}; got {distance!r}.")
    if covariance is None:
        raise ValueError("distance='mahalanobis' needs the cluster's covariance.")
    # A Cholesky solve, not an explicit inverse: stable for ill-conditioned clusters.
    solved = cho_solve(cho_factor(np.asarray(covariance, dtype=np.float64)), diff.T).T
    return np.sqrt(np.maximum(np.einsum("ij,ij->i", diff, solved), 0.0))


def propagation_weights(d, *, decay="gaussian", a=1.0):
    """The confidence decay ``f(d)`` of eq. 2 (``exp(-a d)``) or eq. 3 (``exp(-a d^2)``).

    A propagated label's weight is ``p_c f(d_n)``, with ``p_c`` the
    annotator's confidence in the centre's label.

    Parameters
    ----------
    d : array-like of shape (m,)
        Distances of the rows to their cluster's centre, >= 0.
    decay : {"exponential", "gaussian"}, default="gaussian"
    a : float or "auto", default=1.0
        How fast the confidence falls with distance. ``"auto"`` sets it so
        that the row at the median distance gets ``f = 0.5``: scale-free,
        whatever the latent space's units.

    Returns
    -------
    f : ndarray of shape (m,), in (0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.clusterlabel import propagation_weights
    >>> propagation_weights([0.0, 1.0, 2.0], decay="exponential", a=1.0).round(4).tolist()
    [1.0, 0.3679, 0.1353]
    >>> propagation_weights([0.0, 1.0, 2.0], decay="gaussian", a=1.0).round(4).tolist()
    [1.0, 0.3679, 0.0183]
    >>> propagation_weights([1.0, 2.0, 3.0], decay="gaussian", a="auto").round(3).tolist()
    [0.841, 0.5, 0.21]
    """
    d = np.asarray(d, dtype=np.float64)
    if decay not in DECAYS:
        raise ValueError(f"decay must be one of {DECAYS}; got {decay!r}.")
    power = d if decay == "exponential" else d ** 2
    if isinstance(a, str):
        if a != "auto":
            raise ValueError(f"a must be a number > 0 or 'auto'; got {a!r}.")
        median = float(np.median(power)) if power.size else 0.0
        a = np.log(2.0) / median if median > 0 else 1.0
    return np.exp(-float(a) * power)


@dataclass
class ClusterLabels:
    """The outcome of one labelling step.

    Attributes
    ----------
    labels : ndarray of shape (n_pool,), dtype object
        The propagated label of each pool row, ``None`` where none reached it.
    weights : ndarray of shape (n_pool,)
        ``w_n``: the label's confidence (``p_c f(d_n)``, or ``p_c`` times the
        GMM posterior); 0 for rows without a label.
    groups : ndarray of shape (n_pool,)
        The id of the annotated cluster each row's label comes from, ``-1``
        for none.
    direct : ndarray of shape (n_pool,), bool
        Pool rows the annotator saw (``show="nearest"``), whose label is
        their own rather than propagated.
    X_shown : ndarray of shape (n_shown, n_features)
        Every row shown, in order, sub-cluster centres included.
    shown_indices : ndarray of shape (n_shown,)
        Their pool positions, ``-1`` for synthetic rows (decoded centres).
    shown_labels : ndarray of shape (n_shown,), dtype object
        The answers, ``None`` for "not a valid sample".
    shown_confidences : ndarray of shape (n_shown,)
    shown_groups : ndarray of shape (n_shown,)
        The id each valid answer gives its cluster's rows (``-1`` when invalid).
    shown_depth : ndarray of shape (n_shown,)
        0 for the first clustering, 1 for its sub-clusters, and so on.
    """

    labels: np.ndarray
    weights: np.ndarray
    groups: np.ndarray
    direct: np.ndarray
    X_shown: np.ndarray
    shown_indices: np.ndarray
    shown_labels: np.ndarray
    shown_confidences: np.ndarray
    shown_groups: np.ndarray
    shown_depth: np.ndarray

    @property
    def n_queries(self):
        """Rows the annotator was asked about: the step's labelling cost."""
        return len(self.shown_labels)


def nearest_allowed(rows, d, allowed):
    """``(position, distance)`` of the allowed row nearest to a centre, or ``(-1, inf)``.

    ``rows`` are pool positions, ``d`` their distances to the centre and
    ``allowed`` a mask over the pool.
    """
    ok = allowed[rows]
    if not ok.any():
        return -1, np.inf
    best = np.flatnonzero(ok)[np.argmin(d[ok])]
    return int(rows[best]), float(d[best])


_STEP_CONSTRAINTS = {
    "n_clusters": [Interval(Integral, 1, None, closed="left")],
    "clusterer": [StrOptions(set(CLUSTERERS)), HasMethods(["fit_predict"])],
    "show": [StrOptions({"decoded", "nearest"})],
    "n_sub_clusters": [None, Interval(Integral, 2, None, closed="left")],
    "max_depth": [Interval(Integral, 0, None, closed="left")],
    "distance": [StrOptions(set(DISTANCES))],
    "decay": [StrOptions(set(DECAYS))],
    "a": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
    "confidence": [StrOptions({"decay", "posterior"})],
    "exclude": [None, "array-like"],
    "random_state": ["random_state"],
}


class CentreLabellingStep:
    """One labelling step of :func:`label_cluster_centres`, asked and answered in turns.

    The same step as :func:`label_cluster_centres`, with its oracle calls
    turned inside out: :meth:`ask` returns the rows to show (one level of
    centres), :meth:`tell` takes the answers, and the step is over when
    :attr:`done`. An interface that cannot block while a person answers (a
    notebook widget, :class:`skvaeal.widgets.LabellingWidget`) drives it this
    way; :func:`label_cluster_centres` is the loop ``ask`` / ``oracle`` /
    ``tell`` until done, so both give the same labels for the same answers.

    Parameters
    ----------
    estimator : fitted estimator with ``transform``
    X : array-like of shape (n_pool, n_features)
    n_clusters, clusterer, show, n_sub_clusters, max_depth, distance, decay, a, \
confidence, exclude, random_state
        As in :func:`label_cluster_centres`.

    Attributes
    ----------
    done : bool
        No level is left to ask about.
    depth : int
        The level asked now: 0 for the first clustering, 1 for sub-clusters.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skvaeal.clusterlabel import CentreLabellingStep
    >>> X, y = make_blobs(60, centers=2, cluster_std=0.5, random_state=0)
    >>> step = CentreLabellingStep(FunctionTransformer().fit(X), X, n_clusters=2,
    ...                            clusterer="kmeans", show="nearest", random_state=0)
    >>> X_shown, index = step.ask()
    >>> step.tell(y[index], [1.0, 0.9])
    >>> step.done, step.result().n_queries
    (True, 2)
    """

    def __init__(self, estimator, X, *, n_clusters=10, clusterer="gmm", show="decoded",
                 n_sub_clusters=None, max_depth=1, distance="mahalanobis", decay="gaussian",
                 a="auto", confidence="decay", exclude=None, random_state=None):
        params = dict(n_clusters=n_clusters, clusterer=clusterer, show=show,
                      n_sub_clusters=n_sub_clusters, max_depth=max_depth, distance=distance,
                      decay=decay, a=a, confidence=confidence, exclude=exclude,
                      random_state=random_state)
        validate_parameter_constraints(
            {"estimator": [HasMethods(["transform"])], "X": ["array-like"],
             **_STEP_CONSTRAINTS}, {"estimator": estimator, "X": X, **params},
            caller_name=type(self).__name__)
        if show == "decoded" and not hasattr(estimator, "inverse_transform"):
            raise TypeError(
                f"show='decoded' needs an estimator with inverse_transform to decode the "
                f"centres; {type(estimator).__name__} has none. Use show='nearest'.")
        self.estimator, self.X = estimator, X
        self.show, self.max_depth, self.distance = show, max_depth, distance
        self.decay, self.a, self.confidence, self.clusterer = decay, a, confidence, clusterer
        self._rng = check_random_state(random_state)
        self._Z = Z = np.asarray(estimator.transform(X), dtype=np.float64)
        n = len(Z)
        self._allowed = candidate_mask(Z, exclude=exclude)
        self._n_sub = n_clusters if n_sub_clusters is None else n_sub_clusters
        self._labels = np.full(n, None, dtype=object)
        self._weights = np.zeros(n)
        self._groups = np.full(n, -1, dtype=np.int64)
        self._direct = np.zeros(n, dtype=bool)
        self._shown = {"X": [], "index": [], "label": [], "conf": [], "group": [], "depth": []}
        first = cluster_latent(Z, n_clusters, clusterer=clusterer, random_state=self._rng)
        if confidence == "posterior" and first.posterior is None:
            raise ValueError("confidence='posterior' needs a Gaussian mixture: clusterer='gmm'.")
        self.depth, self._group = 0, 0
        self._asked = None
        self._prepare([first])

    def _prepare(self, level):
        """The centres of ``level``'s clusterings that can be shown: the next question."""
        Z, needs_distances = self._Z, self.show == "nearest" or self.confidence == "decay"
        # Each cluster's distances serve both the nearest row and the propagation weights.
        asked = []
        for c in level:
            for k in range(c.n_clusters):
                members = c.members(k)
                d = latent_distances(Z[members], c.centres[k], c.covariances[k],
                                     distance=self.distance) if needs_distances else None
                idx = (nearest_allowed(members, d, self._allowed)[0]
                       if self.show == "nearest" else -1)
                if self.show == "decoded" or idx >= 0:
                    asked.append((c, k, members, d, idx))
        self._asked = asked or None
        if not asked:
            return
        index = np.array([q[4] for q in asked], dtype=np.int64)
        if self.show == "decoded":
            # One decoder call per level: every centre of this level's clusterings at once.
            self._X_shown = np.asarray(self.estimator.inverse_transform(
                np.stack([c.centres[k] for c, k, *_ in asked])))
            self._index = None
        else:
            self._X_shown, self._index = np.asarray(take_rows(self.X, index)), index

    @property
    def done(self):
        """Whether the step is over (nothing left to ask)."""
        return self._asked is None

    def ask(self):
        """The rows to show now; the same rows until :meth:`tell` answers them.

        Returns
        -------
        X_shown : ndarray of shape (n_shown, n_features)
            Decoded centres (``show="decoded"``) or their nearest pool rows.
        indices : ndarray of int or None
            Their pool positions (``show="nearest"``); None for decoded rows.
        """
        if self.done:
            raise RuntimeError("the labelling step is done; read its result().")
        return self._X_shown, self._index

    def tell(self, labels, confidences=None):
        """Answer the rows of :meth:`ask`: a label (or None) and a confidence each.

        Parameters
        ----------
        labels : array-like of shape (n_shown,)
            ``None`` for "not a valid sample": that cluster is split again
            (down to ``max_depth``).
        confidences : array-like of shape (n_shown,), default=None
            ``p_c`` in [0, 1]; None means 1 for every row.

        Raises
        ------
        ValueError, TypeError
            From :func:`~skvaeal.oracle.check_oracle_answer`, before anything
            changes: the same question is asked again.
        """
        if self.done:
            raise RuntimeError("the labelling step is done; read its result().")
        answer = labels if confidences is None else (labels, confidences)
        answered, conf, valid = check_oracle_answer(answer, len(self._asked))
        shown, Z = self._shown, self._Z
        next_level = []
        for i, ((clusters, k, members, d, idx), label, p_c, ok) in enumerate(
                zip(self._asked, answered, conf, valid)):
            shown["X"].append(self._X_shown[i])
            shown["index"].append(idx)
            shown["label"].append(label)
            shown["conf"].append(p_c)
            shown["depth"].append(self.depth)
            if not ok:
                shown["group"].append(-1)
                if self.depth < self.max_depth and len(members) >= 2:
                    next_level.append(cluster_latent(Z[members], self._n_sub,
                                                     clusterer=self.clusterer, rows=members,
                                                     random_state=self._rng))
                continue
            shown["group"].append(self._group)
            if self.confidence == "posterior":
                f = clusters.posterior[clusters.assignment == k]
            else:
                f = propagation_weights(d, decay=self.decay, a=self.a)
            self._labels[members] = label
            self._weights[members], self._groups[members] = p_c * f, self._group
            if idx >= 0:
                self._direct[idx], self._weights[idx] = True, p_c
            self._group += 1
        self.depth += 1
        self._prepare(next_level)

    def result(self):
        """The labels so far, as :class:`ClusterLabels` (final once :attr:`done`)."""
        shown = self._shown
        return ClusterLabels(
            labels=self._labels.copy(), weights=self._weights.copy(),
            groups=self._groups.copy(), direct=self._direct.copy(),
            X_shown=np.asarray(shown["X"]),
            shown_indices=np.asarray(shown["index"], dtype=np.int64),
            shown_labels=np.asarray(shown["label"], dtype=object),
            shown_confidences=np.asarray(shown["conf"], dtype=np.float64),
            shown_groups=np.asarray(shown["group"], dtype=np.int64),
            shown_depth=np.asarray(shown["depth"], dtype=np.int64))


@validate_params({"estimator": [HasMethods(["transform"])], "X": ["array-like"],
                  "oracle": [callable], **_STEP_CONSTRAINTS},
                 prefer_skip_nested_validation=True)
def label_cluster_centres(estimator, X, oracle, *, n_clusters=10, clusterer="gmm",
                          show="decoded", n_sub_clusters=None, max_depth=1,
                          distance="mahalanobis", decay="gaussian", a="auto",
                          confidence="decay", exclude=None, random_state=None):
    """One labelling step: cluster the codes, ask the oracle about the centres, propagate.

    The step of Vengalil & Sinha (section 3.3): the latent codes of the pool
    are clustered into ``n_clusters``; the oracle sees each centre, decoded
    (``show="decoded"``, the paper) or as its nearest pool row
    (``show="nearest"``), and answers a label and a confidence ``p_c``, or
    "not a valid sample" (``None``). An invalid cluster's rows are clustered
    again into ``n_sub_clusters`` whose centres are shown next, down to
    ``max_depth`` levels. Each label then spreads to its cluster's rows with
    weight ``w_n = p_c f(d_n)`` (eqs. 2 and 3, :func:`propagation_weights`)
    or, with ``confidence="posterior"`` and a GMM, ``p_c`` times the row's
    posterior probability of the cluster.

    Parameters
    ----------
    estimator : fitted estimator with ``transform``
        Gives the latent codes (e.g. a :class:`ClusterLabelClassifier` after
        :meth:`~ClusterLabelClassifier.fit_warmup`); ``show="decoded"`` also
        needs its ``inverse_transform``.
    X : array-like of shape (n_pool, n_features)
    oracle : callable
        ``oracle(X_shown, indices=None) -> (labels, confidences)``, see
        :mod:`skvaeal.oracle`; ``indices`` are pool positions with
        ``show="nearest"`` and None with ``show="decoded"``.
    n_clusters : int, default=10
        K, the labels asked per step before any sub-clustering.
    clusterer : {"kmeans", "gmm"} or clusterer, default="gmm"
        See :func:`cluster_latent`.
    show : {"decoded", "nearest"}, default="decoded"
    n_sub_clusters : int or None, default=None
        Sub-clusters of an invalid cluster; ``None`` means ``n_clusters``, as
        in the paper ("again clustered into k sub-clusters").
    max_depth : int, default=1
        Levels of sub-clustering; 0 leaves invalid clusters unlabelled.
    distance : {"euclidean", "mahalanobis"}, default="mahalanobis"
        ``d_n``, and the nearest row to a centre. Mahalanobis uses each
        cluster's covariance.
    decay : {"exponential", "gaussian"}, default="gaussian"
    a : float or "auto", default="auto"
        Decay rate; ``"auto"`` gives the cluster's median row ``f = 0.5``.
    confidence : {"decay", "posterior"}, default="decay"
        ``"posterior"`` (GMM only) weights by the posterior instead of
        ``f(d)``.
    exclude : array-like of bool or int, default=None
        Pool rows never shown with ``show="nearest"`` (e.g. those already
        labelled).
    random_state : int, RandomState instance or None, default=None
        Seeds the clusterings.

    Returns
    -------
    labels : ClusterLabels

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skvaeal.clusterlabel import label_cluster_centres
    >>> from skvaeal.oracle import PoolOracle
    >>> X, y = make_blobs(90, centers=3, cluster_std=0.5, random_state=0)
    >>> step = label_cluster_centres(FunctionTransformer().fit(X), X, PoolOracle(y),
    ...                              n_clusters=3, clusterer="kmeans", show="nearest",
    ...                              random_state=0)
    >>> step.n_queries, float(np.mean(step.labels.astype(int) == y))
    (3, 1.0)
    """
    step = CentreLabellingStep(
        estimator, X, n_clusters=n_clusters, clusterer=clusterer, show=show,
        n_sub_clusters=n_sub_clusters, max_depth=max_depth, distance=distance, decay=decay,
        a=a, confidence=confidence, exclude=exclude, random_state=random_state)
    while not step.done:
        X_shown, index = step.ask()
        labels, confidences, _ = check_oracle_answer(oracle(X_shown, indices=index),
                                                     len(X_shown))
        step.tell(labels, confidences)
    return step.result()
