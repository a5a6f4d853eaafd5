"""The sampling strategy of adversarial semi-supervised active learning (ASSAL, Algorithm 3)."""

from ..query._base import strategy_params
from ..query._sampler import SAMPLER_QUERY_CONSTRAINTS, lowest_sampler_scores

__all__ = ["assal_sampling"]


@strategy_params(SAMPLER_QUERY_CONSTRAINTS)
def assal_sampling(classifier, X_pool, n_instances=1, *, X_labeled=None, diversity=None,
                   max_fit_samples=20_000, random_state=None):
    """Query the unlabelled pool rows with the lowest sampler score (Algorithm 3).

    The sampler of a fitted :class:`~skvaeal.ASSALClassifier` estimates the
    probability that a row belongs to the labelled pool; the rows it is most
    sure are unlabelled-looking are queried. Unlike VAAL's, this sampler was
    trained jointly with the classifier, so its codes carry the task's
    uncertainty.

    Parameters
    ----------
    classifier : ASSALClassifier or learner
        A fitted :class:`~skvaeal.ASSALClassifier`, or an ``ActiveLearner``
        wrapping one (fit it with the pool as unlabelled rows, e.g.
        ``learner.teach(X, y, X_unlabeled=X_pool)``, so that its sampler has
        seen both pools).
    X_pool : array-like of shape (n_pool, n_features)
        Candidates; rows equal to a labelled row (``X_labeled`` or the
        learner's ``X_training``) are never queried.
    n_instances : int, default=1
    X_labeled : array-like of shape (n_labeled, n_features), default=None
        Labelled rows to exclude; default ``classifier.X_training`` if any.
    diversity : {None, "kmeans"}, default=None
        ``None``: the ``n_instances`` lowest scores (Algorithm 3 as written).
        ``"kmeans"``: K-means splits the candidates' latent codes
        (``classifier.transform_and_score``) into ``n_instances`` clusters and the
        lowest-scoring row of each is queried (diverse mini-batch active
        learning, Zhdanov 2019). The sampler's scores saturate, and the
        lowest ones often sit in one dense region, so a plain top-k batch can
        be mostly one digit; on MNIST the diverse batches did better
        (:doc:`/benchmarks`).
    max_fit_samples : int or None, default=20000
        ``diversity="kmeans"``: K-means is fitted on a random subsample of
        this many codes and assigns the others, as in
        :func:`~skvaeal.query.vae_coreset_sampling`.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal scores and seeds K-means.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Distinct indices into ``X_pool``, most informative first.
    scores : ndarray of shape (n_instances,)
        ``1 - D(z)``: higher means less like the labelled set.

    Raises
    ------
    ValueError
        If ``n_instances`` is < 1 or exceeds the number of unlabelled pool rows.
    ClassifierNotFittedError
        (a ``TypeError`` and a ``NotFittedError``) when ``classifier`` has no
        ``score_samples`` or is not fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal import ASSALClassifier
    >>> from skvaeal.query import assal_sampling
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:200] / 16.0, y[:200].copy()
    >>> y[40:] = -1
    >>> clf = ASSALClassifier(latent_dim=4, warmup_epochs=1, max_epochs=1,
    ...                       random_state=0).fit(X, y)
    >>> idx, scores = assal_sampling(clf, X[40:], 3, random_state=0)
    >>> idx.shape
    (3,)
    """
    return lowest_sampler_scores(
        classifier, X_pool, n_instances, owner="assal_sampling", model="ASSALClassifier",
        X_labeled=X_labeled, diversity=diversity, max_fit_samples=max_fit_samples,
        random_state=random_state)
