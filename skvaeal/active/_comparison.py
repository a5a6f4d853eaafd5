"""The comparison of Pourkamali-Anaraki & Wakin (2019), shared by the demo and the benchmark."""

from functools import partial

from sklearn.model_selection import GridSearchCV
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


def coreset_comparison_arms(transformer, *, n_clusters=20, estimator=None, k_center=True):
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

    Returns
    -------
    arms : dict of str to Arm
        ``"random (input)"``, ``"random (latent)"``, ``"coreset (input)"``,
        ``"coreset (latent)"`` and ``"k-center (latent)"``.

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
    return arms


def paper0_arms(transformer, *, n_clusters=20, estimator=None, k_center=True):
    """Former name of :func:`coreset_comparison_arms`, kept so that old code runs."""
    return coreset_comparison_arms(transformer, n_clusters=n_clusters, estimator=estimator,
                                   k_center=k_center)
