"""The skorch ``NeuralNet`` parts several methods share (private).

``BatchedNet`` (the loader, precision and batched inference every net
shares), ``VAENet`` (a VAE trained on its input), ``AdversarialVAENet`` (a VAE against
a latent discriminator, with a second optimiser), and the batch iterators
``SliceLoader`` and ``PoolPairLoader``. Each method's own net lives in its
folder (``skvaeal.vaal.VAALNet``, ``skvaeal.assal.ASSALNet``).
"""

from ._adversarial import AdversarialVAENet, pool_mean, trusted_mean
from ._loader import PoolPairLoader, SliceLoader, as_tensor
from ._vae import BatchedNet, VAENet

__all__ = ["AdversarialVAENet", "BatchedNet", "PoolPairLoader", "SliceLoader", "VAENet",
           "as_tensor", "pool_mean", "trusted_mean"]
