"""Fully connected encoder and decoder for tabular rows."""

from torch import nn


def mlp_layers(sizes):
    """``Linear`` + ``ReLU`` for each consecutive pair of ``sizes``, as one ``Sequential``."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    """Gaussian encoder ``q(z|x)``: ReLU MLP with a mean and a log-variance head.

    Parameters
    ----------
    n_features : int
        Width of an input row.
    latent_dim : int
        Dimension of the code ``z``.
    hidden_dims : sequence of int, default=(256, 128)
        Widths of the hidden layers, input side first.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import MLPEncoder
    >>> mu, logvar = MLPEncoder(64, 2)(torch.zeros(5, 64))
    >>> tuple(mu.shape), tuple(logvar.shape)
    ((5, 2), (5, 2))
    """

    def __init__(self, n_features, latent_dim, hidden_dims=(256, 128)):
        super().__init__()
        hidden_dims = tuple(hidden_dims)
        self.body = mlp_layers((n_features, *hidden_dims))
        width = hidden_dims[-1] if hidden_dims else n_features
        self.mu = nn.Linear(width, latent_dim)
        self.logvar = nn.Linear(width, latent_dim)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h)


class MLPDecoder(nn.Module):
    """Decoder ``p(x|z)``: ReLU MLP mapping a code to a row of parameters.

    The output is unconstrained: logits for a Bernoulli likelihood, means for a
    Gaussian one (see :class:`~skvaeal.nn.ELBOLoss`).

    Parameters
    ----------
    latent_dim : int
    n_features : int
    hidden_dims : sequence of int, default=(128, 256)
        Widths of the hidden layers, latent side first.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import MLPDecoder
    >>> MLPDecoder(2, 64)(torch.zeros(5, 2)).shape
    torch.Size([5, 64])
    """

    def __init__(self, latent_dim, n_features, hidden_dims=(128, 256)):
        super().__init__()
        hidden_dims = tuple(hidden_dims)
        self.body = mlp_layers((latent_dim, *hidden_dims))
        width = hidden_dims[-1] if hidden_dims else latent_dim
        self.out = nn.Linear(width, n_features)

    def forward(self, z):
        return self.out(self.body(z))
