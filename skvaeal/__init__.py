"""skvaeal: generative-model active learning with a scikit-learn API."""

from .estimators import ASSALClassifier, VAALSampler, VAETransformer

__version__ = "0.1.0.dev0"

__all__ = ["ASSALClassifier", "VAALSampler", "VAETransformer", "__version__"]
