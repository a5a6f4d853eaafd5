"""VAAL: variational adversarial active learning (Sinha et al., 2019).

A VAE learns codes of the labelled and unlabelled pools while a discriminator
on the code learns to tell them apart; the rows it scores least "labelled"
are queried. :class:`VAALSampler` is the estimator, :func:`vaal_sampling` the
strategy and :class:`VAALNet` the skorch net it holds.
"""

from ._estimator import VAALSampler
from ._net import VAALNet
from ._strategy import vaal_sampling

__all__ = ["VAALNet", "VAALSampler", "vaal_sampling"]
