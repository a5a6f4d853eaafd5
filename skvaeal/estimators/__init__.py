"""scikit-learn estimators that hold a skorch net as ``net_``."""

from ._assal import ASSALClassifier
from ._vaal import VAALSampler
from ._vae import VAETransformer

__all__ = ["ASSALClassifier", "VAALSampler", "VAETransformer"]
