"""BALD and BatchBALD with Monte Carlo dropout: query where the weight samples disagree.

:class:`MCDropoutClassifier` is a dropout network whose predictions carry T
stochastic passes (Gal & Ghahramani, 2016); :func:`bald_sampling` (Houlsby et
al., 2011; Gal et al., 2017) and :func:`batchbald_sampling` (Kirsch et al.,
2019) query with them, through the classifier's public
``predict_proba_samples``, so any estimator exposing that method works with
them. :func:`bald_scores` is the pure criterion; :class:`MCDropoutNet` the
skorch net the classifier holds.
"""

from ._estimator import MCDropoutClassifier
from ._net import MCDropoutNet
from ._strategy import bald_sampling, bald_scores, batchbald_sampling

__all__ = ["MCDropoutClassifier", "MCDropoutNet", "bald_sampling", "bald_scores",
           "batchbald_sampling"]
