"""ASSALClassifier: the estimator of adversarial semi-supervised active learning (ASSAL)."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..base import (AdversarialVAEBase, ProbaPredictMixin, build_vae_modules, is_large_image,
                    resolve_likelihood, vae_docs, validate_numeric_data)
from .._semi import (SEMI_SUPERVISED_PARAMETER_CONSTRAINTS, append_unlabeled, choose_trust,
                     encode_semi_supervised_target, semi_docs)
from ..nn import UNLABELED_LOSSES, LatentClassifier, RandomAffine, VAEClassifierModule
from ..utils import UNLABELED, labeled_rows, resolve_device, torch_rng_scope
from ..utils._param_validation import Interval, IntTuple, NameTuple, StrOptions, fit_context
from ._net import ASSALNet

__all__ = ["ASSALClassifier"]

_NON_NEGATIVE_FINITE = Interval(Real, 0, np.inf, closed="left")


@vae_docs
@semi_docs
class ASSALClassifier(ProbaPredictMixin, ClassifierMixin, AdversarialVAEBase):
    """Adversarial semi-supervised active learning (ASSAL) classifier.

    The method of *Adversarial Semi-Supervised Active Learning*, an anonymous
    preprint under review, which extends VAAL (Sinha et al., 2019) with
    a classifier on the latent code.

    An encoder ``E`` and a generator ``G`` form a VAE trained on all rows
    (eq. 1); a classifier ``C`` on the latent code learns from the labels
    (eq. 2) and from a self-supervised target on the unlabelled rows (eq. 3);
    a sampler ``D`` on the mean code learns to tell labelled from unlabelled
    rows (eq. 5) while the encoder learns to fool it (eq. 4). Training first
    runs the warm-up of Algorithm 2 (no sampler) for ``warmup_epochs``, then
    Algorithm 1 for ``max_epochs``, minimising eq. 6,
    ``vae_weight * L_VAE + supervised_weight * L_C^L + unlabeled_weight * L_C^U
    + adversarial_weight * L_adv``.

    ``fit(X, y)`` follows scikit-learn's semi-supervised convention: ``y == -1``
    marks unlabelled rows. :meth:`score_samples` returns the sampler's
    probability that a row is labelled; :func:`~skvaeal.query.assal_sampling`
    queries the lowest (Algorithm 3).

    Parameters
    ----------
    latent_dim : int, default=32
    %(architecture)s
    %(input_shape)s
    %(hidden_dims)s
    classifier_dims : tuple of int, default=(128,)
        Hidden widths of the latent classifier ``C``.
    discriminator_dims : tuple of int, default=(512, 512)
        Hidden widths of the sampler ``D``.
    %(beta)s
    %(likelihood)s
    vae_weight : float, default=10.0
        ``lambda_1``: the ELBO (eq. 1) is taken per input feature, as in
        :class:`VAALSampler`, so the weights compare per-feature
        reconstruction with per-row cross-entropies.
    supervised_weight : float, default=1.0
        ``lambda_2``, on the labelled cross-entropy.
    unlabeled_weight : float, default=3.0
        ``lambda_3``, on each self-supervised loss of the unlabelled rows.
    adversarial_weight : float, default=0.1
        ``lambda_4``, on the encoder's adversarial loss. The paper gives no
        values for the lambdas; these were chosen on MNIST: a strong
        adversarial term pulls the few labelled codes towards the pool and
        hurt accuracy there (:doc:`/benchmarks`).
    unlabeled_loss : str, tuple of str or None, default=("pseudo_label", "entropy")
        The target ``h`` of eq. 3, which the paper leaves open; a tuple sums
        several, each weighted by ``unlabeled_weight``.
        ``"pseudo_label"``: the class the classifier predicts from the mean
        code of the row, where its probability is at least ``threshold``, is
        the target for the prediction from a sampled code of the augmented
        row (confidence-thresholded pseudo-labels, Lee 2013; with ``augment``
        this is FixMatch's consistency loss, Sohn et al. 2020).
        ``"entropy"``: entropy minimisation with a class-balance term (minus
        the mutual information between rows and predicted classes, Krause et
        al. 2010), on the mean code. ``"vat"``: virtual adversarial training
        (Miyato et al., 2018), the target being the classifier's own
        prediction, to be kept under the worst perturbation of norm
        ``vat_epsilon``. ``None``: the unlabelled rows only shape the VAE and
        the sampler. The default, with ``augment="auto"``, was the best of
        these on MNIST; plain entropy minimisation without the balance term
        collapsed onto a few classes (:doc:`/benchmarks`).
    threshold : float in (0, 1], default=0.8
        Confidence a pseudo-label needs.
    vat_epsilon : float, default=2.0
        Norm of the virtual adversarial perturbation (input units), for
        ``unlabeled_loss="vat"``.
    augment : "auto", "affine", None or callable, default="auto"
        Random alteration of the rows the classifier learns from (the
        labelled cross-entropy and the noisy side of the pseudo-labels); the
        VAE, the sampler and the pseudo-label targets see the rows as given.
        ``"affine"``: :class:`~skvaeal.nn.RandomAffine` (shift up to 7.5 % of
        the side, rotate up to 10 degrees) on images of shape
        ``input_shape``. ``"auto"``: ``"affine"`` for images of at least 16
        pixels a side (as ``architecture="auto"`` picks the conv net), else
        None. A callable maps a float tensor of rows to one of the same
        shape, e.g. a ``torch.nn.Module``. Augmentation is what made the
        unlabelled loss useful on MNIST (:doc:`/benchmarks`).
    input_dropout : float in [0, 1), default=0.0
        Fraction of input features zeroed at random in the view the classifier
        learns from (the labelled cross-entropy and the noisy side of the
        unlabelled loss); the VAE and the pseudo-label targets see clean rows.
        Masking noise is a generic corruption for images and tabular rows
        alike; with few labels it curbs over-fitting.
    ema_decay : float in [0, 1) or None, default=None
        Keep an exponential moving average of the weights, updated after
        every step (decay per step, e.g. 0.99): an averaged teacher (Tarvainen
        & Valpola, 2017) that gives the pseudo-label targets and the class
        probabilities, to steady the refits. ``None``: the live weights.
        Takes effect at a fit that builds the networks (not a warm start).
    %(unlabeled_trust)s
    %(trust_cv)s
    warmup_epochs : int, default=10
        Epochs of Algorithm 2 before the adversarial training; 0 skips it.
        A warm-started :meth:`fit` skips it too.
    max_epochs : int or "auto", default=20
        Epochs of Algorithm 1 per call to :meth:`fit`; an epoch is one pass
        over the larger pool. ``"auto"``: about 3,000 optimiser steps, within
        10 to 200 epochs.
    batch_size : int, default=128
        Rows of each pool per step; also the inference batch size.
    lr : float, default=1e-3
    optimizer : str or torch.optim.Optimizer subclass, default="adam"
    n_vae_steps : int, default=1
        VAE updates per sampler update.
    %(precision)s
    %(channels_last)s
    %(device)s
    %(random_state)s
    warm_start : bool, default=False
        When True and already fitted (or warmed up with :meth:`fit_warmup`)
        on rows of the same width, :meth:`fit` continues training the current
        networks without a new warm-up; a classifier head is rebuilt only
        when the set of classes changed. Warm rounds cost a fraction of a
        refit, at some loss of accuracy (:doc:`/benchmarks`).
    %(verbose)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skvaeal.assal.ASSALNet
        ``net_.module_`` holds ``encoder``, ``decoder`` and ``classifier``;
        ``net_.discriminator_`` is the sampler.
    device_ : torch.device
    likelihood_ : {"bernoulli", "gaussian"}
    augment_ : torch.nn.Module, callable or None
        What ``augment`` resolved to.
    n_fits_ : int
    unlabeled_trust_ : float
        The trust of the last fit: ``unlabeled_trust``, or what ``"cv"`` chose.
    trust_scores_ : dict or None
        For ``unlabeled_trust="cv"``: out-of-fold accuracy of each candidate
        trust on the labelled rows, and ``"n_splits"``; None when no
        cross-validation ran.
    loss_curve_ : list of float
        Mean training loss (eq. 8 during warm-up, eq. 6 after) per epoch.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal import ASSALClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:300] / 16.0, y[:300].copy()
    >>> y[50:] = -1
    >>> clf = ASSALClassifier(latent_dim=8, warmup_epochs=1, max_epochs=2, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 10)
    >>> clf.score_samples(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        **AdversarialVAEBase._parameter_constraints,
        **SEMI_SUPERVISED_PARAMETER_CONSTRAINTS,
        "classifier_dims": [IntTuple(1)],
        "vae_weight": [_NON_NEGATIVE_FINITE],
        "supervised_weight": [_NON_NEGATIVE_FINITE],
        "unlabeled_weight": [_NON_NEGATIVE_FINITE],
        "unlabeled_loss": [None, StrOptions(set(UNLABELED_LOSSES)), NameTuple(UNLABELED_LOSSES)],
        "threshold": [Interval(Real, 0, 1, closed="right")],
        "vat_epsilon": [Interval(Real, 0, np.inf, closed="neither")],
        "augment": [StrOptions({"auto", "affine"}), None, callable],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "ema_decay": [None, Interval(Real, 0, 1, closed="left")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    }

    #: Estimator parameters that are ASSALNet parameters of the same name.
    _NET_PARAMS = ("vae_weight", "supervised_weight", "unlabeled_weight", "unlabeled_loss",
                   "threshold", "vat_epsilon", "input_dropout", "ema_decay")

    def __init__(self, latent_dim=32, *, architecture="auto", input_shape="auto",
                 hidden_dims=None, classifier_dims=(128,), discriminator_dims=(512, 512),
                 beta=1.0, likelihood="auto", vae_weight=10.0, supervised_weight=1.0,
                 unlabeled_weight=3.0, adversarial_weight=0.1,
                 unlabeled_loss=("pseudo_label", "entropy"), threshold=0.8, vat_epsilon=2.0,
                 augment="auto", input_dropout=0.0, ema_decay=None, unlabeled_trust="cv",
                 trust_cv=2, warmup_epochs=10, max_epochs=20, batch_size=128, lr=1e-3,
                 optimizer="adam", n_vae_steps=1, precision="float32", channels_last=False,
                 device="auto", random_state=None, warm_start=False, verbose=0):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_dims = hidden_dims
        self.classifier_dims = classifier_dims
        self.discriminator_dims = discriminator_dims
        self.beta = beta
        self.likelihood = likelihood
        self.vae_weight = vae_weight
        self.supervised_weight = supervised_weight
        self.unlabeled_weight = unlabeled_weight
        self.adversarial_weight = adversarial_weight
        self.unlabeled_loss = unlabeled_loss
        self.threshold = threshold
        self.vat_epsilon = vat_epsilon
        self.augment = augment
        self.input_dropout = input_dropout
        self.ema_decay = ema_decay
        self.unlabeled_trust = unlabeled_trust
        self.trust_cv = trust_cv
        self.warmup_epochs = warmup_epochs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.n_vae_steps = n_vae_steps
        self.precision = precision
        self.channels_last = channels_last
        self.device = device
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _resolve_augment(self):
        """The module altering the classifier's view, or None (sets ``augment_``)."""
        augment, shape = self.augment, self.input_shape_
        if isinstance(augment, str) and augment == "auto":
            augment = "affine" if is_large_image(shape) else None
        if isinstance(augment, str):  # "affine", the only other string allowed
            if shape is None:
                raise ValueError(
                    "augment='affine' needs images: pass input_shape=(channels, height, width) "
                    "or use rows with a square number of features.")
            augment = RandomAffine(shape)
        self.augment_ = augment
        return self.augment_

    def _new_head(self, n_classes):
        return LatentClassifier(self.latent_dim, n_classes, tuple(self.classifier_dims))

    def _new_net(self, X, n_classes, likelihood, n_rows):
        self.device_ = resolve_device(self.device)
        self.likelihood_ = likelihood
        encoder, decoder, self.architecture_, self.input_shape_ = build_vae_modules(
            self, X.shape[1])
        self.net_ = ASSALNet(
            VAEClassifierModule, module__encoder=encoder, module__decoder=decoder,
            module__classifier=self._new_head(n_classes),
            **{name: getattr(self, name) for name in self._NET_PARAMS},
            iterator_train__augment=self._resolve_augment(), phase="warmup",
            **self._net_kwargs(likelihood, n_rows))
        self.net_.initialize()
        self.n_fits_ = 0

    def _sync_net_params(self):
        # Let set_params between warm-started fits reach the live net. None of these is
        # a torch module of the net, so skorch's set_params re-initialises nothing.
        self.net_.set_params(
            **{name: getattr(self, name) for name in self._NET_PARAMS},
            adversarial_weight=self.adversarial_weight, n_vae_steps=self.n_vae_steps)
        # The iterator's parameters are read at each fit; skorch's set_params refuses
        # them on an initialised net, but its __setattr__ takes any `prefix__name`.
        setattr(self.net_, "iterator_train__augment", self._resolve_augment())
        self.net_.criterion_.beta = self.beta

    def _run(self, X32, target, phase, epochs, trust=1.0):
        self.net_.phase = phase
        self.net_.unlabeled_trust = float(trust)
        self.net_.partial_fit(X32, target, epochs=epochs)

    def _encode_y(self, y):
        try:
            return encode_semi_supervised_target(y, type(self).__name__)
        except ValueError as exc:
            if labeled_rows(y).any():
                raise
            raise ValueError(f"{exc} Use fit_warmup(X) for a label-free warm-up.") from None

    # --------------------------------------------------------------- public API
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, X_unlabeled=None):
        """Train on labelled and unlabelled rows (``y == -1``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All rows, labelled and unlabelled.
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for unlabelled rows.
        X_unlabeled : array-like of shape (n_unlabeled, n_features), default=None
            More unlabelled rows, appended to X with ``y = -1``. This lets a
            learner that fits on its labelled set only pass the pool along:
            ``learner.teach(X_new, y_new, X_unlabeled=X_pool)``.

        Returns
        -------
        self : ASSALClassifier
        """
        n_features_before = getattr(self, "n_features_in_", None)
        X, y = validate_numeric_data(self, X, y, dtype=[np.float32, np.float64], reset=True,
                                     y_numeric=False, multi_output=False)
        y = column_or_1d(y, warn=True)
        warm = self._can_warm_start(n_features_before, X.shape[1])
        X, y = append_unlabeled(X, y, X_unlabeled)
        classes, target = self._encode_y(y)
        likelihood = resolve_likelihood(self.likelihood, X)
        warm = warm and likelihood == self.likelihood_
        epochs, n_rows = self._epochs(target)
        # Decided before the final training (cross-validated clones, never warm), so a
        # warm-started net continues with the trust its current labels support.
        trust, self.trust_scores_ = choose_trust(self, X, target,
                                                 seed=self._seed(getattr(self, "n_fits_", 0)))
        self.unlabeled_trust_ = trust
        X32 = torch.tensor(X, dtype=torch.float32)
        target = torch.from_numpy(target)
        if warm:
            with torch_rng_scope(self._seed(self.n_fits_ + 1), self.device_):
                self._sync_net_params()
                if not np.array_equal(getattr(self, "classes_", None), classes):
                    # New classes: keep the learnt representation, start a new head.
                    self.net_.module_.classifier = self._new_head(len(classes)).to(self.device_)
                    self.net_.initialize_optimizer()
                    self.net_.reset_teacher()
                self.classes_ = classes
                self._run(X32, target, "adversarial", epochs, trust)
        else:
            self.classes_ = classes
            with torch_rng_scope(self._seed(0), resolve_device(self.device)):
                self._new_net(X, len(classes), likelihood, n_rows)
                if self.warmup_epochs:
                    self._run(X32, target, "warmup", self.warmup_epochs, trust)
                self._run(X32, target, "adversarial", epochs, trust)
        self.n_fits_ += 1
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_warmup(self, X, y=None):
        """Run only the warm-up (Algorithm 2), e.g. before any label exists.

        With ``y=None`` every row is unlabelled and only the VAE learns, which
        is what a cold start needs: :meth:`transform` then gives the warm-up
        latent space in which :func:`~skvaeal.query.vae_coreset_sampling` or
        :func:`~skvaeal.query.k_center_greedy` can pick the first rows to
        label. With ``warm_start=True`` a later :meth:`fit` continues from
        these weights and skips its own warm-up. Runs ``warmup_epochs``
        epochs (at least one).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Optional labels with ``-1`` for unlabelled rows.

        Returns
        -------
        self : ASSALClassifier

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skvaeal import ASSALClassifier
        >>> X = load_digits().data[:200] / 16.0
        >>> clf = ASSALClassifier(latent_dim=4, warmup_epochs=1, random_state=0)
        >>> clf.fit_warmup(X).transform(X[:3]).shape
        (3, 4)
        """
        X = validate_numeric_data(self, X, dtype=[np.float32, np.float64], reset=True)
        if y is None:
            classes, target = None, np.full(len(X), UNLABELED, dtype=np.int64)
        else:
            y = column_or_1d(np.asarray(y), warn=True)
            if len(y) != len(X):
                raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
            classes, target = self._encode_y(y)
        likelihood = resolve_likelihood(self.likelihood, X)
        epochs = max(int(self.warmup_epochs), 1)
        device = resolve_device(self.device)
        with torch_rng_scope(self._seed(0), device):
            # Without labels the head's size is unknown; fit() rebuilds it.
            self._new_net(X, len(classes) if classes is not None else 1, likelihood,
                          n_rows=len(X))
            # Without labels only the unlabelled rows can train the VAE; the
            # cross-validated choice needs labels, so it waits for fit().
            trust = self.unlabeled_trust
            if y is None or isinstance(trust, str):
                trust = 1.0
            self._run(torch.tensor(X, dtype=torch.float32), torch.from_numpy(target),
                      "warmup", epochs, trust)
        if classes is not None:
            self.classes_ = classes
        elif hasattr(self, "classes_"):
            del self.classes_
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        return self

    def _check_sampler_fitted(self):
        check_is_fitted(self, "net_")
        if not getattr(self, "n_fits_", 0):
            raise NotFittedError(
                "This ASSALClassifier was only warmed up: fit_warmup trains the VAE (and the "
                "classifier, given labels) but not the sampler; call fit(X, y) before "
                "score_samples, transform_and_score or assal_sampling.")

    def predict_proba(self, X):
        """Class probabilities from the classifier on the mean code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        self._check_classifier_fitted()
        return self._net_proba(X)
