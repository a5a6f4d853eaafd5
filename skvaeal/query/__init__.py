"""Query strategies following the modAL interface.

Every strategy is ``strategy(classifier, X_pool, n_instances=1, *,
random_state=None, **kwargs) -> (query_idx, scores)``; see
:mod:`skvaeal.query._base` for the contract and the helpers several strategies
share. The strategies that own no model live here; the ``*_scores`` functions
are the pure numpy criteria behind the uncertainty strategies. The strategies
of the methods with a model of their own live in the method packages and are
forwarded here, so that ``from skvaeal.query import vaal_sampling`` keeps
working: :func:`vaal_sampling` (:mod:`skvaeal.vaal`) and
:func:`assal_sampling` (:mod:`skvaeal.assal`).
"""

from .._lazy import lazy_exports
from ._base import ClassifierNotFittedError
from ._clustering import cluster_quotas
from ._coreset import vae_coreset_sampling
from ._kcenter import k_center_greedy
from ._random import random_sampling
from ._uncertainty import (entropy_sampling, entropy_scores, least_confident_scores,
                           margin_sampling, margin_scores, uncertainty_sampling)

#: Strategies defined by a method package, loaded on first access (a lower layer
#: never imports a higher one).
_FORWARDS = {
    "assal_sampling": "skvaeal.assal",
    "vaal_sampling": "skvaeal.vaal",
}

__getattr__, __dir__ = lazy_exports(__name__, _FORWARDS)

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
