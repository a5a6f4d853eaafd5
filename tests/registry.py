"""The one registry of what the common tests run.

* :data:`ESTIMATORS`: test instances (tiny settings) of every public estimator,
  with the scikit-learn checks each is expected to fail and why.
* :data:`STRATEGIES`: every public strategy, with the settings it runs at and
  the kinds of classifier it is tested with.

``tests/test_common.py`` runs scikit-learn's estimator checks over the first
and ``tests/test_query_common.py`` the strategy contract over the second; both
fail when a public estimator or strategy of the package has no entry here.
Adding a method means adding its lines to this file.
"""

import functools
import importlib
import importlib.util
import inspect
import pkgutil
from dataclasses import dataclass, field

from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from skorch import NeuralNet

import skvaeal
from strategy_contract import contract_data
from skvaeal import ARALClassifier, ASSALClassifier, VAALSampler, VAETransformer
from skvaeal.asal import PoolMatcher, WGANTransformer, asal_sampling
from skvaeal.bald import MCDropoutClassifier, bald_sampling, batchbald_sampling
from skvaeal.clusterlabel import ClusterLabelClassifier, cluster_centre_sampling
from skvaeal.query import (aral_sampling, assal_sampling, consensus_entropy_sampling,
                           entropy_sampling, k_center_greedy, margin_sampling,
                           max_disagreement_sampling,
                           max_std_sampling, random_sampling, uncertainty_batch_sampling,
                           uncertainty_sampling, vaal_sampling, vae_coreset_sampling,
                           vote_entropy_sampling)


# -------------------------------------------------------------------- estimators
@dataclass(frozen=True)
class EstimatorCase:
    """A small instance for the common checks, and its expected failures (check -> reason)."""

    instance: BaseEstimator
    expected_failed_checks: dict = field(default_factory=dict)


ESTIMATORS = {
    "VAETransformer": EstimatorCase(VAETransformer(max_epochs=2, batch_size=32, random_state=0)),
    "WGANTransformer": EstimatorCase(
        WGANTransformer(latent_dim=4, hidden_dims=(16,), max_epochs=2, batch_size=32,
                        random_state=0)),
    "PoolMatcher": EstimatorCase(PoolMatcher()),
    "VAALSampler": EstimatorCase(
        VAALSampler(latent_dim=2, max_epochs=2, batch_size=32, random_state=0)),
    "ASSALClassifier": EstimatorCase(
        ASSALClassifier(latent_dim=2, warmup_epochs=1, max_epochs=2, batch_size=32,
                        random_state=0),
        {
            "check_classifiers_classes": (
                "the check's binary problem uses the labels -1 and 1, and -1 marks an "
                "unlabelled row in scikit-learn's semi-supervised convention, so only one "
                "class is left"),
            "check_classifiers_train": (
                "the check wants 83% training accuracy on small fully labelled blobs; the 1-3 "
                "epochs the test suite affords are too few for a neural network, and the "
                "default vae_weight=10 (tuned for semi-supervised images) spends a 2-d code on "
                "reconstruction (max_epochs=30, warmup_epochs=10, lr=5e-3, vae_weight=1 "
                "passes)"),
        }),
}


#: unlabeled_trust=1.0 in the strategy tests: the cross-validated default would make every
#: fit five fits; the trust is tested on its own in test_semi.py and by the estimator checks.
TINY_ARAL = dict(latent_dim=4, hidden_dims=(16,), classifier_dims=(32, 16),
                 discriminator_dims=(16,), max_epochs=1, batch_size=64, unlabeled_trust=1.0)

ESTIMATORS["ARALClassifier"] = EstimatorCase(
    # 5 epochs: check_classifiers_train wants 83 % on its blobs; 2 fell short once the
    # discriminator's layers started from the data, 5 pass (default and avx2 kernels).
    ARALClassifier(latent_dim=2, hidden_dims=(16,), classifier_dims=(32, 16),
                   discriminator_dims=(16,), max_epochs=5, batch_size=32, random_state=0),
    {
        "check_classifiers_classes": (
            "the check's binary problem uses the labels -1 and 1, and -1 marks an "
            "unlabelled row in scikit-learn's semi-supervised convention, so only one "
            "class is left"),
    })

ESTIMATORS["ClusterLabelClassifier"] = EstimatorCase(
    # 10 epochs at lr=1e-2: check_classifiers_train wants 83 % on its blobs, which 3 epochs
    # (or 20 at the default lr=1e-3) fall short of.
    ClusterLabelClassifier(latent_dim=2, hidden_dims=(16,), warmup_epochs=1, max_epochs=10,
                           lr=1e-2, batch_size=32, random_state=0),
    {
        "check_classifiers_classes": (
            "the check's binary problem uses the labels -1 and 1, and -1 marks an "
            "unlabelled row in scikit-learn's semi-supervised convention, so only one "
            "class is left"),
        "check_sample_weight_equivalence_on_dense_data": (
            "a weight of 2 doubles a row's loss but not how often the shuffled batches "
            "draw it, so the stochastic training differs from one with the row repeated; "
            "tests/test_clusterlabel.py checks the weighted loss itself"),
    })
ESTIMATORS["MCDropoutClassifier"] = EstimatorCase(
    MCDropoutClassifier(hidden_dims=(16,), n_mc_samples=5, max_epochs=3, random_state=0),
    {
        "check_classifiers_train": (
            "the check wants 83% training accuracy on small blobs, and 3 epochs of a dropout "
            "network are too few; tests/test_bald.py runs the check at max_epochs=50, where "
            "it passes"),
    })


def expected_failed_checks(estimator):
    """``parametrize_with_checks``'s callback: the expected failures of ``estimator``."""
    return ESTIMATORS[type(estimator).__name__].expected_failed_checks


# -------------------------------------------------------------------- strategies
@dataclass(frozen=True)
class StrategyCase:
    """A strategy at test settings, and the classifiers it is tested with.

    ``classifiers`` name entries of :data:`CLASSIFIERS`; ``needs_model`` says
    the strategy must refuse a missing or unfitted classifier; ``caps_n_instances``
    that more instances than the pool give the whole pool (modAL's ranked batch,
    whose default batch of 20 exceeds small pools) instead of an error.
    """

    strategy: object
    kwargs: dict = field(default_factory=dict)
    classifiers: tuple = ("estimator", "pipeline", "none", "skvaeal_learner", "modal_learner")
    needs_model: bool = False
    caps_n_instances: bool = False

    def bound(self, **extra):
        return functools.partial(self.strategy, **{**self.kwargs, **extra})


_WITH_MODEL = ("estimator", "pipeline", "skvaeal_learner", "modal_learner", "committee")
_COMMITTEES = ("committee", "modal_committee")
#: Models that expose their weight samples (predict_proba_samples), for BALD and BatchBALD.
_MC_DROPOUT = ("mc_dropout", "mc_dropout_pipeline", "mc_dropout_learner",
               "mc_dropout_modal_learner")
#: Tiny networks for the strategies that train one: the contract checks behaviour.
TINY_VAAL = dict(latent_dim=4, hidden_dims=(32,), discriminator_dims=(32,), max_epochs=1,
                 batch_size=64)
#: ASAL's generator, fitted once on the contract's pool (well under a second).
TINY_GAN = WGANTransformer(latent_dim=4, hidden_dims=(16,), max_epochs=1, batch_size=64,
                           random_state=0).fit(contract_data().X_pool)
#: unlabeled_trust=1.0: the cross-validated default would make every fit five fits; the
#: trust is tested on its own in test_semi.py and by the estimator checks.
TINY_ASSAL = dict(latent_dim=4, hidden_dims=(32,), classifier_dims=(16,),
                  discriminator_dims=(32,), warmup_epochs=1, max_epochs=1, batch_size=64,
                  unlabeled_trust=1.0)

#: The usual classifiers, and the cluster-centre classifier whose latent space is clustered.
_CLUSTER_CLASSIFIERS = ("estimator", "pipeline", "none", "skvaeal_learner", "modal_learner",
                        "clusterlabel", "clusterlabel_learner", "clusterlabel_modal_learner")
TINY_CLUSTERLABEL = dict(latent_dim=4, hidden_dims=(32,), warmup_epochs=1, max_epochs=1,
                         batch_size=64, unlabeled_trust=1.0)
STRATEGIES = {
    "random": StrategyCase(random_sampling),
    "least_confident": StrategyCase(uncertainty_sampling, classifiers=_WITH_MODEL,
                                    needs_model=True),
    "margin": StrategyCase(margin_sampling, classifiers=_WITH_MODEL, needs_model=True),
    "entropy": StrategyCase(entropy_sampling, classifiers=_WITH_MODEL, needs_model=True),
    "coreset_uniform": StrategyCase(vae_coreset_sampling, {"n_clusters": 5}),
    "coreset_closest": StrategyCase(vae_coreset_sampling, {"n_clusters": 5, "within": "closest"}),
    "coreset_uncertainty": StrategyCase(
        vae_coreset_sampling, {"n_clusters": 5, "within": "uncertainty"},
        classifiers=_WITH_MODEL, needs_model=True),
    "k_center": StrategyCase(k_center_greedy),
    "k_center_cosine": StrategyCase(k_center_greedy, {"metric": "cosine"}),
    "vaal": StrategyCase(vaal_sampling, TINY_VAAL,
                         classifiers=("estimator_and_X_labeled", "skvaeal_learner",
                                      "modal_learner")),
    "assal": StrategyCase(assal_sampling, classifiers=("assal", "assal_learner",
                                                       "assal_modal_learner"),
                          needs_model=True),
    "assal_kmeans": StrategyCase(assal_sampling, {"diversity": "kmeans"},
                                 classifiers=("assal", "assal_learner", "assal_modal_learner"),
                                 needs_model=True),
    "aral": StrategyCase(aral_sampling, classifiers=("aral", "aral_learner",
                                                     "aral_modal_learner"),
                         needs_model=True),
    "aral_kmeans": StrategyCase(aral_sampling, {"diversity": "kmeans"},
                                classifiers=("aral", "aral_learner", "aral_modal_learner"),
                                needs_model=True),
    "cluster_centre": StrategyCase(cluster_centre_sampling,
                                   classifiers=_CLUSTER_CLASSIFIERS),
    "cluster_centre_gmm": StrategyCase(cluster_centre_sampling,
                                       {"clusterer": "gmm", "distance": "mahalanobis"},
                                       classifiers=_CLUSTER_CLASSIFIERS),
    "ranked_batch": StrategyCase(uncertainty_batch_sampling,
                                 classifiers=("estimator", "pipeline", "none", "skvaeal_learner",
                                              "modal_learner", "committee"),
                                 caps_n_instances=True),
    "asal": StrategyCase(asal_sampling, {"generator": TINY_GAN, "n_steps": 5},
                         classifiers=_WITH_MODEL, needs_model=True),
    "vote_entropy": StrategyCase(vote_entropy_sampling, classifiers=_COMMITTEES),
    "consensus_entropy": StrategyCase(consensus_entropy_sampling, classifiers=_COMMITTEES),
    "max_disagreement": StrategyCase(max_disagreement_sampling, classifiers=_COMMITTEES),
    "bald": StrategyCase(bald_sampling, classifiers=_MC_DROPOUT, needs_model=True),
    "batchbald": StrategyCase(batchbald_sampling, classifiers=_MC_DROPOUT, needs_model=True),
    "batchbald_sampled": StrategyCase(batchbald_sampling, {"n_configurations": 16},
                                      classifiers=_MC_DROPOUT, needs_model=True),
    "max_std": StrategyCase(max_std_sampling,
                            classifiers=("regressor", "regressor_learner", "committee_regressor",
                                         "modal_committee_regressor")),
}


# -------------------------------------------------------------------- classifiers
def _logreg():
    return LogisticRegression(max_iter=300)


def _estimator(data):
    return _logreg().fit(data.X_labeled, data.y_labeled), {}


def _pipeline(data):
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), PCA(n_components=6, random_state=0), _logreg())
    return model.fit(data.X_labeled, data.y_labeled), {}


def _estimator_and_X_labeled(data):
    return _logreg().fit(data.X_labeled, data.y_labeled), {"X_labeled": data.X_labeled}


def _semi_models():
    """``name -> (model, its strategy)`` of the semi-supervised methods, at tiny settings."""
    return {"assal": (ASSALClassifier(**TINY_ASSAL, random_state=0), assal_sampling),
            "aral": (ARALClassifier(**TINY_ARAL, random_state=0), aral_sampling),
            "clusterlabel": (ClusterLabelClassifier(**TINY_CLUSTERLABEL, random_state=0),
                             cluster_centre_sampling)}


def _learner(module, semi=None):
    """A factory of ``module``'s ActiveLearner on the labelled rows (``skvaeal.active`` or
    ``modAL.models``), around a logistic regression or, with ``semi`` ("assal",
    "aral"), that method's classifier, which also sees the pool as unlabelled rows."""
    def make(data):
        learner_class = importlib.import_module(module).ActiveLearner
        if semi is None:
            return learner_class(_logreg(), X_training=data.X_labeled,
                                 y_training=data.y_labeled), {}
        model, strategy = _semi_models()[semi]
        return learner_class(model, strategy, X_training=data.X_labeled,
                             y_training=data.y_labeled, X_unlabeled=data.X_pool), {}
    return make


def _committee(module, regressor=False):
    """A factory of ``module``'s Committee (or CommitteeRegressor) of two learners, each on
    half of the labelled rows."""
    def make(data):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.tree import DecisionTreeClassifier

        models = importlib.import_module(module)
        halves = [slice(0, None, 2), slice(1, None, 2)]
        if regressor:
            members = [models.ActiveLearner(GaussianProcessRegressor(), max_std_sampling,
                                            X_training=data.X_labeled[h],
                                            y_training=data.y_labeled[h].astype(float))
                       for h in halves]
            return models.CommitteeRegressor(members), {}
        members = [models.ActiveLearner(m, X_training=data.X_labeled[h],
                                        y_training=data.y_labeled[h])
                   for m, h in zip((_logreg(), DecisionTreeClassifier(random_state=0)), halves)]
        return models.Committee(members), {}
    return make


def _regressor(data):
    from sklearn.gaussian_process import GaussianProcessRegressor

    return GaussianProcessRegressor().fit(data.X_labeled, data.y_labeled.astype(float)), {}


def _regressor_learner(data):
    from sklearn.gaussian_process import GaussianProcessRegressor

    from skvaeal.active import ActiveLearner

    return ActiveLearner(GaussianProcessRegressor(), max_std_sampling,
                         X_training=data.X_labeled, y_training=data.y_labeled.astype(float)), {}


def _mc_dropout():
    return MCDropoutClassifier(hidden_dims=(16,), n_mc_samples=8, max_epochs=3, random_state=0)


def _mc_dropout_fitted(data):
    return _mc_dropout().fit(data.X_labeled, data.y_labeled), {}


def _mc_dropout_pipeline(data):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), _mc_dropout()).fit(data.X_labeled, data.y_labeled), {}


def _mc_dropout_learner(module):
    def make(data):
        learner_class = importlib.import_module(module).ActiveLearner
        return learner_class(_mc_dropout(), bald_sampling, X_training=data.X_labeled,
                             y_training=data.y_labeled), {}
    return make


def _semi(name):
    def make(data):
        model, _ = _semi_models()[name]
        return model.fit(data.X_labeled, data.y_labeled, X_unlabeled=data.X_pool), {}
    return make


#: name -> ``contract_data() -> (classifier, strategy keywords)``; ``"none"`` is a cold start.
CLASSIFIERS = {
    "estimator": _estimator,
    "pipeline": _pipeline,
    "none": lambda data: (None, {}),
    "estimator_and_X_labeled": _estimator_and_X_labeled,
    "skvaeal_learner": _learner("skvaeal.active"),
    "modal_learner": _learner("modAL.models"),
    "assal": _semi("assal"),
    "aral": _semi("aral"),
    "clusterlabel": _semi("clusterlabel"),
    "mc_dropout": _mc_dropout_fitted,
    "mc_dropout_pipeline": _mc_dropout_pipeline,
    "mc_dropout_learner": _mc_dropout_learner("skvaeal.active"),
    "mc_dropout_modal_learner": _mc_dropout_learner("modAL.models"),
    "assal_learner": _learner("skvaeal.active", semi="assal"),
    "assal_modal_learner": _learner("modAL.models", semi="assal"),
    "aral_learner": _learner("skvaeal.active", semi="aral"),
    "aral_modal_learner": _learner("modAL.models", semi="aral"),
    "clusterlabel_learner": _learner("skvaeal.active", semi="clusterlabel"),
    "clusterlabel_modal_learner": _learner("modAL.models", semi="clusterlabel"),
    "committee": _committee("skvaeal.active"),
    "modal_committee": _committee("modAL.models"),
    "regressor": _regressor,
    "regressor_learner": _regressor_learner,
    "committee_regressor": _committee("skvaeal.active", regressor=True),
    "modal_committee_regressor": _committee("modAL.models", regressor=True),
}
#: Classifiers that need modAL (installed only in the scikit-learn<1.8 interop environment).
NEEDS_MODAL = {"modal_learner", "assal_modal_learner", "aral_modal_learner",
               "clusterlabel_modal_learner",
               "mc_dropout_modal_learner",
               "modal_committee",
               "modal_committee_regressor"}


def modal_available():
    try:
        importlib.import_module("modAL.models")
    except ImportError:
        return False
    return True


# -------------------------------------------------------------- what is public
#: Subpackages that need an optional dependency (the modAL environment lacks ipywidgets).
OPTIONAL_SUBPACKAGES = {"widgets": "ipywidgets"}


def _public_namespaces():
    """skvaeal, and every subpackage of it (method packages, query, ...), imported; an
    optional one only where its dependency is installed."""
    modules = [skvaeal]
    for info in pkgutil.iter_modules(skvaeal.__path__):
        if info.ispkg and not info.name.startswith("_"):
            needs = OPTIONAL_SUBPACKAGES.get(info.name)
            if needs is not None and importlib.util.find_spec(needs) is None:
                continue
            modules.append(importlib.import_module(f"skvaeal.{info.name}"))
    return modules


def public_estimators():
    """Names of the scikit-learn estimators in any public ``__all__`` (learners aside)."""
    names = set()
    for module in _public_namespaces():
        if module.__name__ == "skvaeal.active":  # loops that hold estimators, not estimators
            continue
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            # skorch nets are BaseEstimators too, but the estimators hold them.
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator) \
                    and not issubclass(obj, NeuralNet):
                names.add(name)
    return names


def public_strategies():
    """The public strategies (``*_sampling`` and ``k_center_greedy``) of any ``__all__``."""
    found = {}
    for module in _public_namespaces():
        for name in getattr(module, "__all__", ()):
            if name.endswith("_sampling") or name == "k_center_greedy":
                found[name] = getattr(module, name)
    return found


def strategy_names_covered():
    return {case.strategy.__name__ for case in STRATEGIES.values()}
