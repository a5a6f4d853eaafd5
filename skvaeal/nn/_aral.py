"""Modules of adversarial representation active learning (ARAL, Mottaghi & Yeung, 2019).

A class-conditional encoder ``E(x, y)``, a class-conditional generator
``G(z, y)`` and a semi-supervised discriminator whose trunk ``D~(x)`` feeds a
class head ``C(x)`` and a real/fake score ``D(x, z, y)``. Classes enter as
one-hot rows. Every module works on flat rows, as the VAE modules do; the
convolutional variants reshape to ``input_shape`` inside.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ._conv import ConvEncoder
from ._gan import ConvGenerator
from ._mlp import mlp_layers


class GaussianNoise(nn.Module):
    """Add ``N(0, std^2)`` noise in training mode; the identity in evaluation mode.

    The noise layers of the semi-supervised GAN discriminators of Salimans et
    al. (2016) and Dai et al. (2017). Draws from torch's global generator,
    which the estimators seed inside :func:`skvaeal.utils.torch_rng_scope`.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import GaussianNoise
    >>> layer = GaussianNoise(0.5).eval()
    >>> bool((layer(torch.ones(2, 3)) == 1).all())
    True
    """

    def __init__(self, std):
        super().__init__()
        self.std = float(std)

    def forward(self, x):
        if self.training and self.std > 0:
            return x + self.std * torch.randn_like(x)
        return x


class _WeightNorm(nn.Module):
    """A layer whose weight is ``g * v / ||v||`` per output unit (Salimans & Kingma, 2016).

    Hand-written because torch's parametrised weight norm refuses to be pickled,
    and every estimator pickles its net. Initialised from data, as Salimans &
    Kingma (2016) and the discriminators of Salimans et al. (2016) and Dai et
    al. (2017) are: the first forward pass in training mode sets ``g`` and the
    bias so that each unit's pre-activation has mean 0 and variance 1 on that
    batch. Without it torch's default initialisation shrinks the activations
    about sixfold per layer, and the trunk's noise (std 0.5, sized for unit
    activations) drowns the signal: on the t10k digits with 100 labels the
    classifier then stayed below 0.3 for its first 300 steps.
    """

    def __init__(self, layer):
        super().__init__()
        weight = layer.weight.detach()
        self.layer_type = type(layer).__name__
        self.stride, self.padding = getattr(layer, "stride", 1), getattr(layer, "padding", 0)
        self.v = nn.Parameter(weight.clone())
        self.g = nn.Parameter(weight.flatten(1).norm(dim=1))
        self.bias = nn.Parameter(layer.bias.detach().clone())
        self.register_buffer("initialized", torch.tensor(False))
        # A Python mirror of the buffer: reading a CUDA tensor in every training forward
        # would synchronise the device once per layer and step.
        self._ready = False

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self._ready = bool(self.initialized)

    def _direction(self):
        """``v / ||v||`` per output unit."""
        norm = self.v.flatten(1).norm(dim=1).clamp_min(1e-12)
        return self.v / norm.view(-1, *[1] * (self.v.dim() - 1))

    def weight(self):
        return self._direction() * self.g.view(-1, *[1] * (self.v.dim() - 1))

    def _apply_weight(self, x, weight, bias):
        if self.layer_type == "Conv2d":
            return F.conv2d(x, weight, bias, self.stride, self.padding)
        return F.linear(x, weight, bias)

    @torch.no_grad()
    def _initialize(self, x):
        if len(x) < 2:  # no spread to normalise by: wait for a larger batch
            return
        t = self._apply_weight(x.float(), self._direction().float(), None)
        dims = [0, 2, 3] if t.dim() == 4 else [0]
        mean, std = t.mean(dim=dims), t.std(dim=dims).clamp_min(1e-6)
        self.g.copy_(1.0 / std)
        self.bias.copy_(-mean / std)
        self.initialized.fill_(True)
        self._ready = True

    def forward(self, x):
        if self.training and not self._ready:
            self._initialize(x)
        return self._apply_weight(x, self.weight(), self.bias)


def weight_norm(layer):
    """``layer`` (``nn.Linear`` or ``nn.Conv2d``) with a weight-normalised weight."""
    return _WeightNorm(layer)


def _wn_linear(n_in, n_out):
    return weight_norm(nn.Linear(n_in, n_out))


def mlp_discriminator_trunk(n_features, hidden_dims=(1000, 500, 250, 250, 250), input_noise=0.3,
                            hidden_noise=0.5):
    """The trunk ``D~(x)`` of Dai et al. (2017): weight-normalised ReLU layers with noise.

    Noise of std ``input_noise`` on the input and ``hidden_noise`` after every
    hidden layer but the last, whose output is the feature row.

    Returns
    -------
    trunk : torch.nn.Sequential
    n_features_out : int
    """
    hidden_dims = tuple(hidden_dims)
    layers = [GaussianNoise(input_noise)]
    sizes = (n_features, *hidden_dims)
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [_wn_linear(n_in, n_out), nn.ReLU()]
        if i < len(hidden_dims) - 1:
            layers.append(GaussianNoise(hidden_noise))
    return nn.Sequential(*layers), sizes[-1]


class _Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(-1, *self.shape)


def conv_discriminator_trunk(input_shape, filters=(64, 128, 128), dropout=0.5, input_noise=0.2):
    """A convolutional trunk ``D~(x)``: three blocks of three convolutions, dropout between.

    The discriminator the paper uses for SVHN and CIFAR-10 (after Salimans et
    al., 2016): each block has two 3x3 convolutions and a stride-2 one, with
    leaky ReLU and weight normalisation; global average pooling gives the
    feature row.

    Returns
    -------
    trunk : torch.nn.Sequential
    n_features_out : int
    """
    channels = [int(input_shape[0]), *map(int, filters)]
    layers = [_Reshape(input_shape), GaussianNoise(input_noise)]
    for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
        if i:
            layers.append(nn.Dropout(dropout))
        for k, stride in ((c_in, 1), (c_out, 1), (c_out, 2)):
            layers += [weight_norm(nn.Conv2d(k, c_out, 3, stride=stride, padding=1)),
                       nn.LeakyReLU(0.2)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), channels[-1]


class SemiSupervisedDiscriminator(nn.Module):
    """``C(x)`` and ``D(x, z, y)`` on one trunk ``D~(x)`` (Mottaghi & Yeung, 2019, Fig. 2).

    The class head ``c_cl`` gives K logits ``l(x)``. The real/fake logit is
    ``logsumexp_k l_k(x) + c_rf([D~(x); z; y])``: the first term is the
    K-class discriminator of Salimans et al. (2016), through which the
    unlabelled rows teach the classifier; the second is the paper's linear
    head on the features, the code and the class (the BiGAN input).

    Parameters
    ----------
    trunk : torch.nn.Module
        Maps rows to feature rows of width ``n_features_out``.
    n_features_out : int
    n_classes : int
    latent_dim : int

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import SemiSupervisedDiscriminator, mlp_discriminator_trunk
    >>> trunk, width = mlp_discriminator_trunk(6, (8, 4))
    >>> disc = SemiSupervisedDiscriminator(trunk, width, n_classes=3, latent_dim=2)
    >>> logits, rf, h = disc(torch.rand(5, 6), torch.zeros(5, 2), torch.eye(3)[[0, 1, 2, 0, 1]])
    >>> logits.shape, rf.shape, h.shape
    (torch.Size([5, 3]), torch.Size([5]), torch.Size([5, 4]))
    """

    def __init__(self, trunk, n_features_out, n_classes, latent_dim):
        super().__init__()
        self.trunk = trunk
        self.n_classes = int(n_classes)
        self.classifier = _wn_linear(n_features_out, self.n_classes)
        self.real_fake = nn.Linear(n_features_out + int(latent_dim) + self.n_classes, 1)

    def features(self, x):
        """``D~(x)``, the feature rows (feature matching compares their means)."""
        return self.trunk(x)

    def classify(self, x):
        """Class logits ``l(x)``."""
        return self.classifier(self.trunk(x))

    def forward(self, x, z, y_onehot):
        """``(class logits, real/fake logit, features)``."""
        h = self.trunk(x)
        logits = self.classifier(h)
        rf = torch.logsumexp(logits.float(), dim=1) + self.real_fake(
            torch.cat([h, z.to(h.dtype), y_onehot.to(h.dtype)], dim=1)).squeeze(1).float()
        return logits, rf, h


class ConditionalEncoder(nn.Module):
    """Gaussian encoder ``q(z | x, y)``: a trunk on x, then an MLP on ``[trunk(x); y]``.

    With an identity trunk this is the reference MLP, which sees ``[x; y]``
    directly; a convolutional trunk reads the image first.

    Parameters
    ----------
    trunk : torch.nn.Module
        Rows to feature rows of width ``n_features_out`` (``nn.Identity()``
        for the MLP).
    n_features_out : int
    n_classes : int
    latent_dim : int
    hidden_dims : sequence of int, default=(500, 500)

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skvaeal.nn import ConditionalEncoder
    >>> enc = ConditionalEncoder(nn.Identity(), 6, n_classes=3, latent_dim=2, hidden_dims=(8,))
    >>> mu, logvar = enc(torch.rand(4, 6), torch.eye(3)[[0, 1, 2, 0]])
    >>> mu.shape
    torch.Size([4, 2])
    """

    def __init__(self, trunk, n_features_out, n_classes, latent_dim, hidden_dims=(500, 500)):
        super().__init__()
        hidden_dims = tuple(hidden_dims)
        self.trunk = trunk
        self.body = mlp_layers((int(n_features_out) + int(n_classes), *hidden_dims))
        width = hidden_dims[-1] if hidden_dims else int(n_features_out) + int(n_classes)
        self.mu = nn.Linear(width, latent_dim)
        self.logvar = nn.Linear(width, latent_dim)

    def forward(self, x, y_onehot):
        h = self.body(torch.cat([self.trunk(x), y_onehot.to(x.dtype)], dim=1))
        return self.mu(h), self.logvar(h)


class ConditionalMLPGenerator(nn.Module):
    """Generator ``G(z, y)`` of the reference code: batch norm and softplus, weight-norm output.

    Maps ``[z; y]`` through the hidden layers to one row of decoder
    parameters: logits for a Bernoulli likelihood, means for a Gaussian one.

    Parameters
    ----------
    latent_dim : int
    n_classes : int
    n_features : int
    hidden_dims : sequence of int, default=(500, 500)

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import ConditionalMLPGenerator
    >>> gen = ConditionalMLPGenerator(2, 3, 6, hidden_dims=(8,))
    >>> gen(torch.zeros(4, 2), torch.eye(3)[[0, 1, 2, 0]]).shape
    torch.Size([4, 6])
    """

    def __init__(self, latent_dim, n_classes, n_features, hidden_dims=(500, 500)):
        super().__init__()
        sizes = (int(latent_dim) + int(n_classes), *tuple(hidden_dims))
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out), nn.Softplus()]
        self.body = nn.Sequential(*layers)
        self.out = _wn_linear(sizes[-1], int(n_features))

    def forward(self, z, y_onehot):
        return self.out(self.body(torch.cat([z, y_onehot.to(z.dtype)], dim=1)))


class ConditionalConvGenerator(nn.Module):
    """Generator ``G(z, y)`` for images: a DCGAN generator on ``[z; y]``, linear output.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import ConditionalConvGenerator
    >>> gen = ConditionalConvGenerator(4, 3, (1, 16, 16), filters=8)
    >>> gen(torch.zeros(2, 4), torch.eye(3)[[0, 1]]).shape
    torch.Size([2, 256])
    """

    def __init__(self, latent_dim, n_classes, input_shape, filters=64):
        super().__init__()
        self.net = ConvGenerator(int(latent_dim) + int(n_classes), input_shape, filters=filters,
                                 output="linear")

    def forward(self, z, y_onehot):
        return self.net(torch.cat([z, y_onehot.to(z.dtype)], dim=1))


def conv_encoder_trunk(input_shape, hidden_dim=128, channels_last=False):
    """The convolutions and dense layer of :class:`ConvEncoder`: a trunk of width ``hidden_dim``."""
    encoder = ConvEncoder(input_shape, 1, hidden_dim=hidden_dim, channels_last=channels_last)
    return nn.Sequential(_Reshape(encoder.input_shape), encoder.convs, encoder.dense), hidden_dim


class ARALModule(nn.Module):
    """Encoder, generator and discriminator of ARAL, with the class conditioning in one place.

    Parameters
    ----------
    encoder : ConditionalEncoder
    generator : torch.nn.Module
        ``G(z, y_onehot)`` returning decoder parameters.
    discriminator : SemiSupervisedDiscriminator
    n_classes : int

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skvaeal.nn import (ARALModule, ConditionalEncoder, ConditionalMLPGenerator,
    ...                         SemiSupervisedDiscriminator, mlp_discriminator_trunk)
    >>> trunk, width = mlp_discriminator_trunk(6, (8,))
    >>> module = ARALModule(ConditionalEncoder(nn.Identity(), 6, 3, 2, (8,)),
    ...                     ConditionalMLPGenerator(2, 3, 6, (8,)),
    ...                     SemiSupervisedDiscriminator(trunk, width, 3, 2), n_classes=3)
    >>> module.encode(torch.rand(4, 6))[0].shape
    torch.Size([4, 2])
    """

    def __init__(self, encoder, generator, discriminator, n_classes):
        super().__init__()
        self.encoder = encoder
        self.generator = generator
        self.discriminator = discriminator
        self.n_classes = int(n_classes)

    def one_hot(self, y):
        return F.one_hot(y.long(), self.n_classes).float()

    def classify(self, x):
        """Class logits ``C(x)``."""
        return self.discriminator.classify(x)

    def encode(self, x, y=None):
        """``(mu, logvar)`` of ``q(z | x, y)``; ``y=None`` conditions on ``argmax C(x)``.

        Rows without a label are always encoded under the classifier's own
        prediction, never a true label the sampler must not see.
        """
        if y is None:
            with torch.no_grad():
                y = self.classify(x).argmax(dim=1)
        return self.encoder(x, self.one_hot(y))

    def generate(self, z, y):
        """Decoder parameters ``G(z, y)`` for integer classes ``y``."""
        return self.generator(z, self.one_hot(y))

    def forward(self, x):
        logits = self.classify(x)
        mu, logvar = self.encoder(x, self.one_hot(logits.argmax(dim=1)))
        return logits, mu, logvar


__all__ = ["ARALModule", "ConditionalConvGenerator", "ConditionalEncoder",
           "ConditionalMLPGenerator", "GaussianNoise", "SemiSupervisedDiscriminator",
           "conv_discriminator_trunk", "conv_encoder_trunk", "mlp_discriminator_trunk"]
