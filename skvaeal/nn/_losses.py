"""Losses: the evidence lower bound (ELBO) and the unlabelled losses of semi-supervised training."""

import math

import torch
import torch.nn.functional as F
from torch import nn

LIKELIHOODS = ("bernoulli", "gaussian")
_LOG_2PI = math.log(2 * math.pi)


def gaussian_kl(mu, logvar):
    """Per-sample ``KL(N(mu, exp(logvar)) || N(0, I))``, summed over latent dimensions.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import gaussian_kl
    >>> gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3))
    tensor([0., 0.])
    """
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1.0 - logvar, dim=1)


def reconstruction_nll(x_hat, x, likelihood="bernoulli"):
    """Per-sample negative log-likelihood ``-log p(x|z)``, summed over features.

    Parameters
    ----------
    x_hat : Tensor of shape (n, D)
        Decoder output: logits (``"bernoulli"``) or means (``"gaussian"``).
    x : Tensor of shape (n, D)
        Data; in [0, 1] for ``"bernoulli"``.
    likelihood : {"bernoulli", "gaussian"}
        The Gaussian has unit variance, so it suits standardised data.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import reconstruction_nll
    >>> reconstruction_nll(torch.zeros(1, 2), torch.zeros(1, 2), "gaussian")
    tensor([1.8379])
    """
    x_hat = x_hat.float()
    if likelihood == "bernoulli":
        # The logits form is the numerically stable one (no log(0) near saturation).
        return F.binary_cross_entropy_with_logits(x_hat, x, reduction="none").sum(dim=1)
    if likelihood == "gaussian":
        return 0.5 * ((x - x_hat).pow(2) + _LOG_2PI).sum(dim=1)
    raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}.")


class ELBOLoss(nn.Module):
    """Negative beta-ELBO averaged over the batch.

    ``loss = mean_i [ -log p(x_i|z_i) + beta * KL(q(z|x_i) || p(z)) ]``

    Parameters
    ----------
    beta : float, default=1.0
        Weight of the KL term (beta-VAE); 1 gives the standard ELBO.
    likelihood : {"bernoulli", "gaussian"}, default="bernoulli"

    Examples
    --------
    Zero logits give every pixel probability 0.5 and the posterior equals the
    prior, so the loss is ``6 * log(2)`` for six features, whatever the data:

    >>> import math, torch
    >>> from skvaeal.nn import ELBOLoss
    >>> x = torch.tensor([[0.0, 1.0, 0.2, 0.5, 1.0, 0.0]])
    >>> loss = ELBOLoss()((torch.zeros(1, 6), torch.zeros(1, 2), torch.zeros(1, 2)), x)
    >>> math.isclose(loss.item(), 6 * math.log(2), rel_tol=1e-6)
    True
    """

    def __init__(self, beta=1.0, likelihood="bernoulli"):
        super().__init__()
        self.beta = beta
        self.likelihood = likelihood

    def per_sample(self, outputs, x):
        """Return ``(nll, kl)``, each of shape ``(n,)``."""
        x_hat, mu, logvar = outputs
        nll = reconstruction_nll(x_hat, x, self.likelihood)
        return nll, gaussian_kl(mu.float(), logvar.float())

    def forward(self, outputs, x):
        nll, kl = self.per_sample(outputs, x)
        return (nll + self.beta * kl).mean()


#: The kinds of :func:`unlabeled_loss` (``"vat"`` is computed by the net that uses it).
UNLABELED_LOSSES = ("pseudo_label", "entropy", "vat")


def unlabeled_loss_kinds(kind):
    """The kinds of unlabelled loss named by ``kind``, as a tuple (empty for None).

    Examples
    --------
    >>> from skvaeal.nn import unlabeled_loss_kinds
    >>> unlabeled_loss_kinds(("pseudo_label", "entropy"))
    ('pseudo_label', 'entropy')
    >>> unlabeled_loss_kinds(None)
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
    """Self-supervised loss on the class logits of unlabelled rows (``L_C^U`` of ASSAL, eq. 3).

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
    >>> from skvaeal.nn import unlabeled_loss
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


def weighted_cross_entropy(logits, target, weight):
    """Per-row weighted cross-entropy ``-w_n sum_k y_nk log p_nk`` (eq. 4 of Vengalil & Sinha).

    Parameters
    ----------
    logits : Tensor of shape (n, K)
    target : Tensor of shape (n,) of int
        Class indices; rows with a negative target (no label) contribute 0.
    weight : Tensor of shape (n,)
        Confidence of each row's label; a zero weight makes the row contribute
        exactly 0, whatever its logits.

    Returns
    -------
    loss : Tensor of shape (n,)

    Examples
    --------
    >>> import math, torch
    >>> from skvaeal.nn import weighted_cross_entropy
    >>> loss = weighted_cross_entropy(torch.zeros(3, 2), torch.tensor([0, 1, -1]),
    ...                               torch.tensor([1.0, 0.5, 1.0]))
    >>> [round(v / math.log(2), 3) for v in loss.tolist()]
    [1.0, 0.5, 0.0]
    """
    labeled = target >= 0
    ce = F.cross_entropy(logits.float(), target.clamp(min=0).long(), reduction="none")
    # where(), not a product: a zero weight must also zero a non-finite cross-entropy.
    return torch.where(labeled & (weight > 0), ce * weight.float(), ce.new_zeros(()))
