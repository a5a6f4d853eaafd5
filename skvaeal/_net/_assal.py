"""skorch net for adversarial semi-supervised active learning (paper 004)."""

import torch
import torch.nn.functional as F

from ..nn import reparameterize

from ._vaal import VAALNet

UNLABELED_LOSSES = ("pseudo_label", "entropy", "vat")
PHASES = ("warmup", "adversarial")


def check_unlabeled_loss(kind):
    """The kinds of ``L_C^U`` named by ``unlabeled_loss``, as a tuple (empty for None).

    Examples
    --------
    >>> from skvaeal._net._assal import check_unlabeled_loss
    >>> check_unlabeled_loss(("pseudo_label", "entropy"))
    ('pseudo_label', 'entropy')
    >>> check_unlabeled_loss(None)
    ()
    """
    if kind is None:
        return ()
    kinds = (kind,) if isinstance(kind, str) else kind
    if not isinstance(kinds, (tuple, list)) or not all(k in UNLABELED_LOSSES for k in kinds) \
            or len(set(kinds)) != len(kinds):
        raise ValueError(
            f"unlabeled_loss must be None, one of {UNLABELED_LOSSES} or a tuple of distinct "
            f"ones; got {kind!r}.")
    return tuple(kinds)


def unlabeled_loss(logits, clean_logits, kind, threshold=0.95):
    """Self-supervised loss ``L_C^U`` (eq. 3) on the class logits of unlabelled rows.

    Parameters
    ----------
    logits : Tensor of shape (n, K)
        Logits of the noisy view: the classifier applied to a sampled code of
        a corrupted (e.g. shifted and rotated) row.
    clean_logits : Tensor of shape (n, K)
        Logits of the clean view (the classifier on the posterior mean of the
        row itself).
    kind : {"pseudo_label", "entropy", None}
        ``"pseudo_label"``: cross-entropy of the noisy view to the clean
        view's arg-max class where its probability is at least ``threshold``,
        averaged over all rows (Lee, 2013; the confidence mask of FixMatch,
        Sohn et al., 2020); no gradient flows through the target.
        ``"entropy"``: on the clean view, the mean prediction entropy minus the
        entropy of the mean prediction, i.e. minus the mutual information
        between rows and classes (Grandvalet & Bengio, 2005; Krause et al.,
        2010): confident predictions that still use every class. Plain
        entropy minimisation, without the second term, collapsed onto few
        classes in our MNIST runs (test accuracy 0.11 to 0.37).
        ``None``: 0.
    threshold : float, default=0.95

    Returns
    -------
    loss : scalar Tensor

    Examples
    --------
    >>> import torch
    >>> from skvaeal._net import unlabeled_loss
    >>> logits = torch.tensor([[10.0, 0.0], [0.0, 10.0]])
    >>> round(unlabeled_loss(logits, logits, "pseudo_label").item(), 3)
    0.0
    >>> round(unlabeled_loss(logits, logits, "entropy").item(), 2)
    -0.69
    """
    if kind is None or len(logits) == 0:
        return logits.sum() * 0.0
    if kind == "pseudo_label":
        with torch.no_grad():
            proba = torch.softmax(clean_logits.detach().float(), dim=1)
            confidence, target = proba.max(dim=1)
            mask = (confidence >= threshold).float()
        ce = F.cross_entropy(logits.float(), target, reduction="none")
        # Averaged over all rows, not the confident ones: the term grows as the
        # classifier becomes sure of more rows, a built-in ramp-up.
        return (ce * mask).mean()
    if kind == "entropy":
        log_p = torch.log_softmax(clean_logits.float(), dim=1)
        p = log_p.exp()
        conditional = -(p * log_p).sum(dim=1).mean()
        marginal = p.mean(dim=0)
        marginal_entropy = -(marginal * torch.log(marginal + 1e-12)).sum()
        return conditional - marginal_entropy
    raise ValueError(f"unlabeled_loss must be one of {UNLABELED_LOSSES}; got {kind!r}.")


class ASSALNet(VAALNet):
    """VAE, latent classifier and latent sampler trained with eqs. 1-6 of paper 004.

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
        Returns ``(x_hat, mu, logvar, logits)``, e.g. :class:`~skvaeal.nn.ASSALModule`.
    discriminator : torch.nn.Module class or instance
    vae_weight, supervised_weight, unlabeled_weight : float, default=1.0
        ``lambda_1``, ``lambda_2`` and ``lambda_3`` of eq. 6.
    adversarial_weight : float, default=1.0
        ``lambda_4`` of eq. 6.
    unlabeled_loss : str, tuple of str or None, default="pseudo_label"
        The target ``h`` of eq. 3, one of ``"pseudo_label"``, ``"entropy"``,
        ``"vat"``, or a tuple of them (their sum is weighted by
        ``unlabeled_weight``); see :func:`unlabeled_loss`. ``"vat"``:
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
    augment : callable or None, default=None
        Maps a batch of rows to randomly altered rows of the same shape (e.g.
        :class:`~skvaeal.nn.RandomAffine`); applied, before the input dropout,
        to the view the classifier learns from.
    phase : {"warmup", "adversarial"}, default="adversarial"
    n_vae_steps : int, default=1
        Updates of the VAE per update of the sampler (one in Algorithm 1).
    **kwargs
        Everything :class:`VAALNet` accepts.

    Examples
    --------
    >>> import torch
    >>> from skvaeal._net import ASSALNet
    >>> from skvaeal.nn import (ASSALModule, LatentClassifier, LatentDiscriminator,
    ...                         MLPDecoder, MLPEncoder)
    >>> net = ASSALNet(ASSALModule, module__encoder=MLPEncoder(4, 2),
    ...                module__decoder=MLPDecoder(2, 4),
    ...                module__classifier=LatentClassifier(2, 2),
    ...                discriminator=LatentDiscriminator(2, (8,)), max_epochs=1,
    ...                train_split=None, verbose=0)
    >>> y = torch.tensor([0, 1, 0, 1] + [-1] * 12)
    >>> net = net.fit(torch.rand(16, 4), y)
    >>> net.predict_proba(torch.rand(3, 4)).shape
    (3, 2)
    """

    def __init__(self, module, *args, discriminator, vae_weight=1.0, supervised_weight=1.0,
                 unlabeled_weight=1.0, adversarial_weight=1.0, unlabeled_loss="pseudo_label",
                 threshold=0.95, vat_epsilon=2.0, input_dropout=0.0, augment=None,
                 phase="adversarial", n_vae_steps=1, **kwargs):
        self.vae_weight = vae_weight
        self.supervised_weight = supervised_weight
        self.unlabeled_weight = unlabeled_weight
        self.unlabeled_loss = unlabeled_loss
        self.threshold = threshold
        self.vat_epsilon = vat_epsilon
        self.input_dropout = input_dropout
        self.augment = augment
        self.phase = phase
        super().__init__(module, *args, discriminator=discriminator,
                         adversarial_weight=adversarial_weight, n_vae_steps=n_vae_steps,
                         **kwargs)

    def _vae_loss(self, X, y, labeled):
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}; got {self.phase!r}.")
        kinds = check_unlabeled_loss(self.unlabeled_loss)
        with self._autocast():
            outputs = self.module_(X)
            x_hat, mu, logvar, logits = outputs
            if self.augment is not None or self.input_dropout:
                # The classifier's view: a shifted/rotated and/or masked row (as in
                # denoising autoencoders and FixMatch) regularises the few labelled
                # rows, and makes pseudo-labelling a consistency loss between a
                # clean and a corrupted view.
                X_view = X if self.augment is None else self.augment(X)
                if self.input_dropout:
                    X_view = X_view * (torch.rand_like(X_view) >= self.input_dropout)
                mu_s, logvar_s = self.module_.encode(X_view)
                logits = self.module_.classify(reparameterize(mu_s, logvar_s))
        loss = self.vae_weight * self._elbo(outputs, X).mean()
        if self.supervised_weight and bool(labeled.any()):
            ce = F.cross_entropy(logits[labeled].float(), y[labeled])
            loss = loss + self.supervised_weight * ce
        unlabeled = ~labeled
        if self.unlabeled_weight and kinds and bool(unlabeled.any()):
            mu_u = mu[unlabeled]
            # The clean view: its prediction is the pseudo-label target (no
            # gradient) and the argument of the entropy term (gradient).
            grad = "entropy" in kinds and torch.is_grad_enabled()
            with self._autocast(), torch.set_grad_enabled(grad):
                clean = self.module_.classify(mu_u)
            for kind in kinds:
                if kind == "vat":
                    term = self._vat_loss(X[unlabeled], mu_u)
                else:
                    term = unlabeled_loss(logits[unlabeled], clean, kind, self.threshold)
                loss = loss + self.unlabeled_weight * term
        if self.phase == "adversarial" and self.adversarial_weight:
            loss = loss + self.adversarial_weight * self._adversarial_loss(mu, labeled)
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
        X, y, labeled = self._batch_tensors(batch)
        self.optimizer_.zero_grad()
        loss, outputs = self._vae_loss(X, y, labeled)
        loss.backward()
        self.optimizer_.step()
        return {"loss": loss.detach(), "y_pred": outputs[0].detach()}

    # ----------------------------------------------------------------- inference
    def predict_proba(self, X):
        """Class probabilities ``p(y | mu(x))`` as a float32 array."""
        def fn(xb):
            return torch.softmax(self.module_.classify(self.module_.encode(xb)[0]).float(), dim=1)

        return self._map_batches(fn, X)
