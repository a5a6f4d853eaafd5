"""Pure PyTorch building blocks. This subpackage imports no scikit-learn or skorch."""

from ._aral import (ARALModule, ConditionalConvGenerator, ConditionalEncoder,
                    ConditionalMLPGenerator, GaussianNoise, SemiSupervisedDiscriminator,
                    conv_discriminator_trunk, conv_encoder_trunk, mlp_discriminator_trunk)
from ._augment import RandomAffine
from ._conv import ConvDecoder, ConvEncoder, conv_output_shape
from ._dropout import MCDropoutCNN, MCDropoutMLP
from ._gan import ConvCritic, ConvGenerator, MLPCritic, MLPGenerator, gradient_penalty
from ._heads import LatentClassifier, LatentDiscriminator
from ._losses import (UNLABELED_LOSSES, ELBOLoss, gaussian_kl, reconstruction_nll,
                      unlabeled_loss, unlabeled_loss_kinds, weighted_cross_entropy)
from ._mlp import MLPDecoder, MLPEncoder, mlp_layers
from ._vae import ASSALModule, VAEClassifierModule, VAEModule, reparameterize

__all__ = [
    "ARALModule",
    "ConditionalConvGenerator",
    "ConditionalEncoder",
    "ConditionalMLPGenerator",
    "GaussianNoise",
    "SemiSupervisedDiscriminator",
    "conv_discriminator_trunk",
    "conv_encoder_trunk",
    "mlp_discriminator_trunk",
    "ASSALModule",
    "ConvCritic",
    "ConvDecoder",
    "ConvEncoder",
    "ConvGenerator",
    "ELBOLoss",
    "LatentClassifier",
    "LatentDiscriminator",
    "MCDropoutCNN",
    "MCDropoutMLP",
    "MLPCritic",
    "MLPDecoder",
    "MLPEncoder",
    "MLPGenerator",
    "RandomAffine",
    "UNLABELED_LOSSES",
    "VAEClassifierModule",
    "VAEModule",
    "conv_output_shape",
    "gaussian_kl",
    "gradient_penalty",
    "mlp_layers",
    "reconstruction_nll",
    "reparameterize",
    "unlabeled_loss",
    "unlabeled_loss_kinds",
    "weighted_cross_entropy",
]
