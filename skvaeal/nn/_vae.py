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


class VAEClassifierModule(VAEModule):
    """A VAE whose code also feeds a classifier head ``p(y|z)``.

    The encoder ``E``, generator ``G`` and classifier ``C`` of semi-supervised
    methods that classify in the latent space: adversarial semi-supervised
    active learning (ASSAL, an anonymous preprint under review) and the
    cluster-centre labelling of Vengalil & Sinha. A labelled/unlabelled sampler,
    when a method has one, is a separate
    :class:`~skvaeal.nn.LatentDiscriminator` with its own optimiser.

    Parameters
    ----------
    encoder : nn.Module
        Maps ``(n, D)`` rows to ``(mu, logvar)``.
    decoder : nn.Module
        Maps ``(n, d)`` codes to ``(n, D)`` decoder outputs.
    classifier : nn.Module
        Maps ``(n, d)`` codes to ``(n, K)`` class logits.

    Notes
    -----
    In training mode one code ``z ~ q(z|x)`` is drawn and both the decoder and
    the classifier read it (expectations over ``q`` are estimated with that
    single draw); in evaluation mode both read the mean.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import LatentClassifier, MLPDecoder, MLPEncoder, VAEClassifierModule
    >>> m = VAEClassifierModule(MLPEncoder(6, 2), MLPDecoder(2, 6), LatentClassifier(2, 3))
    >>> x_hat, mu, logvar, logits = m(torch.rand(4, 6))
    >>> tuple(x_hat.shape), tuple(logits.shape)
    ((4, 6), (4, 3))
    """

    def __init__(self, encoder, decoder, classifier):
        super().__init__(encoder, decoder)
        self.classifier = classifier

    def classify(self, z):
        return self.classifier(z)

    def forward(self, x):
        mu, logvar = self.encoder(x)
        z = reparameterize(mu, logvar) if self.training else mu
        return self.decoder(z), mu, logvar, self.classifier(z)


#: Former name of :class:`VAEClassifierModule`, kept so that old imports work.
ASSALModule = VAEClassifierModule
