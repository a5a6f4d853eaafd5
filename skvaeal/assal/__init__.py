"""ASSAL: adversarial semi-supervised active learning.

The method of *Adversarial Semi-Supervised Active Learning*, an anonymous
preprint under review (no authors or date are given; its latest reference is
from 2021): a VAE, a classifier on its code and a
labelled/unlabelled sampler trained together on labelled and unlabelled rows.
:class:`ASSALClassifier` is the estimator, :func:`assal_sampling` the strategy
(Algorithm 3) and :class:`ASSALNet` the skorch net it holds.
"""

from ._estimator import ASSALClassifier
from ._net import ASSALNet
from ._strategy import assal_sampling

__all__ = ["ASSALClassifier", "ASSALNet", "assal_sampling"]
