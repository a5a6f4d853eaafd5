"""VAETransformer: a variational autoencoder as a scikit-learn transformer."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
from sklearn.utils.validation import check_is_fitted

from .._net import VAENet
from ..base import (VAE_PARAMETER_CONSTRAINTS, GeneratorMixin, LatentNetMixin, VAEDecoderMixin,
                    build_vae_modules, resolve_likelihood, vae_docs, vae_net_kwargs,
                    validate_numeric_data)
from ..nn import VAEModule
from ..utils import resolve_device, seed_from_random_state, torch_rng_scope
from ..utils._blocks import is_out_of_core
from ..utils._param_validation import Interval, fit_context


@vae_docs
class VAETransformer(VAEDecoderMixin, GeneratorMixin, LatentNetMixin,
                     ClassNamePrefixFeaturesOutMixin, BaseEstimator):
    """Variational autoencoder whose ``transform`` returns latent means.

    The VAE is trained without labels on all rows given to :meth:`fit`, as in
    Pourkamali-Anaraki & Wakin (2019), where a classifier and the active-learning
    query strategies then work in the low-dimensional latent space.
    The network is a skorch :class:`~skorch.NeuralNet` held as ``net_``.

    Parameters
    ----------
    latent_dim : int, default=8
        Dimension of the latent code (the paper uses 3 to 7 for 3 to 5 digits).
    %(architecture)s
    %(input_shape)s
    %(hidden_dims)s
    %(beta)s
    %(likelihood)s
    max_epochs : int or "auto", default="auto"
        The most epochs to train; training stops earlier when the loss has
        converged (``tol``). ``"auto"`` scales with the data: about 3,000
        optimiser steps, within 10 to 200 epochs (200 on the 1,797 scikit-learn
        digits, 10 on 60,000 MNIST images), so small and large pools get a
        similar amount of training.
    batch_size : int, default=128
        Used for training and for batched inference.
    lr : float, default=1e-3
    optimizer : str or torch.optim.Optimizer subclass, default="rmsprop"
        RMSprop as in the paper, with Keras' settings (``alpha=0.9``,
        ``eps=1e-7``; the paper used Keras) when named; also ``"adam"``,
        ``"adamw"``, ``"sgd"`` with torch's defaults.
    tol : float or None, default=1e-4
        Stop when the training loss (the validation loss with
        ``validation_fraction``) has not improved by at least ``tol`` times
        its best value for ``n_iter_no_change`` epochs in a row, as
        :class:`~sklearn.neural_network.MLPClassifier` does with its ``tol``
        (relative here, since the ELBO's scale depends on the data). ``None``
        trains for ``max_epochs``.
    validation_fraction : float in (0, 1), default=None
        Hold out this fraction of X for the stopping rule (and keep the
        weights of the best validation epoch). ``None`` trains on all rows.
    n_iter_no_change : int, default=20
        Epochs without improvement before training stops (more than
        ``MLPClassifier``'s 10: the ELBO is estimated with sampled codes, so
        one epoch's loss is noisier).
    %(precision)s
    %(channels_last)s
    %(device)s
    %(random_state)s
    %(verbose)s

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
    n_iter_ : int
        Epochs trained (at most the resolved ``max_epochs``).
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

    _parameter_constraints = {
        **VAE_PARAMETER_CONSTRAINTS,
        "tol": [None, Interval(Real, 0, 1, closed="left")],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, latent_dim=8, *, architecture="auto", input_shape="auto",
                 hidden_dims=None, beta=1.0, likelihood="auto", max_epochs="auto",
                 batch_size=128, lr=1e-3, optimizer="rmsprop", tol=1e-4,
                 validation_fraction=None, n_iter_no_change=20, precision="float32",
                 channels_last=False,
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
        self.tol = tol
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.precision = precision
        self.channels_last = channels_last
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _build_net(self, X, likelihood, seed):
        from skorch.callbacks import EarlyStopping, ProgressBar
        from skorch.dataset import Dataset
        from skorch.helper import predefined_split

        encoder, decoder, self.architecture_, self.input_shape_ = build_vae_modules(
            self, X.shape[1])
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
                monitor="valid_loss", patience=self.n_iter_no_change,
                threshold=self.tol or 0.0, threshold_mode="rel", load_best=True)))
        elif self.tol is not None:
            # The loss is an ELBO in nats per row, whose scale depends on the data: a
            # relative threshold means the same on digits as on MNIST.
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="train_loss", patience=self.n_iter_no_change, threshold=self.tol,
                threshold_mode="rel", load_best=False)))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        net = VAENet(
            VAEModule,
            module__encoder=encoder,
            module__decoder=decoder,
            train_split=train_split,
            callbacks=callbacks,
            **vae_net_kwargs(self, likelihood, len(X_train)),
        )
        return net, X_train

    # --------------------------------------------------------------- public API
    @fit_context(prefer_skip_nested_validation=True)
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
        X = validate_numeric_data(self, X, dtype=[np.float32, np.float64], reset=True)
        likelihood = resolve_likelihood(self.likelihood, X)
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
            self.net_, X_train = self._build_net(X32, likelihood, seed)
            self.net_.fit(X_train, None)
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        self.n_iter_ = len(self.loss_curve_)
        return self

    def score_samples(self, X):
        """Evidence lower bound (beta = 1) of each row, with the code at its posterior mean.

        Higher means the row is better explained by the model; useful for
        outlier detection and model comparison.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if is_out_of_core(X):
            return self._map_pool(self.score_samples, X)
        X = self._validate_X(X)
        if self.likelihood_ == "bernoulli" and (X.min() < 0 or X.max() > 1):
            raise ValueError("X must lie in [0, 1] for a model fitted with a Bernoulli likelihood.")
        return self.net_.elbo(X).astype(np.float64)

    def score(self, X, y=None):
        """Mean per-sample ELBO of X (higher is better); y is ignored.

        Lets :class:`~sklearn.model_selection.GridSearchCV` tune a VAE alone.
        """
        return float(np.mean(self.score_samples(X)))
