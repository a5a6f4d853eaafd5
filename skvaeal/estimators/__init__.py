"""All scikit-learn estimators of skvaeal in one namespace.

Each estimator lives in its method package (:mod:`skvaeal.vae`,
:mod:`skvaeal.vaal`, :mod:`skvaeal.assal`, :mod:`skvaeal.asal`, :mod:`skvaeal.bald`,
:mod:`skvaeal.aral`, :mod:`skvaeal.clusterlabel`); this
module gathers them, so that
``from skvaeal.estimators import VAETransformer`` keeps working.
"""

from ..aral import ARALClassifier
from ..asal import PoolMatcher, WGANTransformer
from ..assal import ASSALClassifier
from ..bald import MCDropoutClassifier
from ..clusterlabel import ClusterLabelClassifier
from ..vaal import VAALSampler
from ..vae import VAETransformer

__all__ = ["ARALClassifier", "ASSALClassifier", "ClusterLabelClassifier", "MCDropoutClassifier",
           "PoolMatcher",
           "VAALSampler", "VAETransformer", "WGANTransformer"]
