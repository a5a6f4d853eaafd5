"""skorch net for variational adversarial active learning (VAAL)."""

import numpy as np
import torch
import torch.nn.functional as F
from skorch.utils import to_tensor

from ._vae import VAENet

UNLABELED = -1


def _as_tensor(data):
    if data is None or isinstance(data, torch.Tensor):
        return data
    return torch.as_tensor(np.asarray(data))


class PoolPairLoader:
    """Iterate over batches that hold unlabelled and labelled rows in fixed shares.

    Each batch concatenates ``batch_size`` unlabelled rows and
    ``min(batch_size, n_labelled)`` labelled rows. An epoch is one pass over
    the larger pool; the smaller one is cycled through fresh permutations.
    With 20 labelled rows among 8,000, a plain shuffled loader would put a
    labelled row in about one batch in three, so the discriminator would
    barely see the labelled pool; pairing the pools as the VAAL reference
    code does gives every step both.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        ``X`` rows and ``y`` targets, where ``y == -1`` marks unlabelled rows.
    batch_size : int, default=128
    shuffle : bool, default=True
        Kept for skorch's iterator interface; the pools are always shuffled.
        Shuffling draws from torch's global generator, which the estimators
        seed inside :func:`skvaeal.utils.torch_rng_scope`.
    **kwargs
        Accepted and ignored (e.g. DataLoader-only options).

    Examples
    --------
    >>> import torch
    >>> from skorch.dataset import Dataset
    >>> from skvaeal._net import PoolPairLoader
    >>> y = torch.tensor([0, 1] + [-1] * 8)
    >>> loader = PoolPairLoader(Dataset(torch.rand(10, 3), y), batch_size=4)
    >>> [(len(yb), int((yb == -1).sum())) for _, yb in loader]
    [(6, 4), (6, 4)]
    """

    def __init__(self, dataset, batch_size=128, shuffle=True, **kwargs):
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        X = _as_tensor(dataset.X)
        y = _as_tensor(dataset.y)
        if y is None:
            raise ValueError("PoolPairLoader needs y, with -1 marking unlabelled rows.")
        self._X, self._y = X, y.long()
        unlabeled = self._y == UNLABELED
        self._idx_u = torch.nonzero(unlabeled).flatten()
        self._idx_l = torch.nonzero(~unlabeled).flatten()

    def __len__(self):
        n = max(len(self._idx_u), len(self._idx_l))
        return -(-n // self.batch_size)

    @staticmethod
    def _cycle(index, n_batches, size):
        """``n_batches`` slices of ``size`` rows from fresh permutations of ``index``."""
        if len(index) == 0:
            return [index] * n_batches
        size = min(size, len(index))
        needed = n_batches * size
        n_perms = -(-needed // len(index))
        order = torch.cat([index[torch.randperm(len(index))] for _ in range(n_perms)])
        return [order[i * size:(i + 1) * size] for i in range(n_batches)]

    def __iter__(self):
        n_batches = len(self)
        if n_batches == 0:
            return
        # The larger pool is walked once (a true epoch); only the smaller one repeats.
        big, small = ((self._idx_u, self._idx_l) if len(self._idx_u) >= len(self._idx_l)
                      else (self._idx_l, self._idx_u))
        big = big[torch.randperm(len(big))]
        small_batches = self._cycle(small, n_batches, self.batch_size)
        for i in range(n_batches):
            index = torch.cat([big[i * self.batch_size:(i + 1) * self.batch_size],
                               small_batches[i]])
            yield self._X[index], self._y[index]


def _pool_mean(values, mask):
    """Mean of ``values`` over ``mask`` rows; 0 (keeping the graph) when there are none."""
    if bool(mask.any()):
        return values[mask].mean()
    return values.sum() * 0.0


class VAALNet(VAENet):
    """A VAE trained against a latent discriminator, as in VAAL (Sinha et al., 2019).

    ``fit(X, y)`` takes rows and a target where ``-1`` marks unlabelled rows
    (any other value: labelled). Each training step makes ``n_vae_steps``
    updates of the VAE with

    ``loss_VAE = ELBO / n_features + adversarial_weight * L_adv``,
    ``L_adv = BCE(S(mu_L), 1) + BCE(S(mu_U), 1)`` (eq. 2 of the ARAL paper)

    and one update of the discriminator ``S`` with
    ``L_S = BCE(S(mu_L), 1) + BCE(S(mu_U), 0)`` (eq. 4), each expectation
    taken over its own pool so the small labelled pool weighs as much as the
    large unlabelled one. The ELBO is divided by the number of features, as
    the reference code's mean-reduced reconstruction loss is, so that
    ``adversarial_weight=1`` means what it means there.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        A VAE such as :class:`~skvaeal.nn.VAEModule`.
    discriminator : torch.nn.Module class or instance
        Maps codes ``(n, d)`` to logits ``(n,)``, e.g.
        :class:`~skvaeal.nn.LatentDiscriminator`; a class is instantiated
        without arguments.
    adversarial_weight : float, default=1.0
    n_vae_steps : int, default=2
        VAE updates per discriminator update (2 in the reference code).
    lr_discriminator : float, default=None
        Learning rate of the discriminator's optimizer; ``None`` uses ``lr``.
    **kwargs
        Everything :class:`~skvaeal._net.VAENet` accepts. ``iterator_train``
        defaults to :class:`PoolPairLoader`.

    Examples
    --------
    >>> import torch
    >>> from skvaeal._net import VAALNet
    >>> from skvaeal.nn import LatentDiscriminator, MLPDecoder, MLPEncoder, VAEModule
    >>> net = VAALNet(VAEModule, module__encoder=MLPEncoder(4, 2),
    ...               module__decoder=MLPDecoder(2, 4),
    ...               discriminator=LatentDiscriminator(2, (8,)), max_epochs=1,
    ...               train_split=None, verbose=0)
    >>> y = torch.tensor([0] * 4 + [-1] * 12)
    >>> net = net.fit(torch.rand(16, 4), y)
    >>> net.predict_labeled_proba(torch.rand(3, 4)).shape
    (3,)
    """

    def __init__(self, module, *args, discriminator, adversarial_weight=1.0, n_vae_steps=2,
                 lr_discriminator=None, iterator_train=PoolPairLoader, **kwargs):
        # Set before NeuralNet.__init__: skorch refuses torch modules assigned to
        # an initialised net outside its initialize_* methods.
        self.discriminator = discriminator
        self.adversarial_weight = adversarial_weight
        self.n_vae_steps = n_vae_steps
        self.lr_discriminator = lr_discriminator
        # No validation split by default: a random split would take most of the
        # few labelled rows away from the discriminator.
        kwargs.setdefault("train_split", None)
        super().__init__(module, *args, iterator_train=iterator_train, **kwargs)

    # ------------------------------------------------------------ initialisation
    def initialize_module(self):
        super().initialize_module()
        # Assigned inside skorch's 'module' init context, so it is registered as
        # a module: moved to the device, saved, switched between train/eval.
        self.discriminator_ = self.initialized_instance(self.discriminator, {})
        return self

    def initialize_optimizer(self, triggered_directly=None):
        # Two optimisers over disjoint parameters: the VAE must not update the
        # discriminator when it fools it, and vice versa.
        args, kwargs = self.get_params_for_optimizer("optimizer", self.module_.named_parameters())
        self.optimizer_ = self.optimizer(*args, **kwargs)
        args, kwargs = self.get_params_for_optimizer(
            "optimizer_discriminator", self.discriminator_.named_parameters())
        if self.lr_discriminator is not None:
            kwargs["lr"] = self.lr_discriminator
        self.optimizer_discriminator_ = self.optimizer(*args, **kwargs)
        return self

    def get_params_for_optimizer(self, prefix, named_parameters):
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix == "optimizer_discriminator":
            # Share the VAE optimizer's hyper-parameters unless overridden.
            shared = self.get_params_for("optimizer")
            shared.pop("param_groups", None)
            kwargs = {**shared, **kwargs}
        return args, kwargs

    # ------------------------------------------------------------------ training
    def _batch_tensors(self, batch):
        Xi, yi = batch
        X = to_tensor(Xi, device=self.device).float()
        y = to_tensor(yi, device=self.device).long()
        return X, y, y != UNLABELED

    def _elbo(self, outputs, X):
        nll, kl = self.criterion_.per_sample(outputs[:3], X)
        return (nll + self.criterion_.beta * kl) / X.shape[1]

    def _adversarial_loss(self, mu, labeled):
        # The encoder wants S to call every code "labelled" (target 1), eq. 2.
        bce = F.binary_cross_entropy_with_logits(
            self.discriminator_(mu).float(), torch.ones(len(mu), device=mu.device),
            reduction="none")
        return _pool_mean(bce, labeled) + _pool_mean(bce, ~labeled)

    def _discriminator_step(self, X, labeled):
        with torch.no_grad(), self._autocast():
            mu = self.module_.encode(X)[0]
        self.optimizer_discriminator_.zero_grad()
        with self._autocast():
            logits = self.discriminator_(mu.detach()).float()
        bce = F.binary_cross_entropy_with_logits(logits, labeled.float(), reduction="none")
        loss = _pool_mean(bce, labeled) + _pool_mean(bce, ~labeled)
        loss.backward()
        self.optimizer_discriminator_.step()
        return loss.detach()

    def _vae_loss(self, X, y, labeled):
        with self._autocast():
            outputs = self.module_(X)
        loss = self._elbo(outputs, X).mean()
        if self.adversarial_weight:
            loss = loss + self.adversarial_weight * self._adversarial_loss(outputs[1], labeled)
        return loss, outputs

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        X, y, labeled = self._batch_tensors(batch)
        for _ in range(int(self.n_vae_steps)):
            self.optimizer_.zero_grad()
            loss, outputs = self._vae_loss(X, y, labeled)
            loss.backward()
            self.optimizer_.step()
        d_loss = self._discriminator_step(X, labeled)
        self.history.record_batch("discriminator_loss", d_loss.item())
        return {"loss": loss.detach(), "y_pred": outputs[0].detach()}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        X = to_tensor(X, device=self.device).float()
        return self._elbo(y_pred, X).mean()

    # ----------------------------------------------------------------- inference
    def predict_labeled_proba(self, X):
        """``S(mu(x))``: the discriminator's probability that each row is labelled."""
        def fn(xb):
            return torch.sigmoid(self.discriminator_(self.module_.encode(xb)[0]).float())

        return self._map_batches(fn, X)

    def encode_and_score(self, X):
        """``(mu(x), S(mu(x)))`` from one encoder pass, as float32 arrays."""
        def fn(xb):
            mu = self.module_.encode(xb)[0].float()
            proba = torch.sigmoid(self.discriminator_(mu).float())
            return torch.cat([mu, proba.unsqueeze(1)], dim=1)

        out = self._map_batches(fn, X)
        return out[:, :-1], out[:, -1]


def as_pool_target(labeled_mask):
    """``0`` for labelled rows, ``-1`` for unlabelled ones, as int64."""
    return np.where(np.asarray(labeled_mask, dtype=bool), 0, UNLABELED).astype(np.int64)
