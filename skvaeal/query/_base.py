"""The strategy contract, shared by every query strategy.

``strategy(classifier, X_pool, n_instances=1, *, random_state=None, **kwargs)``
returns ``(query_idx, scores)``: unique int indices into ``X_pool`` and one
float score per chosen index. The helpers here read what a strategy needs from
``classifier`` by duck typing only, so it may be a modAL ``ActiveLearner``,
skvaeal's :class:`~skvaeal.active.ActiveLearner`, a fitted scikit-learn
estimator or pipeline, or ``None`` for a cold start.
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import check_array

from ..utils import check_n_instances


def check_pool(X_pool, *, allow_nd=False):
    """Validate the pool: non-empty, finite, numeric, 2-D (or N-D when ``allow_nd``)."""
    return check_array(X_pool, allow_nd=allow_nd, dtype="numeric", input_name="X_pool")


def check_query(X_pool, n_instances, *, allow_nd=False):
    """Validate ``X_pool`` and ``n_instances`` together; return both."""
    X_pool = check_pool(X_pool, allow_nd=allow_nd)
    return X_pool, check_n_instances(n_instances, X_pool.shape[0])


def get_estimator(classifier):
    """The model inside a learner (``classifier.estimator``), else ``classifier`` itself."""
    if classifier is None:
        return None
    # Learners (modAL's and ours) wrap the model in `.estimator`; plain estimators do not.
    inner = getattr(classifier, "estimator", None)
    if inner is not None and hasattr(classifier, "teach"):
        return inner
    return classifier


def get_labeled(classifier, X_labeled=None):
    """The labelled rows: an explicit ``X_labeled`` wins, else ``classifier.X_training``.

    Returns ``None`` when there are none (cold start).
    """
    if X_labeled is None and classifier is not None:
        X_labeled = getattr(classifier, "X_training", None)
    if X_labeled is None:
        return None
    X_labeled = np.asarray(X_labeled)
    return X_labeled if X_labeled.shape[0] > 0 else None


def resolve_transformer(classifier, transformer=None):
    """The map into the space a geometric strategy works in.

    An explicit ``transformer`` wins; else, when the (learner's) estimator is a
    :class:`~sklearn.pipeline.Pipeline`, all its steps but the last; else
    ``None`` (the input space).
    """
    if transformer is not None:
        if not hasattr(transformer, "transform"):
            raise TypeError(
                f"transformer must have a transform method (e.g. a fitted VAETransformer); "
                f"got {type(transformer).__name__}."
            )
        return transformer
    estimator = get_estimator(classifier)
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        return estimator[:-1]
    return None


def to_space(transformer, X):
    """``transformer.transform(X)`` as a float array, or X itself when ``transformer`` is None."""
    if transformer is None:
        return np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    return np.asarray(transformer.transform(X), dtype=np.float64)


def get_proba(classifier, X_pool):
    """``predict_proba`` of a fitted classifier or learner, with a clear error otherwise."""
    if classifier is None or not hasattr(classifier, "predict_proba"):
        raise TypeError(
            "this strategy needs a fitted classifier with predict_proba; got "
            f"{type(classifier).__name__ if classifier is not None else None}."
        )
    proba = np.asarray(classifier.predict_proba(X_pool), dtype=np.float64)
    if proba.ndim != 2 or proba.shape[0] != len(X_pool):
        raise ValueError(
            f"predict_proba returned shape {proba.shape}; expected ({len(X_pool)}, n_classes)."
        )
    return proba


def top_k(scores, n_instances, random_state=None):
    """Indices of the ``n_instances`` highest scores, best first.

    Ties are broken at random with ``random_state`` (a seed gives the same
    indices), so equal scores do not always favour the start of the pool.
    Runs in O(n) with :func:`numpy.argpartition`.
    """
    from sklearn.utils import check_random_state

    scores = np.asarray(scores, dtype=np.float64)
    rng = check_random_state(random_state)
    # A random permutation first, then a stable sort: random among equals, exact otherwise.
    perm = rng.permutation(scores.shape[0])
    shuffled = scores[perm]
    if n_instances < shuffled.shape[0]:
        part = np.argpartition(-shuffled, n_instances - 1)[:n_instances]
    else:
        part = np.arange(shuffled.shape[0])
    best = part[np.argsort(-shuffled[part], kind="stable")]
    return perm[best]


def query_result(query_idx, scores):
    """Package ``(query_idx, scores)`` as the contract's 2-tuple of numpy arrays."""
    query_idx = np.asarray(query_idx, dtype=np.intp)
    scores = np.asarray(scores, dtype=np.float64)
    if query_idx.shape != scores.shape:
        raise ValueError("a strategy must return exactly one score per chosen index")
    return query_idx, scores
