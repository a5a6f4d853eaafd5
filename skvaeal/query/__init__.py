"""Query strategies following the modAL interface.

Every strategy is ``strategy(classifier, X_pool, n_instances=1, *,
random_state=None, **kwargs) -> (query_idx, scores)``; see
:mod:`skvaeal.query._base` for the contract and the helpers several strategies
share. The strategies that own no model live here, with modAL's public
names (uncertainty measures, query by committee, ranked batch mode, selectors
and combinators) so that a modAL loop runs with its imports pointed here; the ``*_scores`` functions
are the pure numpy criteria behind the uncertainty strategies. The strategies
of the methods with a model of their own live in the method packages and are
forwarded here, so that ``from skvaeal.query import vaal_sampling`` keeps
working: :func:`vaal_sampling` (:mod:`skvaeal.vaal`) and
:func:`assal_sampling` (:mod:`skvaeal.assal`), :func:`aral_sampling`
(:mod:`skvaeal.aral`), :func:`asal_sampling`
(:mod:`skvaeal.asal`), :func:`bald_sampling` and :func:`batchbald_sampling`
(:mod:`skvaeal.bald`), and :func:`cluster_centre_sampling` (:mod:`skvaeal.clusterlabel`).
"""

from .._lazy import lazy_exports
from ._base import ClassifierNotFittedError
from ._batch import (ranked_batch, select_cold_start_instance, select_instance,
                     uncertainty_batch_sampling)
from ._clustering import cluster_quotas
from ._combination import make_linear_combination, make_product, make_query_strategy
from ._coreset import vae_coreset_sampling
from ._disagreement import (KL_max_disagreement, consensus_entropy, consensus_entropy_sampling,
                            max_disagreement_sampling, max_std_sampling, vote_entropy,
                            vote_entropy_sampling)
from ._kcenter import k_center_greedy
from ._random import random_sampling
from ._selection import (multi_argmax, multi_argmin, shuffled_argmax, shuffled_argmin,
                         weighted_random)
from ._uncertainty import (classifier_entropy, classifier_margin, classifier_uncertainty,
                           entropy_sampling, entropy_scores, least_confident_scores,
                           margin_sampling, margin_scores, uncertainty_sampling)

#: Strategies defined by a method package, loaded on first access (a lower layer
#: never imports a higher one).
_FORWARDS = {
    "aral_sampling": "skvaeal.aral",
    "asal_sampling": "skvaeal.asal",
    "assal_sampling": "skvaeal.assal",
    "bald_sampling": "skvaeal.bald",
    "batchbald_sampling": "skvaeal.bald",
    "cluster_centre_sampling": "skvaeal.clusterlabel",
    "vaal_sampling": "skvaeal.vaal",
}

__getattr__, __dir__ = lazy_exports(__name__, _FORWARDS)

__all__ = [
    "ClassifierNotFittedError",
    "KL_max_disagreement",
    "aral_sampling",
    "asal_sampling",
    "assal_sampling",
    "bald_sampling",
    "batchbald_sampling",
    "classifier_entropy",
    "cluster_centre_sampling",
    "classifier_margin",
    "classifier_uncertainty",
    "cluster_quotas",
    "consensus_entropy",
    "consensus_entropy_sampling",
    "entropy_sampling",
    "entropy_scores",
    "k_center_greedy",
    "least_confident_scores",
    "make_linear_combination",
    "make_product",
    "make_query_strategy",
    "margin_sampling",
    "margin_scores",
    "max_disagreement_sampling",
    "max_std_sampling",
    "multi_argmax",
    "multi_argmin",
    "random_sampling",
    "ranked_batch",
    "select_cold_start_instance",
    "select_instance",
    "shuffled_argmax",
    "shuffled_argmin",
    "uncertainty_batch_sampling",
    "uncertainty_sampling",
    "vaal_sampling",
    "vae_coreset_sampling",
    "vote_entropy",
    "vote_entropy_sampling",
    "weighted_random",
]
