"""ASAL: GAN-synthesised uncertain samples matched to real pool rows (Mayer & Timofte, 2020).

Not to be confused with :mod:`skvaeal.assal` (adversarial *semi-supervised*
active learning, paper 004). ASAL trains a Wasserstein GAN on the pool once
(:class:`WGANTransformer`); each round it generates rows of maximal classifier
entropy by gradient ascent in the GAN's latent space
(:meth:`WGANTransformer.synthesize`) and labels the real pool rows nearest to
them in a fixed feature space, found through an index built once
(:class:`PoolMatcher`), so that selection is sub-linear in the pool size
(:func:`asal_sampling`).
"""

from ._estimator import WGANTransformer
from ._matcher import PoolMatcher
from ._net import WGANNet
from ._strategy import asal_sampling

__all__ = ["PoolMatcher", "WGANNet", "WGANTransformer", "asal_sampling"]
