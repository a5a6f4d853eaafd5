"""The variational autoencoder module."""

import torch
from torch import nn


def reparameterize(mu, logvar):
    """Draw ``z = mu + eps * exp(0.5 * logvar)`` with ``eps ~ N(0, I)``.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import reparameterize
    >>> reparameterize(torch.zeros(2, 3), torch.full((2, 3), -float("inf"))).abs().sum().item()
    0.0
    """
    return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)


class VAEModule(nn.Module):
    """Variational autoencoder over flat rows.

    Parameters
    ----------
    encoder : nn.Module
        Maps a batch ``(n, D)`` to ``(mu, logvar)``, each ``(n, d)``.
    decoder : nn.Module
        Maps codes ``(n, d)`` to decoder outputs ``(n, D)`` (logits for a
        Bernoulli likelihood, means for a Gaussian one).

    Notes
    -----
    In training mode the code is sampled with :func:`reparameterize`; in
    evaluation mode the posterior mean is decoded, so inference is deterministic.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import MLPDecoder, MLPEncoder, VAEModule
    >>> vae = VAEModule(MLPEncoder(64, 2), MLPDecoder(2, 64))
    >>> x_hat, mu, logvar = vae(torch.rand(5, 64))
    >>> tuple(x_hat.shape), tuple(mu.shape)
    ((5, 64), (5, 2))
    """

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, logvar = self.encoder(x)
        z = reparameterize(mu, logvar) if self.training else mu
        return self.decoder(z), mu, logvar
