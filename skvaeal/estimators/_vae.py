"""VAETransformer: a variational autoencoder as a scikit-learn transformer."""

import math
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._net import VAENet
from ..nn import ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder, VAEModule
from ..utils import (check_fitted_shape, check_positive_int, resolve_device,
                     seed_from_random_state, torch_rng_scope)

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}
_ARCHITECTURES = ("auto", "mlp", "conv")
# Small "images" (sklearn digits are 8x8) train faster and code better with the MLP:
# on digits, 8-d codes after 30 epochs gave an SVC 0.89 (MLP) vs 0.62 (conv) accuracy.
_MIN_AUTO_IMAGE_SIDE = 16


def _resolve_optimizer(optimizer):
    if isinstance(optimizer, str):
        try:
            return _OPTIMIZERS[optimizer.lower()]
        except KeyError:
            raise ValueError(
                f"optimizer must be one of {sorted(_OPTIMIZERS)} or a torch.optim.Optimizer "
                f"subclass; got {optimizer!r}."
            ) from None
    if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        return optimizer
    raise TypeError(
        f"optimizer must be a name such as 'rmsprop' or a torch.optim.Optimizer subclass; "
        f"got {optimizer!r}."
    )


def _resolve_input_shape(input_shape, n_features):
    """Return ``(C, H, W)`` or ``None`` (not an image)."""
    if input_shape is None:
        return None
    if isinstance(input_shape, str):
        if input_shape != "auto":
            raise ValueError(f"input_shape must be 'auto', None or a tuple; got {input_shape!r}.")
        side = math.isqrt(n_features)
        return (1, side, side) if side * side == n_features else None
    shape = tuple(input_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or not all(isinstance(s, numbers.Integral) and s > 0 for s in shape):
        raise ValueError(
            f"input_shape must be (height, width) or (channels, height, width) of positive "
            f"ints; got {input_shape!r}."
        )
    if math.prod(shape) != n_features:
        raise ValueError(
            f"input_shape={input_shape!r} holds {math.prod(shape)} values, but X has "
            f"{n_features} features per row."
        )
    return tuple(int(s) for s in shape)


def build_vae_modules(est, n_features):
    """Encoder and decoder named by an estimator's VAE parameters.

    Shared by every estimator with ``latent_dim``, ``architecture``, ``input_shape``,
    ``hidden_dims`` and ``channels_last`` parameters, so these mean one thing across
    the package.

    Returns
    -------
    encoder, decoder : torch.nn.Module
    architecture_ : {"mlp", "conv", "custom"}
    input_shape_ : tuple or None
    """
    arch = est.architecture
    if isinstance(arch, (tuple, list)):
        if len(arch) != 2 or not all(isinstance(m, torch.nn.Module) for m in arch):
            raise TypeError(
                "architecture must be 'auto', 'mlp', 'conv' or a pair "
                "(encoder, decoder) of torch.nn.Module instances."
            )
        import copy

        encoder, decoder = copy.deepcopy(tuple(arch))
        return encoder, decoder, "custom", None
    if arch not in _ARCHITECTURES:
        raise ValueError(
            f"architecture must be one of {_ARCHITECTURES} or an (encoder, decoder) pair; "
            f"got {arch!r}."
        )
    input_shape = _resolve_input_shape(est.input_shape, n_features)
    if arch == "auto":
        is_image = (input_shape is not None
                    and min(input_shape[1:]) >= _MIN_AUTO_IMAGE_SIDE)
        arch = "conv" if is_image else "mlp"
    if arch == "conv":
        if input_shape is None:
            raise ValueError(
                f"architecture='conv' needs an image: X has {n_features} features, which "
                "is not a perfect square; pass input_shape=(channels, height, width)."
            )
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


class _LatentNetMixin(TransformerMixin):
    """What every estimator holding a VAE-style skorch ``net_`` shares.

    A ``TransformerMixin`` itself, because scikit-learn wraps ``transform`` for
    ``set_output`` only in the class that defines it.

    Validation of X after fit, ``transform`` to latent means, and keeping
    ``device_`` in step with the net when a pickle made on a GPU is loaded on a
    machine without one.
    """

    def _validate_X(self, X):
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # transform() gives latent means in the input's float dtype.
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

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
        X = self._validate_X(X)
        return self.net_.encode(X).astype(X.dtype, copy=False)

    def __setstate__(self, state):
        super().__setstate__(state)
        # skorch maps a CUDA-trained net onto the CPU when CUDA is missing; follow it.
        if "net_" in state:
            self.device_ = torch.device(self.net_.device)


class VAETransformer(_LatentNetMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """Variational autoencoder whose ``transform`` returns latent means.

    The VAE is trained without labels on all rows given to :meth:`fit`, as in
    Pourkamali-Anaraki & Wakin (2019), where a classifier and the active-learning
    query strategies then work in the low-dimensional latent space.
    The network is a skorch :class:`~skorch.NeuralNet` held as ``net_``.

    Parameters
    ----------
    latent_dim : int, default=8
        Dimension of the latent code (the paper uses 3 to 7 for 3 to 5 digits).
    architecture : {"auto", "mlp", "conv"} or (encoder, decoder), default="auto"
        ``"mlp"``: fully connected. ``"conv"``: the paper's four-layer
        convolutional encoder and a mirrored transposed-conv decoder over
        ``input_shape``. ``"auto"``: ``"conv"`` when ``input_shape`` resolves to
        an image with sides of at least 16 pixels, else ``"mlp"``. A pair of
        :class:`torch.nn.Module` instances is used as given (copied at each
        fit): the encoder maps ``(n, n_features)`` rows to ``(mu, logvar)`` and
        the decoder maps ``(n, latent_dim)`` codes back to ``(n, n_features)``.
    input_shape : "auto", None or tuple of int, default="auto"
        Shape of one image, ``(H, W)`` or ``(C, H, W)``, whose product is the
        number of features; rows are reshaped to it for ``"conv"``. ``"auto"``
        reads a perfect-square number of features as one square channel.
    hidden_dims : tuple of int, default=None
        MLP hidden widths (encoder side; the decoder mirrors them), default
        ``(256, 128)``; for ``"conv"`` the last entry is the width of the dense
        layer after the convolutions, default 128.
    beta : float, default=1.0
        Weight of the KL term (beta-VAE).
    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
        ``"bernoulli"`` (binary cross-entropy) needs X in [0, 1];
        ``"gaussian"`` (unit variance) suits standardised data; ``"auto"`` picks
        ``"bernoulli"`` when X lies in [0, 1].
    max_epochs : int, default=20
    batch_size : int, default=128
        Used for training and for batched inference.
    lr : float, default=1e-3
    optimizer : str or torch.optim.Optimizer subclass, default="rmsprop"
        RMSprop as in the paper; also ``"adam"``, ``"adamw"``, ``"sgd"``.
    validation_fraction : float in (0, 1), default=None
        Hold out this fraction of X and stop early when its loss has not
        improved for ``n_iter_no_change`` epochs. ``None`` trains on all rows.
    n_iter_no_change : int, default=5
    precision : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` autocasts forward passes: often about twice as fast on
        CPUs with AVX-512/AMX and on recent GPUs, at a small cost in accuracy.
    channels_last : bool, default=False
        Channels-last memory format for the convolutional layers.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
        ``"auto"`` uses CUDA when available. Outputs are always numpy on CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and reparameterisation noise;
        the same int gives identical codes on CPU. Global RNGs are untouched.
    verbose : int, default=0
        1 prints skorch's per-epoch table, 2 also shows a progress bar.

    Attributes
    ----------
    net_ : skvaeal._net.VAENet
        The fitted skorch net; ``net_.module_`` is the torch module.
    device_ : torch.device
    architecture_ : {"mlp", "conv", "custom"}
    input_shape_ : tuple or None
    likelihood_ : {"bernoulli", "gaussian"}
    loss_curve_ : list of float
        Mean training loss (negative beta-ELBO per sample) per epoch.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    See Also
    --------
    sklearn.decomposition.PCA : the linear counterpart.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal import VAETransformer
    >>> X = load_digits().data / 16.0
    >>> vae = VAETransformer(latent_dim=2, max_epochs=2, random_state=0).fit(X)
    >>> vae.transform(X[:3]).shape
    (3, 2)
    >>> vae.sample(4, random_state=0).shape
    (4, 64)
    """

    def __init__(self, latent_dim=8, *, architecture="auto", input_shape="auto",
                 hidden_dims=None, beta=1.0, likelihood="auto", max_epochs=20,
                 batch_size=128, lr=1e-3, optimizer="rmsprop", validation_fraction=None,
                 n_iter_no_change=5, precision="float32", channels_last=False,
                 device="auto", random_state=None, verbose=0):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_dims = hidden_dims
        self.beta = beta
        self.likelihood = likelihood
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.precision = precision
        self.channels_last = channels_last
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    @property
    def _n_features_out(self):
        return self.latent_dim

    def _check_params(self, X):
        check_positive_int(self.latent_dim, "latent_dim")
        check_positive_int(self.max_epochs, "max_epochs")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.n_iter_no_change, "n_iter_no_change")
        for name in ("beta", "lr"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
                raise ValueError(f"{name} must be a non-negative float; got {value!r}.")
        if self.lr == 0:
            raise ValueError("lr must be > 0; got 0.")
        if self.validation_fraction is not None and not (
                isinstance(self.validation_fraction, numbers.Real)
                and 0 < self.validation_fraction < 1):
            raise ValueError(
                f"validation_fraction must be None or a float in (0, 1); "
                f"got {self.validation_fraction!r}."
            )
        if self.precision not in ("float32", "bfloat16"):
            raise ValueError(
                f"precision must be 'float32' or 'bfloat16'; got {self.precision!r}."
            )
        likelihood = self.likelihood
        in_unit_range = bool(X.min() >= 0 and X.max() <= 1)
        if likelihood == "auto":
            likelihood = "bernoulli" if in_unit_range else "gaussian"
        elif likelihood == "bernoulli" and not in_unit_range:
            raise ValueError(
                "likelihood='bernoulli' needs X in [0, 1]; scale X first (e.g. MinMaxScaler) "
                "or use likelihood='gaussian'."
            )
        elif likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(
                f"likelihood must be 'auto', 'bernoulli' or 'gaussian'; got {likelihood!r}."
            )
        return likelihood, _resolve_optimizer(self.optimizer)

    def _build_modules(self, n_features):
        return build_vae_modules(self, n_features)

    def _build_net(self, X, likelihood, optimizer, seed):
        from skorch.callbacks import EarlyStopping, ProgressBar
        from skorch.dataset import Dataset
        from skorch.helper import predefined_split

        encoder, decoder, self.architecture_, self.input_shape_ = self._build_modules(X.shape[1])
        callbacks = []
        train_split = None
        X_train = X
        if self.validation_fraction is not None:
            rng = np.random.RandomState(seed)
            order = rng.permutation(len(X))
            n_valid = max(1, int(round(self.validation_fraction * len(X))))
            if n_valid >= len(X):
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no training rows "
                    f"out of {len(X)}."
                )
            X_train = X[np.sort(order[n_valid:])]
            train_split = predefined_split(Dataset(X[np.sort(order[:n_valid])], None))
            callbacks.append(("early_stopping", EarlyStopping(
                patience=self.n_iter_no_change, load_best=True)))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        net = VAENet(
            VAEModule,
            module__encoder=encoder,
            module__decoder=decoder,
            criterion__beta=self.beta,
            criterion__likelihood=likelihood,
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            precision=self.precision,
            device=self.device_,
            verbose=int(self.verbose),
        )
        return net, X_train

    # --------------------------------------------------------------- public API
    def fit(self, X, y=None):
        """Train the VAE on the rows of X (unsupervised).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
            Present for API consistency; labels are not used.

        Returns
        -------
        self : VAETransformer
        """
        X = validate_data(self, X, dtype=[np.float32, np.float64], reset=True)
        likelihood, optimizer = self._check_params(X)
        self.device_ = resolve_device(self.device)
        self.likelihood_ = likelihood
        seed = seed_from_random_state(self.random_state)
        if X.dtype == np.float32 and X.flags.writeable and X.flags.c_contiguous:
            # Training only reads X, so share the caller's memory rather than copy it
            # (a read-only array would make torch warn, so it is copied).
            X32 = torch.from_numpy(X)
        else:
            X32 = torch.tensor(X, dtype=torch.float32)
        with torch_rng_scope(seed, self.device_):
            self.net_, X_train = self._build_net(X32, likelihood, optimizer, seed)
            self.net_.fit(X_train, None)
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        return self

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
        check_is_fitted(self)
        Z = check_fitted_shape(X, self.latent_dim, "X")
        return self.net_.decode(Z).reshape(len(Z), -1).astype(Z.dtype, copy=False)

    def sample(self, n_samples=1, random_state=None):
        """Generate rows by decoding codes drawn from the prior ``N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seeds the codes; independent of the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        n_samples = check_positive_int(n_samples, "n_samples")
        rng = check_random_state(random_state)
        Z = rng.standard_normal((n_samples, self.latent_dim))
        return self.inverse_transform(Z)

    def score_samples(self, X):
        """Evidence lower bound (beta = 1) of each row, with the code at its posterior mean.

        Higher means the row is better explained by the model; useful for
        outlier detection and model comparison.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        if self.likelihood_ == "bernoulli" and (X.min() < 0 or X.max() > 1):
            raise ValueError("X must lie in [0, 1] for a model fitted with a Bernoulli likelihood.")
        return self.net_.elbo(X).astype(np.float64)

    def score(self, X, y=None):
        """Mean per-sample ELBO of X (higher is better); y is ignored.

        Lets :class:`~sklearn.model_selection.GridSearchCV` tune a VAE alone.
        """
        return float(np.mean(self.score_samples(X)))
