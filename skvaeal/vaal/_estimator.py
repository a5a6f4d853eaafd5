"""VAALSampler: the VAAL acquisition model as a scikit-learn estimator."""

import numpy as np
import torch
from sklearn.utils.validation import column_or_1d

from ..base import (AdversarialVAEBase, build_vae_modules, resolve_likelihood, vae_docs,
                    validate_numeric_data)
from ..nn import VAEModule
from ..utils import UNLABELED, labeled_rows, resolve_device, torch_rng_scope
from ..utils._param_validation import fit_context
from ._net import VAALNet

__all__ = ["VAALSampler"]


@vae_docs
class VAALSampler(AdversarialVAEBase):
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
    %(architecture)s
    %(input_shape)s
    %(hidden_dims)s
    discriminator_dims : tuple of int, default=(512, 512)
        Hidden widths of ``S`` (512, 512 in the reference code).
    %(beta)s
    adversarial_weight : float, default=1.0
        ``lambda_adv``, relative to the ELBO per input feature.
    %(likelihood)s
    n_vae_steps : int, default=2
        VAE updates per discriminator update.
    max_epochs : int or "auto", default=20
        Passes over the larger pool per call to :meth:`fit`; ``"auto"``: about
        3,000 optimiser steps, within 10 to 200 epochs.
    batch_size : int, default=128
        Rows of each pool per step; also the inference batch size.
    lr : float, default=5e-4
        Learning rate of both optimizers.
    optimizer : str or torch.optim.Optimizer subclass, default="adam"
    %(precision)s
    %(channels_last)s
    %(device)s
    %(random_state)s
    warm_start : bool, default=False
        When True and the estimator is already fitted on rows of the same
        width, :meth:`fit` continues training the current networks for
        ``max_epochs`` instead of starting afresh: cheaper rounds of active
        learning, as the pools change by a few rows per round.
    %(verbose)s

    Attributes
    ----------
    net_ : skvaeal.vaal.VAALNet
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

    @fit_context(prefer_skip_nested_validation=True)
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
        X, y = validate_numeric_data(self, X, y, dtype=[np.float32, np.float64], reset=True,
                                     y_numeric=False, ensure_min_samples=1, multi_output=False)
        y = column_or_1d(y, warn=True)
        warm = self._can_warm_start(n_features_before, X.shape[1])
        target = np.where(labeled_rows(y), 0, UNLABELED).astype(np.int64)
        likelihood = resolve_likelihood(self.likelihood, X)
        if warm and likelihood != self.likelihood_:
            warm = False
        X32 = torch.tensor(X, dtype=torch.float32)
        y64 = torch.from_numpy(target)
        epochs, n_rows = self._epochs(target)
        if warm:
            with torch_rng_scope(self._seed(self.n_fits_), self.device_):
                self.net_.partial_fit(X32, y64, epochs=epochs)
            self.n_fits_ += 1
        else:
            self.device_ = resolve_device(self.device)
            self.likelihood_ = likelihood
            with torch_rng_scope(self._seed(0), self.device_):
                encoder, decoder, self.architecture_, self.input_shape_ = build_vae_modules(
                    self, X.shape[1])
                self.net_ = VAALNet(VAEModule, module__encoder=encoder, module__decoder=decoder,
                                    **self._net_kwargs(likelihood, n_rows))
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
