"""The joint module of adversarial semi-supervised active learning (paper 004)."""

from torch import nn

from ._vae import reparameterize


class ASSALModule(nn.Module):
    """A VAE whose code also feeds a classifier head ``p(y|z)``.

    Encoder ``E``, generator ``G`` and classifier ``C`` of paper 004's figure 1;
    the labelled/unlabelled sampler is a separate
    :class:`~skvaeal.nn.LatentDiscriminator` because it has its own optimiser.

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
    the classifier read it (the expectations over ``q`` in eqs. 1-3 are
    estimated with that single draw); in evaluation mode both read the mean.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import ASSALModule, LatentClassifier, MLPDecoder, MLPEncoder
    >>> m = ASSALModule(MLPEncoder(6, 2), MLPDecoder(2, 6), LatentClassifier(2, 3))
    >>> x_hat, mu, logvar, logits = m(torch.rand(4, 6))
    >>> tuple(x_hat.shape), tuple(logits.shape)
    ((4, 6), (4, 3))
    """

    def __init__(self, encoder, decoder, classifier):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.classifier = classifier

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def classify(self, z):
        return self.classifier(z)

    def forward(self, x):
        mu, logvar = self.encoder(x)
        z = reparameterize(mu, logvar) if self.training else mu
        return self.decoder(z), mu, logvar, self.classifier(z)
