"""MCDropoutClassifier: a dropout network whose predictions carry Monte Carlo samples."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..base import (VAE_PARAMETER_CONSTRAINTS, NetEstimatorMixin, ProbaPredictMixin,
                    resolve_architecture, resolve_max_epochs, resolve_optimizer, vae_docs,
                    validate_numeric_data)
from ..nn import MCDropoutCNN, MCDropoutMLP
from ..utils import MAX_SEED, resolve_device, seed_from_random_state, torch_rng_scope
from ..utils._param_validation import Interval, StrOptions, fit_context
from ._net import MCDropoutNet

__all__ = ["MCDropoutClassifier"]

#: ``max_epochs="auto"``: about this many optimiser steps, within MC_EPOCH_RANGE epochs.
#: A labelled set of 20 rows gets 500 epochs of one batch, 8,000 rows 10 epochs.
MC_AUTO_STEPS = 1000
MC_EPOCH_RANGE = (10, 500)


@vae_docs
class MCDropoutClassifier(ProbaPredictMixin, NetEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Neural-network classifier with Monte Carlo dropout (Gal & Ghahramani, 2016).

    Trained with dropout and cross-entropy on labelled rows; at prediction
    time dropout stays on and ``n_mc_samples`` passes, each with its own
    dropout mask, are averaged. :meth:`predict_proba_samples` returns the
    passes themselves, what :func:`~skvaeal.bald.bald_sampling` and
    :func:`~skvaeal.bald.batchbald_sampling` measure the model's disagreement
    with. The j-th pass uses the same mask for every row (as BatchBALD needs),
    drawn from a seed fixed at :meth:`fit`, so predictions are deterministic
    and a row's prediction does not depend on the rows beside it. The
    network is a skorch net held as ``net_``.

    Parameters
    ----------
    architecture : {"auto", "mlp", "conv"}, default="auto"
        ``"conv"``: two 3x3 convolutions with 2x2 max-pooling, a dense layer
        and dropout before the output (:class:`~skvaeal.nn.MCDropoutCNN`,
        after Gal et al., 2017); ``"mlp"``: dense ReLU layers with dropout
        before every layer but the first (:class:`~skvaeal.nn.MCDropoutMLP`).
        ``"auto"``: ``"conv"`` for images of 16 pixels a side or more.
    %(input_shape)s
    hidden_dims : tuple of int, default=None
        MLP widths, default ``(256, 128)``; for ``"conv"`` the last entry is
        the dense layer's width, default 128.
    dropout : float in [0, 1), default=0.5
        Probability of dropping a unit, in training and in the MC passes.
    n_mc_samples : int, default=50
        Number T of stochastic passes behind :meth:`predict_proba` and
        :meth:`predict_proba_samples`. Only the layers after the first dense
        one run T times, so T is cheap.
    max_epochs : int or "auto", default="auto"
        ``"auto"``: about 1,000 optimiser steps, within 10 to 500 epochs.
    batch_size : int, default=64
    lr : float, default=1e-3
    weight_decay : float, default=0.0
        L2 penalty of the optimiser (the prior on the weights, in Gal &
        Ghahramani's reading).
    optimizer : {"adam", "adamw", "rmsprop", "sgd"} or torch.optim.Optimizer subclass, \
default="adam"
    %(device)s
    %(random_state)s
    %(verbose)s

    Attributes
    ----------
    net_ : skvaeal.bald._net.MCDropoutNet
        The fitted skorch net.
    classes_ : ndarray of shape (n_classes,)
    architecture_ : {"mlp", "conv"}
    input_shape_ : tuple or None
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X had string column names.
    device_ : torch.device
    loss_curve_ : list of float
        Training loss per epoch.

    See Also
    --------
    skvaeal.bald.bald_sampling, skvaeal.bald.batchbald_sampling

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal.bald import MCDropoutClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MCDropoutClassifier(hidden_dims=(64,), random_state=0)
    >>> clf = clf.fit(X[:300] / 16, y[:300])
    >>> clf.predict_proba_samples(X[300:305] / 16).shape
    (50, 5, 10)
    >>> bool(clf.score(X[300:] / 16, y[300:]) > 0.8)
    True
    """

    _parameter_constraints = {
        "architecture": [StrOptions({"auto", "mlp", "conv"})],
        "input_shape": VAE_PARAMETER_CONSTRAINTS["input_shape"],
        "hidden_dims": VAE_PARAMETER_CONSTRAINTS["hidden_dims"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "n_mc_samples": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": VAE_PARAMETER_CONSTRAINTS["max_epochs"],
        "batch_size": VAE_PARAMETER_CONSTRAINTS["batch_size"],
        "lr": VAE_PARAMETER_CONSTRAINTS["lr"],
        "weight_decay": [Interval(Real, 0, np.inf, closed="left")],
        "optimizer": VAE_PARAMETER_CONSTRAINTS["optimizer"],
        "device": VAE_PARAMETER_CONSTRAINTS["device"],
        "random_state": VAE_PARAMETER_CONSTRAINTS["random_state"],
        "verbose": VAE_PARAMETER_CONSTRAINTS["verbose"],
    }

    def __init__(self, architecture="auto", input_shape="auto", hidden_dims=None, dropout=0.5,
                 n_mc_samples=50, max_epochs="auto", batch_size=64, lr=1e-3, weight_decay=0.0,
                 optimizer="adam", device="auto", random_state=None, verbose=0):
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_dims = hidden_dims
        self.dropout = dropout
        self.n_mc_samples = n_mc_samples
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _module(self, n_features, n_classes):
        arch, shape = resolve_architecture(self.architecture, self.input_shape, n_features)
        if arch == "conv":
            hidden = self.hidden_dims[-1] if self.hidden_dims else 128
            return MCDropoutCNN(shape, n_classes, hidden_dim=hidden, dropout=self.dropout), \
                "conv", shape
        hidden = tuple(self.hidden_dims) if self.hidden_dims is not None else (256, 128)
        return MCDropoutMLP(n_features, n_classes, hidden, dropout=self.dropout), "mlp", shape

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : MCDropoutClassifier
        """
        X, y = validate_numeric_data(self, X, y, dtype=[np.float32, np.float64], reset=True,
                                     y_numeric=False, multi_output=False)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y holds one class only ({self.classes_[0]!r}); "
                             "MCDropoutClassifier needs at least 2 classes.")
        self.device_ = resolve_device(self.device)
        seed = seed_from_random_state(self.random_state)
        # The masks of the MC passes come from their own seed, drawn once here: predictions
        # are then the same at every call and independent of torch's global generator.
        self._mc_seed = int(np.random.RandomState(seed).randint(MAX_SEED))
        callbacks = []
        if self.verbose >= 2:
            from skorch.callbacks import ProgressBar
            callbacks.append(("progress_bar", ProgressBar()))
        with torch_rng_scope(seed, self.device_):
            # Built inside the scope: weight initialisation draws from torch's generator.
            module, self.architecture_, self.input_shape_ = self._module(X.shape[1],
                                                                         len(self.classes_))
            self.net_ = MCDropoutNet(
                module,
                optimizer=resolve_optimizer(self.optimizer),
                optimizer__weight_decay=self.weight_decay,
                lr=self.lr,
                max_epochs=resolve_max_epochs(self.max_epochs, len(X), self.batch_size,
                                              steps=MC_AUTO_STEPS, epoch_range=MC_EPOCH_RANGE),
                batch_size=self.batch_size,
                train_split=None,
                callbacks=callbacks,
                device=self.device_,
                verbose=int(self.verbose),
            )
            self.net_.fit(torch.tensor(X, dtype=torch.float32), torch.from_numpy(codes))
        self.loss_curve_ = [float(v) for v in self.net_.history[:, "train_loss"]]
        return self

    def _masks(self):
        generator = torch.Generator().manual_seed(self._mc_seed)
        return self.net_.module_.sample_masks(self.n_mc_samples, generator)

    def predict_proba_samples(self, X):
        """Class probabilities of each of the ``n_mc_samples`` stochastic passes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba_samples : ndarray of shape (n_mc_samples, n_samples, n_classes)
            ``proba_samples[j]`` is the prediction of the j-th dropout mask,
            the same network for every row.
        """
        check_is_fitted(self, "net_")
        X = self._validate_X(X)
        return self.net_.proba_samples(X, self._masks()).astype(np.float64)

    def predict_proba(self, X):
        """Mean class probabilities over the MC passes.

        The mean is taken batch by batch, so memory holds one batch's passes,
        not the ``n_mc_samples x n_samples x n_classes`` of
        :meth:`predict_proba_samples`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "net_")
        X = self._validate_X(X)
        return self.net_.proba_mean(X, self._masks())
