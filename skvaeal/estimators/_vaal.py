"""VAALSampler: the VAAL acquisition model as a scikit-learn estimator."""

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._net import VAALNet
from .._net._vaal import UNLABELED
from ..nn import LatentDiscriminator, VAEModule
from ..utils import check_positive_int, resolve_device, seed_from_random_state, torch_rng_scope
from ._vae import _LatentNetMixin, _resolve_optimizer, build_vae_modules

_MAX_SEED = np.iinfo(np.int32).max


def _labeled_rows(y):
    """Boolean mask of the labelled rows of a semi-supervised target.

    A boolean ``y`` is the mask itself; otherwise rows equal to ``-1`` are
    unlabelled (scikit-learn's semi-supervised convention) and every other
    value marks a labelled row.

    Examples
    --------
    >>> from skvaeal.estimators._vaal import _labeled_rows
    >>> _labeled_rows([3, -1, 0]).tolist()
    [True, False, True]
    >>> _labeled_rows([True, False]).tolist()
    [True, False]
    """
    y = np.asarray(y)
    if y.dtype == bool:
        return y.copy()
    if y.dtype.kind in "iuf":
        return y != -1
    # Object or string labels: -1 may still appear as an int or as the string "-1".
    return np.array([not (v == -1 or (isinstance(v, str) and v == "-1")) for v in y],
                    dtype=bool)


def _check_real(value, name, *, minimum=0.0, strict=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a float; got {value!r}.")
    if value < minimum or (strict and value == minimum):
        sign = ">" if strict else ">="
        raise ValueError(f"{name} must be {sign} {minimum}; got {value!r}.")
    return float(value)


def _expected_failed_checks(estimator=None):
    """scikit-learn estimator checks that :class:`VAALSampler` is expected to fail: none.

    Returns
    -------
    dict
    """
    return {}


class _AdversarialVAEBase(_LatentNetMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """Parameter checks, module building and seeding shared by VAAL and ASSAL."""

    @property
    def _n_features_out(self):
        return self.latent_dim

    def _check_common(self, X):
        check_positive_int(self.latent_dim, "latent_dim")
        check_positive_int(self.max_epochs, "max_epochs")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.n_vae_steps, "n_vae_steps")
        _check_real(self.beta, "beta")
        _check_real(self.adversarial_weight, "adversarial_weight")
        _check_real(self.lr, "lr", strict=True)
        if self.precision not in ("float32", "bfloat16"):
            raise ValueError(f"precision must be 'float32' or 'bfloat16'; got {self.precision!r}.")
        dims = self.discriminator_dims
        if (not isinstance(dims, (tuple, list))
                or not all(isinstance(d, numbers.Integral) and d > 0 for d in dims)):
            raise ValueError(
                f"discriminator_dims must be a tuple of positive ints; got {dims!r}.")
        in_unit_range = bool(X.min() >= 0 and X.max() <= 1)
        likelihood = self.likelihood
        if likelihood == "auto":
            likelihood = "bernoulli" if in_unit_range else "gaussian"
        elif likelihood == "bernoulli" and not in_unit_range:
            raise ValueError(
                "likelihood='bernoulli' needs X in [0, 1]; scale X first (e.g. MinMaxScaler) "
                "or use likelihood='gaussian'."
            )
        elif likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(
                f"likelihood must be 'auto', 'bernoulli' or 'gaussian'; got {likelihood!r}.")
        return likelihood, _resolve_optimizer(self.optimizer)

    def _build_vae_parts(self, n_features):
        # The same builder as VAETransformer, so "mlp"/"conv"/custom mean one thing.
        return build_vae_modules(self, n_features)

    def _seed(self, n_previous_fits):
        # A warm-started refit must not replay the first fit's shuffles and noise.
        seed = seed_from_random_state(self.random_state)
        return (seed + 104729 * n_previous_fits) % (_MAX_SEED + 1)

    def _can_warm_start(self, n_features_before, n_features):
        return bool(self.warm_start) and hasattr(self, "net_") and n_features_before == n_features

    def _net_kwargs(self, likelihood, optimizer):
        return dict(
            criterion__beta=self.beta,
            criterion__likelihood=likelihood,
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            precision=self.precision,
            device=self.device_,
            verbose=int(self.verbose),
            adversarial_weight=self.adversarial_weight,
            n_vae_steps=self.n_vae_steps,
        )

    def score_samples(self, X):
        """Sampler probability ``S(mu(x))`` that each row belongs to the labelled pool.

        Low values mark rows unlike the labelled ones: the rows to query.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,), in [0, 1]
        """
        check_is_fitted(self, "net_")
        X = self._validate_X(X)
        return self.net_.predict_labeled_proba(X).astype(np.float64)

    def _transform_and_score(self, X):
        """:meth:`transform` and :meth:`score_samples` from one encoder pass."""
        check_is_fitted(self, "net_")
        X = self._validate_X(X)
        Z, proba = self.net_.encode_and_score(X)
        return Z.astype(X.dtype, copy=False), proba.astype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


class VAALSampler(_AdversarialVAEBase):
    """Variational adversarial active learning's sampler (Sinha et al., 2019).

    A VAE learns codes for the labelled and the unlabelled rows while a
    discriminator ``S`` on the mean code learns to tell the two pools apart
    (labelled -> 1, unlabelled -> 0) and the encoder learns to fool it. Rows
    the trained ``S`` scores lowest are the least like the labelled set; VAAL
    queries them (:func:`~skvaeal.query.vaal_sampling`).

    ``fit(X, y)`` follows scikit-learn's semi-supervised convention: ``X``
    holds all rows and ``y == -1`` marks the unlabelled ones. Any other value
    marks a labelled row, so the class labels a semi-supervised classifier
    would get can be passed unchanged (they are not used); a boolean ``y`` is
    read as the "is labelled" mask. One ``(X, y)`` pair, rather than two
    arrays, keeps the estimator compatible with :func:`sklearn.base.clone`,
    pipelines and the estimator checks; :meth:`fit_pools` takes the two pools
    separately.

    Parameters
    ----------
    latent_dim : int, default=32
        Dimension of the code (32 in the reference code).
    architecture : {"auto", "mlp", "conv"} or (encoder, decoder), default="auto"
        As in :class:`~skvaeal.VAETransformer`.
    input_shape : "auto", None or tuple of int, default="auto"
        As in :class:`~skvaeal.VAETransformer`.
    hidden_dims : tuple of int, default=None
        As in :class:`~skvaeal.VAETransformer`.
    discriminator_dims : tuple of int, default=(512, 512)
        Hidden widths of ``S`` (512, 512 in the reference code).
    beta : float, default=1.0
        Weight of the KL term.
    adversarial_weight : float, default=1.0
        ``lambda_adv``, relative to the ELBO per input feature.
    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
    n_vae_steps : int, default=2
        VAE updates per discriminator update.
    max_epochs : int, default=20
        Passes over the larger pool per call to :meth:`fit`.
    batch_size : int, default=128
        Rows of each pool per step; also the inference batch size.
    lr : float, default=5e-4
        Learning rate of both optimizers.
    optimizer : str or torch.optim.Optimizer subclass, default="adam"
    precision : {"float32", "bfloat16"}, default="float32"
    channels_last : bool, default=False
        Channels-last memory format for the convolutional layers.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batches and noise; an int gives identical
        results on CPU. Global RNGs are untouched.
    warm_start : bool, default=False
        When True and the estimator is already fitted on rows of the same
        width, :meth:`fit` continues training the current networks for
        ``max_epochs`` instead of starting afresh: cheaper rounds of active
        learning, as the pools change by a few rows per round.
    verbose : int, default=0

    Attributes
    ----------
    net_ : skvaeal._net.VAALNet
        The skorch net; ``net_.module_`` is the VAE, ``net_.discriminator_`` is ``S``.
    device_ : torch.device
    likelihood_ : {"bernoulli", "gaussian"}
    n_fits_ : int
        Calls to :meth:`fit` that trained the current networks.
    loss_curve_ : list of float
        Mean VAE loss per epoch, over all fits of the current networks.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal import VAALSampler
    >>> X = load_digits().data[:200] / 16.0
    >>> is_labeled = np.arange(200) < 20
    >>> sampler = VAALSampler(latent_dim=4, max_epochs=2, random_state=0)
    >>> sampler = sampler.fit(X, is_labeled)
    >>> sampler.score_samples(X[:3]).shape
    (3,)
    >>> sampler.transform(X[:3]).shape
    (3, 4)
    """

    def __init__(self, latent_dim=32, *, architecture="auto", input_shape="auto",
                 hidden_dims=None, discriminator_dims=(512, 512), beta=1.0,
                 adversarial_weight=1.0, likelihood="auto", n_vae_steps=2, max_epochs=20,
                 batch_size=128, lr=5e-4, optimizer="adam", precision="float32",
                 channels_last=False, device="auto", random_state=None, warm_start=False,
                 verbose=0):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_dims = hidden_dims
        self.discriminator_dims = discriminator_dims
        self.beta = beta
        self.adversarial_weight = adversarial_weight
        self.likelihood = likelihood
        self.n_vae_steps = n_vae_steps
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

    def fit(self, X, y):
        """Train the VAE and the sampler on labelled and unlabelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All rows, labelled and unlabelled.
        y : array-like of shape (n_samples,)
            ``-1`` for unlabelled rows, anything else for labelled ones; or a
            boolean "is labelled" mask. With a single pool the sampler learns
            a constant, so scores are then uninformative.

        Returns
        -------
        self : VAALSampler
        """
        n_features_before = getattr(self, "n_features_in_", None)
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64], reset=True,
                             y_numeric=False, ensure_min_samples=1, multi_output=False)
        y = column_or_1d(y, warn=True)
        warm = self._can_warm_start(n_features_before, X.shape[1])
        target = np.where(_labeled_rows(y), 0, UNLABELED).astype(np.int64)
        likelihood, optimizer = self._check_common(X)
        if warm and likelihood != self.likelihood_:
            warm = False
        X32 = torch.tensor(X, dtype=torch.float32)
        y64 = torch.from_numpy(target)
        if warm:
            with torch_rng_scope(self._seed(self.n_fits_), self.device_):
                self.net_.partial_fit(X32, y64, epochs=self.max_epochs)
            self.n_fits_ += 1
        else:
            self.device_ = resolve_device(self.device)
            self.likelihood_ = likelihood
            with torch_rng_scope(self._seed(0), self.device_):
                encoder, decoder, self.architecture_, self.input_shape_ = (
                    self._build_vae_parts(X.shape[1]))
                discriminator = LatentDiscriminator(self.latent_dim, tuple(self.discriminator_dims))
                self.net_ = VAALNet(VAEModule, module__encoder=encoder, module__decoder=decoder,
                                    discriminator=discriminator,
                                    **self._net_kwargs(likelihood, optimizer))
                self.net_.fit(X32, y64)
            self.n_fits_ = 1
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        return self

    def fit_pools(self, X_labeled, X_unlabeled):
        """Fit on the two pools given separately.

        Parameters
        ----------
        X_labeled : array-like of shape (n_labeled, n_features)
        X_unlabeled : array-like of shape (n_unlabeled, n_features)

        Returns
        -------
        self : VAALSampler

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skvaeal import VAALSampler
        >>> X = load_digits().data[:100] / 16.0
        >>> s = VAALSampler(latent_dim=2, max_epochs=1, random_state=0).fit_pools(X[:10], X[10:])
        >>> s.n_features_in_
        64
        """
        X_labeled = np.asarray(X_labeled)
        X_unlabeled = np.asarray(X_unlabeled)
        if (X_labeled.ndim != 2 or X_unlabeled.ndim != 2
                or X_labeled.shape[1] != X_unlabeled.shape[1]):
            raise ValueError(
                "X_labeled and X_unlabeled must be 2-D with the same number of columns; got "
                f"shapes {X_labeled.shape} and {X_unlabeled.shape}."
            )
        X = np.concatenate([X_labeled, X_unlabeled])
        mask = np.arange(len(X)) < len(X_labeled)
        return self.fit(X, mask)
