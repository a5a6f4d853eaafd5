"""scikit-learn estimators that hold a skorch net as ``net_``."""

from ._vae import VAETransformer

__all__ = ["VAETransformer"]
