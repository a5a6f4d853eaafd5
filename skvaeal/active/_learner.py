"""A pool-based active learner with modAL's interface, on the newest scikit-learn."""

import inspect

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ..utils import check_n_instances, label_kind


def _accepts_random_state(strategy):
    """Whether ``strategy`` takes a ``random_state`` keyword by name.

    A bare ``**kwargs`` does not count: modAL's own strategies forward their
    extra keywords to ``predict_proba``, which would reject it.
    """
    try:
        params = inspect.signature(strategy).parameters
    except (TypeError, ValueError):  # builtins and some C callables have no signature
        return False
    param = params.get("random_state")
    return param is not None and param.kind in (param.KEYWORD_ONLY,
                                                param.POSITIONAL_OR_KEYWORD)


def check_query_result(result, n_pool, n_instances=None, *, strategy=None):
    """Validate what a strategy returned: ``(query_idx, scores)``.

    Parameters
    ----------
    result : object
        The strategy's return value.
    n_pool : int
        Number of rows of the pool the strategy was given.
    n_instances : int, optional
        When given, the number of indices the strategy had to return.
    strategy : callable, optional
        Named in error messages.

    Returns
    -------
    query_idx : ndarray of int
    scores : ndarray of float or None
        ``None`` when the strategy returned ``None`` as its scores.

    Raises
    ------
    TypeError
        If ``result`` is not a 2-tuple or the indices are not integers.
    ValueError
        If the indices repeat, fall outside ``[0, n_pool)`` or have the wrong
        length, or the scores do not match them.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.active import check_query_result
    >>> idx, scores = check_query_result((np.array([3, 1]), np.array([.9, .5])), n_pool=5)
    >>> idx
    array([3, 1])
    """
    label = getattr(strategy, "__name__", None) or type(strategy).__name__
    label = f"query_strategy {label!s}" if strategy is not None else "query_strategy"
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(
            f"{label} must return a 2-tuple (query_idx, scores); got "
            f"{type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "") + "."
        )
    query_idx, scores = result
    query_idx = np.asarray(query_idx)
    if query_idx.ndim != 1:
        raise ValueError(f"{label} returned query_idx of shape {query_idx.shape}; expected 1-D.")
    if query_idx.size and not np.issubdtype(query_idx.dtype, np.integer):
        raise TypeError(
            f"{label} returned query_idx of dtype {query_idx.dtype}; expected integer indices."
        )
    query_idx = query_idx.astype(np.intp, copy=False)
    if n_instances is not None and query_idx.shape[0] != n_instances:
        raise ValueError(
            f"{label} returned {query_idx.shape[0]} indices; n_instances={n_instances} "
            "were requested."
        )
    if query_idx.size and (query_idx.min() < 0 or query_idx.max() >= n_pool):
        raise ValueError(
            f"{label} returned indices outside [0, {n_pool}), the rows of X_pool: "
            f"min {query_idx.min()}, max {query_idx.max()}."
        )
    if np.unique(query_idx).shape[0] != query_idx.shape[0]:
        raise ValueError(f"{label} returned repeated indices; each row may be queried once.")
    if scores is not None:
        scores = np.asarray(scores)
        if scores.shape[:1] != query_idx.shape:
            raise ValueError(
                f"{label} returned {scores.shape[0] if scores.ndim else 'scalar'} scores for "
                f"{query_idx.shape[0]} indices; expected one score per index."
            )
    return query_idx, scores


def _check_X(X, name):
    # N-D rows are allowed (images for a skorch CNN); a single sample must be
    # passed as a 2-D array of one row, as in scikit-learn.
    shape = np.shape(X)
    if len(shape) < 2:
        raise ValueError(
            f"{name} must be 2-D, one row per sample; got shape {shape}. Pass a single "
            f"sample as {name}.reshape(1, -1)."
        )
    if shape[0] == 0:
        raise ValueError(f"{name} must hold at least one row; got shape {shape}.")
    return check_array(X, allow_nd=True, ensure_2d=True, dtype="numeric",
                       ensure_all_finite=True, input_name=name)


def _check_y(y, n_samples, name, x_name="X"):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per row); got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"{x_name} and {name} have inconsistent numbers of samples: {x_name} has "
            f"{n_samples} rows, {name} has {y.shape[0]} labels."
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinity; every row needs a label.")
    if y.dtype.kind == "O" and any(v is None for v in y):
        raise ValueError(f"{name} contains None; every row needs a label.")
    return y


class ActiveLearner(BaseEstimator):
    """Pool-based active learner with modAL's interface.

    Holds a labelled set (``X_training``, ``y_training``), refits
    ``estimator`` on it after each :meth:`teach`, and asks ``query_strategy``
    which rows of an unlabelled pool to label next. It follows
    ``modAL.models.ActiveLearner`` (0.4), so code and strategies written for
    one work with the other, but validates with the newest scikit-learn.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn compatible model with ``fit``; ``predict_proba`` is
        needed by uncertainty-based strategies. As in modAL it is **used as
        given, not cloned**: :meth:`teach` refits this very object.
    query_strategy : callable, default=None
        ``query_strategy(learner, X_pool, n_instances=..., **kwargs)`` returning
        ``(query_idx, scores)``; the learner itself is passed as the classifier.
        ``None`` means :func:`skvaeal.query.uncertainty_sampling`.
    X_training : array-like of shape (n_samples, n_features), default=None
        Initial labelled rows; when given with ``y_training`` the estimator is
        fitted on them at construction.
    y_training : array-like of shape (n_samples,), default=None
    **fit_kwargs
        Passed to ``estimator.fit`` for the initial fit.

    Attributes
    ----------
    X_training : ndarray or None
        The labelled rows so far (``None`` before any).
    y_training : ndarray or None
    estimator : estimator object
    query_strategy : callable

    Notes
    -----
    Input is validated before anything changes: a :meth:`teach` with NaNs, a
    length mismatch between X and y, a feature count different from
    ``X_training`` or 1-D X raises :class:`ValueError` naming the parameter and
    leaves ``X_training``/``y_training`` as they were. The same holds when the
    refit itself raises; the estimator may then be left as the failed ``fit``
    left it.

    A labelled set with a single class is passed to the estimator as is; when
    the estimator refuses it (an SVC does), a :class:`ValueError` naming
    ``y_training`` says that at least two classes are needed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.active import ActiveLearner
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(-3, .5, (20, 2)), rng.normal(3, .5, (20, 2))]
    >>> y = np.r_[np.zeros(20, int), np.ones(20, int)]
    >>> def first_rows(classifier, X_pool, n_instances=1):
    ...     return np.arange(n_instances), np.zeros(n_instances)
    >>> learner = ActiveLearner(LogisticRegression(), first_rows,
    ...                         X_training=X[[0, 39]], y_training=y[[0, 39]])
    >>> idx, rows = learner.query(X[1:39], n_instances=2)
    >>> idx
    array([0, 1])
    >>> learner.teach(rows, y[1:39][idx])
    >>> learner.X_training.shape, float(learner.score(X, y))
    ((4, 2), 1.0)
    """

    def __init__(self, estimator, query_strategy=None, X_training=None, y_training=None,
                 **fit_kwargs):
        if not hasattr(estimator, "fit"):
            raise TypeError(
                f"estimator must have a fit method; got {type(estimator).__name__}."
            )
        if query_strategy is None:
            from ..query import uncertainty_sampling

            query_strategy = uncertainty_sampling
        if not callable(query_strategy):
            raise TypeError(
                f"query_strategy must be callable; got {type(query_strategy).__name__}."
            )
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.X_training = None
        self.y_training = None
        if (X_training is None) != (y_training is None):
            raise ValueError("X_training and y_training must be given together.")
        if X_training is not None:
            X = _check_X(X_training, "X_training")
            y = _check_y(y_training, X.shape[0], "y_training", "X_training")
            self._fit_and_store(X, y, X, y, **fit_kwargs)

    # ----------------------------------------------------------------- internals
    def _fit_and_store(self, X_fit, y_fit, X_keep, y_keep, **fit_kwargs):
        """Fit on (X_fit, y_fit); store (X_keep, y_keep) only when the fit succeeds."""
        try:
            self.estimator.fit(X_fit, y_fit, **fit_kwargs)
        except ValueError as exc:
            n_classes = np.unique(y_fit).shape[0]
            if n_classes < 2 and is_classifier(self.estimator):
                raise ValueError(
                    f"y_training holds a single class ({np.unique(y_fit)[0]!r}); "
                    f"{type(self.estimator).__name__} needs at least 2 classes to fit. "
                    "Label rows of another class first (e.g. query with a cold-start "
                    "strategy such as random_sampling). The labelled set is unchanged."
                ) from exc
            raise
        # Only now, after a successful fit: a failed teach leaves the labelled set intact.
        self.X_training, self.y_training = X_keep, y_keep

    def _check_new(self, X, y):
        X = _check_X(X, "X")
        y = _check_y(y, X.shape[0], "y")
        if self.X_training is not None and X.shape[1:] != self.X_training.shape[1:]:
            raise ValueError(
                f"X has {X.shape[1] if X.ndim == 2 else X.shape[1:]} features per row, but "
                f"the labelled set X_training has "
                f"{self.X_training.shape[1] if X.ndim == 2 else self.X_training.shape[1:]}."
            )
        if self.y_training is not None:
            old, new = label_kind(self.y_training), label_kind(y)
            if old != new:
                # numpy would store the two together by turning every label into a string.
                raise ValueError(
                    f"y holds {new} labels, but the labelled set y_training holds {old} "
                    f"ones (e.g. {self.y_training[0]!r} and {y[0]!r}); convert the new "
                    "labels to the labelled set's type. The labelled set is unchanged.")
        return X, y

    def __sklearn_is_fitted__(self):
        try:
            check_is_fitted(self.estimator)
        except (NotFittedError, TypeError):
            return False
        return True

    def _check_fitted(self):
        if self.X_training is None:
            # A model handed over already fitted (modAL allows it) may still predict.
            check_is_fitted(
                self.estimator,
                msg=(f"This ActiveLearner has no labelled data and its "
                     f"{type(self.estimator).__name__} is not fitted yet; call teach or "
                     "fit with labelled data first."),
            )

    # ---------------------------------------------------------------- public API
    def fit(self, X, y, **fit_kwargs):
        """Replace the labelled set with ``(X, y)`` and fit the estimator on it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        **fit_kwargs
            Passed to ``estimator.fit``.

        Returns
        -------
        self : ActiveLearner
        """
        X = _check_X(X, "X")
        y = _check_y(y, X.shape[0], "y")
        self._fit_and_store(X, y, X, y, **fit_kwargs)
        return self

    def teach(self, X, y, only_new=False, **fit_kwargs):
        """Add labelled rows to the training set and refit the estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New labelled rows (at least one, 2-D, finite).
        y : array-like of shape (n_samples,)
        only_new : bool, default=False
            Fit on the new rows only (for models trained incrementally, e.g.
            with ``warm_start``); they are still added to ``X_training``.
        **fit_kwargs
            Passed to ``estimator.fit``.

        Raises
        ------
        ValueError
            On NaN/inf, a length mismatch, 1-D X, a feature count different from
            ``X_training``, labels of another kind than ``y_training`` (strings
            after numbers or the reverse), or a single-class set the estimator
            cannot fit. The labelled set is unchanged after any error.
        """
        X, y = self._check_new(X, y)
        if self.X_training is None:
            X_all, y_all = X, y
        else:
            X_all = np.concatenate([self.X_training, X])
            y_all = np.concatenate([self.y_training, y])
        if only_new:
            self._fit_and_store(X, y, X_all, y_all, **fit_kwargs)
        else:
            self._fit_and_store(X_all, y_all, X_all, y_all, **fit_kwargs)

    def query(self, X_pool, n_instances=1, return_metrics=False, **query_kwargs):
        """Ask the strategy which rows of ``X_pool`` to label next.

        Parameters
        ----------
        X_pool : array-like of shape (n_pool, n_features)
            Unlabelled candidates.
        n_instances : int, default=1
        return_metrics : bool, default=False
            Also return the strategy's scores, as modAL 0.4 does.
        **query_kwargs
            Passed to the strategy (e.g. ``random_state`` for skvaeal's).

        Returns
        -------
        query_idx : ndarray of int
            Unique row indices into ``X_pool``.
        X_query : ndarray
            ``X_pool[query_idx]``.
        scores : ndarray
            Only when ``return_metrics=True``.
        """
        X_pool = _check_X(X_pool, "X_pool")
        n_instances = check_n_instances(n_instances, X_pool.shape[0])
        result = self.query_strategy(self, X_pool, n_instances=n_instances, **query_kwargs)
        query_idx, scores = check_query_result(result, X_pool.shape[0], n_instances,
                                               strategy=self.query_strategy)
        if return_metrics:
            return query_idx, X_pool[query_idx], scores
        return query_idx, X_pool[query_idx]

    def predict(self, X, **predict_kwargs):
        """``estimator.predict(X)``; :class:`~sklearn.exceptions.NotFittedError` before any data."""
        self._check_fitted()
        return self.estimator.predict(X, **predict_kwargs)

    def predict_proba(self, X, **predict_proba_kwargs):
        """``estimator.predict_proba(X)``, used by the uncertainty strategies."""
        self._check_fitted()
        return self.estimator.predict_proba(X, **predict_proba_kwargs)

    def score(self, X, y, **score_kwargs):
        """``estimator.score(X, y)`` (mean accuracy for classifiers)."""
        self._check_fitted()
        return self.estimator.score(X, y, **score_kwargs)

    def __repr__(self):
        n = 0 if self.X_training is None else self.X_training.shape[0]
        name = getattr(self.query_strategy, "__name__", type(self.query_strategy).__name__)
        return (f"ActiveLearner(estimator={self.estimator!r}, query_strategy={name}, "
                f"n_labeled={n})")
