"""The few skorch ``NeuralNet`` subclasses the estimators hold as ``net_``."""

from ._assal import ASSALNet, unlabeled_loss
from ._loader import SliceLoader
from ._vaal import PoolPairLoader, VAALNet
from ._vae import VAENet

__all__ = ["ASSALNet", "PoolPairLoader", "SliceLoader", "VAALNet", "VAENet", "unlabeled_loss"]
