"""A pool-based active learner with modAL's interface, on the newest scikit-learn."""

import inspect
import warnings

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..oracle import check_oracle_answer
from ..utils import (check_rows, hstack_columns, label_kind, n_rows,
                     stack_rows, take_rows)


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


def split_query_result(result):
    """``(query_idx, metrics)`` from what a strategy returned.

    A 2-tuple is ``(query_idx, scores)``, skvaeal's and modAL's convention; any
    other value (an index, a list or array of indices) is the indices alone,
    modAL's older convention, with no scores.
    """
    if isinstance(result, tuple) and len(result) == 2:
        return result
    return result, None


def check_query_result(result, n_pool, n_instances=None, *, strategy=None):
    """Validate what a strategy returned: ``(query_idx, scores)`` or bare indices.

    Parameters
    ----------
    result : object
        The strategy's return value: a 2-tuple ``(query_idx, scores)``, or the
        indices alone (an int, list or array; modAL's older convention).
    n_pool : int
        Number of rows of the pool the strategy was given.
    n_instances : int, optional
        When given, the number of indices the strategy had to return (at most
        the pool's size).
    strategy : callable, optional
        Named in error messages.

    Returns
    -------
    query_idx : ndarray of int of shape (n_queried,)
    scores : ndarray or None
        ``None`` when the strategy returned none.

    Raises
    ------
    TypeError
        If the indices are not integers.
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
    query_idx, scores = split_query_result(result)
    if query_idx is None:
        raise TypeError(f"{label} returned no indices (None).")
    query_idx = np.asarray(query_idx)
    if query_idx.ndim > 1:
        raise ValueError(f"{label} returned query_idx of shape {query_idx.shape}; expected 1-D.")
    scalar = query_idx.ndim == 0
    query_idx = query_idx.reshape(-1)
    if query_idx.size and not np.issubdtype(query_idx.dtype, np.integer):
        raise TypeError(
            f"{label} returned query_idx of dtype {query_idx.dtype}; expected integer indices."
        )
    query_idx = query_idx.astype(np.intp, copy=False)
    if n_instances is not None and query_idx.shape[0] != min(n_instances, n_pool):
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
        if not scalar and scores.shape[:1] != query_idx.shape:
            raise ValueError(
                f"{label} returned {scores.shape[0] if scores.ndim else 'scalar'} scores for "
                f"{query_idx.shape[0]} indices; expected one score per index."
            )
    return query_idx, scores


_FINITE_OPTIONS = (True, False, "allow-nan")


def _check_finite_option(force_all_finite):
    if isinstance(force_all_finite, str) and force_all_finite == "allow-nan":
        return force_all_finite
    if force_all_finite is True or force_all_finite is False:
        return force_all_finite
    raise ValueError(
        f"force_all_finite must be True, False or 'allow-nan'; got {force_all_finite!r}.")


def _check_y(y, n_samples, name, x_name="X", *, finite=True):
    if y is None:
        raise ValueError(f"{name} is None; every row of {x_name} needs a label.")
    if not hasattr(y, "iloc"):
        y = np.asarray(y)
    if np.ndim(y) == 0:
        raise ValueError(f"{name} must hold one label per row; got a scalar.")
    if np.ndim(y) > 2:
        raise ValueError(
            f"{name} must be 1-D (one label per row) or 2-D (several labels or targets per "
            f"row); got shape {np.shape(y)}.")
    if n_rows(y) != n_samples:
        raise ValueError(
            f"{x_name} and {name} have inconsistent numbers of samples: {x_name} has "
            f"{n_samples} rows, {name} has {n_rows(y)} labels."
        )
    values = np.asarray(y)
    if finite and values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or infinity; every row needs a label.")
    if values.dtype.kind == "O" and any(v is None for v in values.ravel()):
        raise ValueError(f"{name} contains None; every row needs a label.")
    return y


def _feature_shape(X):
    shape = getattr(X, "shape", None)
    if shape is not None:
        return tuple(shape[1:])
    first = X[0] if len(X) else None
    return tuple(np.shape(first)) if isinstance(first, (list, tuple, np.ndarray)) else ()


def transform_without_estimating(estimator, X):
    """``X`` as the estimator's final step sees it: a pipeline's transformers applied.

    A :class:`~sklearn.pipeline.Pipeline` applies all its steps but the last;
    a voting or stacking ensemble puts its members' transformations side by
    side; any other estimator gets ``X`` unchanged.
    """
    from sklearn.ensemble import (StackingClassifier, StackingRegressor, VotingClassifier,
                                  VotingRegressor)
    from sklearn.pipeline import Pipeline

    pipes = [estimator]
    if isinstance(estimator, (VotingClassifier, VotingRegressor, StackingClassifier,
                              StackingRegressor)):
        pipes = getattr(estimator, "estimators_", [])
    blocks = [pipe[:-1].transform(X) for pipe in pipes
              if isinstance(pipe, Pipeline) and len(pipe.steps) > 1]
    return hstack_columns(blocks) if blocks else X


class _QueryMixin:
    """The query of learners and committees: modAL's calling convention, validated."""

    def query(self, X_pool, *query_args, return_metrics=False, **query_kwargs):
        """Ask the strategy which rows of ``X_pool`` to label next.

        Parameters
        ----------
        X_pool : array-like, sparse matrix, DataFrame or list
            Unlabelled candidates, in any form the estimator takes.
        *query_args
            Passed to the strategy after ``X_pool`` (modAL's convention).
        return_metrics : bool, default=False
            Also return the strategy's scores, as modAL 0.4 does.
        **query_kwargs
            Passed to the strategy, e.g. ``n_instances`` (only when given, so
            a ``functools.partial(strategy, n_instances=3)`` keeps its size)
            or ``random_state`` for skvaeal's strategies.

        Returns
        -------
        query_idx : ndarray of int, or int
            Unique row positions in ``X_pool``; an int when the strategy
            returned a single int (modAL's older convention).
        X_query : same type as ``X_pool``
            Those rows (DataFrame rows for a DataFrame, a list for a list).
        scores : ndarray
            Only when ``return_metrics=True``; ``None`` (with a warning) when
            the strategy returned none.
        """
        check_rows(X_pool, "X_pool", ensure_all_finite=self._finite)
        n_pool = n_rows(X_pool)
        n_instances = query_kwargs.get("n_instances")
        if n_instances is None and query_args:
            n_instances = query_args[0]
        result = self.query_strategy(self, X_pool, *query_args, **query_kwargs)
        query_idx, scores = check_query_result(result, n_pool, n_instances,
                                               strategy=self.query_strategy)
        raw_idx, _ = split_query_result(result)
        if np.ndim(raw_idx) == 0:
            # modAL's older strategies return one int: give it back the same way.
            query_idx, rows = int(query_idx[0]), take_rows(X_pool, int(query_idx[0]))
        else:
            rows = take_rows(X_pool, query_idx)
        if return_metrics:
            if scores is None:
                warnings.warn("the query strategy returned no scores; the metrics are None.",
                              UserWarning, stacklevel=2)
            return query_idx, rows, scores
        return query_idx, rows


class ActiveLearner(_QueryMixin, BaseEstimator):
    """Pool-based active learner with modAL's interface, on the newest scikit-learn.

    Holds a labelled set (``X_training``, ``y_training``), refits
    ``estimator`` on it after each :meth:`teach`, and asks ``query_strategy``
    which rows of an unlabelled pool to label next. It follows
    ``modAL.models.ActiveLearner`` (0.4): a modAL loop runs unchanged with its
    imports pointed at :mod:`skvaeal.active` and :mod:`skvaeal.query`. The
    rows keep their type: NumPy arrays, sparse matrices, DataFrames (rows out
    as DataFrame rows), lists of texts for a text pipeline, tensors for a
    skorch net.

    Parameters
    ----------
    estimator : estimator object or None
        A scikit-learn compatible model with ``fit``; ``predict_proba`` is
        needed by uncertainty-based strategies. As in modAL it is **used as
        given, not cloned**: :meth:`teach` refits this very object. ``None``
        is allowed until the first fit.
    query_strategy : callable, default=None
        ``query_strategy(learner, X_pool, ...)`` returning ``(query_idx,
        scores)`` (or the indices alone); the learner itself is passed as the
        classifier. ``None`` means :func:`skvaeal.query.uncertainty_sampling`.
    X_training : array-like, sparse matrix, DataFrame or list, default=None
        Initial labelled rows; when given with ``y_training`` the estimator is
        fitted on them at construction.
    y_training : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Labels; 2-D for multi-label or multi-output estimators.
    bootstrap_init : bool, default=False
        Fit the initial model on a bootstrap sample of the initial rows
        (bagging a committee).
    on_transformed : bool, default=False
        Strategies that measure rows (the ranked batch) compare them after the
        pipeline's transformers (:meth:`transform_without_estimating`).
    force_all_finite : bool or "allow-nan", default=True
        Refuse NaN and infinity in the rows (``True``), accept NaN only
        (``"allow-nan"``) or accept both (``False``), for estimators that
        handle them. modAL's name for scikit-learn's ``ensure_all_finite``.
    random_state : int, RandomState instance or None, default=None
        Draws the bootstrap samples; the same int gives the same samples.
    **fit_kwargs
        Passed to ``estimator.fit`` for the initial fit.

    Attributes
    ----------
    X_training : same type as the rows taught, or None
        The labelled rows so far (``None`` before any).
    y_training : ndarray or None
    estimator : estimator object
    query_strategy : callable

    Notes
    -----
    Input is validated before anything changes: a :meth:`teach` with NaNs, a
    length mismatch between X and y, a feature count different from
    ``X_training`` or labels of another kind raises :class:`ValueError`
    naming the parameter and leaves ``X_training``/``y_training`` as they
    were. The same holds when the refit itself raises; the estimator may then
    be left as the failed ``fit`` left it.

    Where skvaeal differs from modAL on purpose (see the migration guide):
    repeated or out-of-range query indices are refused, a failed ``teach``
    leaves the labelled set as it was, and strategies break ties at random
    with ``random_state``.

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
                 bootstrap_init=False, on_transformed=False, force_all_finite=True, *,
                 random_state=None, **fit_kwargs):
        if estimator is not None and not hasattr(estimator, "fit"):
            raise TypeError(
                f"estimator must have a fit method (or be None until the first fit); got "
                f"{type(estimator).__name__}."
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
        self.on_transformed = bool(on_transformed)
        self.force_all_finite = _check_finite_option(force_all_finite)
        self.random_state = random_state
        self._rng = check_random_state(random_state)
        self.X_training = None
        self.y_training = None
        if (X_training is None) != (y_training is None):
            raise ValueError("X_training and y_training must be given together.")
        if X_training is not None:
            X, y = self._check_new(X_training, y_training, "X_training", "y_training")
            self._fit_and_store(X, y, X, y, bootstrap=bootstrap_init, **fit_kwargs)

    @property
    def _finite(self):
        return self.force_all_finite

    # ----------------------------------------------------------------- internals
    def _bootstrap(self, X, y):
        n = n_rows(X)
        idx = self._rng.randint(n, size=n)
        return take_rows(X, idx), take_rows(y, idx) if hasattr(y, "iloc") else y[idx]

    def _fit_and_store(self, X_fit, y_fit, X_keep, y_keep, *, bootstrap=False, **fit_kwargs):
        """Fit on (X_fit, y_fit); store (X_keep, y_keep) only when the fit succeeds."""
        if self.estimator is None:
            raise TypeError("estimator is None; set learner.estimator to a model with a fit "
                            "method before fitting or teaching. The labelled set is unchanged.")
        if bootstrap:
            X_fit, y_fit = self._bootstrap(X_fit, y_fit)
        try:
            self.estimator.fit(X_fit, y_fit, **fit_kwargs)
        except ValueError as exc:
            labels = np.asarray(y_fit)
            if labels.ndim == 1 and np.unique(labels).shape[0] < 2 and is_classifier(
                    self.estimator):
                # Say what the labelled set looks like, but keep the estimator's own words:
                # the single class may not be the cause.
                only = labels[0].item() if hasattr(labels[0], "item") else labels[0]
                raise ValueError(
                    f"y_training holds a single class ({only!r}) and "
                    f"{type(self.estimator).__name__}.fit failed: {str(exc).rstrip('.')}. If "
                    f"it needs at least 2 classes, label rows of another class first (e.g. "
                    "query with a cold-start strategy such as random_sampling). The labelled "
                    "set is unchanged."
                ) from exc
            raise
        # Only now, after a successful fit: a failed teach leaves the labelled set intact.
        self.X_training, self.y_training = X_keep, y_keep

    def _check_new(self, X, y, x_name="X", y_name="y"):
        check_rows(X, x_name, ensure_all_finite=self.force_all_finite)
        y = _check_y(y, n_rows(X), y_name, x_name, finite=self.force_all_finite is True)
        if self.X_training is not None:
            old, new = _feature_shape(self.X_training), _feature_shape(X)
            if old != new:
                raise ValueError(
                    f"{x_name} has rows of shape {new}, but the labelled set X_training has "
                    f"rows of shape {old}. The labelled set is unchanged.")
        if self.y_training is not None:
            if np.ndim(self.y_training) != np.ndim(y) or (
                    np.ndim(y) == 2 and np.shape(y)[1] != np.shape(self.y_training)[1]):
                raise ValueError(
                    f"{y_name} has shape {np.shape(y)}, but y_training has labels of shape "
                    f"{np.shape(self.y_training)[1:]} per row. The labelled set is unchanged.")
            if np.ndim(y) == 1:
                old, new = label_kind(np.asarray(self.y_training)), label_kind(np.asarray(y))
                if old != new:
                    # numpy would store the two together by turning every label into a string.
                    raise ValueError(
                        f"{y_name} holds {new} labels, but the labelled set y_training holds "
                        f"{old} ones (e.g. {np.asarray(self.y_training)[0]!r} and "
                        f"{np.asarray(y)[0]!r}); convert the new labels to the labelled set's "
                        "type. The labelled set is unchanged.")
        return X, y

    def __sklearn_is_fitted__(self):
        if self.estimator is None:
            return False
        try:
            check_is_fitted(self.estimator)
        except (NotFittedError, TypeError, AttributeError):
            return False
        return True

    def _call(self, method, X, **kwargs):
        if self.estimator is None:
            raise NotFittedError("This ActiveLearner has no estimator yet (estimator=None).")
        try:
            return getattr(self.estimator, method)(X, **kwargs)
        except NotFittedError as exc:
            if self.X_training is not None:
                raise
            raise NotFittedError(
                f"This ActiveLearner has no labelled data and its "
                f"{type(self.estimator).__name__} is not fitted yet; call teach or fit with "
                "labelled data first.") from exc

    # ---------------------------------------------------------------- public API
    def fit(self, X, y, bootstrap=False, **fit_kwargs):
        """Replace the labelled set with ``(X, y)`` and fit the estimator on it.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        bootstrap : bool, default=False
            Fit on a bootstrap sample of ``(X, y)``; all of it is stored.
        **fit_kwargs
            Passed to ``estimator.fit``.

        Returns
        -------
        self : ActiveLearner
        """
        # The replaced set is not compared with the new one.
        saved, self.X_training, self.y_training = (self.X_training, self.y_training), None, None
        try:
            X, y = self._check_new(X, y)
            self._fit_and_store(X, y, X, y, bootstrap=bootstrap, **fit_kwargs)
        except BaseException:
            self.X_training, self.y_training = saved
            raise
        return self

    def teach(self, X, y, bootstrap=False, only_new=False, **fit_kwargs):
        """Add labelled rows to the training set and refit the estimator.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list
            New labelled rows (at least one), of the labelled set's shape.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        bootstrap : bool, default=False
            Fit on a bootstrap sample (bagging a committee).
        only_new : bool, default=False
            Fit on the new rows only and do not add them to ``X_training``, as
            modAL does: for models trained incrementally (e.g. a skorch net
            with ``warm_start``) that keep no copy of old data.
        **fit_kwargs
            Passed to ``estimator.fit``.

        Raises
        ------
        ValueError
            On NaN/inf (unless ``force_all_finite`` allows them), a length
            mismatch, rows of another shape than ``X_training``, labels of
            another kind than ``y_training`` (strings after numbers or the
            reverse), or a fit that fails. The labelled set is unchanged after
            any error.
        """
        X, y = self._check_new(X, y)
        if only_new:
            self._fit_and_store(X, y, self.X_training, self.y_training, bootstrap=bootstrap,
                                **fit_kwargs)
            return
        if self.X_training is None:
            X_all, y_all = X, y
        else:
            X_all = stack_rows([self.X_training, X])
            y_all = stack_rows([self.y_training, y])
        self._fit_and_store(X_all, y_all, X_all, y_all, bootstrap=bootstrap, **fit_kwargs)

    def teach_from(self, oracle, X_pool, query_idx, **fit_kwargs):
        """Ask ``oracle`` for the labels of the queried rows and teach the valid ones.

        The oracle protocol of :mod:`skvaeal.oracle`, shared with the
        cluster-centre method: ``oracle(X_shown, indices) -> (labels,
        confidences)``. Rows answered "not a valid sample" (``None``) are not
        taught; confidences are returned but not used, since the labelled set
        holds labels only.

        Parameters
        ----------
        oracle : callable
            E.g. :class:`~skvaeal.oracle.PoolOracle` in a simulation or
            :class:`~skvaeal.oracle.ConsoleOracle` for a person.
        X_pool : array-like, sparse matrix, DataFrame or list
        query_idx : array-like of int or int
            The rows of ``X_pool`` to ask about, e.g. from :meth:`query`.
        **fit_kwargs
            Passed to :meth:`teach`.

        Returns
        -------
        taught : ndarray of int
            The positions in ``X_pool`` that were taught (valid answers).
        labels : ndarray of shape (n_queried,), dtype object
            The oracle's answers, ``None`` for "not a valid sample".
        confidences : ndarray of shape (n_queried,)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skvaeal.active import ActiveLearner
        >>> from skvaeal.oracle import PoolOracle
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> y = np.array([0, 0, 1, 1])
        >>> learner = ActiveLearner(LogisticRegression(), X_training=X[[0, 3]],
        ...                         y_training=y[[0, 3]])
        >>> taught, labels, _ = learner.teach_from(PoolOracle(y), X, [1, 2])
        >>> taught.tolist(), learner.y_training.tolist()
        ([1, 2], [0, 1, 0, 1])
        """
        index = np.atleast_1d(np.asarray(query_idx, dtype=np.int64))
        n_pool = n_rows(X_pool)
        if index.size and (index.min() < -n_pool or index.max() >= n_pool):
            raise ValueError(f"query_idx holds positions outside the pool of {n_pool} rows.")
        rows = take_rows(X_pool, index)
        labels, confidences, valid = check_oracle_answer(oracle(rows, indices=index),
                                                         len(index))
        taught = index[valid]
        if taught.size:
            values = labels[valid]
            if self.y_training is not None and np.asarray(self.y_training).dtype != object:
                values = values.astype(np.asarray(self.y_training).dtype)
            self.teach(take_rows(X_pool, taught), values, **fit_kwargs)
        return taught, labels, confidences

    def transform_without_estimating(self, X):
        """``X`` after the estimator's transformers (a pipeline's steps but the last)."""
        return transform_without_estimating(self.estimator, X)

    def predict(self, X, **predict_kwargs):
        """``estimator.predict(X)``; :class:`~sklearn.exceptions.NotFittedError` before any fit."""
        return self._call("predict", X, **predict_kwargs)

    def predict_proba(self, X, **predict_proba_kwargs):
        """``estimator.predict_proba(X)``, used by the uncertainty strategies."""
        return self._call("predict_proba", X, **predict_proba_kwargs)

    def score(self, X, y, **score_kwargs):
        """``estimator.score(X, y)`` (mean accuracy for classifiers)."""
        if self.estimator is None:
            raise NotFittedError("This ActiveLearner has no estimator yet (estimator=None).")
        return self.estimator.score(X, y, **score_kwargs)

    def __repr__(self):
        n = 0 if self.X_training is None else n_rows(self.X_training)
        name = getattr(self.query_strategy, "__name__", type(self.query_strategy).__name__)
        return (f"ActiveLearner(estimator={self.estimator!r}, query_strategy={name}, "
                f"n_labeled={n})")
