"""Cross-validation that still works on the tiny labelled sets of active learning."""

import numbers

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.model_selection._split import BaseCrossValidator


class AdaptiveStratifiedKFold(BaseCrossValidator):
    """Stratified K-fold that shrinks to fit classes with few labelled rows.

    With 20 labels over 3 classes, a plain ``StratifiedKFold(3)`` warns and
    may train folds on a single class, so a ``GridSearchCV`` of an SVC fails.
    This splitter

    * uses ``min(n_splits, m)`` folds, ``m`` being the size of the smallest
      class with at least two rows, so every class with two or more rows is
      in every training fold and every test fold;
    * keeps the rows of classes seen only once in every training fold (they
      cannot be both trained on and tested);
    * when no class has two rows, yields one split that trains and tests on
      all rows (the grid search then simply keeps the first best candidate).

    Parameters
    ----------
    n_splits : int, default=3
        Upper bound on the number of folds (at least 2).
    shuffle : bool, default=False
        Shuffle each class before splitting.
    random_state : int, RandomState instance or None, default=None
        Used when ``shuffle=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.active import AdaptiveStratifiedKFold
    >>> y = np.array([0, 0, 1, 1, 1, 1, 2])
    >>> cv = AdaptiveStratifiedKFold(3)
    >>> cv.get_n_splits(y=y)
    2
    >>> all(6 in train for train, test in cv.split(np.zeros((7, 1)), y))
    True
    """

    def __init__(self, n_splits=3, *, shuffle=False, random_state=None):
        if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral) \
                or n_splits < 2:
            raise ValueError(f"n_splits must be an int >= 2; got {n_splits!r}.")
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.random_state = random_state

    def _plan(self, y):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D for AdaptiveStratifiedKFold; got shape {y.shape}.")
        classes, counts = np.unique(y, return_counts=True)
        singles = np.isin(y, classes[counts < 2])
        multi_counts = counts[counts >= 2]
        k = int(min(self.n_splits, multi_counts.min())) if multi_counts.size else 1
        return singles, k

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits for these labels (``n_splits`` when y is not given)."""
        if y is None:
            return self.n_splits
        return self._plan(y)[1]

    def split(self, X, y, groups=None):
        """Yield ``(train, test)`` index arrays.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        groups : ignored
        """
        y = np.asarray(y)
        singles, k = self._plan(y)
        everything = np.arange(y.shape[0])
        if k < 2:
            yield everything, everything
            return
        kept = everything[singles]
        rest = everything[~singles]
        inner = StratifiedKFold(k, shuffle=self.shuffle,
                                random_state=self.random_state if self.shuffle else None)
        for train, test in inner.split(np.zeros((rest.shape[0], 1)), y[rest]):
            yield np.sort(np.concatenate([rest[train], kept])), rest[test]

    def _iter_test_indices(self, X=None, y=None, groups=None):  # pragma: no cover
        for _, test in self.split(X, y, groups):
            yield test
