"""The strategy contract over every strategy in skvaeal.query."""

import functools

import numpy as np
import pytest
from strategy_contract import CLASSIFIER_FACTORIES, CONTRACT_CHECKS, contract_data

from skvaeal import query
from skvaeal.query import (entropy_sampling, k_center_greedy, margin_sampling,
                           random_sampling, uncertainty_sampling, vae_coreset_sampling)

# name -> (strategy, works without a classifier)
STRATEGIES = {
    "random": (random_sampling, True),
    "least_confident": (uncertainty_sampling, False),
    "margin": (margin_sampling, False),
    "entropy": (entropy_sampling, False),
    "coreset_uniform": (functools.partial(vae_coreset_sampling, n_clusters=5), True),
    "coreset_closest": (functools.partial(vae_coreset_sampling, n_clusters=5,
                                          within="closest"), True),
    "coreset_uncertainty": (functools.partial(vae_coreset_sampling, n_clusters=5,
                                              within="uncertainty"), False),
    "k_center": (k_center_greedy, True),
    "k_center_cosine": (functools.partial(k_center_greedy, metric="cosine"), True),
}

CASES = [
    (s, f) for s in STRATEGIES for f in sorted(CLASSIFIER_FACTORIES)
    if f != "none" or STRATEGIES[s][1]
]


@pytest.fixture(scope="module")
def classifiers():
    data = contract_data()
    return {name: make(data.X_labeled, data.y_labeled)
            for name, make in CLASSIFIER_FACTORIES.items()}


@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("strategy_name, factory", CASES)
def test_strategy_contract(strategy_name, factory, check, classifiers):
    strategy = STRATEGIES[strategy_name][0]
    check(strategy, classifiers[factory], contract_data().X_pool)


@pytest.mark.parametrize("strategy_name", [s for s in STRATEGIES if not STRATEGIES[s][1]])
def test_needs_a_fitted_classifier(strategy_name):
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression

    strategy = STRATEGIES[strategy_name][0]
    X_pool = contract_data().X_pool
    for classifier in (None, LogisticRegression(), object()):
        with pytest.raises(TypeError, match="fitted classifier"):
            strategy(classifier, X_pool, 2)
    with pytest.raises(NotFittedError):
        strategy(LogisticRegression(), X_pool, 2)


@pytest.mark.parametrize("strategy_name", sorted(STRATEGIES))
def test_query_strategy_of_skvaeal_learner(strategy_name):
    """Used as the learner's query_strategy, over a few query/teach rounds."""
    active = pytest.importorskip("skvaeal.active")
    from sklearn.linear_model import LogisticRegression

    data = contract_data()
    X, y = data.X_pool, data.y_pool
    learner = active.ActiveLearner(
        LogisticRegression(max_iter=300),
        functools.partial(STRATEGIES[strategy_name][0], random_state=0),
        X_training=data.X_labeled, y_training=data.y_labeled)
    pool = np.arange(len(X))
    for _ in range(3):
        idx, rows = learner.query(X[pool], n_instances=4)
        assert np.unique(idx).size == 4
        np.testing.assert_array_equal(rows, X[pool][idx])
        learner.teach(rows, y[pool][idx])
        pool = np.delete(pool, idx)
    assert learner.X_training.shape[0] == len(data.X_labeled) + 12


def test_all_exported():
    for name in query.__all__:
        assert hasattr(query, name)
    assert set(STRATEGIES[s][0].func.__name__ if isinstance(STRATEGIES[s][0], functools.partial)
               else STRATEGIES[s][0].__name__ for s in STRATEGIES) <= set(query.__all__)
