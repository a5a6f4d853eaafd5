"""The strategy contract over every strategy of the registry, with every classifier it supports."""

import numpy as np
import pytest
from registry import (CLASSIFIERS, NEEDS_MODAL, STRATEGIES, modal_available, public_strategies,
                      strategy_names_covered)
from sklearn.exceptions import NotFittedError
from strategy_contract import (CONTRACT_CHECKS, check_bad_n_instances, check_caps_n_instances,
                               check_dataframe_pool, check_list_pool, contract_data)

#: modAL's own committees, whose vote() reads X.shape (a modAL limitation, not skvaeal's).
MODAL_NEEDS_SHAPE = {"modal_committee", "modal_committee_regressor"}
CASES = [(name, factory) for name, case in STRATEGIES.items() for factory in case.classifiers]


@pytest.fixture(scope="module")
def classifiers():
    """Each classifier kind built once: ``(classifier, strategy keywords)``."""
    data = contract_data()
    built = {}
    for name in sorted({f for _, f in CASES}):
        if name in NEEDS_MODAL and not modal_available():
            continue
        built[name] = CLASSIFIERS[name](data)
    return built


def _get(classifiers, factory):
    if factory not in classifiers:
        pytest.skip("modAL is not installed (it runs in .ci/modal_env.sh's environment)")
    return classifiers[factory]


@pytest.mark.parametrize("check", CONTRACT_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("strategy_name, factory", CASES)
def test_strategy_contract(strategy_name, factory, check, classifiers):
    classifier, kwargs = _get(classifiers, factory)
    if factory in MODAL_NEEDS_SHAPE and check in (check_list_pool, check_dataframe_pool):
        pytest.skip("modAL's committees read X.shape, so they take no list pools")
    case = STRATEGIES[strategy_name]
    if case.caps_n_instances and check is check_bad_n_instances:
        check = check_caps_n_instances
    check(case.bound(**kwargs), classifier, contract_data().X_pool)


def test_every_public_strategy_is_registered():
    missing = set(public_strategies()) - strategy_names_covered()
    assert not missing, f"add {sorted(missing)} to tests/registry.py STRATEGIES"


@pytest.mark.parametrize("strategy_name",
                         [s for s, case in STRATEGIES.items() if case.needs_model])
def test_needs_a_fitted_classifier(strategy_name):
    from sklearn.linear_model import LogisticRegression

    strategy = STRATEGIES[strategy_name].bound()
    X_pool = contract_data().X_pool
    for classifier in (None, LogisticRegression(), object()):
        with pytest.raises(TypeError, match="fitted"):
            strategy(classifier, X_pool, 2)
    with pytest.raises(NotFittedError):
        strategy(LogisticRegression(), X_pool, 2)


@pytest.mark.parametrize("strategy_name", sorted(STRATEGIES))
def test_bad_arguments_name_the_parameter(strategy_name):
    strategy = STRATEGIES[strategy_name].bound()
    X_pool = contract_data().X_pool
    for kwargs, name in (({"n_instances": 2.5}, "n_instances"),
                         ({"random_state": "seed"}, "random_state")):
        with pytest.raises((TypeError, ValueError), match=name):
            strategy(None, X_pool, **kwargs)


# Strategies that read the pool's values (the others pass X_pool on to the classifier,
# which may take text, or only count its rows).
READS_POOL = sorted(s for s, case in STRATEGIES.items()
                    if case.strategy.__name__ in ("vae_coreset_sampling", "k_center_greedy",
                                                  "vaal_sampling", "assal_sampling"))


@pytest.mark.parametrize("strategy_name", READS_POOL)
def test_string_pool_is_refused_by_name(strategy_name):
    with pytest.raises(ValueError, match="X_pool must hold numbers"):
        STRATEGIES[strategy_name].bound()(None, [["a", "b"], ["c", "d"]], 1)


@pytest.mark.parametrize("strategy_name", sorted(s for s, c in STRATEGIES.items()
                                                 if {"skvaeal_learner", "assal_learner",
                                                     "mc_dropout_learner"} & set(c.classifiers)))
def test_query_strategy_of_skvaeal_learner(strategy_name):
    """Used as the learner's query_strategy, over a few query/teach rounds."""
    from skvaeal.active import ActiveLearner

    case = STRATEGIES[strategy_name]
    data = contract_data()
    X, y = data.X_pool, data.y_pool
    if "assal_learner" in case.classifiers:
        learner, _ = CLASSIFIERS["assal_learner"](data)
        learner.query_strategy = case.bound(random_state=0)
    elif "mc_dropout_learner" in case.classifiers:
        learner, _ = CLASSIFIERS["mc_dropout_learner"](data)
        learner.query_strategy = case.bound(random_state=0)
    else:
        learner = ActiveLearner(CLASSIFIERS["estimator"](data)[0], case.bound(random_state=0),
                                X_training=data.X_labeled, y_training=data.y_labeled)
    pool = np.arange(len(X))
    for _ in range(3):
        idx, rows = learner.query(X[pool], n_instances=4)
        assert np.unique(idx).size == 4
        np.testing.assert_array_equal(rows, X[pool][idx])
        extra = ({"X_unlabeled": np.delete(X[pool], idx, axis=0)}
                 if "assal_learner" in case.classifiers else {})
        learner.teach(rows, y[pool][idx], **extra)
        pool = np.delete(pool, idx)
    assert learner.X_training.shape[0] == len(data.X_labeled) + 12
