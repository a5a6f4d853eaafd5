"""The comparison of Pourkamali-Anaraki & Wakin (2019), shared by the demo and the benchmark."""

from functools import partial

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from ..query import k_center_greedy, random_sampling, vae_coreset_sampling
from ._cv import AdaptiveStratifiedKFold
from ._simulation import Arm

#: The SVC grid: the paper lets cross-validation choose between RBF and linear kernels.
SVC_PARAM_GRID = {"kernel": ["rbf", "linear"], "C": [0.1, 1.0, 10.0, 100.0]}


def make_svc_search(param_grid=None, *, n_splits=3, n_jobs=None):
    """An SVC tuned by grid search with folds that fit small labelled sets.

    Parameters
    ----------
    param_grid : dict, default=None
        Defaults to :data:`SVC_PARAM_GRID` (RBF or linear kernel, C in 0.1..100).
    n_splits : int, default=3
        At most this many folds; fewer when a class has fewer labelled rows
        (see :class:`AdaptiveStratifiedKFold`).
    n_jobs : int, default=None
        For the grid search itself; leave ``None`` when trials already run in
        parallel.

    Returns
    -------
    search : sklearn.model_selection.GridSearchCV

    Examples
    --------
    >>> from skvaeal.active import make_svc_search
    >>> make_svc_search().param_grid["kernel"]
    ['rbf', 'linear']
    """
    return GridSearchCV(SVC(), param_grid if param_grid is not None else SVC_PARAM_GRID,
                        cv=AdaptiveStratifiedKFold(n_splits), n_jobs=n_jobs)


#: The representations :func:`make_representation_search` can choose between.
REPRESENTATIONS = ("latent", "input", "both")


def make_representation_search(transformer, representations=REPRESENTATIONS, param_grid=None,
                               *, n_splits=3, n_jobs=None):
    """An SVC grid search that also lets the labelled rows choose the representation.

    The pipeline ``representation -> SVC`` is grid-searched over the
    representation step itself (scikit-learn can search a step like any
    parameter) and over :data:`SVC_PARAM_GRID`: the latent codes of a frozen
    ``transformer``, the raw input (``"passthrough"``), or both side by side
    (a :class:`~sklearn.pipeline.FeatureUnion`). Cross-validation on the
    labelled rows decides, budget by budget, which representation serves the
    classifier; Pourkamali-Anaraki & Wakin (2019) always use the latent codes.

    Parameters
    ----------
    transformer : fitted transformer
        E.g. a :class:`~skvaeal.VAETransformer` fitted on the pool. It is wrapped
        in :class:`~sklearn.frozen.FrozenEstimator`, so the search never refits it.
    representations : sequence of {"latent", "input", "both"}, default=REPRESENTATIONS
        The candidates.
    param_grid : dict, default=None
        The SVC's grid; default :data:`SVC_PARAM_GRID`.
    n_splits : int, default=3
        At most this many folds (see :class:`AdaptiveStratifiedKFold`).
    n_jobs : int, default=None

    Returns
    -------
    search : sklearn.model_selection.GridSearchCV
        Fitted on raw input rows; ``best_params_["representation"]`` is the
        chosen step.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skvaeal.active import make_representation_search
    >>> X, y = load_digits(return_X_y=True)
    >>> search = make_representation_search(PCA(8, random_state=0).fit(X)).fit(X[:60], y[:60])
    >>> len(search.cv_results_["params"])  # 3 representations x 8 SVC settings
    24
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import FeatureUnion

    latent = FrozenEstimator(transformer)
    choices = {"latent": latent, "input": "passthrough",
               "both": FeatureUnion([("latent", latent), ("input", "passthrough")])}
    unknown = set(representations) - set(choices)
    if unknown or not len(representations):
        raise ValueError(f"representations must be a non-empty subset of {REPRESENTATIONS}; "
                         f"got {representations!r}.")
    return _representation_search([choices[r] for r in representations], param_grid, n_splits,
                                  n_jobs)


def _representation_search(choices, param_grid, n_splits, n_jobs):
    """``GridSearchCV`` of ``representation -> SVC`` over ``choices`` and the SVC's grid."""
    grid = {"representation": list(choices),
            **{f"svc__{k}": v for k, v in (param_grid or SVC_PARAM_GRID).items()}}
    pipe = Pipeline([("representation", choices[0]), ("svc", SVC())])
    return GridSearchCV(pipe, grid, cv=AdaptiveStratifiedKFold(n_splits), n_jobs=n_jobs)


def _codes_then_input(X, transformer):
    """Rows ``[transformer.transform(X) | X]`` (flattened), computed once per simulation."""
    X = np.asarray(X)
    return np.hstack([np.asarray(transformer.transform(X), dtype=np.float64),
                      X.reshape(len(X), -1).astype(np.float64, copy=False)])


def _take(X, columns):
    return np.asarray(X)[:, columns]


def _columns(columns):
    """A stateless transformer keeping ``columns`` (a slice) of its input."""
    return ColumnTransformer([("keep", "passthrough", columns)], remainder="drop")


def _latent_width(transformer):
    return len(transformer.get_feature_names_out())


def representation_arms(transformer, *, n_clusters=20, query_spaces=("latent",),
                        param_grid=None):
    """Simulation arms whose classifier chooses its representation per budget.

    The classifier is :func:`make_representation_search`'s, the queries a
    K-means coreset in ``query_spaces`` (the latent space of ``transformer``,
    the input space, or one arm each). For speed the pool's latent codes are
    computed once: each arm's rows are ``[codes | input]`` and the
    representations are column sets of them, which gives the same fits as the
    pipeline on raw rows.

    Parameters
    ----------
    transformer : fitted transformer
        E.g. a :class:`~skvaeal.VAETransformer` fitted on the pool; it must
        have ``get_feature_names_out``.
    n_clusters : int, default=20
    query_spaces : sequence of {"latent", "input"}, default=("latent",)
    param_grid : dict, default=None

    Returns
    -------
    arms : dict of str to Arm
        ``"coreset (<space>), rep chosen"`` for each query space.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skvaeal.active import representation_arms
    >>> pca = PCA(3).fit(load_digits().data)
    >>> list(representation_arms(pca, query_spaces=("latent", "input")))
    ['coreset (latent), rep chosen', 'coreset (input), rep chosen']
    """
    d = _latent_width(transformer)
    spaces = {"latent": slice(0, d), "input": slice(d, None)}
    unknown = set(query_spaces) - set(spaces)
    if unknown or not len(query_spaces):
        raise ValueError(f"query_spaces must be a non-empty subset of ('latent', 'input'); "
                         f"got {query_spaces!r}.")
    # The same candidates as make_representation_search's, as column sets of [codes | input].
    search = _representation_search(
        [_columns(spaces["latent"]), _columns(spaces["input"]), "passthrough"], param_grid,
        n_splits=3, n_jobs=None)
    stacked = FunctionTransformer(partial(_codes_then_input, transformer=transformer))
    arms = {}
    for space in query_spaces:
        # The strategy sees [codes | input] rows: its space is a column slice of them
        # (a FunctionTransformer needs no fit).
        strategy = partial(vae_coreset_sampling, n_clusters=n_clusters,
                           transformer=FunctionTransformer(partial(_take, columns=spaces[space])))
        arms[f"coreset ({space}), rep chosen"] = Arm(strategy, search, stacked)
    return arms


def coreset_comparison_arms(transformer, *, n_clusters=20, estimator=None, k_center=True,
                            representation=True):
    """The methods compared by Pourkamali-Anaraki & Wakin (2019), as simulation arms.

    Random and K-means coreset sampling in the input and the latent space, and
    greedy k-center in the latent space, each with the same classifier.

    Parameters
    ----------
    transformer : fitted transformer
        The latent map, e.g. a :class:`~skvaeal.VAETransformer` fitted on the pool.
    n_clusters : int, default=20
        K of :func:`~skvaeal.query.vae_coreset_sampling`.
    estimator : estimator object, default=None
        The classifier of every arm; default :func:`make_svc_search`.
    k_center : bool, default=True
        Add greedy k-center in the latent space (eq. 1 of the paper).
    representation : bool, default=True
        Add ``"coreset (latent), rep chosen"`` (:func:`representation_arms`):
        latent coreset queries, and a classifier whose representation (codes,
        input or both) the labelled rows choose by cross-validation.

    Returns
    -------
    arms : dict of str to Arm
        ``"random (input)"``, ``"random (latent)"``, ``"coreset (input)"``,
        ``"coreset (latent)"``, ``"k-center (latent)"`` and
        ``"coreset (latent), rep chosen"``.

    Examples
    --------
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal.active import coreset_comparison_arms
    >>> pca = PCA(3).fit(load_digits().data)
    >>> sorted(coreset_comparison_arms(pca))[:2]
    ['coreset (input)', 'coreset (latent)']
    """
    estimator = estimator if estimator is not None else make_svc_search()
    coreset = partial(vae_coreset_sampling, n_clusters=n_clusters)
    arms = {
        "random (input)": Arm(random_sampling, estimator),
        "random (latent)": Arm(random_sampling, estimator, transformer),
        "coreset (input)": Arm(coreset, estimator),
        "coreset (latent)": Arm(coreset, estimator, transformer),
    }
    if k_center:
        arms["k-center (latent)"] = Arm(k_center_greedy, estimator, transformer)
    if representation:
        arms.update(representation_arms(transformer, n_clusters=n_clusters))
    return arms


def paper0_arms(transformer, *, n_clusters=20, estimator=None, k_center=True):
    """Former name of :func:`coreset_comparison_arms` (its arms of that time), kept for old code."""
    return coreset_comparison_arms(transformer, n_clusters=n_clusters, estimator=estimator,
                                   k_center=k_center, representation=False)
