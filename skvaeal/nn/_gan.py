"""Generators and critics for Wasserstein GANs with gradient penalty (Gulrajani et al., 2017).

Both take and return flat rows, as the VAE modules do, so tabular data and
images share one training loop. A critic has ``features(x)``, its
penultimate layer: the feature space ASAL matches samples in (Mayer &
Timofte, 2020, "F_disc"). The critics have no batch normalisation, which the
gradient penalty forbids (it is a per-sample penalty).
"""

import math

import torch
from torch import nn

from ._mlp import mlp_layers

_OUTPUTS = ("sigmoid", "linear")


def _output(kind):
    if kind not in _OUTPUTS:
        raise ValueError(f"output must be one of {_OUTPUTS}; got {kind!r}.")
    return nn.Sigmoid() if kind == "sigmoid" else nn.Identity()


def _leaky_mlp(sizes):
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """Generator ``G(z)``: a ReLU MLP from codes to rows.

    Parameters
    ----------
    latent_dim : int
    n_features : int
    hidden_dims : sequence of int, default=(128, 256)
        Widths of the hidden layers, latent side first.
    output : {"sigmoid", "linear"}, default="sigmoid"
        ``"sigmoid"`` for data in [0, 1] (pixels), ``"linear"`` otherwise.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import MLPGenerator
    >>> MLPGenerator(2, 64)(torch.zeros(5, 2)).shape
    torch.Size([5, 64])
    """

    def __init__(self, latent_dim, n_features, hidden_dims=(128, 256), output="sigmoid"):
        super().__init__()
        hidden_dims = tuple(hidden_dims)
        width = hidden_dims[-1] if hidden_dims else latent_dim
        self.body = mlp_layers((latent_dim, *hidden_dims))
        self.out = nn.Linear(width, n_features)
        self.activation = _output(output)

    def forward(self, z):
        return self.activation(self.out(self.body(z)))


class MLPCritic(nn.Module):
    """Critic ``D(x)``: a leaky-ReLU MLP from rows to one unbounded score.

    Parameters
    ----------
    n_features : int
    hidden_dims : sequence of int, default=(256, 128)
        Widths of the hidden layers, input side first; the last is the width
        of :meth:`features`.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import MLPCritic
    >>> critic = MLPCritic(64)
    >>> critic(torch.zeros(5, 64)).shape, critic.features(torch.zeros(5, 64)).shape
    (torch.Size([5]), torch.Size([5, 128]))
    """

    def __init__(self, n_features, hidden_dims=(256, 128)):
        super().__init__()
        hidden_dims = tuple(hidden_dims)
        self.body = _leaky_mlp((n_features, *hidden_dims))
        self.n_features_out = hidden_dims[-1] if hidden_dims else n_features
        self.out = nn.Linear(self.n_features_out, 1)

    def features(self, x):
        """The penultimate layer: ASAL's discriminator features."""
        return self.body(x)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(1)


class ConvGenerator(nn.Module):
    """DCGAN-style generator (Radford et al., 2016) for images as flat rows.

    A dense layer to a ``(2 * filters, H/4, W/4)`` map, two stride-2
    transposed convolutions with batch normalisation and ReLU, a 3x3
    convolution to the image's channels, cropped to ``(H, W)``.

    Parameters
    ----------
    latent_dim : int
    input_shape : tuple of int
        ``(channels, height, width)`` of the images.
    filters : int, default=64
    output : {"sigmoid", "linear"}, default="sigmoid"

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import ConvGenerator
    >>> ConvGenerator(8, (1, 28, 28))(torch.zeros(3, 8)).shape
    torch.Size([3, 784])
    """

    def __init__(self, latent_dim, input_shape, filters=64, output="sigmoid"):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        channels, height, width = self.input_shape
        self.base = (2 * filters, math.ceil(height / 4), math.ceil(width / 4))
        self.dense = nn.Sequential(nn.Linear(latent_dim, math.prod(self.base)),
                                   nn.BatchNorm1d(math.prod(self.base)), nn.ReLU())
        self.deconvs = nn.Sequential(
            nn.ConvTranspose2d(2 * filters, filters, 4, stride=2, padding=1),
            nn.BatchNorm2d(filters), nn.ReLU(),
            nn.ConvTranspose2d(filters, filters // 2, 4, stride=2, padding=1),
            nn.BatchNorm2d(filters // 2), nn.ReLU(),
            nn.Conv2d(filters // 2, channels, 3, padding=1),
        )
        self.activation = _output(output)

    def forward(self, z):
        _, height, width = self.input_shape
        h = self.dense(z).reshape(-1, *self.base)
        return self.activation(self.deconvs(h)[:, :, :height, :width].flatten(1))


class ConvCritic(nn.Module):
    """DCGAN-style critic: stride-2 convolutions with leaky ReLU, no normalisation.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)``.
    filters : int, default=64
    hidden_dim : int, default=256
        Width of :meth:`features`, the dense layer after the convolutions.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import ConvCritic
    >>> ConvCritic((1, 28, 28))(torch.zeros(3, 784)).shape
    torch.Size([3])
    """

    def __init__(self, input_shape, filters=64, hidden_dim=256):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        channels, height, width = self.input_shape
        self.convs = nn.Sequential(
            nn.Conv2d(channels, filters, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(filters, 2 * filters, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        )
        size = (2 * filters) * (height // 4) * (width // 4)
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(size, hidden_dim), nn.LeakyReLU(0.2))
        self.n_features_out = hidden_dim
        self.out = nn.Linear(hidden_dim, 1)

    def features(self, x):
        """The penultimate layer: ASAL's discriminator features."""
        return self.dense(self.convs(x.reshape(-1, *self.input_shape)))

    def forward(self, x):
        return self.out(self.features(x)).squeeze(1)


def gradient_penalty(critic, real, fake):
    """WGAN-GP's penalty ``E[(||grad D(x_hat)||_2 - 1)^2]`` on random interpolates.

    ``x_hat = eps * real + (1 - eps) * fake`` with one ``eps ~ U(0, 1)`` per row
    (Gulrajani et al., 2017, Algorithm 1). Draws from torch's generator: call it
    inside the estimator's seeded scope.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import MLPCritic, gradient_penalty
    >>> gp = gradient_penalty(MLPCritic(4), torch.rand(8, 4), torch.rand(8, 4))
    >>> gp.ndim, bool(gp >= 0)
    (0, True)
    """
    eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device,
                     dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()
