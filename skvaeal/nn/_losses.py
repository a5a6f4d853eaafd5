"""Evidence lower bound (ELBO) pieces."""

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
