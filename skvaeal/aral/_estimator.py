"""ARALClassifier: the estimator of adversarial representation active learning (ARAL)."""

from numbers import Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..base import (ADVERSARIAL_PARAMETER_CONSTRAINTS, AdversarialVAEBase, ProbaPredictMixin,
                    is_large_image, resolve_architecture, resolve_input_shape,
                    resolve_likelihood, vae_docs, validate_numeric_data)
from .._semi import (SEMI_SUPERVISED_PARAMETER_CONSTRAINTS, append_unlabeled, choose_trust,
                     encode_semi_supervised_target, semi_docs)
from ..nn import (ARALModule, ConditionalConvGenerator, ConditionalEncoder,
                  ConditionalMLPGenerator, LatentDiscriminator, SemiSupervisedDiscriminator,
                  conv_discriminator_trunk, conv_encoder_trunk, mlp_discriminator_trunk)
from ..utils import check_numeric_X, check_positive_int, resolve_device, torch_rng_scope
from ..utils._param_validation import Interval, IntTuple, StrOptions, fit_context
from ._net import GENERATOR_LOSSES, ARALNet

__all__ = ["ARALClassifier"]

_NON_NEGATIVE_FINITE = Interval(Real, 0, np.inf, closed="left")
_POSITIVE_FINITE = Interval(Real, 0, np.inf, closed="neither")

#: Filters of the three convolutional blocks (the paper's SVHN/CIFAR-10 discriminator).
CONV_CLASSIFIER_DIMS = (64, 128, 128)
#: About this many optimiser steps for ``max_epochs="auto"``: an ARAL step makes three
#: updates and runs the discriminator on three pools, about 4 VAE steps' work. On the
#: digits (3 labels a class, 3 draws, small networks) 108 epochs (1,500 steps) scored
#: 0.860 on average and 80 (1,100 steps) 0.863, before the weight norm started from data.
ARAL_AUTO_STEPS = 1000

#: Rows narrower than this get the small networks of :data:`SMALL_INPUT_SIZES`.
SMALL_INPUT_FEATURES = 256
#: ``(latent_dim, hidden_dims, classifier_dims, discriminator_dims)`` for narrow rows. The
#: reference sizes are for MNIST's 784 pixels; on the digits' 64, before the weight norm
#: started from data, they scored 0.66 and 0.76 after 40 epochs (2 draws) where these
#: scored 0.82 to 0.84 (3 draws) at a fifth of the time per epoch, and a 100-d code on
#: these networks lost 0.04 on average against a 16-d one (80 epochs, 3 draws).
SMALL_INPUT_SIZES = (16, (128,), (256, 128, 64), (64,))
#: The same four for wider rows: the paper's MNIST setting and the reference code.
REFERENCE_SIZES = (100, (500, 500), (1000, 500, 250, 250, 250), (512, 512, 512, 512))

_SHARED = ("input_shape", "hidden_dims", "beta", "likelihood", "max_epochs",
           "batch_size", "lr", "precision", "channels_last", "device", "random_state",
           "verbose", "adversarial_weight", "warm_start")


@vae_docs
@semi_docs
class ARALClassifier(ProbaPredictMixin, ClassifierMixin, AdversarialVAEBase):
    """Adversarial representation active learning (ARAL) classifier.

    Mottaghi & Yeung (2019), *Adversarial Representation Active Learning*:
    VAAL's acquisition (Sinha et al., 2019) co-trained with a semi-supervised,
    class-conditional BiGAN. A class-conditional encoder ``E(x, y)`` and
    generator ``G(z, y)`` are shared by a VAE, whose codes a sampler ``S``
    learns to tell labelled from unlabelled, and a GAN whose discriminator
    is the classifier ``C``: a K-class semi-supervised discriminator
    (Salimans et al., 2016) that also judges the BiGAN triple ``(x, z, y)``.
    Unlabelled rows are conditioned on ``C(x)``, never on their true label.
    Every step of :meth:`fit` updates E and G (eq. 11), the discriminator
    (eq. 12) and the sampler (eq. 13); see :class:`~skvaeal.aral.ARALNet`.

    ``fit(X, y)`` follows scikit-learn's semi-supervised convention: ``y == -1``
    marks unlabelled rows. :meth:`predict_proba` is ``C``;
    :meth:`transform` the mean code ``E[z | x, C(x)]``; :meth:`score_samples`
    the sampler's probability that a row is labelled, whose lowest values
    :func:`~skvaeal.query.aral_sampling` queries (Algorithm 1);
    :meth:`sample` draws class-conditional rows from the generator.

    Defaults follow the paper's MNIST setting and, where it is silent, the
    official code; two departures (:doc:`/benchmarks`, "ARAL"): the
    generator draws its codes from the VAE's prior ``N(0, I)`` rather than a
    uniform (so both roles of ``G`` see one code distribution), and the
    encoder's BiGAN loss plays against the discriminator, as in BiGAN, where
    eq. 10 as printed would have it cooperate.

    Parameters
    ----------
    latent_dim : int or "auto", default="auto"
        ``d_z``. ``"auto"``: 100 (the paper's MNIST setting) for rows of at
        least 256 features, else 16.
    architecture : {"auto", "mlp", "conv"}, default="auto"
        ``"mlp"``: the paper's MNIST networks, MLPs on flat rows.
        ``"conv"``: convolutional encoder (:class:`~skvaeal.nn.ConvEncoder`'s
        layers), DCGAN generator and a three-block convolutional
        discriminator with dropout 0.5 (the paper's SVHN/CIFAR-10 setting)
        over ``input_shape``. ``"auto"``: ``"conv"`` for colour images of at
        least 16 pixels a side, else ``"mlp"`` (the paper uses MLPs on MNIST).
    %(input_shape)s
    hidden_dims : tuple of int, default=None
        Hidden widths of the encoder (after ``[x; y]``) and the generator
        (after ``[z; y]``); default ``(500, 500)``, or ``(128,)`` for rows of
        fewer than 256 features. For ``"conv"`` the last entry is the
        encoder's dense width, default 128.
    classifier_dims : tuple of int, default=None
        ``"mlp"``: widths of the discriminator's hidden layers, default
        ``(1000, 500, 250, 250, 250)`` (Dai et al., 2017), or
        ``(256, 128, 64)`` for rows of fewer than 256 features; ``"conv"``:
        the filters of its three blocks, default ``(64, 128, 128)``.
    discriminator_dims : tuple of int, default=None
        Hidden widths of the sampler ``S`` on the mean code; default
        ``(512, 512, 512, 512)`` (the reference code), or ``(64,)`` for rows
        of fewer than 256 features.
    input_noise : float, default=0.3
        Std of the Gaussian noise on the discriminator's input (training only).
    hidden_noise : float, default=0.5
        Std of the noise after its hidden layers (``"mlp"``) or the dropout
        rate between its blocks (``"conv"``).
    %(beta)s
    %(likelihood)s
    trd_weight : float, default=0.001
        ``lambda_trd``, on the ELBO (in nats per row) of eq. 5.
    adversarial_weight : float, default=0.001
        ``lambda_adv``, on the encoder's sampler-fooling loss.
    gan_weight : float, default=1.0
        ``lambda_gan``, on the GAN losses of eqs. 7, 8 and 10.
    cls_weight : float, default=1.0
        ``lambda_cls``, on the classification loss of eq. 9.
    generator_cls_weight : float, default=0.1
        Weight of a term the paper does not have: the cross-entropy of ``C``
        on the generated rows and the classes they were generated for, added
        to the generator's loss (AC-GAN, Odena et al., 2017). Feature
        matching ignores the class, so without it the generator may draw the
        same digit whatever ``y`` asks while eq. 9 teaches ``C`` that class
        for it: on the digits (30 labels, 40 epochs, 5 draws) ``C`` agreed
        with the asked class on 46 to 73 %% of ``sample`` rows at 0 and on
        all of them at 0.1, at much the same test accuracy (0.849 and 0.853
        on average; on the t10k digits with 100 labels, one seed, 0.791 and
        0.774 after 1,600 steps). 0 is the paper's eq. 11.
    generator_loss : {"feature_matching", "gan"}, default="feature_matching"
        ``"feature_matching"`` (Salimans et al., 2016), which the paper and
        the reference code use; ``"gan"``: eq. 7, non-saturating.
    %(unlabeled_trust)s
    %(trust_cv)s
    max_epochs : int or "auto", default="auto"
        Epochs per call to :meth:`fit`; an epoch is one pass over the larger
        pool. ``"auto"``: about 1,000 steps, within 10 to 200 epochs (the
        reference code runs 100 epochs per round).
    batch_size : int, default=100
        Rows of each pool per step; also the inference batch size.
    lr : float, default=1e-3
        Adam's learning rate for the encoder and generator (betas 0, 0.9999).
    lr_discriminator : float, default=3e-3
        Adam's learning rate for the discriminator and sampler (betas 0.5,
        0.9999).
    lr_decay : bool, default=True
        Keep the learning rates for the first two thirds of each fit's
        epochs, then decay them linearly towards zero (the reference code).
    %(precision)s
    %(channels_last)s
    %(device)s
    %(random_state)s
    warm_start : bool, default=False
        When True and already fitted on rows of the same width and the same
        classes, :meth:`fit` continues training the current networks, as
        the reference code does from one round to the next; new classes
        rebuild them.
    %(verbose)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skvaeal.aral.ARALNet
        ``net_.module_`` holds ``encoder``, ``generator`` and
        ``discriminator``; ``net_.sampler_`` is the sampler.
    latent_dim_ : int
        The code width ``latent_dim`` resolved for the data.
    architecture_ : {"mlp", "conv"}
    input_shape_ : tuple or None
    device_ : torch.device
    likelihood_ : {"bernoulli", "gaussian"}
    n_fits_ : int
    unlabeled_trust_ : float
        The trust of the last fit: ``unlabeled_trust``, or what ``"cv"`` chose.
    trust_scores_ : dict or None
        Out-of-fold scores of the trust candidates (``unlabeled_trust="cv"``).
    loss_curve_ : list of float
        Mean encoder-generator loss (eq. 11) per epoch.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal import ARALClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:300] / 16.0, y[:300].copy()
    >>> y[50:] = -1
    >>> clf = ARALClassifier(latent_dim=8, hidden_dims=(32,), classifier_dims=(64, 32),
    ...                      discriminator_dims=(32,), max_epochs=2, unlabeled_trust=1.0,
    ...                      random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape, clf.score_samples(X[:2]).shape
    ((2, 10), (2,))
    >>> X_new, y_new = clf.sample(4, y=[0, 1, 2, 3], random_state=0)
    >>> X_new.shape, y_new.tolist()
    ((4, 64), [0, 1, 2, 3])
    """

    _parameter_constraints = {
        **{name: ADVERSARIAL_PARAMETER_CONSTRAINTS[name] for name in _SHARED},
        **SEMI_SUPERVISED_PARAMETER_CONSTRAINTS,
        "latent_dim": [StrOptions({"auto"}), *ADVERSARIAL_PARAMETER_CONSTRAINTS["latent_dim"]],
        "architecture": [StrOptions({"auto", "mlp", "conv"})],
        "classifier_dims": [None, IntTuple(1)],
        "discriminator_dims": [None, *ADVERSARIAL_PARAMETER_CONSTRAINTS["discriminator_dims"]],
        "input_noise": [_NON_NEGATIVE_FINITE],
        "hidden_noise": [_NON_NEGATIVE_FINITE],
        "trd_weight": [_NON_NEGATIVE_FINITE],
        "gan_weight": [_NON_NEGATIVE_FINITE],
        "cls_weight": [_NON_NEGATIVE_FINITE],
        "generator_cls_weight": [_NON_NEGATIVE_FINITE],
        "generator_loss": [StrOptions(set(GENERATOR_LOSSES))],
        "lr_discriminator": [_POSITIVE_FINITE],
        "lr_decay": ["boolean"],
    }

    _auto_steps = ARAL_AUTO_STEPS

    #: Estimator parameters that are ARALNet parameters of the same name.
    _NET_PARAMS = ("trd_weight", "adversarial_weight", "gan_weight", "cls_weight",
                   "generator_cls_weight", "generator_loss", "lr_discriminator", "lr_decay")

    def __init__(self, latent_dim="auto", *, architecture="auto", input_shape="auto",
                 hidden_dims=None, classifier_dims=None, discriminator_dims=None,
                 input_noise=0.3, hidden_noise=0.5, beta=1.0, likelihood="auto",
                 trd_weight=0.001, adversarial_weight=0.001, gan_weight=1.0, cls_weight=1.0,
                 generator_cls_weight=0.1, generator_loss="feature_matching",
                 unlabeled_trust="cv", trust_cv=2,
                 max_epochs="auto", batch_size=100, lr=1e-3, lr_discriminator=3e-3,
                 lr_decay=True, precision="float32", channels_last=False, device="auto",
                 random_state=None, warm_start=False, verbose=0):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_dims = hidden_dims
        self.classifier_dims = classifier_dims
        self.discriminator_dims = discriminator_dims
        self.input_noise = input_noise
        self.hidden_noise = hidden_noise
        self.beta = beta
        self.likelihood = likelihood
        self.trd_weight = trd_weight
        self.adversarial_weight = adversarial_weight
        self.gan_weight = gan_weight
        self.cls_weight = cls_weight
        self.generator_cls_weight = generator_cls_weight
        self.generator_loss = generator_loss
        self.unlabeled_trust = unlabeled_trust
        self.trust_cv = trust_cv
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_discriminator = lr_discriminator
        self.lr_decay = lr_decay
        self.precision = precision
        self.channels_last = channels_last
        self.device = device
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    @property
    def _n_features_out(self):
        return self.latent_dim_

    def _sizes(self, n_features):
        """``(latent_dim, hidden_dims, classifier_dims, discriminator_dims)`` for the data."""
        defaults = SMALL_INPUT_SIZES if n_features < SMALL_INPUT_FEATURES else REFERENCE_SIZES
        given = (None if self.latent_dim == "auto" else self.latent_dim, self.hidden_dims,
                 self.classifier_dims, self.discriminator_dims)
        return tuple(default if value is None else value
                     for value, default in zip(given, defaults))

    def _modules(self, n_features, n_classes):
        """``(encoder, generator, discriminator)`` named by the parameters."""
        shape = resolve_input_shape(self.input_shape, n_features)
        colour = shape is not None and shape[0] > 1
        arch, shape = resolve_architecture(self.architecture, self.input_shape, n_features,
                                           auto_conv=colour and is_large_image(shape))
        self.architecture_, self.input_shape_ = arch, shape
        if arch == "conv" and self.hidden_noise >= 1:
            raise ValueError(
                "hidden_noise is the dropout rate of the convolutional discriminator and must "
                f"be below 1; got {self.hidden_noise!r}.")
        d, hidden, classifier, _ = self._sizes(n_features)
        self.latent_dim_ = d
        if arch == "conv":
            width = self.hidden_dims[-1] if self.hidden_dims else 128
            trunk, width = conv_encoder_trunk(shape, width, self.channels_last)
            encoder = ConditionalEncoder(trunk, width, n_classes, d, hidden_dims=())
            generator = ConditionalConvGenerator(d, n_classes, shape)
            trunk, width = conv_discriminator_trunk(
                shape, self.classifier_dims or CONV_CLASSIFIER_DIMS, dropout=self.hidden_noise,
                input_noise=self.input_noise)
        else:
            hidden = tuple(hidden)
            encoder = ConditionalEncoder(torch.nn.Identity(), n_features, n_classes, d, hidden)
            generator = ConditionalMLPGenerator(d, n_classes, n_features, hidden)
            trunk, width = mlp_discriminator_trunk(
                n_features, classifier, input_noise=self.input_noise,
                hidden_noise=self.hidden_noise)
        return encoder, generator, SemiSupervisedDiscriminator(trunk, width, n_classes, d)

    def _new_net(self, X, n_classes, likelihood, epochs):
        self.device_ = resolve_device(self.device)
        self.likelihood_ = likelihood
        encoder, generator, discriminator = self._modules(X.shape[1], n_classes)
        self.net_ = ARALNet(
            ARALModule, module__encoder=encoder, module__generator=generator,
            module__discriminator=discriminator, module__n_classes=n_classes,
            sampler=LatentDiscriminator, sampler__latent_dim=self.latent_dim_,
            sampler__hidden_dims=tuple(self._sizes(X.shape[1])[3]),
            **{name: getattr(self, name) for name in self._NET_PARAMS},
            criterion__beta=self.beta, criterion__likelihood=likelihood,
            lr=self.lr, max_epochs=epochs,
            batch_size=self.batch_size, precision=self.precision, device=self.device_,
            verbose=int(self.verbose))
        self.net_.initialize()
        self.n_fits_ = 0

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
            More unlabelled rows, appended to X with ``y = -1``
            (``learner.teach(X_new, y_new, X_unlabeled=X_pool)``).

        Returns
        -------
        self : ARALClassifier
        """
        n_features_before = getattr(self, "n_features_in_", None)
        X, y = validate_numeric_data(self, X, y, dtype=[np.float32, np.float64], reset=True,
                                     y_numeric=False, multi_output=False)
        y = column_or_1d(y, warn=True)
        X, y = append_unlabeled(X, y, X_unlabeled)
        classes, target = encode_semi_supervised_target(y, type(self).__name__)
        likelihood = resolve_likelihood(self.likelihood, X)
        epochs, _ = self._epochs(target)
        warm = (self._can_warm_start(n_features_before, X.shape[1])
                and likelihood == self.likelihood_
                and np.array_equal(getattr(self, "classes_", None), classes))
        trust, self.trust_scores_ = choose_trust(self, X, target,
                                                 seed=self._seed(getattr(self, "n_fits_", 0)))
        self.unlabeled_trust_ = trust
        X32 = torch.tensor(X, dtype=torch.float32)
        target = torch.from_numpy(target)
        n_fits = self.n_fits_ if warm else 0
        with torch_rng_scope(self._seed(n_fits), resolve_device(self.device)):
            if warm:
                self.net_.set_params(**{name: getattr(self, name) for name in self._NET_PARAMS})
                self.net_.criterion_.beta = self.beta
            else:
                self._new_net(X, len(classes), likelihood, epochs)
            self.net_.max_epochs = epochs  # the learning-rate schedule spans this fit
            self.net_.unlabeled_trust = float(trust)
            self.net_.partial_fit(X32, target)
        self.classes_ = classes
        self.n_fits_ += 1
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        return self

    def predict_proba(self, X):
        """Class probabilities ``C(x)`` of the discriminator's class head.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "net_")
        return self._net_proba(X)

    def _class_indices(self, y, n):
        """Indices into ``classes_`` for labels ``y`` (one label, or one per row)."""
        y = np.asarray(y, dtype=object)
        y = np.full(n, y.item(), dtype=object) if y.ndim == 0 else column_or_1d(y)
        if len(y) != n:
            raise ValueError(f"y has {len(y)} labels for {n} codes; pass one per code.")
        position = {label: i for i, label in enumerate(self.classes_.tolist())}
        unknown = sorted({repr(v) for v in y.tolist() if v not in position})
        if unknown:
            raise ValueError(
                f"y holds labels that are not classes of this classifier: {', '.join(unknown)}; "
                f"classes_ are {self.classes_.tolist()!r}.")
        index = np.array([position[v] for v in y.tolist()], dtype=np.int64)
        return index

    def inverse_transform(self, X, y):
        """Rows ``G(z, y)`` generated from codes and classes.

        The generator is class-conditional, so a code alone does not name a
        row: pass the class of each (as :meth:`transform` encodes a row under
        ``C(x)``, ``inverse_transform(transform(X), predict(X))`` reconstructs).

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Codes.
        y : label or array-like of shape (n_samples,)
            Classes, from ``classes_``.

        Returns
        -------
        X_rows : ndarray of shape (n_samples, n_features)
            Probabilities (Bernoulli likelihood) or means.
        """
        check_is_fitted(self, "net_")
        Z = check_numeric_X(X, "X", dtype=np.float64)
        if Z.shape[1] != self.latent_dim_:
            raise ValueError(
                f"X must hold codes of shape (n_samples, {self.latent_dim_}); got shape "
                f"{Z.shape}.")
        index = self._class_indices(y, len(Z))
        return self.net_.generate(Z, index).astype(np.float64)

    def sample(self, n_samples=1, y=None, random_state=None):
        """Generate class-conditional rows ``G(z, y)`` with ``z ~ N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
        y : label or array-like of shape (n_samples,), default=None
            The class of each row; ``None`` draws classes uniformly.
        random_state : int, RandomState instance or None, default=None
            Seeds the codes (and classes); independent of the estimator's.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The classes the rows were generated for, as
            :meth:`sklearn.mixture.GaussianMixture.sample` returns its
            components.
        """
        check_is_fitted(self, "net_")
        n_samples = check_positive_int(n_samples, "n_samples")
        rng = check_random_state(random_state)
        Z = rng.standard_normal((n_samples, self.latent_dim_))
        if y is None:
            y = self.classes_[rng.randint(len(self.classes_), size=n_samples)]
        index = self._class_indices(y, n_samples)
        return self.net_.generate(Z, index).astype(np.float64), self.classes_[index]
