"""What every semi-supervised estimator shares: how far to trust its unlabelled rows.

A semi-supervised fit can end below the supervised fit of the same network:
pseudo-labels confirm the classifier's early mistakes, a class-balance term
pulls the boundary through a dense region, or the unlabelled rows are
organised by something other than the classes. Which of these happens depends
on the data, so the fit decides it from the only rows whose labels it knows.
With ``unlabeled_trust="cv"`` the labelled rows are split into stratified
folds; on each, the semi-supervised fit (trust 1: the unlabelled rows, with the
fold's held-out rows among them, shape every loss) and the supervised fit of
the same network (trust 0: only the labelled rows do) are trained on the other
folds' labels and scored on the held-out ones. The final fit uses the
semi-supervised trust only when the out-of-fold predictions show it better by
more than their noise (a paired test on the rows where the two fits
disagree, as McNemar's), and falls back to the supervised fit otherwise: the
burden of proof lies on the unlabelled rows, since a wrong choice of the
semi-supervised fit is what makes a fit worse than supervised.

A method uses it by declaring :data:`SEMI_SUPERVISED_PARAMETER_CONSTRAINTS`,
documenting the two parameters with :data:`semi_docs`, accepting a float
``unlabeled_trust`` in its own training, and calling :func:`choose_trust` in
``fit`` before the final training.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils.multiclass import check_classification_targets

from .utils import MAX_SEED, UNLABELED, Substitution, check_numeric_X, labeled_rows
from .utils._param_validation import Interval, StrOptions

__all__ = ["SEMI_SUPERVISED_PARAMETER_CONSTRAINTS", "TRUST_CANDIDATES", "TRUST_MARGIN",
           "append_unlabeled", "choose_trust", "encode_semi_supervised_target", "semi_docs",
           "trust_gain"]

#: The trusts ``unlabeled_trust="cv"`` chooses between: the semi-supervised fit and the
#: supervised fit of the same network.
TRUST_CANDIDATES = (1.0, 0.0)

#: How many standard errors the semi-supervised fit's out-of-fold gain must reach.
#: Over the labelled rows where the two fits disagree, the gain is
#: ``(b - c) / sqrt(b + c)`` with b rows only the semi-supervised fit got right and c
#: rows only the supervised one did: McNemar's (1947) statistic, here one-sided at the
#: 5 % level. On the digits a margin of 1 still let 1 seed in 5 take the
#: semi-supervised fit on b=1, c=0 at 20 labels and lose 0.075 with it.
TRUST_MARGIN = 1.645

SEMI_SUPERVISED_PARAMETER_CONSTRAINTS = {
    "unlabeled_trust": [StrOptions({"cv"}), Interval(Real, 0, 1, closed="both")],
    "trust_cv": [Interval(Integral, 2, None, closed="left"), "cv_object"],
}

#: Docstring entries of the two parameters: ``%(unlabeled_trust)s`` and ``%(trust_cv)s``.
semi_docs = Substitution(
    unlabeled_trust='''
    unlabeled_trust : "cv" or float in [0, 1], default="cv"
        How much the unlabelled rows shape the encoder, decoder and
        classifier: the weight of their reconstruction, unlabelled and
        adversarial losses against the labelled rows' weight of 1. ``1`` is
        the semi-supervised fit of the paper, ``0`` the supervised fit of the
        same network (the unlabelled rows then only train the sampler).
        ``"cv"``: chosen between 1 and 0 from the labelled rows alone, by
        stratified cross-validation (``trust_cv``): the fit falls back to
        the supervised one unless the semi-supervised fit scored higher out
        of fold, significantly (a one-sided paired test at the 5 % level),
        so unlabelled rows that mislead cannot make the classifier worse
        than its supervised fit by more than the noise of that estimate. It
        costs
        ``2 * n_splits`` extra fits (the supervised ones skip the unlabelled
        rows' reconstruction: about 0.7 of a semi-supervised fit on the
        digits); :attr:`trust_scores_` records the scores. Too few labels to
        split (a fold without two classes) keeps trust 1.''',
    trust_cv='''
    trust_cv : int or cross-validation splitter, default=2
        Folds of the labelled rows for ``unlabeled_trust="cv"``. An int ``k``
        is a shuffled :class:`~sklearn.model_selection.StratifiedKFold`
        seeded by ``random_state`` with ``min(k, rows of the rarest class)``
        folds (at least 2).''',
)


def _splitter(trust_cv, y, seed):
    if isinstance(trust_cv, Integral):
        n_splits = int(max(2, min(trust_cv, np.bincount(y).min())))
        return StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    return check_cv(trust_cv, y, classifier=True)


def _fold_params(estimator, trust, seed):
    """Parameters of a fold's clone: a fixed trust, a fresh (cold, quiet) seeded fit."""
    params = {"unlabeled_trust": trust, "warm_start": False, "verbose": 0, "random_state": seed}
    own = estimator.get_params(deep=False)
    return {name: value for name, value in params.items() if name in own}


def choose_trust(estimator, X, target, *, seed, fit_params=None, holdout=None, groups=None):
    """``(trust, scores)``: the trust of the final fit, chosen by cross-validation.

    Parameters
    ----------
    estimator : estimator
        A semi-supervised classifier with an ``unlabeled_trust`` parameter
        whose ``fit(X, y)`` takes ``y == -1`` for unlabelled rows. It is
        cloned for each fold and candidate (never warm-started); ``random_state``
        of the clones is drawn from ``seed``.
    X : ndarray of shape (n_samples, n_features)
        Labelled and unlabelled rows.
    target : ndarray of shape (n_samples,) of int
        Class indices ``0..K-1``, ``-1`` for unlabelled rows.
    seed : int
        Seeds the folds and the clones.
    fit_params : dict or None, default=None
        More arguments of each clone's ``fit``, per row of X (e.g.
        ``sample_weight``); passed whole, since a fold only unlabels rows.
    holdout : ndarray of bool of shape (n_samples,) or None, default=None
        The labelled rows a fold may hold out and score on (default: all);
        e.g. the annotator's own labels, not those propagated from them.
    groups : ndarray of int of shape (n_samples,) or None, default=None
        Rows of one group share the source of their labels (``-1``: none). A
        fold that holds out a row also unlabels every row of its group, so a
        held-out row's label cannot reach the fit through its group.

    Returns
    -------
    trust : float
        One of :data:`TRUST_CANDIDATES`; ``estimator.unlabeled_trust`` itself
        when it is a number.
    scores : dict or None
        ``{trust: out-of-fold accuracy}`` over the labelled rows of the folds
        that could be scored, ``"n_splits"`` the number of those folds and
        ``"gain"`` the paired gain of trust 1 (:func:`trust_gain`; trust 1 is
        chosen when it reaches :data:`TRUST_MARGIN`); ``None`` when no
        cross-validation ran.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal import ASSALClassifier
    >>> from skvaeal._semi import choose_trust
    >>> X, y = load_digits(return_X_y=True)
    >>> X, target = X[:200] / 16.0, y[:200].copy()
    >>> target[40:] = -1
    >>> clf = ASSALClassifier(latent_dim=4, warmup_epochs=0, max_epochs=1, trust_cv=2)
    >>> trust, scores = choose_trust(clf, X, target, seed=0)
    >>> trust in (0.0, 1.0), sorted(k for k in scores if isinstance(k, float))
    (True, [0.0, 1.0])
    """
    if not (isinstance(estimator.unlabeled_trust, str) and estimator.unlabeled_trust == "cv"):
        return float(estimator.unlabeled_trust), None
    judged = target != UNLABELED
    if holdout is not None:
        judged &= np.asarray(holdout, dtype=bool)
    labeled = np.flatnonzero(judged)
    y_labeled = target[labeled]
    if len(np.unique(y_labeled)) < 2 or len(labeled) < 4:
        return TRUST_CANDIDATES[0], None
    rng = np.random.RandomState(seed % (MAX_SEED + 1))
    splitter = _splitter(estimator.trust_cv, y_labeled, int(rng.randint(MAX_SEED)))
    correct = {trust: [] for trust in TRUST_CANDIDATES}
    n_splits = 0
    with warnings.catch_warnings():
        # A class rarer than the number of folds is expected with a handful of labels.
        warnings.filterwarnings("ignore", message="The least populated class",
                                category=UserWarning)
        folds = list(splitter.split(np.zeros((len(labeled), 1)), y_labeled))
    for train, test in folds:
        if len(np.unique(y_labeled[train])) < 2:
            continue  # a classifier needs two classes; this fold cannot judge
        fold_target = target.copy()
        fold_target[labeled[test]] = UNLABELED
        if groups is not None:
            held = np.unique(groups[labeled[test]])
            fold_target[np.isin(groups, held[held >= 0])] = UNLABELED
        if len(np.unique(fold_target[fold_target != UNLABELED])) < 2:
            continue
        fold_seed = int(rng.randint(MAX_SEED))
        for trust in TRUST_CANDIDATES:
            model = clone(estimator).set_params(**_fold_params(estimator, trust, fold_seed))
            model.fit(X, fold_target, **(fit_params or {}))
            correct[trust].append(model.predict(X[labeled[test]]) == y_labeled[test])
        n_splits += 1
    if not n_splits:
        return TRUST_CANDIDATES[0], None
    semi, supervised = (np.concatenate(correct[trust]) for trust in TRUST_CANDIDATES)
    scores = {1.0: float(semi.mean()), 0.0: float(supervised.mean()), "n_splits": n_splits}
    gain = trust_gain(semi, supervised)
    scores["gain"] = gain
    return (1.0 if gain >= TRUST_MARGIN else 0.0), scores


def trust_gain(semi_correct, supervised_correct):
    """Paired out-of-fold gain of the semi-supervised fit, in standard errors.

    Parameters
    ----------
    semi_correct, supervised_correct : array-like of bool of shape (n_rows,)
        Whether each held-out labelled row was predicted right by the
        semi-supervised and by the supervised fit.

    Returns
    -------
    gain : float
        ``(b - c) / sqrt(b + c)`` over the rows where the fits disagree (b:
        only the semi-supervised fit right, c: only the supervised one);
        ``0.0`` where they never disagree.

    Examples
    --------
    >>> from skvaeal._semi import trust_gain
    >>> round(trust_gain([1, 1, 1, 0, 1], [0, 0, 1, 0, 1]), 3)
    1.414
    >>> trust_gain([1, 0], [1, 0])
    0.0
    """
    semi = np.asarray(semi_correct, dtype=bool)
    supervised = np.asarray(supervised_correct, dtype=bool)
    b = int(np.sum(semi & ~supervised))
    c = int(np.sum(supervised & ~semi))
    return 0.0 if b + c == 0 else (b - c) / float(np.sqrt(b + c))


def append_unlabeled(X, y, X_unlabeled):
    """``(X, y)`` with the rows of ``X_unlabeled`` appended as unlabelled (``y == -1``).

    What ``fit(X, y, X_unlabeled=...)`` of every semi-supervised estimator
    does: a learner that fits on its labelled set only can pass the pool along.
    ``X`` and ``y`` are validated already; ``X_unlabeled`` may be None.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal._semi import append_unlabeled
    >>> X, y = append_unlabeled(np.zeros((2, 3)), np.array(["a", "b"]), np.ones((1, 3)))
    >>> X.shape, list(y)
    ((3, 3), ['a', 'b', -1])
    """
    if X_unlabeled is None:
        return X, y
    X_unlabeled = check_numeric_X(X_unlabeled, "X_unlabeled", dtype=X.dtype)
    if X_unlabeled.shape[1] != X.shape[1]:
        raise ValueError(
            f"X_unlabeled has {X_unlabeled.shape[1]} features per row, but X has "
            f"{X.shape[1]}; both hold rows of the same data.")
    # String labels cannot hold the int -1, so they go through an object array.
    dtype = y.dtype if y.dtype.kind in "iuf" else object
    return (np.concatenate([X, X_unlabeled]),
            np.concatenate([y.astype(dtype), np.full(len(X_unlabeled), -1, dtype=dtype)]))


def encode_semi_supervised_target(y, owner):
    """``(classes, target)``: the classes of the labelled rows and int targets with -1.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels, ``-1`` for unlabelled rows (numbers or strings).
    owner : str
        The estimator's name, for the error messages.

    Raises
    ------
    ValueError
        When no row is labelled, or the labelled rows hold fewer than 2 classes.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal._semi import encode_semi_supervised_target
    >>> classes, target = encode_semi_supervised_target(np.array([3, -1, 5, 3]), "clf")
    >>> classes.tolist(), target.tolist()
    ([3, 5], [0, -1, 1, 0])
    """
    mask = labeled_rows(y)
    if not mask.any():
        raise ValueError(
            f"y has no labelled rows (all are -1); {owner} needs at least one labelled row "
            "per class.")
    y_labeled = y[mask]
    if y_labeled.dtype == object:
        y_labeled = y_labeled.astype(str) if all(
            isinstance(v, str) for v in y_labeled) else y_labeled
    check_classification_targets(y_labeled)
    classes, codes = np.unique(y_labeled, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"The labelled rows of y hold one class only ({classes[0]!r}); {owner} needs at "
            "least 2 classes.")
    target = np.full(len(y), UNLABELED, dtype=np.int64)
    target[mask] = codes
    return classes, target
