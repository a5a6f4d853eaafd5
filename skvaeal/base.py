"""Bases, mixins and resolvers shared by every estimator that holds a skorch net (``net_``).

The shared core of the method packages: what ``VAETransformer``,
``VAALSampler``, ``ASSALClassifier`` and the methods to come have in common.

* Declared parameters: :data:`VAE_PARAMETER_CONSTRAINTS` lists the
  constraints of the VAE parameters once; each estimator merges them into its
  ``_parameter_constraints`` and validates at ``fit`` (scikit-learn's
  ``_fit_context``). :data:`vae_docs` fills the matching parameter docs.
* Resolvers for the data-dependent choices that constraints cannot express:
  the likelihood from the range of X, the image shape from the number of
  features, the optimizer class from its name, the encoder and decoder.
* :class:`LatentNetMixin` (input checks after fit, ``transform`` to latent
  means, dtype tags, device after unpickling) and
  :class:`AdversarialVAEBase` (a VAE against a latent discriminator).
"""

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .nn import ConvDecoder, ConvEncoder, LatentDiscriminator, MLPDecoder, MLPEncoder
from .utils import (MAX_SEED, UNLABELED, Substitution, check_fitted_shape, check_positive_int,
                    seed_from_random_state)
from .utils._blocks import is_out_of_core, map_row_blocks
from .utils._param_validation import (CaseInsensitiveOptions, Interval, IntTuple, ModulePair,
                                      StrOptions, SubclassOf)
from .utils._validation import explained_non_numeric

__all__ = [
    "ADVERSARIAL_PARAMETER_CONSTRAINTS",
    "AUTO_EPOCH_RANGE",
    "AUTO_STEPS",
    "AdversarialVAEBase",
    "GeneratorMixin",
    "LatentNetMixin",
    "MIN_AUTO_IMAGE_SIDE",
    "NetEstimatorMixin",
    "OPTIMIZER_DEFAULTS",
    "ProbaPredictMixin",
    "VAEDecoderMixin",
    "VAE_PARAMETER_CONSTRAINTS",
    "build_vae_modules",
    "is_large_image",
    "resolve_architecture",
    "resolve_input_shape",
    "resolve_likelihood",
    "resolve_max_epochs",
    "resolve_optimizer",
    "vae_docs",
    "vae_net_kwargs",
    "validate_numeric_data",
]

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}
#: Optimizer settings applied when an optimizer is named: Keras' RMSprop (rho=0.9,
#: epsilon=1e-7), which Pourkamali-Anaraki & Wakin (2019) trained with; torch's own
#: defaults are alpha=0.99 and eps=1e-8.
OPTIMIZER_DEFAULTS = {"rmsprop": {"alpha": 0.9, "eps": 1e-7}}
#: ``max_epochs="auto"``: about this many gradient steps, within AUTO_EPOCH_RANGE epochs,
#: so a small pool gets many passes and a large one a few, for a similar amount of training.
AUTO_STEPS = 3000
AUTO_EPOCH_RANGE = (10, 200)
# Small "images" (sklearn digits are 8x8) train faster and code better with the MLP:
# on digits, 8-d codes after 30 epochs gave an SVC 0.89 (MLP) vs 0.62 (conv) accuracy.
MIN_AUTO_IMAGE_SIDE = 16

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
# Upper bound np.inf with closed="left" excludes inf; Interval never contains nan.
_NON_NEGATIVE_FINITE = Interval(Real, 0, np.inf, closed="left")
_POSITIVE_FINITE = Interval(Real, 0, np.inf, closed="neither")

#: Constraints of the parameters every VAE-holding estimator shares.
VAE_PARAMETER_CONSTRAINTS = {
    "latent_dim": [_POSITIVE_INT],
    "architecture": [StrOptions({"auto", "mlp", "conv"}), ModulePair()],
    "input_shape": [StrOptions({"auto"}), None, IntTuple(1, lengths=(2, 3))],
    "hidden_dims": [None, IntTuple(1)],
    "beta": [_NON_NEGATIVE_FINITE],
    "likelihood": [StrOptions({"auto", "bernoulli", "gaussian"})],
    "max_epochs": [StrOptions({"auto"}), _POSITIVE_INT],
    "batch_size": [_POSITIVE_INT],
    "lr": [_POSITIVE_FINITE],
    "optimizer": [CaseInsensitiveOptions(OPTIMIZERS), SubclassOf(torch.optim.Optimizer)],
    "precision": [StrOptions({"float32", "bfloat16", "auto"})],
    "channels_last": ["boolean"],
    "device": [str, torch.device, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

#: Constraints added by a VAE trained against a latent discriminator.
ADVERSARIAL_PARAMETER_CONSTRAINTS = {
    **VAE_PARAMETER_CONSTRAINTS,
    "discriminator_dims": [IntTuple(1)],
    "adversarial_weight": [_NON_NEGATIVE_FINITE],
    "n_vae_steps": [_POSITIVE_INT],
    "warm_start": ["boolean"],
}

#: Parameter docs shared by the VAE-holding estimators: ``%(name)s`` markers in a
#: class docstring, each alone on its line, are replaced by these entries.
vae_docs = Substitution(
    architecture='''
    architecture : {"auto", "mlp", "conv"} or (encoder, decoder), default="auto"
        ``"mlp"``: fully connected. ``"conv"``: the four-layer convolutional
        encoder of Pourkamali-Anaraki & Wakin (2019) and a mirrored
        transposed-convolution decoder over ``input_shape``. ``"auto"``:
        ``"conv"`` when ``input_shape`` resolves to an image with sides of at
        least 16 pixels, else ``"mlp"``. A pair of :class:`torch.nn.Module`
        instances is used as given (copied at each fit): the encoder maps
        ``(n, n_features)`` rows to ``(mu, logvar)`` and the decoder maps
        ``(n, latent_dim)`` codes back to ``(n, n_features)``.''',
    input_shape='''
    input_shape : "auto", None or tuple of int, default="auto"
        Shape of one image, ``(H, W)`` or ``(C, H, W)``, whose product is the
        number of features; rows are reshaped to it for ``"conv"``. ``"auto"``
        reads a perfect-square number of features as one square channel.''',
    hidden_dims='''
    hidden_dims : tuple of int, default=None
        MLP hidden widths (encoder side; the decoder mirrors them), default
        ``(256, 128)``; for ``"conv"`` the last entry is the width of the dense
        layer after the convolutions, default 128.''',
    beta='''
    beta : float, default=1.0
        Weight of the KL term (beta-VAE), finite and >= 0.''',
    likelihood='''
    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
        ``"bernoulli"`` (binary cross-entropy) needs X in [0, 1];
        ``"gaussian"`` (unit variance) suits standardised data; ``"auto"`` picks
        ``"bernoulli"`` when X lies in [0, 1].''',
    precision='''
    precision : {"float32", "bfloat16", "auto"}, default="float32"
        ``"bfloat16"`` autocasts forward passes, at a small cost in accuracy;
        whether it is faster depends on the hardware (for the conv VAE, 0.74x
        float32 on one AVX-512 machine of ours and 1.75x on another with
        AMX-BF16, ``benchmarks/bench_vae_fit.py``). ``"auto"`` times a forward and
        backward pass of each on the first batch when training starts, and
        keeps bfloat16 only when it is at least 15% faster (the choice is in
        ``net_.precision_`` and is measured once per process and model
        layout).''',
    channels_last='''
    channels_last : bool, default=False
        Channels-last memory format for the convolutional layers.''',
    device='''
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
        ``"auto"`` uses CUDA when available. Outputs are always numpy on CPU.''',
    random_state='''
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and noise; the same int gives
        the same result on the same machine. Global RNGs are untouched.''',
    verbose='''
    verbose : int, default=0
        1 prints skorch's per-epoch table, 2 also shows a progress bar.''',
)


# ---------------------------------------------------------------------- resolvers
def resolve_optimizer(optimizer):
    """The optimizer class named by ``optimizer`` (validated: a name or a subclass).

    Examples
    --------
    >>> from skvaeal.base import resolve_optimizer
    >>> resolve_optimizer("RMSprop").__name__
    'RMSprop'
    """
    if isinstance(optimizer, str):
        return OPTIMIZERS[optimizer.lower()]
    return optimizer


def resolve_max_epochs(max_epochs, n_rows, batch_size, *, steps=AUTO_STEPS,
                       epoch_range=AUTO_EPOCH_RANGE):
    """The number of epochs ``max_epochs`` means for ``n_rows`` rows per epoch.

    ``"auto"``: about ``steps`` (:data:`AUTO_STEPS`, 3,000, for the VAEs)
    optimiser steps, so that 1,000 rows get about as much training as 60,000:
    200 epochs of 8 batches or 10 of 469, within ``epoch_range``
    (:data:`AUTO_EPOCH_RANGE`, 10 to 200 epochs).

    Examples
    --------
    >>> from skvaeal.base import resolve_max_epochs
    >>> resolve_max_epochs("auto", 1257, 128), resolve_max_epochs("auto", 60000, 128)
    (200, 10)
    >>> resolve_max_epochs(7, 60000, 128)
    7
    """
    if isinstance(max_epochs, str):  # "auto", the only string allowed
        steps_per_epoch = max(1, math.ceil(n_rows / batch_size))
        low, high = epoch_range
        return int(min(high, max(low, math.ceil(steps / steps_per_epoch))))
    return int(max_epochs)


def resolve_likelihood(likelihood, X):
    """``"bernoulli"`` or ``"gaussian"``: what ``likelihood`` means for this X.

    Raises
    ------
    ValueError
        For ``"bernoulli"`` when X leaves [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.base import resolve_likelihood
    >>> resolve_likelihood("auto", np.array([[0.2, 1.0]]))
    'bernoulli'
    >>> resolve_likelihood("auto", -np.ones((1, 1)))
    'gaussian'
    """
    in_unit_range = bool(X.min() >= 0 and X.max() <= 1)
    if likelihood == "auto":
        return "bernoulli" if in_unit_range else "gaussian"
    if likelihood == "bernoulli" and not in_unit_range:
        raise ValueError(
            "likelihood='bernoulli' needs X in [0, 1]; scale X first (e.g. MinMaxScaler) "
            "or use likelihood='gaussian'.")
    return likelihood


def resolve_input_shape(input_shape, n_features):
    """``(C, H, W)`` of one row seen as an image, or None (not an image).

    Examples
    --------
    >>> from skvaeal.base import resolve_input_shape
    >>> resolve_input_shape("auto", 784), resolve_input_shape("auto", 10)
    ((1, 28, 28), None)
    """
    if input_shape is None:
        return None
    if isinstance(input_shape, str):  # "auto", the only string allowed
        side = math.isqrt(n_features)
        return (1, side, side) if side * side == n_features else None
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"input_shape={input_shape!r} holds {math.prod(shape)} values, but X has "
            f"{n_features} features per row.")
    return shape


def is_large_image(shape):
    """Whether ``shape`` (from :func:`resolve_input_shape`) is an image of 16 pixels a side or more.

    The rule of ``architecture="auto"`` (convolutions) and ``augment="auto"``.
    """
    return shape is not None and min(shape[1:]) >= MIN_AUTO_IMAGE_SIDE


def resolve_architecture(architecture, input_shape, n_features, *, auto_conv=True):
    """``(architecture, input_shape_)``: what ``"auto"`` means, and the image shape checked.

    The rule every estimator with ``architecture`` and ``input_shape``
    parameters shares: ``"auto"`` is ``"conv"`` for an image of 16 pixels a
    side or more (:func:`is_large_image`) when ``auto_conv`` allows it, else
    ``"mlp"``; ``"conv"`` needs the rows to be images.

    Raises
    ------
    ValueError
        For ``"conv"`` when the rows are not images.

    Examples
    --------
    >>> from skvaeal.base import resolve_architecture
    >>> resolve_architecture("auto", "auto", 784), resolve_architecture("auto", "auto", 64)
    (('conv', (1, 28, 28)), ('mlp', (1, 8, 8)))
    """
    shape = resolve_input_shape(input_shape, n_features)
    if architecture == "auto":
        architecture = "conv" if auto_conv and is_large_image(shape) else "mlp"
    if architecture == "conv" and shape is None:
        raise ValueError(
            f"architecture='conv' needs an image: X has {n_features} features, which "
            "is not a perfect square; pass input_shape=(channels, height, width).")
    return architecture, shape


def build_vae_modules(est, n_features):
    """Encoder and decoder named by an estimator's VAE parameters.

    Shared by every estimator with ``latent_dim``, ``architecture``,
    ``input_shape``, ``hidden_dims`` and ``channels_last`` parameters, so these
    mean one thing across the package.

    Returns
    -------
    encoder, decoder : torch.nn.Module
    architecture_ : {"mlp", "conv", "custom"}
    input_shape_ : tuple or None
    """
    arch = est.architecture
    if isinstance(arch, (tuple, list)):
        encoder, decoder = copy.deepcopy(tuple(arch))
        return encoder, decoder, "custom", None
    arch, input_shape = resolve_architecture(arch, est.input_shape, n_features)
    if arch == "conv":
        hidden = est.hidden_dims[-1] if est.hidden_dims else 128
        encoder = ConvEncoder(input_shape, est.latent_dim, hidden_dim=hidden,
                              channels_last=est.channels_last)
        decoder = ConvDecoder(est.latent_dim, input_shape, hidden_dim=hidden,
                              channels_last=est.channels_last)
        return encoder, decoder, "conv", input_shape
    hidden = tuple(est.hidden_dims) if est.hidden_dims is not None else (256, 128)
    encoder = MLPEncoder(n_features, est.latent_dim, hidden)
    decoder = MLPDecoder(est.latent_dim, n_features, hidden[::-1])
    return encoder, decoder, "mlp", input_shape


def vae_net_kwargs(estimator, likelihood, n_rows):
    """The skorch net's keyword arguments named by an estimator's shared VAE parameters.

    ``estimator.device_`` must be resolved already; ``n_rows`` is the number of
    rows an epoch passes over (for ``max_epochs="auto"``).
    """
    optimizer = estimator.optimizer
    named = OPTIMIZER_DEFAULTS.get(optimizer.lower(), {}) if isinstance(optimizer, str) else {}
    return dict(
        criterion__beta=estimator.beta,
        criterion__likelihood=likelihood,
        optimizer=resolve_optimizer(optimizer),
        **{f"optimizer__{key}": value for key, value in named.items()},
        lr=estimator.lr,
        max_epochs=resolve_max_epochs(estimator.max_epochs, n_rows, estimator.batch_size),
        batch_size=estimator.batch_size,
        precision=estimator.precision,
        device=estimator.device_,
        verbose=int(estimator.verbose),
    )


def validate_numeric_data(estimator, X, y="no_validation", *, name="X", **kwargs):
    """scikit-learn's ``validate_data`` with an error naming ``name`` for non-numeric X."""
    with explained_non_numeric(X, name):
        return validate_data(estimator, X, y, **kwargs)


# ------------------------------------------------------------------------ mixins
class NetEstimatorMixin:
    """What every estimator holding a skorch ``net_`` shares, whatever its model.

    Validation of X after fit (float dtype kept), the dtype tags that go with
    it, and keeping ``device_`` in step with the net when a pickle made on a
    GPU is loaded on a machine without one.
    """

    def _validate_X(self, X):
        return validate_numeric_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def _map_pool(self, method, X, out_shape=(), *, keep_float=False):
        """``method`` over a dask array or memmap ``X``, a block of rows at a time.

        A pool larger than memory never passes through ``validate_data`` whole
        (it would be read, and converted to float, at once): its width is
        checked here, each block is validated by ``method`` itself, and a dask
        array gives a lazy dask array (:func:`~skvaeal.utils._blocks.map_row_blocks`).
        ``keep_float``: the result has X's float dtype (float64 for integers),
        as :meth:`transform` returns it; else float64.
        """
        n_features = int(np.prod(X.shape[1:], dtype=np.int64)) if X.ndim > 1 else 1
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input.")
        dtype = np.float64
        if keep_float and X.dtype in (np.float32, np.float64):
            dtype = X.dtype
        return map_row_blocks(method, X, out_shape=out_shape, dtype=dtype)

    def _seed(self, n_previous_fits):
        """The torch seed of a fit after ``n_previous_fits`` fits of these networks."""
        # A warm-started refit must not replay the first fit's shuffles and noise.
        seed = seed_from_random_state(self.random_state)
        return (seed + 104729 * n_previous_fits) % (MAX_SEED + 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            # The outputs of transform() keep the input's float dtype.
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def __setstate__(self, state):
        super().__setstate__(state)
        # skorch maps a CUDA-trained net onto the CPU when CUDA is missing; follow it.
        if "net_" in state:
            self.device_ = torch.device(self.net_.device)


class ProbaPredictMixin:
    """``predict`` and ``predict_log_proba`` of a classifier from its ``predict_proba``.

    For the net-holding classifiers, whose ``predict_proba`` checks that the
    estimator is fitted before ``classes_`` is read.
    """

    def _check_classifier_fitted(self):
        """NotFittedError before a fit with labels (a label-free warm-up leaves no classes_)."""
        check_is_fitted(self, "net_")
        if not hasattr(self, "classes_"):
            raise NotFittedError(
                f"This {type(self).__name__} was only warmed up without labels; call "
                "fit(X, y) before predicting.")

    def _net_proba(self, X):
        """``net_.predict_proba`` of validated X, as float64 rows that sum to 1 exactly."""
        X = self._validate_X(X)
        proba = self.net_.predict_proba(X).astype(np.float64)
        # float32 softmax rows may miss 1 by an ulp; sklearn users expect exact sums.
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)  # first: it raises NotFittedError before classes_ exists
        return self.classes_[np.argmax(proba, axis=1)]


class GeneratorMixin:
    """``sample``: rows from codes drawn from ``N(0, I)``, through ``inverse_transform``.

    For the generative estimators with a ``latent_dim`` and an
    ``inverse_transform`` from codes to rows (a VAE's decoder, a GAN's
    generator).
    """

    def sample(self, n_samples=1, random_state=None):
        """Generate rows from codes drawn from ``N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seeds the codes; independent of the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "net_")
        n_samples = check_positive_int(n_samples, "n_samples")
        Z = check_random_state(random_state).standard_normal((n_samples, self.latent_dim))
        return self.inverse_transform(Z)


class VAEDecoderMixin:
    """``inverse_transform`` through a VAE net's ``decode``: codes back to rows.

    For the estimators whose ``net_`` is a :class:`~skvaeal._net.VAENet` with
    an unconditional decoder (``VAETransformer``, ``ClusterLabelClassifier``).
    """

    def inverse_transform(self, X):
        """Decode latent codes into rows of the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. from :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Decoder means: probabilities for a Bernoulli likelihood.
        """
        check_is_fitted(self, "net_")
        Z = check_fitted_shape(X, self.latent_dim, "X")
        return self.net_.decode(Z).reshape(len(Z), -1).astype(Z.dtype, copy=False)


class LatentNetMixin(NetEstimatorMixin, TransformerMixin):
    """What every estimator holding a VAE-style skorch ``net_`` shares.

    A ``TransformerMixin`` itself, because scikit-learn wraps ``transform`` for
    ``set_output`` only in the class that defines it. On top of
    :class:`NetEstimatorMixin`: ``transform`` to latent means (float dtype
    preserved).
    """

    @property
    def _n_features_out(self):
        return self.latent_dim

    def transform(self, X):
        """Latent means ``E[z|x]`` of the rows of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            In X's float dtype (float64 for integer input).
        """
        check_is_fitted(self, "net_")
        if is_out_of_core(X):
            return self._map_pool(self.transform, X, (self.latent_dim,), keep_float=True)
        X = self._validate_X(X)
        return self.net_.encode(X).astype(X.dtype, copy=False)


class AdversarialVAEBase(LatentNetMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """A VAE trained against a latent discriminator: what VAAL, ASSAL and ARAL share.

    Subclasses declare their parameters on top of
    :data:`ADVERSARIAL_PARAMETER_CONSTRAINTS`, build their net (a subclass of
    ``skvaeal._net.AdversarialVAENet``) with :meth:`_net_kwargs`, and inherit
    :meth:`score_samples` (the discriminator's "labelled" probability) and
    :meth:`transform_and_score`.
    """

    _parameter_constraints = dict(ADVERSARIAL_PARAMETER_CONSTRAINTS)

    #: Optimiser steps ``max_epochs="auto"`` aims at; a method whose steps cost more
    #: sets fewer.
    _auto_steps = AUTO_STEPS

    def _epochs(self, target):
        """``max_epochs`` resolved for a target with ``-1`` for unlabelled rows.

        An epoch is one pass over the larger pool (``PoolPairLoader``).
        """
        n_unlabeled = int(np.count_nonzero(target == UNLABELED))
        n_rows = max(n_unlabeled, len(target) - n_unlabeled)
        return resolve_max_epochs(self.max_epochs, n_rows, self.batch_size,
                                  steps=self._auto_steps), n_rows

    def _can_warm_start(self, n_features_before, n_features):
        return bool(self.warm_start) and hasattr(self, "net_") and n_features_before == n_features

    def _net_kwargs(self, likelihood, n_rows):
        """Keyword arguments of the adversarial net shared by every subclass."""
        return dict(
            vae_net_kwargs(self, likelihood, n_rows),
            discriminator=LatentDiscriminator,
            discriminator__latent_dim=self.latent_dim,
            discriminator__hidden_dims=tuple(self.discriminator_dims),
            adversarial_weight=self.adversarial_weight,
            n_vae_steps=self.n_vae_steps,
        )

    def _check_sampler_fitted(self):
        check_is_fitted(self, "net_")

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
        self._check_sampler_fitted()
        if is_out_of_core(X):
            return self._map_pool(self.score_samples, X)
        X = self._validate_X(X)
        return self.net_.predict_labeled_proba(X).astype(np.float64)

    def transform_and_score(self, X):
        """:meth:`transform` and :meth:`score_samples` from one encoder pass.

        Strategies that need both (e.g. a diverse batch of low scores) call
        this instead of encoding the pool twice.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            As :meth:`transform` returns them.
        scores : ndarray of shape (n_samples,)
            As :meth:`score_samples` returns them.
        """
        self._check_sampler_fitted()
        if is_out_of_core(X):
            # One pass over the pool: codes and score side by side, split afterwards.
            def both(block):
                Z, proba = self.transform_and_score(block)
                return np.column_stack([Z.astype(np.float64), proba])

            ZS = self._map_pool(both, X, (self.latent_dim + 1,))
            dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
            return ZS[:, :-1].astype(dtype), ZS[:, -1]
        X = self._validate_X(X)
        Z, proba = self.net_.encode_and_score(X)
        return Z.astype(X.dtype, copy=False), proba.astype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
