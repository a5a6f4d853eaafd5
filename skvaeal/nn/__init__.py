"""Pure PyTorch building blocks. This subpackage imports no scikit-learn or skorch."""

from ._assal import ASSALModule
from ._augment import RandomAffine
from ._conv import ConvDecoder, ConvEncoder, conv_output_shape
from ._discriminator import LatentClassifier, LatentDiscriminator
from ._losses import ELBOLoss, gaussian_kl, reconstruction_nll
from ._mlp import MLPDecoder, MLPEncoder
from ._vae import VAEModule, reparameterize

__all__ = [
    "ASSALModule",
    "ConvDecoder",
    "ConvEncoder",
    "ELBOLoss",
    "LatentClassifier",
    "LatentDiscriminator",
    "MLPDecoder",
    "MLPEncoder",
    "RandomAffine",
    "VAEModule",
    "conv_output_shape",
    "gaussian_kl",
    "reconstruction_nll",
    "reparameterize",
]
