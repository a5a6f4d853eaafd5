"""Simulated annotators for experiments: the pool's true labels, or a reference classifier."""

from numbers import Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["ClassifierOracle", "PoolOracle"]


class PoolOracle:
    """The true label of each shown pool row, with confidence 1.

    Parameters
    ----------
    y : array-like of shape (n_pool,)
        The labels of the pool, which the experiment hides from the learner.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.oracle import PoolOracle
    >>> labels, conf = PoolOracle(np.array([4, 7, 1]))(np.zeros((2, 5)), indices=[2, 0])
    >>> labels.tolist(), conf.tolist()
    ([1, 4], [1.0, 1.0])
    """

    def __init__(self, y):
        self.y = np.asarray(y)

    def __call__(self, X_shown, indices=None):
        if indices is None:
            raise ValueError(
                "PoolOracle answers for pool rows only: it needs the indices of the rows "
                "shown. Synthetic rows (decoded centres) need an oracle that looks at them, "
                "e.g. ClassifierOracle or ConsoleOracle.")
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size and (indices.min() < 0 or indices.max() >= len(self.y)):
            raise ValueError(f"indices must lie in [0, {len(self.y)}); got {indices.tolist()}.")
        labels = self.y[indices].astype(object)
        return labels, np.ones(len(indices))


class ClassifierOracle:
    """A reference classifier as the annotator: its label and probability, rejecting doubt.

    For experiments on synthetic queries (decoded cluster centres), which
    have no true label: a classifier trained on a labelled split disjoint
    from the pool looks at each shown row, answers its most probable class
    with that probability as the confidence, and says "not a valid sample"
    when the probability is below ``threshold`` (Vengalil & Sinha's
    annotator rejects centres that show no digit).

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    threshold : float in [0, 1], default=0.5
        Least probability of an accepted label.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.oracle import ClassifierOracle
    >>> X, y = load_digits(return_X_y=True)
    >>> oracle = ClassifierOracle(LogisticRegression(max_iter=500).fit(X[:500], y[:500]))
    >>> labels, conf = oracle(X[1000:1003])
    >>> labels.tolist(), bool(conf.min() > 0.5)
    ([1, 4, 0], True)
    """

    def __init__(self, estimator, threshold=0.5):
        self.estimator = estimator
        self.threshold = threshold

    def __call__(self, X_shown, indices=None):
        if not hasattr(self.estimator, "predict_proba"):
            raise TypeError(
                "ClassifierOracle needs a fitted classifier with predict_proba; got "
                f"{type(self.estimator).__name__}.")
        check_is_fitted(self.estimator)
        if not isinstance(self.threshold, Real) or not 0 <= self.threshold <= 1:
            raise ValueError(f"threshold must be a number in [0, 1]; got {self.threshold!r}.")
        proba = np.asarray(self.estimator.predict_proba(np.asarray(X_shown)), dtype=np.float64)
        best = proba.argmax(axis=1)
        confidence = proba[np.arange(len(proba)), best]
        classes = np.asarray(self.estimator.classes_)
        labels = np.array([classes[k].item() if hasattr(classes[k], "item") else classes[k]
                           for k in best], dtype=object)
        rejected = confidence < self.threshold
        labels[rejected] = None
        return labels, np.where(rejected, 0.0, confidence)
