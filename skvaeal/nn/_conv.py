"""Convolutional encoder and mirrored transposed-convolution decoder.

The layout follows Pourkamali-Anaraki & Wakin (2019): four 3x3 convolutions
with 32, 64, 64 and 64 filters and ReLU, the second with stride 2, then a dense
head to the mean and log-variance. Both modules take and return flat rows so a
VAE over images and one over tabular data share one training loop.
"""

import math

import torch
from torch import nn

_DEFAULT_FILTERS = (32, 64, 64, 64)


def conv_output_shape(input_shape, filters=_DEFAULT_FILTERS, stride_layer=1):
    """Shape ``(C, H, W)`` of the feature map after the encoder's convolutions.

    Examples
    --------
    >>> from skvaeal.nn import conv_output_shape
    >>> conv_output_shape((1, 28, 28))
    (64, 14, 14)
    """
    _, height, width = input_shape
    # 3x3 kernels with padding 1: stride 1 keeps the size, stride 2 halves it (rounded up).
    if stride_layer is not None:
        height, width = math.ceil(height / 2), math.ceil(width / 2)
    return (filters[-1], height, width)


class ConvEncoder(nn.Module):
    """Gaussian encoder ``q(z|x)`` for images given as flat rows.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of one image; a row has ``prod(input_shape)`` values.
    latent_dim : int
    hidden_dim : int, default=128
        Width of the dense layer between the convolutions and the two heads.
    filters : sequence of int, default=(32, 64, 64, 64)
    channels_last : bool, default=False
        Run the convolutions in channels-last memory format (faster with
        oneDNN/cuDNN, notably under bfloat16 autocast).

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import ConvEncoder
    >>> mu, logvar = ConvEncoder((1, 8, 8), 3)(torch.zeros(4, 64))
    >>> tuple(mu.shape)
    (4, 3)
    """

    def __init__(self, input_shape, latent_dim, hidden_dim=128, filters=_DEFAULT_FILTERS,
                 channels_last=False):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.channels_last = bool(channels_last)
        filters = tuple(filters)
        channels = [self.input_shape[0], *filters]
        layers = []
        for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2 if i == 1 else 1, padding=1), nn.ReLU()]
        self.convs = nn.Sequential(*layers)
        feature_shape = conv_output_shape(self.input_shape, filters)
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(feature_shape), hidden_dim),
                                   nn.ReLU())
        self.mu = nn.Linear(hidden_dim, latent_dim)
        self.logvar = nn.Linear(hidden_dim, latent_dim)

    def forward(self, x):
        x = x.reshape(-1, *self.input_shape)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        h = self.dense(self.convs(x))
        return self.mu(h), self.logvar(h)


class ConvDecoder(nn.Module):
    """Decoder ``p(x|z)`` mirroring :class:`ConvEncoder` with transposed convolutions.

    Returns flat rows of unconstrained parameters (logits or means).

    Parameters
    ----------
    latent_dim : int
    input_shape : tuple of int
        ``(channels, height, width)`` of the images to produce.
    hidden_dim : int, default=128
    filters : sequence of int, default=(32, 64, 64, 64)
        The encoder's filters; the decoder runs them in reverse.
    channels_last : bool, default=False

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import ConvDecoder
    >>> ConvDecoder(3, (1, 28, 28))(torch.zeros(4, 3)).shape
    torch.Size([4, 784])
    """

    def __init__(self, latent_dim, input_shape, hidden_dim=128, filters=_DEFAULT_FILTERS,
                 channels_last=False):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.channels_last = bool(channels_last)
        filters = tuple(filters)
        self.feature_shape = conv_output_shape(self.input_shape, filters)
        self.dense = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, math.prod(self.feature_shape)), nn.ReLU(),
        )
        reverse = filters[::-1]  # e.g. 64, 64, 64, 32
        layers = []
        for c_in, c_out in zip(reverse[:-2], reverse[1:-1]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 3, padding=1), nn.ReLU()]
        # Undo the stride-2 layer: output_padding recovers odd/even sizes exactly.
        _, height, width = self.input_shape
        out_pad = tuple(size - (2 * (half - 1) + 1) for size, half in
                        zip((height, width), self.feature_shape[1:]))
        layers += [nn.ConvTranspose2d(reverse[-2], reverse[-1], 3, stride=2, padding=1,
                                      output_padding=out_pad), nn.ReLU(),
                   nn.ConvTranspose2d(reverse[-1], self.input_shape[0], 3, padding=1)]
        self.deconvs = nn.Sequential(*layers)

    def forward(self, z):
        h = self.dense(z).reshape(-1, *self.feature_shape)
        if self.channels_last:
            h = h.contiguous(memory_format=torch.channels_last)
        return self.deconvs(h).flatten(1)
