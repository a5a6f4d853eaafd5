"""WGANTransformer: a Wasserstein GAN with gradient penalty as a scikit-learn transformer."""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..base import (VAE_PARAMETER_CONSTRAINTS, GeneratorMixin, NetEstimatorMixin,
                    resolve_architecture, resolve_max_epochs, vae_docs, validate_numeric_data)
from ..nn import ConvCritic, ConvGenerator, MLPCritic, MLPGenerator
from ..utils import (check_fitted_shape, check_positive_int, resolve_device,
                     seed_from_random_state, torch_rng_scope)
from ..utils._blocks import is_out_of_core
from ..utils._param_validation import Interval, StrOptions, fit_context
from ._differentiable import differentiable_proba
from ._net import WGANNet

#: ``max_epochs="auto"``: about this many critic steps (a fifth as many generator steps
#: with n_critic=5), within GAN_AUTO_EPOCH_RANGE epochs.
GAN_AUTO_STEPS = 6000
GAN_AUTO_EPOCH_RANGE = (5, 1000)


def _entropy(p):
    return -(p * torch.log(p.clamp_min(1e-12))).sum(dim=1)


def _np_entropy(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


@vae_docs
class WGANTransformer(GeneratorMixin, NetEstimatorMixin, ClassNamePrefixFeaturesOutMixin,
                      TransformerMixin, BaseEstimator):
    """Wasserstein GAN with gradient penalty (Gulrajani et al., 2017), as a transformer.

    Trained without labels on the rows given to :meth:`fit`. The generator
    maps codes to rows (:meth:`inverse_transform`, :meth:`sample`); the
    critic's penultimate layer is the transformer's output (:meth:`transform`),
    the feature space ASAL matches samples in (Mayer & Timofte, 2020).
    :meth:`synthesize` generates rows a classifier is most uncertain about.
    The networks are a skorch net held as ``net_`` (generator ``net_.module_``,
    critic ``net_.critic_``).

    Parameters
    ----------
    latent_dim : int, default=32
        Dimension of the generator's code ``z ~ N(0, I)``.
    architecture : {"auto", "mlp", "conv"} or (generator, critic), default="auto"
        ``"conv"``: DCGAN-style generator and critic over ``input_shape``;
        ``"mlp"``: fully connected; ``"auto"``: ``"conv"`` for images of 16
        pixels a side or more when training on CUDA (the rule of
        :class:`~skvaeal.VAETransformer`), ``"mlp"`` on a CPU: with its
        gradient penalty (a second backward pass), a DCGAN critic step on
        28x28 images took 0.37 s against 0.008 s for the MLP on 2 CPU cores,
        which makes the default 6,000 steps half an hour instead of a minute.
        A pair of :class:`torch.nn.Module` instances is used as given (copied
        at each fit): the generator maps ``(n, latent_dim)`` codes to rows,
        the critic rows to scores ``(n,)`` and has ``features(x)``.
    %(input_shape)s
    hidden_dims : tuple of int, default=None
        MLP widths of the critic (input side first; the generator mirrors
        them), default ``(256, 128)``; for ``"conv"`` the last entry is the
        width of the critic's features, default 256.
    output : {"auto", "sigmoid", "linear"}, default="auto"
        The generator's output: ``"sigmoid"`` for X in [0, 1] (``"auto"``
        picks it then), ``"linear"`` otherwise.
    n_critic : int, default=5
        Critic updates per generator update (Gulrajani et al.).
    gp_weight : float, default=10.0
        Weight of the gradient penalty (their lambda).
    max_epochs : int or "auto", default="auto"
        Epochs over X. ``"auto"``: about 6,000 critic steps (1,200 generator
        steps), within 5 to 1,000 epochs. A GAN's losses do not settle as an
        autoencoder's do (the two nets play against each other), so there is
        no stopping rule on them; ``wasserstein_curve_`` shows the critic's
        estimate of the distance between the data and the samples, which
        falls as the generator improves.
    batch_size : int, default=64
    lr : float, default=1e-4
        Adam's learning rate for both nets (Gulrajani et al.).
    betas : tuple of float, default=(0.0, 0.9)
        Adam's ``betas`` (Gulrajani et al.).
    %(precision)s
    %(device)s
    %(random_state)s
    verbose : int, default=0
        1 prints skorch's per-epoch table (critic loss, Wasserstein estimate),
        2 also shows a progress bar.

    Attributes
    ----------
    net_ : skvaeal.asal.WGANNet
    device_ : torch.device
    architecture_ : {"mlp", "conv", "custom"}
    input_shape_ : tuple or None
    output_ : {"sigmoid", "linear"}
    n_features_out_ : int
        Width of the critic's features.
    wasserstein_curve_ : list of float
        Mean critic estimate of the Wasserstein distance per epoch.
    n_iter_ : int
        Epochs trained.
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvaeal.asal import WGANTransformer
    >>> X = load_digits().data / 16.0
    >>> gan = WGANTransformer(latent_dim=8, max_epochs=2, random_state=0).fit(X)
    >>> gan.sample(3, random_state=0).shape, gan.transform(X[:2]).shape
    ((3, 64), (2, 128))
    """

    _parameter_constraints = {
        "latent_dim": VAE_PARAMETER_CONSTRAINTS["latent_dim"],
        "architecture": VAE_PARAMETER_CONSTRAINTS["architecture"],
        "input_shape": VAE_PARAMETER_CONSTRAINTS["input_shape"],
        "hidden_dims": VAE_PARAMETER_CONSTRAINTS["hidden_dims"],
        "output": [StrOptions({"auto", "sigmoid", "linear"})],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "gp_weight": [Interval(Real, 0, None, closed="left")],
        "max_epochs": VAE_PARAMETER_CONSTRAINTS["max_epochs"],
        "batch_size": VAE_PARAMETER_CONSTRAINTS["batch_size"],
        "lr": VAE_PARAMETER_CONSTRAINTS["lr"],
        "betas": [tuple],
        "precision": VAE_PARAMETER_CONSTRAINTS["precision"],
        "device": VAE_PARAMETER_CONSTRAINTS["device"],
        "random_state": VAE_PARAMETER_CONSTRAINTS["random_state"],
        "verbose": VAE_PARAMETER_CONSTRAINTS["verbose"],
    }

    def __init__(self, latent_dim=32, *, architecture="auto", input_shape="auto",
                 hidden_dims=None, output="auto", n_critic=5, gp_weight=10.0,
                 max_epochs="auto", batch_size=64, lr=1e-4, betas=(0.0, 0.9),
                 precision="float32", device="auto", random_state=None, verbose=0):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_dims = hidden_dims
        self.output = output
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.betas = betas
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    @property
    def _n_features_out(self):
        return self.n_features_out_

    def _modules(self, n_features, output):
        arch = self.architecture
        if isinstance(arch, (tuple, list)):
            generator, critic = copy.deepcopy(tuple(arch))
            if not hasattr(critic, "features"):
                raise ValueError("a custom critic needs a features(x) method (its penultimate "
                                 "layer), which transform returns.")
            if not hasattr(critic, "n_features_out"):
                with torch.no_grad():
                    critic.n_features_out = int(critic.features(
                        torch.zeros(1, n_features)).shape[1])
            return generator, critic, "custom", None
        arch, input_shape = resolve_architecture(arch, self.input_shape, n_features,
                                                 auto_conv=self.device_.type == "cuda")
        if arch == "conv":
            if min(input_shape[1:]) < 4:
                raise ValueError(f"architecture='conv' needs images of at least 4x4 pixels; "
                                 f"got input_shape={input_shape}.")
            hidden = self.hidden_dims[-1] if self.hidden_dims else 256
            return (ConvGenerator(self.latent_dim, input_shape, output=output),
                    ConvCritic(input_shape, hidden_dim=hidden), "conv", input_shape)
        hidden = tuple(self.hidden_dims) if self.hidden_dims is not None else (256, 128)
        return (MLPGenerator(self.latent_dim, n_features, hidden[::-1], output=output),
                MLPCritic(n_features, hidden), "mlp", input_shape)

    # --------------------------------------------------------------- public API
    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the GAN on the rows of X (unsupervised).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : WGANTransformer
        """
        from skorch.callbacks import ProgressBar

        X = validate_numeric_data(self, X, dtype=[np.float32, np.float64], reset=True)
        if len(self.betas) != 2 or not all(isinstance(b, Real) and 0 <= b < 1
                                           for b in self.betas):
            raise ValueError(f"betas must be two floats in [0, 1); got {self.betas!r}.")
        in_unit = bool(X.min() >= 0 and X.max() <= 1)
        if self.output == "sigmoid" and not in_unit:
            raise ValueError("output='sigmoid' generates values in [0, 1], but X leaves that "
                             "range; scale X (e.g. MinMaxScaler) or use output='linear'.")
        self.output_ = ("sigmoid" if in_unit else "linear") if self.output == "auto" \
            else self.output
        self.device_ = resolve_device(self.device)
        seed = seed_from_random_state(self.random_state)
        self._fit_dtype = X.dtype  # synthesize returns rows of the data's own float type
        X32 = torch.tensor(X, dtype=torch.float32)
        with torch_rng_scope(seed, self.device_):
            generator, critic, self.architecture_, self.input_shape_ = self._modules(
                X.shape[1], self.output_)
            self.n_features_out_ = critic.n_features_out
            self.net_ = WGANNet(
                generator, critic=critic, latent_dim=self.latent_dim,
                n_critic=self.n_critic, gp_weight=self.gp_weight,
                optimizer=torch.optim.Adam, optimizer__betas=tuple(self.betas), lr=self.lr,
                max_epochs=resolve_max_epochs(self.max_epochs, len(X), self.batch_size,
                                              steps=GAN_AUTO_STEPS,
                                              epoch_range=GAN_AUTO_EPOCH_RANGE),
                batch_size=self.batch_size, precision=self.precision, device=self.device_,
                verbose=int(self.verbose),
                callbacks=[("progress_bar", ProgressBar())] if self.verbose >= 2 else None,
            )
            self.net_.fit(X32, None)
        self.wasserstein_curve_ = [float(v) for v in self.net_.history[:, "wasserstein"]]
        self.n_iter_ = len(self.wasserstein_curve_)
        return self

    def transform(self, X):
        """The critic's penultimate-layer features of the rows of X (ASAL's F_disc).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        F : ndarray of shape (n_samples, n_features_out)
        """
        check_is_fitted(self, "net_")
        if is_out_of_core(X):
            return self._map_pool(self.transform, X, (self._n_features_out,), keep_float=True)
        X = self._validate_X(X)
        return self.net_.features(X).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Generator outputs ``G(z)`` for codes ``X``, as rows of the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "net_")
        Z = check_fitted_shape(X, self.latent_dim, "X")
        return self.net_.generate(Z).astype(Z.dtype, copy=False)

    def score_samples(self, X):
        """The critic's score ``D(x)`` of each row: higher is more like the training data."""
        check_is_fitted(self, "net_")
        if is_out_of_core(X):
            return self._map_pool(self.score_samples, X)
        return self.net_.critic_scores(self._validate_X(X)).astype(np.float64)

    def synthesize(self, classifier, n_samples=10, *, n_steps=100, lr=0.05, method="auto",
                   n_directions=16, sigma=0.1, return_entropy=False, random_state=None):
        """Generate the rows ``classifier`` is most uncertain about (ASAL, eq. 1).

        Maximises the entropy of ``classifier.predict_proba(G(z))`` over a
        batch of codes ``z``, with Adam for ``n_steps`` steps, starting from
        codes drawn from ``N(0, I)``, and keeps each code's best step. With
        ``method="gradient"`` the gradient flows through the classifier: torch
        modules, skorch nets, scikit-learn's linear probabilistic classifiers
        (logistic regression, linear discriminant analysis, ``SGDClassifier``
        with ``loss="log_loss"``) and pipelines of scalers and PCA before one
        (see :func:`~skvaeal.asal._differentiable.differentiable_proba`).
        With ``method="derivative-free"`` the gradient is estimated from
        ``predict_proba`` alone (natural evolution strategies: ``n_directions``
        antithetic pairs of Gaussian perturbations of scale ``sigma`` per code
        and step; Wierstra et al., 2014), so any classifier with
        ``predict_proba`` works (an SVC, a forest), at ``2 * n_directions``
        predictions per row and step. ``"auto"`` uses the gradient when the
        classifier allows it.

        Parameters
        ----------
        classifier : fitted classifier or active learner
            Has ``predict_proba`` on rows of X's width.
        n_samples : int, default=10
        n_steps : int, default=100
            The paper's 100 Adam steps.
        lr : float, default=0.05
            Adam's learning rate on the codes.
        method : {"auto", "gradient", "derivative-free"}, default="auto"
        n_directions : int, default=16
        sigma : float, default=0.1
        return_entropy : bool, default=False
            Also return the entropy of each generated row.
        random_state : int, RandomState instance or None, default=None
            Seeds the starting codes (and the perturbations).

        Returns
        -------
        X_synth : ndarray of shape (n_samples, n_features)
            In the float type of the data the GAN was fitted on (float32
            for float32 images, as a skorch classifier expects).
        entropy : ndarray of shape (n_samples,)
            Only with ``return_entropy=True``.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skvaeal.asal import WGANTransformer
        >>> X, y = load_digits(return_X_y=True)
        >>> X = X / 16.0
        >>> gan = WGANTransformer(latent_dim=8, max_epochs=3, random_state=0).fit(X)
        >>> clf = LogisticRegression(max_iter=500).fit(X[:100], y[:100])
        >>> X_synth, H = gan.synthesize(clf, 4, n_steps=20, return_entropy=True, random_state=0)
        >>> X_synth.shape, H.shape
        ((4, 64), (4,))
        """
        check_is_fitted(self, "net_")
        n_samples = check_positive_int(n_samples, "n_samples")
        n_steps = check_positive_int(n_steps, "n_steps", minimum=0)
        n_directions = check_positive_int(n_directions, "n_directions")
        if method not in ("auto", "gradient", "derivative-free"):
            raise ValueError("method must be 'auto', 'gradient' or 'derivative-free'; got "
                             f"{method!r}.")
        for name, value in (("lr", lr), ("sigma", sigma)):
            if not isinstance(value, Real) or not value > 0:
                raise ValueError(f"{name} must be a positive number; got {value!r}.")
        if classifier is None or not hasattr(classifier, "predict_proba"):
            raise TypeError("synthesize needs a fitted classifier with predict_proba; got "
                            f"{type(classifier).__name__ if classifier is not None else None}.")
        rng = check_random_state(random_state)
        # A skorch classifier's predict_proba draws a DataLoader seed from torch's global
        # generator; fork it so the caller's torch random state is left as it was.
        with torch.random.fork_rng(devices=[]):
            return self._synthesize(classifier, rng, n_samples, n_steps, lr, method,
                                    n_directions, sigma, return_entropy)

    def _synthesize(self, classifier, rng, n_samples, n_steps, lr, method, n_directions,
                    sigma, return_entropy):
        z0 = rng.standard_normal((n_samples, self.latent_dim)).astype(np.float32)
        X0 = self.net_.generate(z0)
        fn = module = None
        if method != "derivative-free":
            fn, module = differentiable_proba(classifier, X0[: min(8, n_samples)])
            if fn is None and method == "gradient":
                raise TypeError(
                    f"method='gradient' needs a classifier whose predict_proba torch can "
                    f"differentiate; {type(classifier).__name__} is not one: use "
                    "method='derivative-free' (or 'auto').")
        if fn is not None:
            best_z, best_h = self._ascend_gradient(fn, module, z0, n_steps, lr)
        else:
            best_z, best_h = self._ascend_nes(classifier, z0, n_steps, lr, n_directions,
                                              sigma, rng)
        X_synth = self.net_.generate(best_z).astype(getattr(self, "_fit_dtype", np.float64))
        if return_entropy:
            return X_synth, best_h
        return X_synth

    def _ascend_gradient(self, fn, module, z0, n_steps, lr):
        generator = self.net_.module_
        self.net_._set_training(False)
        training = module.training if module is not None else False
        if module is not None:
            module.eval()
        frozen = [p for m in (generator, module) if m is not None for p in m.parameters()
                  if p.requires_grad]
        for p in frozen:  # only the codes move
            p.requires_grad_(False)
        try:
            z = torch.tensor(z0, device=self.device_, requires_grad=True)
            optimizer = torch.optim.Adam([z], lr=lr)
            best_z, best_h = z0.copy(), np.full(len(z0), -np.inf)
            for step in range(n_steps + 1):
                h = _entropy(fn(generator(z).float()).float())
                values = h.detach().cpu().numpy()
                better = values > best_h
                best_z[better] = z.detach().cpu().numpy()[better]
                best_h[better] = values[better]
                if step == n_steps:
                    break
                optimizer.zero_grad()
                (-h.sum()).backward()
                optimizer.step()
        finally:
            for p in frozen:
                p.requires_grad_(True)
            if module is not None:
                module.train(training)
        return best_z, best_h

    def _ascend_nes(self, classifier, z0, n_steps, lr, n_directions, sigma, rng):
        n, d = z0.shape

        def entropy_of(Z):
            return _np_entropy(classifier.predict_proba(self.net_.generate(Z)))

        z = torch.tensor(z0, dtype=torch.float32)
        optimizer = torch.optim.Adam([z], lr=lr)
        best_z, best_h = z0.copy(), entropy_of(z0)
        for _ in range(n_steps):
            eps = rng.standard_normal((n, n_directions, d)).astype(np.float32)
            current = z.detach().numpy()
            probes = np.concatenate([current[:, None] + sigma * eps,
                                     current[:, None] - sigma * eps], axis=1)
            h = entropy_of(probes.reshape(-1, d)).reshape(n, 2 * n_directions)
            # Antithetic estimate of the entropy's gradient at each code.
            grad = ((h[:, :n_directions] - h[:, n_directions:])[:, :, None] * eps).mean(1)
            grad /= 2 * sigma
            flat = probes.reshape(n, 2 * n_directions, d)
            top = h.argmax(axis=1)
            better = h[np.arange(n), top] > best_h
            best_z[better] = flat[np.arange(n), top][better]
            best_h[better] = h[np.arange(n), top][better]
            optimizer.zero_grad()
            z.grad = torch.as_tensor(-grad, dtype=torch.float32)
            optimizer.step()
        final = entropy_of(z.detach().numpy())
        better = final > best_h
        best_z[better] = z.detach().numpy()[better]
        best_h[better] = final[better]
        return best_z, best_h
