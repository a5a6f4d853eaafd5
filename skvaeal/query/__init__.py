"""Query strategies following the modAL interface.

Every strategy is ``strategy(classifier, X_pool, n_instances=1, *,
random_state=None, **kwargs) -> (query_idx, scores)``; see
:mod:`skvaeal.query._base` for the contract. The ``*_scores`` functions are the
pure numpy criteria behind the uncertainty strategies.
"""

from ._assal import assal_sampling
from ._base import ClassifierNotFittedError
from ._coreset import cluster_quotas, vae_coreset_sampling
from ._kcenter import k_center_greedy
from ._random import random_sampling
from ._uncertainty import (entropy_sampling, entropy_scores, least_confident_scores,
                           margin_sampling, margin_scores, uncertainty_sampling)
from ._vaal import vaal_sampling

__all__ = [
    "ClassifierNotFittedError",
    "assal_sampling",
    "cluster_quotas",
    "entropy_sampling",
    "entropy_scores",
    "k_center_greedy",
    "least_confident_scores",
    "margin_sampling",
    "margin_scores",
    "random_sampling",
    "uncertainty_sampling",
    "vaal_sampling",
    "vae_coreset_sampling",
]
