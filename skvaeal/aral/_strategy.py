"""The sampling strategy of adversarial representation active learning (ARAL, Algorithm 1)."""

from ..query._base import strategy_params
from ..query._sampler import SAMPLER_QUERY_CONSTRAINTS, lowest_sampler_scores

__all__ = ["aral_sampling"]


@strategy_params(SAMPLER_QUERY_CONSTRAINTS)
def aral_sampling(classifier, X_pool, n_instances=1, *, X_labeled=None, diversity=None,
                  max_fit_samples=20_000, random_state=None):
    """Query the unlabelled pool rows with the lowest sampler score (ARAL's Algorithm 1).

    Line 2 of Algorithm 1 (Mottaghi & Yeung, 2019): pick the ``b`` rows with
    the lowest ``S(E(x))``, the sampler's probability that a row is labelled.
    Each row is encoded under the classifier's prediction ``C(x)``, never its
    true label, and the indices are positions in ``X_pool`` as given (the
    reference code ranked a shuffled loader's rows and read the ranks as pool
    indices, and took the highest scores).

    Parameters
    ----------
    classifier : ARALClassifier or learner
        A fitted :class:`~skvaeal.ARALClassifier`, or an ``ActiveLearner``
        wrapping one (fit it with the pool as unlabelled rows, e.g.
        ``learner.teach(X, y, X_unlabeled=X_pool)``).
    X_pool : array-like of shape (n_pool, n_features)
        Candidates; rows equal to a labelled row (``X_labeled`` or the
        learner's ``X_training``) are never queried.
    n_instances : int, default=1
    X_labeled : array-like of shape (n_labeled, n_features), default=None
        Labelled rows to exclude; default ``classifier.X_training`` if any.
    diversity : {None, "kmeans"}, default=None
        ``None``: the ``n_instances`` lowest scores (Algorithm 1 as written).
        ``"kmeans"``: K-means splits the candidates' codes into
        ``n_instances`` clusters and the lowest-scoring row of each is
        queried (Zhdanov, 2019), as :func:`~skvaeal.query.assal_sampling`
        offers.
    max_fit_samples : int or None, default=20000
        ``diversity="kmeans"``: K-means is fitted on a random subsample of
        this many codes and assigns the others.
    random_state : int, RandomState instance or None, default=None
        Breaks ties between equal scores and seeds K-means.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Distinct indices into ``X_pool``, most informative first.
    scores : ndarray of shape (n_instances,)
        ``1 - S(z)``: higher means less like the labelled set.

    Raises
    ------
    ValueError
        If ``n_instances`` is < 1 or exceeds the number of unlabelled pool rows.
    ClassifierNotFittedError
        (a ``TypeError`` and a ``NotFittedError``) when ``classifier`` has no
        ``score_samples`` or is not fitted.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal import ARALClassifier
    >>> from skvaeal.query import aral_sampling
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:200] / 16.0, y[:200].copy()
    >>> y[40:] = -1
    >>> clf = ARALClassifier(latent_dim=4, hidden_dims=(16,), classifier_dims=(32,),
    ...                      discriminator_dims=(16,), max_epochs=1, unlabeled_trust=1.0,
    ...                      random_state=0).fit(X, y)
    >>> idx, scores = aral_sampling(clf, X[40:], 3, random_state=0)
    >>> idx.shape
    (3,)
    """
    return lowest_sampler_scores(
        classifier, X_pool, n_instances, owner="aral_sampling", model="ARALClassifier",
        X_labeled=X_labeled, diversity=diversity, max_fit_samples=max_fit_samples,
        random_state=random_state)
