"""ASSALNet: the skorch net of adversarial semi-supervised active learning (ASSAL)."""

import copy

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel

from .._net import AdversarialVAENet, trusted_mean
from ..nn import reparameterize, unlabeled_loss, unlabeled_loss_kinds

__all__ = ["ASSALNet"]

PHASES = ("warmup", "adversarial")


class _EMAUpdate:
    """One step of an exponential moving average of a parameter, picklable.

    The decay starts low and rises to ``decay``, ``min(decay, (1 + n) / (10 + n))``
    after ``n`` updates (TensorFlow's ``ExponentialMovingAverage(num_updates=...)``),
    so a short fit is not averaged towards its random initial weights; torch's
    ``get_ema_multi_avg_fn`` has neither the ramp nor a picklable result.
    """

    def __init__(self, decay):
        self.decay = float(decay)

    def __call__(self, averaged, current, num_averaged):
        n = int(num_averaged)
        decay = min(self.decay, (1.0 + n) / (10.0 + n))
        return averaged * decay + current * (1.0 - decay)


class ASSALNet(AdversarialVAENet):
    """VAE, latent classifier and latent sampler trained with eqs. 1-6 of ASSAL.

    ASSAL: *Adversarial Semi-Supervised Active Learning*, an anonymous
    preprint under review.

    ``fit(X, y)`` takes rows and integer class indices, ``-1`` marking
    unlabelled rows. With ``phase="warmup"`` (Algorithm 2) each step makes
    one update of encoder, generator and classifier with
    ``vae_weight * ELBO / n_features + supervised_weight * CE_L + unlabeled_weight * L_U``;
    with ``phase="adversarial"`` (Algorithm 1) it adds
    ``adversarial_weight * L_adv`` (eq. 4) and, after ``n_vae_steps`` such
    updates, one update of the sampler with eq. 5. The KL terms of eqs. 2
    and 3 are those of eq. 1, so they are counted once, in the ELBO.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns ``(x_hat, mu, logvar, logits)``, e.g.
        :class:`~skvaeal.nn.VAEClassifierModule`.
    discriminator : torch.nn.Module class or instance
        Built with the ``discriminator__*`` parameters, e.g.
        :class:`~skvaeal.nn.LatentDiscriminator`.
    vae_weight, supervised_weight, unlabeled_weight : float, default=1.0
        ``lambda_1``, ``lambda_2`` and ``lambda_3`` of eq. 6.
    adversarial_weight : float, default=1.0
        ``lambda_4`` of eq. 6.
    unlabeled_loss : str, tuple of str or None, default="pseudo_label"
        The target ``h`` of eq. 3, one of ``"pseudo_label"``, ``"entropy"``,
        ``"vat"``, or a tuple of them (their sum is weighted by
        ``unlabeled_weight``); see :func:`skvaeal.nn.unlabeled_loss`. ``"vat"``:
        virtual adversarial training, the KL divergence between the
        predictions for x and for x moved ``vat_epsilon`` in the most
        sensitive direction.
    threshold : float, default=0.95
        Confidence a pseudo-label needs.
    vat_epsilon : float, default=2.0
        L2 norm of the virtual adversarial perturbation, in input units,
        for ``unlabeled_loss="vat"``.
    input_dropout : float in [0, 1), default=0.0
        Fraction of input features zeroed at random in the view the
        classifier learns from (labelled cross-entropy and the noisy side of
        the unlabelled loss); the VAE and the pseudo-label targets always see
        the clean rows.
    iterator_train__augment : callable or None, default=None
        Maps a batch of rows to randomly altered rows of the same shape (e.g.
        :class:`~skvaeal.nn.RandomAffine`); applied by the batch iterator,
        before the input dropout, to the view the classifier learns from.
    unlabeled_trust : float in [0, 1], default=1.0
        Weight of the unlabelled rows in every loss the encoder, generator and
        classifier learn from: their ELBO, the unlabelled loss and the
        encoder's adversarial loss. ``0`` is the supervised fit of this
        network (only the labelled rows shape it, for as many steps); the
        sampler always learns from both pools.
    ema_decay : float in [0, 1) or None, default=None
        With a number, the net keeps an exponential moving average of the
        encoder, decoder and classifier weights (torch's ``AveragedModel``),
        updated after every step: an averaged teacher (Tarvainen & Valpola,
        2017) whose predictions are the pseudo-label targets, and whose
        classifier gives :meth:`predict_proba`. Read when the modules are
        built.
    phase : {"warmup", "adversarial"}, default="adversarial"
    n_vae_steps : int, default=1
        Updates of the VAE per update of the sampler (one in Algorithm 1).
    **kwargs
        Everything :class:`~skvaeal._net.AdversarialVAENet` accepts.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.assal import ASSALNet
    >>> from skvaeal.nn import (LatentClassifier, LatentDiscriminator, MLPDecoder, MLPEncoder,
    ...                         VAEClassifierModule)
    >>> net = ASSALNet(VAEClassifierModule, module__encoder=MLPEncoder(4, 2),
    ...                module__decoder=MLPDecoder(2, 4),
    ...                module__classifier=LatentClassifier(2, 2),
    ...                discriminator=LatentDiscriminator, discriminator__latent_dim=2,
    ...                discriminator__hidden_dims=(8,), max_epochs=1, verbose=0)
    >>> y = torch.tensor([0, 1, 0, 1] + [-1] * 12)
    >>> net = net.fit(torch.rand(16, 4), y)
    >>> net.predict_proba(torch.rand(3, 4)).shape
    (3, 2)
    """

    def __init__(self, module, *args, discriminator, vae_weight=1.0, supervised_weight=1.0,
                 unlabeled_weight=1.0, adversarial_weight=1.0, unlabeled_loss="pseudo_label",
                 threshold=0.95, vat_epsilon=2.0, input_dropout=0.0, unlabeled_trust=1.0,
                 ema_decay=None, phase="adversarial", n_vae_steps=1, **kwargs):
        self.vae_weight = vae_weight
        self.supervised_weight = supervised_weight
        self.unlabeled_weight = unlabeled_weight
        self.unlabeled_loss = unlabeled_loss
        self.threshold = threshold
        self.vat_epsilon = vat_epsilon
        self.input_dropout = input_dropout
        self.unlabeled_trust = unlabeled_trust
        self.ema_decay = ema_decay
        self.phase = phase
        super().__init__(module, *args, discriminator=discriminator,
                         adversarial_weight=adversarial_weight, n_vae_steps=n_vae_steps,
                         **kwargs)

    def initialize_module(self):
        super().initialize_module()
        # Assigned inside skorch's module initialisation, so it is registered: moved to
        # the device, saved and pickled with the net.
        self.teacher_ = None
        if self.ema_decay is not None:
            self.teacher_ = AveragedModel(self.module_, avg_fn=_EMAUpdate(self.ema_decay),
                                          use_buffers=True)
        return self

    def reset_teacher(self):
        """Restart the averaged weights from the current ones (e.g. after a new head)."""
        if getattr(self, "teacher_", None) is not None:
            self.teacher_.module.classifier = copy.deepcopy(self.module_.classifier)
            self.teacher_.n_averaged.zero_()  # the next update copies the current weights

    def _teacher(self):
        """The module whose predictions are targets and outputs: the average, or the live one."""
        ema = getattr(self, "teacher_", None)
        if ema is None or int(ema.n_averaged) == 0:
            return self.module_
        return ema.module

    def _vae_step(self, X, X_view, y, labeled):
        loss, outputs = super()._vae_step(X, X_view, y, labeled)
        if getattr(self, "teacher_", None) is not None:
            self.teacher_.update_parameters(self.module_)
        return loss, outputs

    def check_net_params(self):
        super().check_net_params()
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}; got {self.phase!r}.")
        if not 0.0 <= float(self.unlabeled_trust) <= 1.0:
            raise ValueError(
                f"unlabeled_trust must be in [0, 1]; got {self.unlabeled_trust!r}.")
        # Resolved once per fit; training steps read the tuple.
        self._unlabeled_kinds = unlabeled_loss_kinds(self.unlabeled_loss)

    def _vae_loss(self, X, X_view, y, labeled):
        trust = float(self.unlabeled_trust)
        if trust == 0.0 and bool(labeled.any()) and not bool(labeled.all()):
            # The supervised fit: the unlabelled rows would carry zero weight in every
            # term, so they are not run through the VAE at all (the sampler's step
            # still sees them).
            X_view = None if X_view is None else X_view[labeled]
            X, y, labeled = X[labeled], y[labeled], labeled[labeled]
        kinds = self._unlabeled_kinds
        with self._autocast():
            outputs = self.module_(X)
            x_hat, mu, logvar, logits = outputs
            if X_view is not None or self.input_dropout:
                # The classifier's view: a shifted/rotated and/or masked row (as in
                # denoising autoencoders and FixMatch) regularises the few labelled
                # rows, and makes pseudo-labelling a consistency loss between a
                # clean and a corrupted view.
                X_view = X if X_view is None else X_view
                if self.input_dropout:
                    X_view = X_view * (torch.rand_like(X_view) >= self.input_dropout)
                mu_s, logvar_s = self.module_.encode(X_view)
                logits = self.module_.classify(reparameterize(mu_s, logvar_s))
        loss = self.vae_weight * trusted_mean(self._elbo(outputs, X), labeled, trust)
        if self.supervised_weight and bool(labeled.any()):
            ce = F.cross_entropy(logits[labeled].float(), y[labeled])
            loss = loss + self.supervised_weight * ce
        unlabeled = ~labeled
        if self.unlabeled_weight and trust and kinds and bool(unlabeled.any()):
            mu_u = mu[unlabeled]
            # The clean view: its prediction is the pseudo-label target (no
            # gradient) and the argument of the entropy term (gradient).
            grad = "entropy" in kinds and torch.is_grad_enabled()
            with self._autocast(), torch.set_grad_enabled(grad):
                clean = self.module_.classify(mu_u)
            target = clean
            teacher = self._teacher()
            if "pseudo_label" in kinds and teacher is not self.module_:
                with self._autocast(), torch.no_grad():
                    target = teacher.classify(teacher.encode(X[unlabeled])[0])
            for kind in kinds:
                if kind == "vat":
                    term = self._vat_loss(X[unlabeled], mu_u)
                else:
                    term = unlabeled_loss(logits[unlabeled],
                                          target if kind == "pseudo_label" else clean,
                                          kind, self.threshold)
                loss = loss + trust * self.unlabeled_weight * term
        if self.phase == "adversarial" and self.adversarial_weight and trust:
            loss = loss + trust * self.adversarial_weight * self._adversarial_loss(mu, labeled)
        return loss, outputs

    def _vat_loss(self, X, mu):
        """Virtual adversarial training (Miyato et al., 2018) on the mean-code classifier.

        The target ``h`` is the classifier's own (detached) prediction for x;
        the loss is its KL divergence to the prediction for ``x + r_adv``,
        where ``r_adv`` (norm ``vat_epsilon``) is the direction that changes
        the prediction most, found with one power iteration.
        """
        def predict_log(x):
            return torch.log_softmax(
                self.module_.classify(self.module_.encode(x)[0]).float(), dim=1)

        def unit(d):
            return d / (d.flatten(1).norm(dim=1).view(-1, *[1] * (d.dim() - 1)) + 1e-12)

        with torch.no_grad():
            target = torch.softmax(self.module_.classify(mu.detach()).float(), dim=1)
        d = unit(torch.randn_like(X)).requires_grad_(True)
        distance = F.kl_div(predict_log(X + 1e-6 * d), target, reduction="batchmean")
        # Gradient with respect to d only: the parameters' .grad stay untouched.
        (grad,) = torch.autograd.grad(distance, d)
        r_adv = self.vat_epsilon * unit(grad.detach())
        return F.kl_div(predict_log(X + r_adv), target, reduction="batchmean")

    def train_step(self, batch, **fit_params):
        if self.phase == "adversarial":
            return super().train_step(batch, **fit_params)
        # Algorithm 2: the sampler does not exist yet, only E, G and C learn.
        self._set_training(True)
        loss, outputs = self._vae_step(*self._batch_tensors(batch))
        return {"loss": loss.detach(), "y_pred": outputs[0].detach()}

    # ----------------------------------------------------------------- inference
    def predict_proba(self, X):
        """Class probabilities ``p(y | mu(x))`` as a float32 array (averaged weights if kept)."""
        module = self._teacher()

        def fn(xb):
            return torch.softmax(module.classify(module.encode(xb)[0]).float(), dim=1)

        return self._map_batches(fn, X)
