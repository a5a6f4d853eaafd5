"""The VAE of Pourkamali-Anaraki & Wakin (2019) as a scikit-learn transformer.

:class:`VAETransformer` learns codes without labels; the coreset and k-center
strategies of :mod:`skvaeal.query` work in its latent space.
"""

from ._estimator import VAETransformer

__all__ = ["VAETransformer"]
