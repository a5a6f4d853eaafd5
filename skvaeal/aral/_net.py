"""ARALNet: the skorch net of adversarial representation active learning (ARAL)."""

import torch
import torch.nn.functional as F
from skorch.utils import to_tensor

from .._net import BatchedNet, PoolPairLoader, pool_mean
from ..nn import ELBOLoss, gaussian_kl, reconstruction_nll, reparameterize
from ..utils import UNLABELED

__all__ = ["ARALNet"]

GENERATOR_LOSSES = ("feature_matching", "gan")

#: Adam's betas in the reference code: encoder and generator, discriminator and sampler.
ENCODER_BETAS = (0.0, 0.9999)
DISCRIMINATOR_BETAS = (0.5, 0.9999)


def _weighted(values, labeled, trust):
    """``E_L[values] + trust * E_U[values]``: the two pools' expectations, as eqs. 5-10 sum them."""
    loss = pool_mean(values, labeled)
    if trust:
        loss = loss + trust * pool_mean(values, ~labeled)
    return loss


class ARALNet(BatchedNet):
    """Encoder, generator, discriminator-classifier and sampler co-trained with eqs. 5-13.

    Mottaghi & Yeung (2019), *Adversarial Representation Active Learning*.
    ``fit(X, y)`` takes rows and integer class indices, ``-1`` marking
    unlabelled rows; every batch of :class:`~skvaeal._net.PoolPairLoader`
    holds both pools. Each step of Algorithm 1 makes three updates:

    1. encoder and generator (eq. 11): ``trd_weight`` times the class-
       conditional ELBO (eq. 5; unlabelled rows conditioned on the
       classifier's prediction ``C(x)``), ``adversarial_weight`` times the
       sampler-fooling loss, ``gan_weight`` times the BiGAN encoder loss
       (eq. 10) and the generator loss (eq. 7, or feature matching), and
       ``generator_cls_weight`` times the cross-entropy of ``C`` on the
       generated rows and their classes (AC-GAN's generator term, Odena et
       al., 2017; not in the paper);
    2. the discriminator (eq. 12): ``gan_weight`` times the real/fake loss on
       ``(x, E(x, y), y)`` against ``(G(z, y), z, y)`` (eq. 8) plus
       ``cls_weight`` times the cross-entropy on labelled and generated rows
       (eq. 9);
    3. the sampler (eq. 13): labelled codes against unlabelled ones.

    Each pool's expectation is its own mean, and the unlabelled ones are
    multiplied by ``unlabeled_trust``.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        An :class:`~skvaeal.nn.ARALModule`.
    sampler : torch.nn.Module class or instance
        Codes to "labelled" logits, e.g. :class:`~skvaeal.nn.LatentDiscriminator`,
        built with the ``sampler__*`` parameters.
    trd_weight, adversarial_weight, gan_weight, cls_weight : float
        ``lambda_trd``, ``lambda_adv``, ``lambda_gan`` and ``lambda_cls``.
    generator_cls_weight : float, default=0.0
        Weight of the AC-GAN term, which makes ``G(z, y)`` a row that ``C``
        classifies as ``y``; 0 is the paper's eq. 11.
    generator_loss : {"feature_matching", "gan"}, default="feature_matching"
        ``"gan"``: eq. 7 in its non-saturating form, ``-log D(G(z, y), z, y)``.
        ``"feature_matching"`` (Salimans et al., 2016; the paper's and the
        reference code's choice): the squared distance between the mean
        discriminator features of real rows and of generated ones.
    unlabeled_trust : float in [0, 1], default=1.0
        Weight of the unlabelled rows' terms in the encoder, generator and
        discriminator losses (the feature-matching target is their weighted
        mean). ``0`` is the supervised fit of this network; the sampler always
        learns from both pools.
    lr_discriminator : float, default=3e-3
        Learning rate of the discriminator and the sampler (``lr`` is the
        encoder's and generator's).
    optimizer : torch.optim.Optimizer subclass, default=torch.optim.Adam
        Built three times, each with the reference code's betas (so it must
        take ``betas``, as Adam and AdamW do).
    lr_decay : bool, default=True
        The reference schedule: each fit keeps the learning rates for its
        first two thirds of epochs, then decays them linearly towards zero
        (factor ``min(3 (1 - e / E), 1)`` at epoch ``e`` of ``E``).
    **kwargs
        Everything :class:`~skvaeal._net.BatchedNet` accepts; the criterion
        (:class:`~skvaeal.nn.ELBOLoss`) holds ``beta`` and ``likelihood``.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skvaeal.aral import ARALNet
    >>> from skvaeal.nn import (ARALModule, ConditionalEncoder, ConditionalMLPGenerator,
    ...                         LatentDiscriminator, SemiSupervisedDiscriminator,
    ...                         mlp_discriminator_trunk)
    >>> trunk, width = mlp_discriminator_trunk(4, (8,))
    >>> net = ARALNet(ARALModule, module__encoder=ConditionalEncoder(nn.Identity(), 4, 2, 2, (8,)),
    ...               module__generator=ConditionalMLPGenerator(2, 2, 4, (8,)),
    ...               module__discriminator=SemiSupervisedDiscriminator(trunk, width, 2, 2),
    ...               module__n_classes=2, sampler=LatentDiscriminator,
    ...               sampler__latent_dim=2, sampler__hidden_dims=(8,), max_epochs=1, verbose=0)
    >>> y = torch.tensor([0, 1, 0, 1] + [-1] * 12)
    >>> net = net.fit(torch.rand(16, 4), y)
    >>> net.predict_proba(torch.rand(3, 4)).shape
    (3, 2)
    """

    def __init__(self, module, *args, sampler, trd_weight=0.001, adversarial_weight=0.001,
                 gan_weight=1.0, cls_weight=1.0, generator_cls_weight=0.0,
                 generator_loss="feature_matching", unlabeled_trust=1.0, lr_discriminator=3e-3,
                 lr_decay=True,
                 iterator_train=PoolPairLoader, criterion=ELBOLoss,
                 optimizer=torch.optim.Adam, **kwargs):
        # Set before NeuralNet.__init__: skorch refuses torch modules assigned to an
        # initialised net outside its initialize_* methods.
        self.sampler = sampler
        self.trd_weight = trd_weight
        self.adversarial_weight = adversarial_weight
        self.gan_weight = gan_weight
        self.cls_weight = cls_weight
        self.generator_cls_weight = generator_cls_weight
        self.generator_loss = generator_loss
        self.unlabeled_trust = unlabeled_trust
        self.lr_discriminator = lr_discriminator
        self.lr_decay = lr_decay
        # A random validation split would take most of the few labelled rows away.
        kwargs.setdefault("train_split", None)
        super().__init__(module, *args, iterator_train=iterator_train, criterion=criterion,
                         optimizer=optimizer, **kwargs)

    # ------------------------------------------------------------ initialisation
    def initialize_module(self):
        super().initialize_module()
        # Inside skorch's module initialisation, so it is registered: moved to the
        # device, saved and pickled, switched between train and eval with the rest.
        self.sampler_ = self.initialized_instance(self.sampler, self.get_params_for("sampler"))
        return self

    def initialize_optimizer(self, triggered_directly=None):
        # Three Adam optimisers over disjoint parameters, as the reference code has:
        # each player must not move the others when it descends its own loss.
        module = self.module_
        encoder_generator = [*module.encoder.parameters(), *module.generator.parameters()]
        self.optimizer_ = self.optimizer(encoder_generator, lr=self.lr, betas=ENCODER_BETAS)
        self.optimizer_discriminator_ = self.optimizer(
            module.discriminator.parameters(), lr=self.lr_discriminator,
            betas=DISCRIMINATOR_BETAS)
        self.optimizer_sampler_ = self.optimizer(
            self.sampler_.parameters(), lr=self.lr_discriminator, betas=DISCRIMINATOR_BETAS)
        for optimizer in self._all_optimizers():
            for group in optimizer.param_groups:
                group.setdefault("base_lr", group["lr"])
        return self

    def _all_optimizers(self):
        return (self.optimizer_, self.optimizer_discriminator_, self.optimizer_sampler_)

    def check_net_params(self):
        super().check_net_params()
        if self.generator_loss not in GENERATOR_LOSSES:
            raise ValueError(
                f"generator_loss must be one of {GENERATOR_LOSSES}; got {self.generator_loss!r}.")
        if not 0.0 <= float(self.unlabeled_trust) <= 1.0:
            raise ValueError(f"unlabeled_trust must be in [0, 1]; got {self.unlabeled_trust!r}.")

    # ------------------------------------------------------------------ training
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._first_epoch = len(self.history)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid,
                               **kwargs)
        # skorch's LRScheduler drives one optimiser; this schedule moves all three.
        factor = 1.0
        if self.lr_decay:
            done = len(self.history) - 1 - self._first_epoch  # history has this epoch already
            factor = min(3.0 * (1.0 - done / max(int(self.max_epochs), 1)), 1.0)
        for optimizer in self._all_optimizers():
            for group in optimizer.param_groups:
                group["lr"] = group["base_lr"] * factor

    def _mean(self, logits):
        """The generator's output as a row: probabilities (Bernoulli) or means (Gaussian)."""
        return torch.sigmoid(logits) if self.criterion_.likelihood == "bernoulli" else logits

    def _clean_labels(self, X):
        """``argmax C(x)`` without the discriminator's training noise (no gradient)."""
        disc = self.module_.discriminator
        disc.eval()
        with torch.no_grad(), self._autocast():
            labels = disc.classify(X).argmax(dim=1)
        disc.train()
        return labels

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = batch
        X = to_tensor(Xi, device=self.device).float()
        y = to_tensor(yi, device=self.device).long()
        labeled = y != UNLABELED
        trust = float(self.unlabeled_trust)
        module, n_classes = self.module_, self.module_.n_classes
        # The unlabelled rows are conditioned on the classifier's prediction, never on a
        # label the oracle has not given (the reference code fed the pool's true labels).
        y_cond = torch.where(labeled, y, self._clean_labels(X))
        Y = module.one_hot(y_cond)
        # As many generated rows as the larger pool has in the batch (at least 2, for the
        # generator's batch norm).
        n_labeled = int(labeled.sum())
        n_fake = max(len(X) - n_labeled, n_labeled, 2)
        y_fake = torch.randint(n_classes, (n_fake,), device=X.device)
        Y_fake = module.one_hot(y_fake)
        z_fake = torch.randn(n_fake, self._code_dim(), device=X.device)

        # 1. Encoder and generator, eq. 11.
        self.optimizer_.zero_grad(set_to_none=True)
        with self._autocast():
            mu, logvar = module.encoder(X, Y)
            z = reparameterize(mu, logvar)
            # One generator pass over the reconstructions and the generated rows: one set
            # of batch-norm statistics, and never a batch of one row.
            out = module.generator(torch.cat([z, z_fake]), torch.cat([Y, Y_fake]))
            x_rec, x_fake = out[:len(X)], self._mean(out[len(X):])
            logits_g, rf, h = module.discriminator(torch.cat([X, x_fake]),
                                                   torch.cat([z, z_fake]),
                                                   torch.cat([Y, Y_fake]))
            s_logit = self.sampler_(mu).float()
        n = len(X)
        nll = reconstruction_nll(x_rec, X, self.criterion_.likelihood)
        # The reference code detached the reconstruction, so this term gave no gradient.
        elbo = nll + self.criterion_.beta * gaussian_kl(mu.float(), logvar.float())
        loss = self.trd_weight * _weighted(elbo, labeled, trust)
        if self.adversarial_weight:
            fool = F.binary_cross_entropy_with_logits(s_logit, torch.ones_like(s_logit),
                                                      reduction="none")
            loss = loss + self.adversarial_weight * _weighted(fool, labeled, trust)
        if self.gan_weight:
            # BiGAN (Donahue et al., 2017): the encoder plays against the discriminator,
            # making real (x, E(x), y) look generated. Eq. 10 as printed would have it
            # help the discriminator instead; its non-saturating form is used.
            encoder_gan = F.softplus(rf[:n])
            loss = loss + self.gan_weight * _weighted(encoder_gan, labeled, trust)
            loss = loss + self.gan_weight * self._generator_loss(rf[n:], h[:n], h[n:], labeled,
                                                                 trust)
        if self.generator_cls_weight:
            # AC-GAN (Odena et al., 2017): G(z, y) should be classified as y. Eq. 11 has no
            # such term, and feature matching ignores y, so on the digits G drew the same
            # digit whatever the class while eq. 9 taught C that class for it.
            loss = loss + self.generator_cls_weight * F.cross_entropy(
                logits_g[n:].float(), y_fake)
        loss.backward()
        self.optimizer_.step()

        # 2. Discriminator and classifier, eq. 12, on detached codes and rows.
        self.optimizer_discriminator_.zero_grad(set_to_none=True)
        with self._autocast():
            logits, rf, _ = module.discriminator(
                torch.cat([X, x_fake.detach()]), torch.cat([z.detach(), z_fake]),
                torch.cat([Y, Y_fake]))
        rf = rf.float()
        d_loss = logits.new_zeros((), dtype=torch.float32)
        if self.gan_weight:
            real = _weighted(F.softplus(-rf[:n]), labeled, trust)
            d_loss = d_loss + self.gan_weight * (real + F.softplus(rf[n:]).mean())
        if self.cls_weight:
            cls = F.cross_entropy(logits[n:].float(), y_fake)
            if bool(labeled.any()):
                cls = cls + F.cross_entropy(logits[:n][labeled].float(), y[labeled])
            d_loss = d_loss + self.cls_weight * cls
        d_loss.backward()
        self.optimizer_discriminator_.step()

        # 3. Sampler, eq. 13: labelled codes are "labelled", unlabelled ones are not.
        self.optimizer_sampler_.zero_grad(set_to_none=True)
        with self._autocast():
            s_logit = self.sampler_(mu.detach()).float()
        bce = F.binary_cross_entropy_with_logits(s_logit, labeled.float(), reduction="none")
        s_loss = pool_mean(bce, labeled) + pool_mean(bce, ~labeled)
        s_loss.backward()
        self.optimizer_sampler_.step()

        self.history.record_batch("discriminator_loss", d_loss.item())
        self.history.record_batch("sampler_loss", s_loss.item())
        return {"loss": loss.detach(), "y_pred": x_rec.detach()}

    def _code_dim(self):
        return self.module_.encoder.mu.out_features

    def _generator_loss(self, rf_fake, h_real, h_fake, labeled, trust):
        if self.generator_loss == "gan":
            return F.softplus(-rf_fake).mean()
        # Feature matching: the generated rows' mean features should match the real
        # rows' (each pool's mean, the unlabelled one weighted by the trust).
        h_real = h_real.detach().float()
        target = h_real[labeled].mean(0) if bool(labeled.any()) else 0.0 * h_real[0]
        if trust and bool((~labeled).any()):
            n_l = float(bool(labeled.any()))
            target = (n_l * target + trust * h_real[~labeled].mean(0)) / (n_l + trust)
        return (h_fake.float().mean(0) - target).pow(2).mean()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # Used by skorch for validation only: the ELBO of the rows under C(x).
        X = to_tensor(X, device=self.device).float()
        logits, mu, logvar = y_pred
        x_rec = self.module_.generate(mu, logits.argmax(dim=1))
        return self.criterion_((x_rec, mu, logvar), X)

    # ----------------------------------------------------------------- inference
    def predict_proba(self, X):
        """``softmax C(x)`` as a float32 array."""
        def fn(xb):
            return torch.softmax(self.module_.classify(xb).float(), dim=1)

        return self._map_batches(fn, X)

    def encode(self, X):
        """Mean codes ``E[z | x, C(x)]``, conditioned on the predicted class, float32."""
        return self._map_batches(lambda xb: self.module_.encode(xb)[0], X)

    def predict_labeled_proba(self, X):
        """``S(mu(x, C(x)))``: the sampler's probability that each row is labelled."""
        def fn(xb):
            return torch.sigmoid(self.sampler_(self.module_.encode(xb)[0]).float())

        return self._map_batches(fn, X)

    def encode_and_score(self, X):
        """``(mu, S(mu))`` from one encoder pass, as float32 arrays."""
        def fn(xb):
            mu = self.module_.encode(xb)[0].float()
            return torch.cat([mu, torch.sigmoid(self.sampler_(mu).float()).unsqueeze(1)], dim=1)

        out = self._map_batches(fn, X)
        return out[:, :-1], out[:, -1]

    def generate(self, Z, y):
        """Rows ``G(z, y)`` (probabilities or means) for codes and integer classes."""
        Z = torch.as_tensor(Z, dtype=torch.float32)
        y = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
        # One array through _map_batches: the class index rides as the last column.

        def fn(zb):
            return self._mean(self.module_.generate(zb[:, :-1], zb[:, -1].long()).float())

        return self._map_batches(fn, torch.cat([Z, y], dim=1))
