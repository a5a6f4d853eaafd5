"""skorch net for Wasserstein GANs with gradient penalty (Gulrajani et al., 2017)."""

import numpy as np
import torch

from .._net import VAENet
from ..nn import gradient_penalty


class WGANNet(VAENet):
    """A generator (the net's ``module``) and a critic trained as WGAN-GP.

    Each training batch of real rows makes one critic update, with loss
    ``D(G(z)) - D(x) + gp_weight * GP``; every ``n_critic``-th batch also makes
    one generator update, with loss ``-D(G(z))`` (Algorithm 1 of Gulrajani et
    al., 2017). The critic is built like skorch's own modules from ``critic``
    and the ``critic__*`` parameters, and has its own optimizer with the same
    settings. ``fit(X, None)`` needs no target. Logged per epoch:
    ``train_loss`` (the critic's loss) and ``wasserstein`` (the critic's
    estimate of the Wasserstein distance, ``E D(x) - E D(G(z))``), and
    ``generator_loss``.

    Inherits :class:`~skvaeal._net.VAENet`'s batched, batch-invariant inference
    (``_map_batches``), its loader and its precision handling.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        The generator: codes ``(n, latent_dim)`` to rows ``(n, n_features)``.
    critic : torch.nn.Module class or instance
        Rows to scores ``(n,)``, with ``features(x)`` for :meth:`features`.
    latent_dim : int
    n_critic : int, default=5
    gp_weight : float, default=10.0
    **kwargs
        Everything :class:`~skvaeal._net.VAENet` accepts.
    """

    def __init__(self, module, *args, critic, latent_dim, n_critic=5, gp_weight=10.0,
                 **kwargs):
        self.critic = critic
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        kwargs.setdefault("train_split", None)
        super().__init__(module, *args, **kwargs)

    def initialize_module(self):
        super().initialize_module()
        self.critic_ = self.initialized_instance(self.critic, self.get_params_for("critic"))
        return self

    def initialize_optimizer(self, triggered_directly=None):
        # Two optimisers over disjoint parameters, with the same settings.
        args, kwargs = self.get_params_for_optimizer("optimizer", self.module_.named_parameters())
        self.optimizer_ = self.optimizer(*args, **kwargs)
        args, kwargs = self.get_params_for_optimizer("optimizer_critic",
                                                     self.critic_.named_parameters())
        self.optimizer_critic_ = self.optimizer(*args, **kwargs)
        return self

    def get_params_for_optimizer(self, prefix, named_parameters):
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix == "optimizer_critic":
            shared = self.get_params_for("optimizer")
            shared.pop("param_groups", None)
            kwargs = {**shared, **kwargs}
        return args, kwargs

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._n_batches = 0

    def _codes(self, n):
        return torch.randn(n, int(self.latent_dim), device=self.device)

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        real = batch[0] if isinstance(batch, (tuple, list)) else batch
        real = torch.as_tensor(real, device=self.device).float()
        n = real.shape[0]
        # Critic update: the generator's output is a constant here.
        with torch.no_grad(), self._autocast():
            fake = self.module_(self._codes(n)).float()
        self.optimizer_critic_.zero_grad()
        with self._autocast():
            d_real = self.critic_(real).float().mean()
            d_fake = self.critic_(fake).float().mean()
        penalty = gradient_penalty(self.critic_, real, fake)
        loss = d_fake - d_real + self.gp_weight * penalty
        loss.backward()
        self.optimizer_critic_.step()
        self.history.record_batch("wasserstein", float((d_real - d_fake).detach()))
        self._n_batches += 1
        if self._n_batches % int(self.n_critic) == 0:
            self.optimizer_.zero_grad()
            for p in self.critic_.parameters():
                p.requires_grad_(False)
            try:
                with self._autocast():
                    g_loss = -self.critic_(self.module_(self._codes(n))).float().mean()
                g_loss.backward()
            finally:
                for p in self.critic_.parameters():
                    p.requires_grad_(True)
            self.optimizer_.step()
            self.history.record_batch("generator_loss", g_loss.item())
        return {"loss": loss.detach(), "y_pred": fake}

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        # The epoch's means of the per-batch logs, next to skorch's train_loss.
        for key in ("wasserstein", "generator_loss"):
            values = [b[key] for b in self.history[-1, "batches"] if key in b]
            if values:
                self.history.record(key, float(np.mean(values)))
        super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid,
                             **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        raise RuntimeError("WGANNet trains without a validation split (train_split=None).")

    # ----------------------------------------------------------------- inference
    def generate(self, Z):
        """``G(z)`` for codes ``Z``, batched, as a float32 array."""
        return self._map_batches(lambda zb: self.module_(zb), Z)

    def features(self, X):
        """The critic's penultimate-layer features of rows ``X``, as a float32 array."""
        return self._map_batches(lambda xb: self.critic_.features(xb), X)

    def critic_scores(self, X):
        """``D(x)``: the critic's score of each row (higher: more like the data)."""
        return self._map_batches(lambda xb: self.critic_(xb), X)
