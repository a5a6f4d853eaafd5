"""ARAL: adversarial representation active learning (Mottaghi & Yeung, 2019).

VAAL's acquisition co-trained with a semi-supervised, class-conditional
BiGAN whose discriminator is the classifier. :class:`ARALClassifier` is the
estimator, :func:`aral_sampling` the strategy (Algorithm 1) and
:class:`ARALNet` the skorch net it holds; the torch modules live in
:mod:`skvaeal.nn`.
"""

from ._estimator import ARALClassifier
from ._net import ARALNet
from ._strategy import aral_sampling

__all__ = ["ARALClassifier", "ARALNet", "aral_sampling"]
