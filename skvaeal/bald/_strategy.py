"""BALD and BatchBALD: query the rows the model's weight samples disagree on most.

BALD (Houlsby et al., 2011; Gal et al., 2017) scores a row by the mutual
information between its label and the model's weights,
``I[y; w] = H[E_w p(y|w)] - E_w H[p(y|w)]``: high where the sampled networks
are each confident but disagree, not where all of them are unsure (which the
entropy of the mean also rewards). BatchBALD (Kirsch et al., 2019) scores a
batch jointly, ``I[y_1..y_b; w]``, so that a batch of near-duplicates scores
no more than one of them, and picks it greedily.

Both read the T weight samples from ``predict_proba_samples(X) -> (T, n, K)``
of the classifier (e.g. :class:`~skvaeal.bald.MCDropoutClassifier`), the last
step of a pipeline, or the estimator inside a learner.
"""

from numbers import Integral

import numpy as np
from scipy.special import entr
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.validation import _is_fitted

from ..query._base import (TIE_BREAK_CONSTRAINTS, ClassifierNotFittedError, check_n_query,
                           get_estimator, pool_scores, query_result, strategy_params, top_k,
                           top_k_scored)
from ..utils import n_rows, take_rows
from ..utils._blocks import is_out_of_core, iter_row_blocks
from ..utils._param_validation import Interval

__all__ = ["bald_scores", "bald_sampling", "batchbald_sampling"]

#: Pool rows per call of ``predict_proba_samples`` in :func:`bald_sampling`: memory
#: stays at T x this x K probabilities, whatever the pool's size.
BALD_CHUNK = 8192


def _check_samples(samples, n_expected=None):
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 3 or (n_expected is not None and samples.shape[1] != n_expected):
        expected = f"(T, {n_expected}, n_classes)" if n_expected is not None else \
            "(T, n_samples, n_classes)"
        raise ValueError(f"predict_proba_samples returned shape {samples.shape}; "
                         f"expected {expected}.")
    return samples


def bald_scores(proba_samples):
    """Mutual information between each row's label and the model's weights.

    Parameters
    ----------
    proba_samples : array-like of shape (T, n_samples, n_classes)
        Class probabilities of T weight samples (MC dropout passes, ensemble
        members).

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        ``H[mean_t p_t] - mean_t H[p_t]`` in nats, >= 0 (up to rounding).

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.bald import bald_scores
    >>> agree = [[0.5, 0.5], [0.5, 0.5]]     # both samples unsure: no disagreement
    >>> disagree = [[1.0, 0.0], [0.0, 1.0]]  # each sure, of a different class
    >>> samples = np.array([agree, disagree]).transpose(1, 0, 2)
    >>> bald_scores(samples).round(4)
    array([0.    , 0.6931])
    """
    samples = _check_samples(proba_samples)
    mean_entropy = entr(samples).sum(axis=2).mean(axis=0)
    entropy_of_mean = entr(samples.mean(axis=0)).sum(axis=1)
    # Rounding can leave -1e-17 where the samples agree; the information is never negative.
    return np.maximum(entropy_of_mean - mean_entropy, 0.0)


def _samples_of(classifier, X_pool, name):
    """``predict_proba_samples`` of the model the strategy is given, with clear errors."""
    estimator = get_estimator(classifier)
    if estimator is None:
        raise ClassifierNotFittedError(
            f"{name} needs a fitted classifier with predict_proba_samples (e.g. "
            "MCDropoutClassifier); got None.")
    final, head = estimator, None
    if isinstance(estimator, Pipeline):
        final, head = estimator[-1], estimator[:-1]
    if not hasattr(final, "predict_proba_samples"):
        if hasattr(final, "fit") and not _is_fitted(final):
            raise ClassifierNotFittedError(
                f"{name} needs a fitted classifier with predict_proba_samples, but "
                f"{type(final).__name__} is not fitted (and has no such method).")
        raise TypeError(
            f"{name} needs a fitted classifier with the model's weight samples, "
            "predict_proba_samples(X) -> (T, n_samples, n_classes), such as "
            f"skvaeal.bald.MCDropoutClassifier; {type(final).__name__} has none. Use "
            "entropy_sampling for a classifier with predict_proba only.")

    def samples(X):
        try:
            return final.predict_proba_samples(X if head is None else head.transform(X))
        except NotFittedError as exc:
            raise ClassifierNotFittedError(
                f"{name} needs a fitted classifier, but {type(final).__name__} is not fitted "
                "yet (label a first batch, e.g. with random_sampling).") from exc

    return samples


@strategy_params(TIE_BREAK_CONSTRAINTS)
def bald_sampling(classifier, X_pool, n_instances=1, random_tie_break=True, *,
                  random_state=None):
    """Query the rows of highest BALD score (Houlsby et al., 2011; Gal et al., 2017).

    Each row is scored alone (:func:`bald_scores`); the top ``n_instances``
    are returned, so a batch may hold near-duplicates (see
    :func:`batchbald_sampling`). The pool is scored in chunks of 8,192 rows,
    so memory does not grow with it.

    Parameters
    ----------
    classifier : fitted classifier, pipeline or learner
        Its model (a pipeline's last step) must have ``predict_proba_samples``,
        as :class:`~skvaeal.bald.MCDropoutClassifier` has.
    X_pool : array-like of shape (n_samples, n_features)
        Candidates, as the classifier accepts them.
    n_instances : int, default=1
    random_tie_break : bool, default=True
        Break ties between equal scores at random (with ``random_state``).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Indices into ``X_pool``, highest score first.
    scores : ndarray of shape (n_instances,)
        Their BALD scores (nats).

    Raises
    ------
    TypeError
        If the model has no ``predict_proba_samples``, or is missing or not
        fitted (:class:`~skvaeal.query.ClassifierNotFittedError`).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal.bald import MCDropoutClassifier, bald_sampling
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MCDropoutClassifier(hidden_dims=(32,), max_epochs=5, random_state=0)
    >>> clf = clf.fit(X[:50] / 16, y[:50])
    >>> query_idx, scores = bald_sampling(clf, X[50:] / 16, n_instances=3, random_state=0)
    >>> query_idx.shape, bool(scores[0] >= scores[-1])
    ((3,), True)
    """
    n_instances = check_n_query(X_pool, n_instances)
    samples = _samples_of(classifier, X_pool, "bald_sampling")
    n = n_rows(X_pool)
    if is_out_of_core(X_pool):
        scores = pool_scores(lambda rows: bald_scores(_check_samples(samples(rows), len(rows))),
                             X_pool)
        return query_result(*top_k_scored(scores, n_instances, random_state,
                                          random_tie_break=random_tie_break))
    scores = np.empty(n)
    for start in range(0, n, BALD_CHUNK):
        rows = np.arange(start, min(n, start + BALD_CHUNK))
        scores[rows] = bald_scores(_check_samples(samples(take_rows(X_pool, rows)), len(rows)))
    query_idx = top_k(scores, n_instances, random_state, random_tie_break=random_tie_break)
    return query_result(query_idx, scores[query_idx])


def _conditional_entropies(q, weights, samples, candidates, chunk_elems=1 << 22):
    """``sum_m weights[m] H[y_c | configuration m]`` for each candidate c.

    ``q[m]`` is the posterior over weight samples given the m-th label
    configuration of the rows already chosen (rows sum to 1), so
    ``q @ samples[:, c]`` is the predictive of candidate c given it. The
    ``n_configurations x T x n_candidates x K`` products run in float32 (the
    pool's samples are stored so): three times faster than float64, with
    entropies good to about 1e-6 relative.
    """
    n_configs, n_samples = q.shape
    n_classes = samples.shape[2]
    q32 = q.astype(np.float32)
    weights32 = np.asarray(weights, dtype=np.float32)
    out = np.empty(len(candidates))
    step = max(1, chunk_elems // max(1, n_configs * n_classes))
    for start in range(0, len(candidates), step):
        block = candidates[start:start + step]
        predictive = q32 @ samples[:, block, :].reshape(n_samples, -1)
        # p log p with 0 log 0 = 0, in place: one pass over the largest array.
        plogp = np.log(predictive, out=np.zeros_like(predictive), where=predictive > 0)
        plogp *= predictive
        out[start:start + step] = -(weights32 @ plogp).reshape(len(block), n_classes).sum(1)
    return out


def _condition(q, log_mass, p_row, labels=None):
    """Add a chosen row to the configurations: every label of it, or the given ones.

    ``q`` (posteriors over weight samples) and ``log_mass`` (log probability of
    each configuration) are kept normalised, so products of many small
    probabilities never underflow. ``p_row`` is the row's ``(T, K)`` samples.
    """
    predictive = q @ p_row  # (M, K): p(y_row = k | configuration m)
    with np.errstate(divide="ignore", invalid="ignore"):
        if labels is None:  # every configuration times every label
            new_q = (q[:, None, :] * p_row.T[None, :, :]) / predictive[:, :, None]
            new_log = log_mass[:, None] + np.log(predictive)
            new_q, new_log = new_q.reshape(-1, q.shape[1]), new_log.reshape(-1)
        else:
            chosen = predictive[np.arange(len(q)), labels]
            new_q = q * p_row[:, labels].T / chosen[:, None]
            new_log = log_mass + np.log(chosen)
    # A configuration of probability 0 keeps weight 0; its posterior is irrelevant.
    impossible = ~np.isfinite(new_log)
    new_q[impossible] = 1.0 / q.shape[1]
    return new_q, new_log


@strategy_params({"n_configurations": [Interval(Integral, 1, None, closed="left")]})
def batchbald_sampling(classifier, X_pool, n_instances=1, *, n_configurations=4096,
                       random_state=None):
    """Query a batch that is jointly informative: greedy BatchBALD (Kirsch et al., 2019).

    The i-th pick maximises the mutual information between the weights and
    the labels of the first i picks, ``H[y_1..y_i] - sum E_w H[y_j|w]``. The
    joint entropy sums over the label configurations of the rows already
    picked while there are at most ``n_configurations`` of them (K^(i-1));
    beyond, it is estimated from ``n_configurations`` configurations drawn
    from the joint predictive (a weight sample, then each label from it), as
    Kirsch et al. do. The first pick is BALD's.

    Parameters
    ----------
    classifier : fitted classifier, pipeline or learner
        Its model (a pipeline's last step) must have ``predict_proba_samples``,
        as :class:`~skvaeal.bald.MCDropoutClassifier` has; the j-th sample
        must be the same weights for every row (MC dropout with shared masks,
        an ensemble member), else the joint entropy mixes unrelated models.
    X_pool : array-like of shape (n_samples, n_features)
    n_instances : int, default=1
    n_configurations : int, default=4096
        Most label configurations summed exactly, and how many are drawn
        once there are more. Each pick costs
        ``n_configurations x T x n_samples x K`` multiply-adds.
    random_state : int, RandomState instance or None, default=None
        Breaks ties and draws the configurations.

    Returns
    -------
    query_idx : ndarray of shape (n_instances,)
        Indices into ``X_pool`` in the order picked.
    scores : ndarray of shape (n_instances,)
        What each pick added to the batch's mutual information (nats); the
        first is its BALD score.

    Notes
    -----
    The pool's T x n_samples x K probabilities are held in memory (float32);
    for pools of millions of rows, score a random subset (Kirsch et al.
    subsample the pool too).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal.bald import MCDropoutClassifier, batchbald_sampling
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MCDropoutClassifier(hidden_dims=(32,), max_epochs=5, random_state=0)
    >>> clf = clf.fit(X[:50] / 16, y[:50])
    >>> query_idx, gains = batchbald_sampling(clf, X[50:] / 16, n_instances=3, random_state=0)
    >>> len(set(query_idx.tolist()))
    3
    """
    n_instances = check_n_query(X_pool, n_instances)
    rng = check_random_state(random_state)
    n = n_rows(X_pool)
    sample_rows = _samples_of(classifier, X_pool, "batchbald_sampling")
    if is_out_of_core(X_pool):
        # The greedy search needs every row's samples; the rows themselves are read in blocks.
        samples = np.concatenate([_check_samples(sample_rows(block), len(block))
                                  for block in iter_row_blocks(X_pool)], axis=1)
    else:
        samples = _check_samples(sample_rows(X_pool), n)
    conditional = entr(samples).sum(axis=2).mean(axis=0)  # E_w H[y|w] per row
    samples = samples.astype(np.float32)
    n_samples, _, n_classes = samples.shape
    # The label configurations of the rows chosen so far: each one's posterior over the
    # weight samples (q) and its log probability; none chosen yet is one empty configuration.
    q = np.full((1, n_samples), 1.0 / n_samples)
    log_mass = np.zeros(1)
    drawn = None  # the weight sample behind each drawn configuration, once sampling
    available = np.ones(n, dtype=bool)
    chosen, gains = [], []
    batch_information, conditional_sum = 0.0, 0.0
    for _ in range(n_instances):
        if drawn is None:  # exact: H = H[configurations] + sum_m p(m) H[y | m]
            mass = np.exp(log_mass)
            weights, base = mass, -float(np.sum(mass * np.where(mass > 0, log_mass, 0.0)))
        else:  # drawn from the joint: the same two terms as means over the draws
            weights, base = np.full(len(q), 1.0 / len(q)), -float(np.mean(log_mass))
        candidates = np.flatnonzero(available)
        information = (base + _conditional_entropies(q, weights, samples, candidates)
                       - conditional_sum - conditional[candidates])
        best = candidates[top_k(information, 1, rng)[0]]
        total = float(information[np.searchsorted(candidates, best)])
        gains.append(total - batch_information)
        batch_information, conditional_sum = total, conditional_sum + conditional[best]
        chosen.append(best)
        available[best] = False
        p_best = samples[:, best, :].astype(np.float64)  # (T, K)
        if drawn is None and len(q) * n_classes <= n_configurations:
            q, log_mass = _condition(q, log_mass, p_best)
            continue
        if drawn is None:
            # Too many to sum: draw configurations of all chosen rows from the joint (a
            # weight sample, then each row's label from it).
            drawn = rng.randint(n_samples, size=n_configurations)
            q = np.full((n_configurations, n_samples), 1.0 / n_samples)
            log_mass = np.zeros(n_configurations)
            rows = chosen
        else:
            rows = [best]
        for row in rows:
            p_row = samples[:, row, :].astype(np.float64)
            cumulative = np.cumsum(p_row[drawn], axis=1)
            labels = (rng.random_sample((len(drawn), 1)) * cumulative[:, -1:]
                      > cumulative).sum(axis=1)
            q, log_mass = _condition(q, log_mass, p_row, np.minimum(labels, n_classes - 1))
    return query_result(np.asarray(chosen), np.asarray(gains))
