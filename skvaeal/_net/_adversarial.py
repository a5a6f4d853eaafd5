"""What every VAE trained against a latent discriminator shares (VAAL, ASSAL, ARAL).

A second module, the discriminator ``S`` on the mean code, with its own
optimiser; the losses that compare the labelled and the unlabelled pool, each
averaged over its own pool; the alternating training step. Methods subclass
:class:`AdversarialVAENet` and define the VAE's loss, ``_vae_loss``.
"""

import torch
import torch.nn.functional as F
from skorch.utils import to_tensor

from ..utils import UNLABELED
from ._loader import PoolPairLoader
from ._vae import VAENet


def pool_mean(values, mask):
    """Mean of ``values`` over ``mask`` rows; 0 (keeping the graph) when there are none."""
    if bool(mask.any()):
        return values[mask].mean()
    return values.sum() * 0.0


def trusted_mean(values, labeled, trust):
    """Mean of ``values`` with labelled rows weighted 1 and unlabelled ones ``trust``.

    ``trust=1`` is the plain mean; ``trust=0`` the mean over the labelled rows,
    so the unlabelled rows no longer shape the loss (the supervised fit of a
    semi-supervised net).
    """
    if trust == 1:
        return values.mean()
    weights = torch.where(labeled, 1.0, float(trust)).to(values.dtype)
    # clamp_min rather than a test of the total: no device sync on every step, and 0
    # (with the graph kept) when every weight is 0.
    return (values * weights).sum() / weights.sum().clamp_min(1e-12)


class AdversarialVAENet(VAENet):
    """A VAE and a latent discriminator ``S`` trained in alternation (a base class).

    ``fit(X, y)`` takes rows and a target where ``-1`` marks unlabelled rows.
    Each training step makes ``n_vae_steps`` updates of the VAE with
    ``_vae_loss`` (VAAL's by default; methods with more terms override it)
    and one update of the discriminator with
    ``L_S = BCE(S(mu_L), 1) + BCE(S(mu_U), 0)`` (eq. 4 of Sinha et al.,
    2019), each expectation taken over its own pool so the small labelled
    pool weighs as much as the large unlabelled one. The discriminator is
    built like skorch's own modules, from ``discriminator`` and the
    ``discriminator__*`` parameters (as skorch's ``GPBase`` builds its
    likelihood), so ``set_params(discriminator__hidden_dims=...)`` reaches it.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        A VAE such as :class:`~skvaeal.nn.VAEModule`.
    discriminator : torch.nn.Module class or instance
        Maps codes ``(n, d)`` to logits ``(n,)``, e.g.
        :class:`~skvaeal.nn.LatentDiscriminator`; a class is instantiated
        with the ``discriminator__*`` parameters.
    adversarial_weight : float, default=1.0
        Weight of the encoder's adversarial loss in ``_vae_loss``.
    n_vae_steps : int, default=2
        VAE updates per discriminator update.
    lr_discriminator : float, default=None
        Learning rate of the discriminator's optimizer; ``None`` uses ``lr``.
    **kwargs
        Everything :class:`~skvaeal._net.VAENet` accepts. ``iterator_train``
        defaults to :class:`~skvaeal._net.PoolPairLoader`.
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
        # a module: moved to the device, saved, switched between train/eval, and
        # its discriminator__* parameters are validated and reach it.
        self.discriminator_ = self.initialized_instance(
            self.discriminator, self.get_params_for("discriminator"))
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
        """``(X, X_view, y, labeled)`` of a batch; ``X_view`` is None without augmentation."""
        Xi, yi = batch
        X_view = None
        if isinstance(Xi, dict):  # PoolPairLoader(augment=...) adds the altered view
            Xi, X_view = Xi["X"], to_tensor(Xi["X_view"], device=self.device).float()
        X = to_tensor(Xi, device=self.device).float()
        y = to_tensor(yi, device=self.device).long()
        return X, X_view, y, y != UNLABELED

    def _elbo(self, outputs, X):
        """Per-row ELBO divided by the number of features (the reference code's mean)."""
        nll, kl = self.criterion_.per_sample(outputs[:3], X)
        return (nll + self.criterion_.beta * kl) / X.shape[1]

    def _adversarial_loss(self, mu, labeled):
        """The encoder's loss: ``S`` should call every code "labelled" (eq. 2 of Sinha et al.)."""
        bce = F.binary_cross_entropy_with_logits(
            self.discriminator_(mu).float(), torch.ones(len(mu), device=mu.device),
            reduction="none")
        return pool_mean(bce, labeled) + pool_mean(bce, ~labeled)

    def _vae_loss(self, X, X_view, y, labeled):
        """``(loss, outputs)`` of one VAE update: ELBO / n_features + adversarial_weight * L_adv.

        VAAL's loss (Sinha et al., 2019; ``L_adv`` is eq. 2 of Mottaghi & Yeung,
        2019), the one every adversarial method starts from; a method with more
        terms (ASSAL's classifier) overrides it.
        """
        with self._autocast():
            outputs = self.module_(X)
        loss = self._elbo(outputs, X).mean()
        if self.adversarial_weight:
            loss = loss + self.adversarial_weight * self._adversarial_loss(outputs[1], labeled)
        return loss, outputs

    def _vae_step(self, X, X_view, y, labeled):
        """One optimiser step of the VAE (and any head it carries)."""
        self.optimizer_.zero_grad()
        loss, outputs = self._vae_loss(X, X_view, y, labeled)
        loss.backward()
        self.optimizer_.step()
        return loss, outputs

    def _discriminator_step(self, X, labeled):
        with torch.no_grad(), self._autocast():
            mu = self.module_.encode(X)[0]
        self.optimizer_discriminator_.zero_grad()
        with self._autocast():
            logits = self.discriminator_(mu.detach()).float()
        bce = F.binary_cross_entropy_with_logits(logits, labeled.float(), reduction="none")
        loss = pool_mean(bce, labeled) + pool_mean(bce, ~labeled)
        loss.backward()
        self.optimizer_discriminator_.step()
        return loss.detach()

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        X, X_view, y, labeled = self._batch_tensors(batch)
        for _ in range(int(self.n_vae_steps)):
            loss, outputs = self._vae_step(X, X_view, y, labeled)
        d_loss = self._discriminator_step(X, labeled)
        self.history.record_batch("discriminator_loss", d_loss.item())
        return {"loss": loss.detach(), "y_pred": outputs[0].detach()}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if isinstance(X, dict):
            X = X["X"]
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
