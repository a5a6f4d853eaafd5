"""The whole loop of Vengalil & Sinha: warm-up, then label centres and train, k times."""

import time
import warnings
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..utils import UNLABELED, draw_seed
from ..utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from ._labelling import _STEP_CONSTRAINTS, label_cluster_centres

__all__ = ["ClusterLabelingResult", "cluster_label_learning"]


@dataclass
class ClusterLabelingResult:
    """What :func:`cluster_label_learning` returns.

    Attributes
    ----------
    estimator : ClusterLabelClassifier
        The classifier after the last iteration.
    steps : list of ClusterLabels
        Each iteration's labelling step (:func:`label_cluster_centres`).
    n_labels : list of int
        Labels asked for so far, after each iteration (every row shown counts,
        "not a valid sample" answers included).
    accuracy : list of float
        Test accuracy after each iteration (with ``X_test``, ``y_test``).
    label_accuracy : list of float
        Share of the labelled pool rows whose label is right, after each
        iteration (with ``y_true``).
    weighted_label_accuracy : list of float
        The same, each row counted by its weight ``w_n``.
    coverage : list of float
        Share of the pool rows holding a label of weight > 0.
    fit_time : list of float
        Seconds of training per iteration (the warm-up not included).
    warmup_time : float
    """

    estimator: object
    steps: list = field(default_factory=list)
    n_labels: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    label_accuracy: list = field(default_factory=list)
    weighted_label_accuracy: list = field(default_factory=list)
    coverage: list = field(default_factory=list)
    fit_time: list = field(default_factory=list)
    warmup_time: float = 0.0


def _as_target(labels):
    """Labels with ``None`` as a numeric or string array with ``-1`` for no label."""
    valid = np.array([v is not None for v in labels], dtype=bool)
    values = [v for v in labels if v is not None]
    if all(isinstance(v, (Integral, np.integer)) for v in values):
        out = np.full(len(labels), UNLABELED, dtype=np.int64)
        out[valid] = np.asarray(values, dtype=np.int64)
        return out
    out = np.full(len(labels), UNLABELED, dtype=object)
    out[valid] = values
    return out


@validate_params({"estimator": [HasMethods(["fit", "fit_warmup", "transform"])],
                  "X": ["array-like"], "oracle": [callable],
                  "n_iterations": [Interval(Integral, 1, None, closed="left")],
                  **{k: v for k, v in _STEP_CONSTRAINTS.items() if k != "exclude"},
                  "epochs_per_iteration": [None, Interval(Integral, 1, None, closed="left")],
                  "keep_annotations": ["boolean"],
                  "propagation": [StrOptions({"latest", "best"})],
                  "X_test": [None, "array-like"], "y_test": [None, "array-like"],
                  "y_true": [None, "array-like"], "verbose": ["verbose"]},
                 prefer_skip_nested_validation=True)
def cluster_label_learning(estimator, X, oracle, *, n_iterations=5, n_clusters=10,
                           clusterer="gmm", show="decoded", n_sub_clusters=None, max_depth=1,
                           distance="mahalanobis", decay="gaussian", a="auto",
                           confidence="decay", epochs_per_iteration=None,
                           keep_annotations=True, propagation="latest", X_test=None,
                           y_test=None, y_true=None,
                           random_state=None, verbose=0):
    """Run the paper's loop: warm up the VAE, then label cluster centres and train, k times.

    Vengalil & Sinha (section 3.3): the pool starts without labels. The
    classifier is first trained as a beta-VAE alone
    (:meth:`~ClusterLabelClassifier.fit_warmup`); then, ``n_iterations``
    times, its codes are clustered and the centres labelled by ``oracle``
    (:func:`label_cluster_centres`), the labels are propagated to the
    clusters' rows, and training continues (warm-started) with the weighted
    loss of eq. 4.

    Parameters
    ----------
    estimator : ClusterLabelClassifier
        Cloned; the clone is warm-started across the iterations.
    X : array-like of shape (n_pool, n_features)
        The pool.
    oracle : callable
        ``oracle(X_shown, indices=None) -> (labels, confidences)``
        (:mod:`skvaeal.oracle`).
    n_iterations : int, default=5
    n_clusters, clusterer, show, n_sub_clusters, max_depth, distance, decay, a, confidence
        Of each labelling step, see :func:`label_cluster_centres`.
    epochs_per_iteration : int or None, default=None
        Epochs of eq. 4 per iteration; ``None`` keeps the estimator's
        ``max_epochs``.
    keep_annotations : bool, default=True
        Keep the annotator's answers of earlier iterations as labels (the
        shown pool rows, or the decoded centres appended as rows).
    propagation : {"latest", "best"}, default="latest"
        Which propagated label a row holds. ``"latest"``: the newest step's
        (each clustering, in the latent space as trained so far, replaces the
        last one's labels). ``"best"``: the most confident one any step gave
        it. The paper does not say; on t10k ``"latest"`` labelled the pool
        better (:doc:`/benchmarks`).
    X_test, y_test : array-like, default=None
        Held-out rows, scored after each iteration.
    y_true : array-like of shape (n_pool,), default=None
        The pool's true labels, only to report the propagated labels'
        accuracy (never used for training).
    random_state : int, RandomState instance or None, default=None
        Seeds the clusterings.
    verbose : int, default=0
        1 prints one line per iteration.

    Returns
    -------
    result : ClusterLabelingResult

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal.clusterlabel import ClusterLabelClassifier, cluster_label_learning
    >>> from skvaeal.oracle import PoolOracle
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> clf = ClusterLabelClassifier(latent_dim=8, warmup_epochs=2, max_epochs=2,
    ...                              unlabeled_trust=1.0, random_state=0)
    >>> result = cluster_label_learning(clf, X, PoolOracle(y), n_iterations=2,
    ...                                 show="nearest", y_true=y, random_state=0)
    >>> result.n_labels
    [10, 20]
    """
    rng = check_random_state(random_state)
    X = np.asarray(X, dtype=np.float64) if not hasattr(X, "dtype") else np.asarray(X)
    model = clone(estimator).set_params(warm_start=True)
    if epochs_per_iteration is not None:
        model.set_params(max_epochs=int(epochs_per_iteration))
    result = ClusterLabelingResult(estimator=model)
    start = time.perf_counter()
    model.fit_warmup(X)
    result.warmup_time = time.perf_counter() - start
    n = len(X)
    # The pool's labels so far: each row's label, weight, group (the annotation it comes
    # from, unique across steps) and whether the annotator labelled the row itself.
    labels = np.full(n, None, dtype=object)
    weights = np.zeros(n)
    groups = np.full(n, -1, dtype=np.int64)
    own = np.zeros(n, dtype=bool)
    synthetic = []  # per step: decoded centres, their labels, confidences and groups
    n_labels, n_groups = 0, 0
    for iteration in range(n_iterations):
        step = label_cluster_centres(
            model, X, oracle, n_clusters=n_clusters, clusterer=clusterer, show=show,
            n_sub_clusters=n_sub_clusters, max_depth=max_depth, distance=distance,
            decay=decay, a=a, confidence=confidence,
            exclude=own if show == "nearest" else None, random_state=draw_seed(rng))
        result.steps.append(step)
        n_labels += step.n_queries
        step_groups = np.where(step.groups >= 0, step.groups + n_groups, -1)
        shown_groups = np.where(step.shown_groups >= 0, step.shown_groups + n_groups, -1)
        n_groups += int(step.shown_groups.max(initial=-1)) + 1
        reached = step.labels != None  # noqa: E711
        if propagation == "latest":
            replace = ~own if keep_annotations else np.ones(n, dtype=bool)
            labels[replace], weights[replace] = None, 0.0
            groups[replace] = -1
            take = reached & replace
        else:  # "best": a row keeps the most confident label any step gave it
            take = reached & ~own & (step.weights > weights)
        take |= step.direct
        labels[take], weights[take], groups[take] = (
            step.labels[take], step.weights[take], step_groups[take])
        own |= step.direct
        if keep_annotations:
            own &= labels != None  # noqa: E711
        else:
            own = step.direct.copy()
        propagated = (labels != None) & ~own  # noqa: E711
        if show == "decoded":
            valid = step.shown_labels != None  # noqa: E711
            new = (step.X_shown[valid], step.shown_labels[valid],
                   step.shown_confidences[valid], shown_groups[valid])
            synthetic = (synthetic if keep_annotations else []) + [new]
        X_fit, labels_fit, weights_fit = X, labels, weights
        propagated_fit, groups_fit = propagated, groups
        if synthetic:
            # The decoded centres join the pool as labelled rows, heading their groups.
            X_syn = np.concatenate([s[0] for s in synthetic]).astype(X.dtype)
            X_fit = np.concatenate([X, X_syn])
            labels_fit = np.concatenate([labels, np.concatenate([s[1] for s in synthetic])])
            weights_fit = np.concatenate([weights, np.concatenate([s[2] for s in synthetic])])
            propagated_fit = np.concatenate([propagated, np.zeros(len(X_syn), dtype=bool)])
            groups_fit = np.concatenate([groups, np.concatenate([s[3] for s in synthetic])])
        target = _as_target(labels_fit)
        start = time.perf_counter()
        if len(np.unique(target[target != UNLABELED])) >= 2:
            model.fit(X_fit, target, sample_weight=weights_fit, propagated=propagated_fit,
                      groups=groups_fit)
        else:
            warnings.warn(
                f"iteration {iteration + 1}: the labels so far hold one class or none; a "
                "classifier needs two, so this iteration trains nothing and the next one "
                "asks again.", UserWarning, stacklevel=2)
        result.fit_time.append(time.perf_counter() - start)
        result.n_labels.append(n_labels)
        labelled = labels != None  # noqa: E711
        result.coverage.append(float(np.mean(labelled & (weights > 0))))
        if y_true is not None:
            truth = np.asarray(y_true)
            right = np.array([labels[i] == truth[i] for i in np.flatnonzero(labelled)],
                             dtype=bool)
            w = weights[labelled]
            result.label_accuracy.append(float(right.mean()) if right.size else float("nan"))
            result.weighted_label_accuracy.append(
                float((right * w).sum() / w.sum()) if w.sum() > 0 else float("nan"))
        if X_test is not None and y_test is not None:
            result.accuracy.append(float(model.score(X_test, y_test))
                                   if hasattr(model, "classes_") else float("nan"))
        if verbose:
            parts = [f"iteration {iteration + 1}: {n_labels} labels",
                     f"coverage {result.coverage[-1]:.2f}"]
            if result.label_accuracy:
                parts.append(f"label accuracy {result.label_accuracy[-1]:.3f}")
            if result.accuracy:
                parts.append(f"test accuracy {result.accuracy[-1]:.3f}")
            print(", ".join(parts), flush=True)
    return result
