"""ClusterLabelClassifier: a VAE with a softmax head, trained on confidence-weighted labels."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, ClassNamePrefixFeaturesOutMixin
from sklearn.utils.validation import _check_sample_weight, column_or_1d

from ..base import (AUTO_EPOCH_RANGE, VAE_PARAMETER_CONSTRAINTS, GeneratorMixin, LatentNetMixin,
                    ProbaPredictMixin, VAEDecoderMixin, build_vae_modules, resolve_likelihood,
                    resolve_max_epochs, vae_docs, vae_net_kwargs, validate_numeric_data)
from .._semi import (SEMI_SUPERVISED_PARAMETER_CONSTRAINTS, append_unlabeled, choose_trust,
                     encode_semi_supervised_target, semi_docs)
from ..nn import LatentClassifier, VAEClassifierModule
from ..utils import UNLABELED, resolve_device, torch_rng_scope
from ..utils._param_validation import Interval, IntTuple, StrOptions, fit_context
from ._net import ClusterLabelNet

__all__ = ["ClusterLabelClassifier"]

#: ``max_epochs="auto"`` and ``warmup_epochs="auto"``: about this many optimiser steps.
CLUSTER_AUTO_STEPS = 1500


@vae_docs
@semi_docs
class ClusterLabelClassifier(ProbaPredictMixin, ClassifierMixin, VAEDecoderMixin, GeneratorMixin,
                             LatentNetMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """A VAE with a softmax head on its code, for labels of varying confidence.

    The model of Vengalil & Sinha (*Semi-supervised learning using
    variational autoencoder: a cluster based approach*): an encoder and a
    decoder trained with the beta-VAE loss (eq. 1) on every row, and a
    softmax layer on the latent code trained, once labels exist, with the
    confidence-weighted cross-entropy of eq. 4,
    ``L = L_VAE + gamma * mean_n w_n CE_n``. The labels usually come from
    the cluster-centre labelling step (:func:`label_cluster_centres`): an
    annotator labels cluster centres, each label spreads to the cluster's
    rows with a weight that decays with distance. :func:`cluster_label_learning`
    runs the paper's whole loop around this classifier.

    ``fit(X, y, sample_weight)`` follows scikit-learn's semi-supervised
    convention (``y == -1``: no label); ``sample_weight`` holds each label's
    confidence ``w_n``. Labels marked ``propagated`` are trusted as
    ``unlabeled_trust`` says: the cross-validated choice judges them on the
    annotator's own labels, holding out each one together with the labels
    propagated from it (``groups``), so propagation that misleads falls back
    to the supervised fit on the annotated rows.

    Parameters
    ----------
    latent_dim : int, default=16
    %(architecture)s
    %(input_shape)s
    %(hidden_dims)s
    classifier_dims : tuple of int, default=()
        Hidden widths of the head; ``()`` is the paper's softmax layer on the
        code.
    %(beta)s
    %(likelihood)s
    classification_weight : float, default=10.0
        ``gamma`` of eq. 4, against the ELBO summed over features. The paper
        gives no value; on the digits (64 features) ``gamma`` of 1 left the
        code unshaped by the labels and 100 gave up reconstruction
        (:doc:`/benchmarks`).
    %(unlabeled_trust)s
    %(trust_cv)s
    warmup_epochs : int or "auto", default="auto"
        Epochs of the unsupervised beta-VAE (eq. 1) before the labels are
        used, in a fit that builds the networks and in :meth:`fit_warmup`.
        ``"auto"``: about 1,500 optimiser steps, within 10 to 200 epochs.
    max_epochs : int or "auto", default="auto"
        Epochs with the labels (eq. 4) per call to :meth:`fit`; ``"auto"`` as
        for ``warmup_epochs``.
    batch_size : int, default=128
    lr : float, default=1e-3
    optimizer : str or torch.optim.Optimizer subclass, default="adam"
    %(precision)s
    %(channels_last)s
    %(device)s
    %(random_state)s
    warm_start : bool, default=False
        When True and already fitted (or warmed up) on rows of the same width,
        :meth:`fit` continues training the current networks without a new
        warm-up, as the paper's iterations do; the head is rebuilt only when
        the set of classes changed.
    %(verbose)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skvaeal.clusterlabel.ClusterLabelNet
    device_ : torch.device
    likelihood_ : {"bernoulli", "gaussian"}
    architecture_ : {"mlp", "conv", "custom"}
    input_shape_ : tuple or None
    unlabeled_trust_ : float
        The trust of the last fit: ``unlabeled_trust``, or what ``"cv"`` chose.
    trust_scores_ : dict or None
        For ``unlabeled_trust="cv"``, the out-of-fold scores (see
        :func:`skvaeal._semi.choose_trust`).
    n_fits_ : int
    loss_curve_ : list of float
        Mean training loss per epoch of these networks, warm-up and every
        warm-started fit included.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal.clusterlabel import ClusterLabelClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:300] / 16.0, y[:300].copy()
    >>> y[60:] = -1
    >>> weight = np.where(y >= 0, 0.9, 0.0)
    >>> clf = ClusterLabelClassifier(latent_dim=8, warmup_epochs=2, max_epochs=2,
    ...                              unlabeled_trust=1.0, random_state=0)
    >>> clf = clf.fit(X, y, sample_weight=weight)
    >>> clf.predict_proba(X[:2]).shape, clf.transform(X[:2]).shape
    ((2, 10), (2, 8))
    >>> clf.sample(3, random_state=0).shape
    (3, 64)
    """

    _parameter_constraints = {
        **VAE_PARAMETER_CONSTRAINTS,
        **SEMI_SUPERVISED_PARAMETER_CONSTRAINTS,
        "classifier_dims": [IntTuple(1)],
        "classification_weight": [Interval(Real, 0, np.inf, closed="left")],
        "warmup_epochs": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
    }

    def __init__(self, latent_dim=16, *, architecture="auto", input_shape="auto",
                 hidden_dims=None, classifier_dims=(), beta=1.0, likelihood="auto",
                 classification_weight=10.0, unlabeled_trust="cv", trust_cv=2,
                 warmup_epochs="auto", max_epochs="auto", batch_size=128, lr=1e-3,
                 optimizer="adam", precision="float32", channels_last=False, device="auto",
                 random_state=None, warm_start=False, verbose=0):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_dims = hidden_dims
        self.classifier_dims = classifier_dims
        self.beta = beta
        self.likelihood = likelihood
        self.classification_weight = classification_weight
        self.unlabeled_trust = unlabeled_trust
        self.trust_cv = trust_cv
        self.warmup_epochs = warmup_epochs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.precision = precision
        self.channels_last = channels_last
        self.device = device
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _resolve_epochs(self, value, n_rows):
        return resolve_max_epochs(value, n_rows, self.batch_size, steps=CLUSTER_AUTO_STEPS,
                                  epoch_range=AUTO_EPOCH_RANGE)

    def _new_head(self, n_classes):
        return LatentClassifier(self.latent_dim, n_classes, tuple(self.classifier_dims))

    def _new_net(self, X, n_classes, likelihood):
        self.device_ = resolve_device(self.device)
        self.likelihood_ = likelihood
        encoder, decoder, self.architecture_, self.input_shape_ = build_vae_modules(
            self, X.shape[1])
        self.net_ = ClusterLabelNet(
            VAEClassifierModule, module__encoder=encoder, module__decoder=decoder,
            module__classifier=self._new_head(n_classes),
            classification_weight=self.classification_weight,
            **vae_net_kwargs(self, likelihood, len(X)))
        self.net_.initialize()
        self.n_fits_ = 0

    def _sync_net_params(self):
        # Let set_params between warm-started fits reach the live net.
        self.net_.classification_weight = self.classification_weight
        self.net_.criterion_.beta = self.beta

    @staticmethod
    def _pack(target, sample_weight, propagated, trust):
        """The net's ``(n, 3)`` target: class, cross-entropy weight, ELBO weight."""
        labeled = target != UNLABELED
        own = labeled & ~propagated
        ce = np.where(labeled, sample_weight, 0.0) * np.where(propagated, trust, 1.0)
        elbo = np.where(own, 1.0, trust)
        return torch.tensor(np.stack([target, ce, elbo], axis=1), dtype=torch.float32)

    def _check_fit_arrays(self, n, sample_weight, propagated, groups, X):
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                             ensure_non_negative=True)
        if propagated is None:
            propagated = np.zeros(n, dtype=bool)
        else:
            propagated = column_or_1d(np.asarray(propagated))
            if propagated.dtype != bool or len(propagated) != n:
                raise ValueError(
                    f"propagated must be a boolean array with one entry per row ({n}); got "
                    f"dtype {propagated.dtype} and {len(propagated)} entries.")
        if groups is not None:
            groups = column_or_1d(np.asarray(groups))
            if not np.issubdtype(groups.dtype, np.integer) or len(groups) != n:
                raise ValueError(
                    f"groups must be an integer array with one entry per row ({n}), -1 for "
                    "rows of no group.")
        return sample_weight, propagated, groups

    # --------------------------------------------------------------- public API
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, propagated=None, groups=None, X_unlabeled=None):
        """Train on rows with (weighted) labels and rows without (``y == -1``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for rows without a label.
        sample_weight : array-like of shape (n_samples,), default=None
            Confidence ``w_n >= 0`` of each row's label (eq. 4); ignored for
            unlabelled rows. ``None``: 1 for every label.
        propagated : array-like of bool of shape (n_samples,), default=None
            Labels spread from an annotated centre rather than given to the
            row itself; ``unlabeled_trust`` weights them as it weights the
            unlabelled rows. ``None``: every label is the row's own.
        groups : array-like of int of shape (n_samples,), default=None
            The annotation each label comes from (rows of the same group share
            one), ``-1`` for none. When the trust is cross-validated, holding
            out an annotated row also removes the labels propagated with it,
            so a fold never learns a held-out row's label from its neighbours.
        X_unlabeled : array-like of shape (n_unlabeled, n_features), default=None
            More rows without labels, appended to X.

        Returns
        -------
        self : ClusterLabelClassifier
        """
        n_features_before = getattr(self, "n_features_in_", None)
        X, y = validate_numeric_data(self, X, y, dtype=[np.float32, np.float64], reset=True,
                                     y_numeric=False, multi_output=False)
        y = column_or_1d(y, warn=True)
        warm = (bool(self.warm_start) and hasattr(self, "net_")
                and n_features_before == X.shape[1])
        sample_weight, propagated, groups = self._check_fit_arrays(
            len(X), sample_weight, propagated, groups, X)
        if X_unlabeled is not None:
            n_before = len(X)
            X, y = append_unlabeled(X, y, X_unlabeled)
            extra = len(X) - n_before
            sample_weight = np.concatenate([sample_weight, np.zeros(extra)])
            propagated = np.concatenate([propagated, np.zeros(extra, dtype=bool)])
            if groups is not None:
                groups = np.concatenate([groups, np.full(extra, -1, dtype=groups.dtype)])
        classes, target = encode_semi_supervised_target(y, type(self).__name__)
        likelihood = resolve_likelihood(self.likelihood, X)
        warm = warm and likelihood == self.likelihood_
        seed = self._seed(getattr(self, "n_fits_", 0))
        trust, self.trust_scores_ = choose_trust(
            self, X, target, seed=seed,
            fit_params={"sample_weight": sample_weight, "propagated": propagated,
                        "groups": groups},
            holdout=~propagated, groups=groups)
        self.unlabeled_trust_ = trust
        X32 = torch.tensor(X, dtype=torch.float32)
        packed = self._pack(target, sample_weight, propagated, trust)
        epochs = self._resolve_epochs(self.max_epochs, len(X))
        if warm:
            with torch_rng_scope(self._seed(self.n_fits_ + 1), self.device_):
                self._sync_net_params()
                if not np.array_equal(getattr(self, "classes_", None), classes):
                    # New classes: keep the learnt code, start a new head.
                    self.net_.module_.classifier = self._new_head(len(classes)).to(self.device_)
                    self.net_.initialize_optimizer()
                self.classes_ = classes
                self.net_.partial_fit(X32, packed, epochs=epochs)
        else:
            self.classes_ = classes
            with torch_rng_scope(self._seed(0), resolve_device(self.device)):
                self._new_net(X, len(classes), likelihood)
                warmup = self._resolve_epochs(self.warmup_epochs, len(X))
                if warmup:
                    # The warm-up of eq. 1 alone (no cross-entropy), with this trust's
                    # ELBO weights.
                    no_labels = packed.clone()
                    no_labels[:, 1] = 0.0
                    self.net_.partial_fit(X32, no_labels, epochs=warmup)
                self.net_.partial_fit(X32, packed, epochs=epochs)
        self.n_fits_ += 1
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_warmup(self, X, y=None):
        """Train the VAE alone (eq. 1) on rows without labels: the paper's first epochs.

        With ``warm_start=True`` a later :meth:`fit` continues from these
        weights and skips its own warm-up; :meth:`transform` and
        :meth:`inverse_transform` work right away, which is what the first
        labelling step needs. Runs ``warmup_epochs`` epochs (at least one).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : ClusterLabelClassifier

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skvaeal.clusterlabel import ClusterLabelClassifier
        >>> X = load_digits().data[:200] / 16.0
        >>> clf = ClusterLabelClassifier(latent_dim=4, warmup_epochs=1, random_state=0)
        >>> clf.fit_warmup(X).transform(X[:3]).shape
        (3, 4)
        """
        X = validate_numeric_data(self, X, dtype=[np.float32, np.float64], reset=True)
        likelihood = resolve_likelihood(self.likelihood, X)
        with torch_rng_scope(self._seed(0), resolve_device(self.device)):
            # The head's size is unknown without labels; fit() rebuilds it.
            self._new_net(X, 1, likelihood)
            epochs = max(self._resolve_epochs(self.warmup_epochs, len(X)), 1)
            self.net_.partial_fit(torch.tensor(X, dtype=torch.float32), None, epochs=epochs)
        if hasattr(self, "classes_"):
            del self.classes_
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        return self

    def predict_proba(self, X):
        """Class probabilities from the softmax head on the mean code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        self._check_classifier_fitted()
        return self._net_proba(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
