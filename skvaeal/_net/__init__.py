"""The few skorch ``NeuralNet`` subclasses the estimators hold as ``net_``."""

from ._loader import SliceLoader
from ._vae import VAENet

__all__ = ["SliceLoader", "VAENet"]
