"""simulate_active_learning: both protocols, reproducibility, results, an honest accuracy check."""

import sys
from functools import partial

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from skvaeal import VAETransformer
from skvaeal.active import (ActiveLearningResults, AdaptiveStratifiedKFold, Arm, StoppingRule,
                            coreset_comparison_arms, make_svc_search, paper0_arms,
                            simulate_active_learning)
from skvaeal.datasets import load_digits_subset
from skvaeal.query import (k_center_greedy, random_sampling, uncertainty_sampling,
                           vae_coreset_sampling)


@pytest.fixture(scope="module")
def data():
    X, y = load_digits_subset((0, 3, 9), return_X_y=True)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def pca(data):
    return PCA(5, random_state=0).fit(data[0])


def _lr():
    return LogisticRegression(max_iter=300)


def _sim(data, strategies, **kw):
    X_pool, X_test, y_pool, y_test = data
    kw.setdefault("verbose", 0)
    return simulate_active_learning(_lr(), X_pool, y_pool, X_test, y_test, strategies, **kw)


def test_one_shot_shapes_and_indices(data, pca):
    strategies = {"random": random_sampling,
                  "coreset (pca)": Arm(partial(vae_coreset_sampling, n_clusters=5),
                                       transformer=pca)}
    res = _sim(data, strategies, budgets=[6, 12, 24], n_trials=3, random_state=0)
    assert isinstance(res, ActiveLearningResults)
    assert res.names == ["random", "coreset (pca)"] and res.budgets.tolist() == [6, 12, 24]
    for arr in (res.accuracy, res.query_time, res.fit_time, res.single_class):
        assert arr.shape == (2, 3, 3)
    assert np.all((res.accuracy >= 0) & (res.accuracy <= 1))
    assert np.all(res.query_time >= 0) and np.all(res.fit_time > 0)
    n_pool = len(data[0])
    for name in res.names:
        assert len(res.indices[name]) == 3
        for trial in res.indices[name]:
            for budget, idx in zip(res.budgets, trial):
                assert idx.shape == (budget,) and np.unique(idx).size == budget
                assert idx.min() >= 0 and idx.max() < n_pool
    # common random numbers: trials differ, but not between repeated runs
    assert not np.array_equal(res.indices["random"][0][0], res.indices["random"][1][0])


def test_same_results_for_any_n_jobs(data, pca):
    strategies = {"random": random_sampling,
                  "k-center": Arm(k_center_greedy, transformer=pca),
                  "coreset": partial(vae_coreset_sampling, n_clusters=4)}
    kw = dict(budgets=[8, 16], n_trials=3, random_state=42)
    serial = _sim(data, strategies, n_jobs=1, **kw)
    parallel = _sim(data, strategies, n_jobs=2, **kw)
    assert np.array_equal(serial.accuracy, parallel.accuracy)
    for name in serial.names:
        for a, b in zip(serial.indices[name], parallel.indices[name]):
            assert all(np.array_equal(i, j) for i, j in zip(a, b))
    again = _sim(data, strategies, n_jobs=1, **kw)
    assert np.array_equal(serial.accuracy, again.accuracy)


def test_incremental_protocol_grows_one_labelled_set(data):
    res = _sim(data, {"uncertainty": uncertainty_sampling, "random": random_sampling},
               protocol="incremental", n_initial=6, n_instances=5, n_rounds=4, n_trials=2,
               random_state=0)
    assert res.budgets.tolist() == [6, 11, 16, 21, 26]
    for name in res.names:
        for trial in res.indices[name]:
            for prev, cur in zip(trial[:-1], trial[1:]):
                assert np.array_equal(cur[:len(prev)], prev)  # earlier labels are kept
            assert np.unique(trial[-1]).size == 26
    # both arms share the random cold-start batch of each trial
    for t in range(2):
        assert np.array_equal(res.indices["uncertainty"][t][0], res.indices["random"][t][0])
    assert res.summary()["uncertainty"]["mean"][-1] > 0.85


def test_incremental_with_explicit_budgets_and_initial(data):
    first = partial(vae_coreset_sampling, n_clusters=3)
    res = _sim(data, {"k-center": k_center_greedy}, protocol="incremental",
               budgets=[3, 10, 30], initial=first, n_trials=1, random_state=0)
    assert [len(i) for i in res.indices["k-center"][0]] == [3, 10, 30]


class _RecordingLR(LogisticRegression):
    """Logistic regression that records the rows each fit received (class-level log)."""

    calls = []

    def fit(self, X, y, X_unlabeled=None):
        # Sum of the labelled + unlabelled rows: the whole pool when they partition it.
        total = float(np.sum(X) + (0.0 if X_unlabeled is None else np.sum(X_unlabeled)))
        _RecordingLR.calls.append(
            (self.tol, len(X), None if X_unlabeled is None else len(X_unlabeled), total))
        return super().fit(X, y)


@pytest.mark.parametrize("protocol", ["incremental", "one-shot"])
def test_semi_supervised_arm_gets_the_unlabelled_rest_of_the_pool(data, protocol):
    X_pool = data[0]
    _RecordingLR.calls.clear()
    # tol tells the two arms' fits apart in the log.
    arms = {"semi": Arm(random_sampling, _RecordingLR(tol=1e-4, max_iter=300),
                        semi_supervised=True),
            "plain": Arm(random_sampling, _RecordingLR(tol=2e-4, max_iter=300))}
    kw = (dict(budgets=[6, 12, 18]) if protocol == "one-shot"
          else dict(n_initial=6, n_instances=6, n_rounds=2))
    res = _sim(data, arms, protocol=protocol, n_trials=1, random_state=0, **kw)
    assert res.accuracy.shape == (2, 1, 3)
    semi = [c for c in _RecordingLR.calls if c[0] == 1e-4]
    plain = [c for c in _RecordingLR.calls if c[0] == 2e-4]
    assert [c[1] for c in semi] == [6, 12, 18] and [c[1] for c in plain] == [6, 12, 18]
    for _, n_labeled, n_unlabeled, total in semi:
        assert n_labeled + n_unlabeled == len(X_pool)
        assert total == pytest.approx(float(X_pool.sum()))
    assert all(c[2] is None for c in plain)


def test_arm_initial_overrides_the_simulation_initial(data):
    def first_rows(classifier, X, n_instances=1):
        return np.arange(n_instances), np.zeros(n_instances)

    arms = {"own": Arm(random_sampling, initial=first_rows), "shared": random_sampling}
    res = _sim(data, arms, protocol="incremental", n_initial=6, n_instances=3, n_rounds=1,
               n_trials=2, random_state=0)
    for t in range(2):
        assert res.indices["own"][t][0].tolist() == list(range(6))
        assert res.indices["shared"][t][0].tolist() != list(range(6))
    with pytest.raises(TypeError, match="initial must be callable"):
        _sim(data, {"bad": Arm(random_sampling, initial="kmeans")}, protocol="incremental")


def test_single_class_sets_record_constant_prediction(data):
    X_pool, X_test, y_pool, y_test = data
    with pytest.warns(UserWarning, match="single class"):
        res = _sim(data, {"random": random_sampling}, budgets=[1, 40], n_trials=2,
                   random_state=0)
    assert res.single_class[0, :, 0].all() and not res.single_class[0, :, 1].any()
    for t in range(2):
        label = y_pool[res.indices["random"][t][0][0]]
        assert res.accuracy[0, t, 0] == pytest.approx(np.mean(y_test == label))


def test_incremental_single_class_start_uses_initial_until_two_classes(data):
    X_pool, X_test, y_pool, y_test = data
    # Only class 0 is selectable at first: the cold-start strategy keeps picking
    # (uncertainty sampling needs a model) until a second class appears.
    zeros_first = np.argsort(y_pool != 0, kind="stable")

    def in_order(classifier, X_pool_, n_instances=1, *, random_state=None):
        # rank pool rows by their position in `zeros_first` (rows matched by value)
        keys = {X_pool[i].tobytes(): r for r, i in enumerate(zeros_first)}
        ranks = np.array([keys[row.tobytes()] for row in X_pool_])
        return np.argsort(ranks)[:n_instances], np.zeros(n_instances)

    with pytest.warns(UserWarning, match="single class"):
        res = _sim(data, {"uncertainty": uncertainty_sampling}, protocol="incremental",
                   budgets=[2, 4, 300], initial=in_order, n_trials=1, random_state=0)
    assert res.single_class[0, 0].tolist() == [True, True, False]
    assert res.accuracy[0, 0, 2] > 0.9


def test_transformer_arm_matches_frozen_pipeline(data, pca):
    coreset = partial(vae_coreset_sampling, n_clusters=4)
    arm_a = Arm(coreset, _lr(), transformer=pca)
    arm_b = Arm(partial(coreset, transformer=FrozenEstimator(pca)),
                make_pipeline(FrozenEstimator(pca), _lr()))
    res = _sim(data, {"a": arm_a, "b": arm_b}, budgets=[8, 20], n_trials=2, random_state=3)
    assert np.allclose(res.accuracy[0], res.accuracy[1])
    for ia, ib in zip(res.indices["a"], res.indices["b"]):
        assert all(np.array_equal(i, j) for i, j in zip(ia, ib))


def test_summary_table_frame_and_plot(data, tmp_path):
    res = _sim(data, {"random": random_sampling, "coreset": partial(vae_coreset_sampling,
                                                                    n_clusters=3)},
               budgets=[6, 12], n_trials=2, random_state=0)
    summary = res.summary()
    assert set(summary) == {"random", "coreset"}
    assert np.allclose(summary["random"]["mean"], res.accuracy[0].mean(axis=0))
    assert np.allclose(summary["random"]["std"], res.accuracy[0].std(axis=0))
    text = str(res)
    assert "budget" in text and "coreset" in text and "±" in text and "2 trials" in text
    assert len(res.format_table().splitlines()) == 2 + 2
    assert len(res.to_records()) == 2 * 2 * 2
    pd = pytest.importorskip("pandas")
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 8
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = res.plot()
    assert len(ax.get_lines()) == 2
    ax.figure.savefig(tmp_path / "curves.png")
    plt.close(ax.figure)
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_progress_reporting(data, capsys, monkeypatch):
    _sim(data, {"random": random_sampling}, budgets=[6], n_trials=2, random_state=0, verbose=0)
    assert capsys.readouterr() == ("", "")
    _sim(data, {"random": random_sampling}, budgets=[6], n_trials=2, random_state=0,
         verbose=1)  # tqdm when installed
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    _sim(data, {"random": random_sampling}, budgets=[6], n_trials=2, random_state=0,
         verbose=1)
    assert "[simulate] 2/2 runs done" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, error, match", [
    ({"protocol": "batch", "budgets": [5]}, ValueError, "protocol"),
    ({"budgets": None}, ValueError, "budgets is required"),
    ({"budgets": [0, 5]}, ValueError, "budgets"),
    ({"budgets": [10_000]}, ValueError, "budgets"),
    ({"budgets": [5.5]}, ValueError, "budgets"),
    ({"protocol": "incremental", "budgets": [10, 5]}, ValueError, "increase"),
    ({"protocol": "incremental", "n_initial": 0}, ValueError, "n_initial"),
    ({"budgets": [5], "n_trials": 0}, ValueError, "n_trials"),
    ({"protocol": "incremental", "initial": "smart"}, ValueError, "initial"),
])
def test_parameter_validation(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        _sim(data, {"random": random_sampling}, **kwargs)


def test_input_validation(data):
    X_pool, X_test, y_pool, y_test = data
    with pytest.raises(ValueError, match="y_pool"):
        simulate_active_learning(_lr(), X_pool, y_pool[:-1], X_test, y_test,
                                 {"r": random_sampling}, budgets=[5], verbose=0)
    with pytest.raises(ValueError, match="X_test"):
        simulate_active_learning(_lr(), X_pool, y_pool, X_test[:, :3], y_test,
                                 {"r": random_sampling}, budgets=[5], verbose=0)
    with pytest.raises(TypeError, match="strategies"):
        simulate_active_learning(_lr(), X_pool, y_pool, X_test, y_test, {}, budgets=[5])
    with pytest.raises(ValueError, match="estimator"):
        simulate_active_learning(None, X_pool, y_pool, X_test, y_test,
                                 {"r": random_sampling}, budgets=[5])
    bad = {"r": lambda classifier, X_pool, n_instances=1: (np.zeros(n_instances, int), None)}
    with pytest.raises(ValueError, match="repeated"):
        _sim(data, bad, budgets=[3])


def test_adaptive_cv_on_tiny_labelled_sets():
    y = np.array([0, 0, 0, 1, 1, 2])
    cv = AdaptiveStratifiedKFold(3)
    assert cv.get_n_splits(y=y) == 2 and cv.get_n_splits() == 3
    splits = list(cv.split(np.zeros((6, 1)), y))
    assert len(splits) == 2
    for train, test in splits:
        assert 5 in train and 5 not in test          # the singleton always trains
        assert set(y[train]) == {0, 1, 2}            # every class in every training fold
    tested = np.sort(np.concatenate([test for _, test in splits]))
    assert tested.tolist() == [0, 1, 2, 3, 4]
    # no class with two rows: a single all-rows split
    assert len(list(cv.split(np.zeros((3, 1)), [0, 1, 2]))) == 1
    with pytest.raises(ValueError, match="n_splits"):
        AdaptiveStratifiedKFold(1)
    X = np.r_[np.zeros((2, 2)), np.ones((2, 2)), [[5, 5]]] + 0.01 * np.arange(10).reshape(5, 2)
    search = make_svc_search().fit(X, [0, 0, 1, 1, 2])
    assert isinstance(search, GridSearchCV) and isinstance(search.best_estimator_, SVC)


@pytest.fixture(scope="module")
def vae(data):
    return VAETransformer(3, max_epochs=100, random_state=0).fit(data[0])


def test_latent_coreset_beats_input_random_at_small_budget(data, vae):
    """The paper's claim at a small budget, on the embedded digits 0, 3, 9.

    With 10 labels, random sampling in the input space often misses or
    under-represents a class; a K-means coreset of the VAE codes covers them.
    Measured over 4 seeds of the VAE and of the trials (24 trials each): the
    coreset's mean leads by +0.118, +0.148, +0.045 and +0.092 (0.90 to 0.95
    against 0.79 to 0.85), the same with ATEN_CPU_CAPABILITY=avx2; the test
    asks for +0.02 on seed 0.
    On these 8x8 images the input-space coreset does as well (0.90): the gain
    of the latent space itself shows on MNIST (benchmarks/paper0_replication.py).
    """
    arms = coreset_comparison_arms(vae, n_clusters=10, k_center=False)
    arms = {k: arms[k] for k in ("random (input)", "coreset (latent)")}
    X_pool, X_test, y_pool, y_test = data
    res = simulate_active_learning(None, X_pool, y_pool, X_test, y_test, arms,
                                   budgets=[10], n_trials=24, random_state=0, verbose=0)
    mean = {k: v["mean"][0] for k, v in res.summary().items()}
    assert mean["coreset (latent)"] > mean["random (input)"] + 0.02, mean
    assert mean["coreset (latent)"] > 0.85, mean


def test_former_name_of_the_comparison_arms(pca):
    assert list(paper0_arms(pca, k_center=False)) == list(
        coreset_comparison_arms(pca, k_center=False, representation=False))
    assert "coreset (latent), rep chosen" in coreset_comparison_arms(pca)


# ------------------------------------------------------ representation per budget
def test_representation_search_in_the_papers_pipeline(data, pca):
    """The labelled rows choose the representation: latent codes, input, or both.

    A behaviour check, not an accuracy claim: the search is deterministic on these
    rows (no random draw), and scored 0.988, 0.994, 0.988, 0.988 with 20, 30, 40 and
    60 labels, far above the 0.8 asked here.
    """
    from sklearn.frozen import FrozenEstimator

    from skvaeal.active import ActiveLearner, make_representation_search
    from skvaeal.query import vae_coreset_sampling

    X_pool, X_test, y_pool, y_test = data
    search = make_representation_search(pca).fit(X_pool[:40], y_pool[:40])
    chosen = search.best_params_["representation"]
    assert chosen == "passthrough" or isinstance(chosen, FrozenEstimator) or \
        type(chosen).__name__ == "FeatureUnion"
    assert len(search.cv_results_["params"]) == 3 * 8
    assert search.score(X_test, y_test) > 0.8
    # Inside a learner, with queries in the latent space of the same map.
    learner = ActiveLearner(make_representation_search(pca, ("latent", "input")),
                            partial(vae_coreset_sampling, transformer=pca, n_clusters=5),
                            X_training=X_pool[:30], y_training=y_pool[:30])
    idx, rows = learner.query(X_pool[30:], n_instances=10, random_state=0)
    learner.teach(rows, y_pool[30:][idx])
    assert learner.X_training.shape[0] == 40 and learner.score(X_test, y_test) > 0.8
    with pytest.raises(ValueError, match="representations"):
        make_representation_search(pca, ("pixels",))


def clone_of(estimator):
    from sklearn.base import clone

    return clone(estimator)


def test_representation_arms_fit_like_the_pipeline(data, pca):
    """Precomputed [codes | input] columns give the same search as the pipeline on raw rows."""
    from skvaeal.active import make_representation_search, representation_arms

    X_pool, X_test, y_pool, y_test = data
    arm = representation_arms(pca, n_clusters=5)["coreset (latent), rep chosen"]
    fast = clone_of(arm.estimator).fit(arm.transformer.transform(X_pool[:50]), y_pool[:50])
    slow = make_representation_search(pca).fit(X_pool[:50], y_pool[:50])
    np.testing.assert_allclose(fast.cv_results_["mean_test_score"],
                               slow.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(fast.predict(arm.transformer.transform(X_test)),
                                  slow.predict(X_test))
    res = simulate_active_learning(None, X_pool, y_pool, X_test, y_test,
                                   representation_arms(pca, n_clusters=5,
                                                       query_spaces=("latent", "input")),
                                   budgets=[10, 20], n_trials=2, random_state=0, verbose=0)
    assert res.names == ["coreset (latent), rep chosen", "coreset (input), rep chosen"]
    assert np.all(res.accuracy > 0.5)
    with pytest.raises(ValueError, match="query_spaces"):
        representation_arms(pca, query_spaces=("both",))


@pytest.mark.parametrize("protocol", ["one-shot", "incremental"])
def test_stopping_rules_are_recorded(data, protocol):
    from skvaeal.active import LabelBudget, StabilizingPredictions

    rules = {"budget": LabelBudget(25), "never": LabelBudget(10_000),
             "stable": StabilizingPredictions(window=1, threshold=0.5, random_state=0)}
    kw = dict(budgets=[10, 20, 30, 40], n_trials=2, random_state=0, protocol=protocol,
              stopping=rules)
    res = _sim(data, {"random": random_sampling}, **kw)
    np.testing.assert_array_equal(res.stopped_at["budget"], [[30, 30]])  # first budget >= 25
    np.testing.assert_array_equal(res.stopped_at["never"], [[-1, -1]])
    assert np.all(res.stopped_at["stable"] >= 20)  # it needs two rounds to compare
    summary = res.stopping_summary()
    assert summary["budget"]["random"]["n_fired"] == 2
    assert summary["budget"]["random"]["accuracy"] == pytest.approx(res.accuracy[0, :, 2].mean())
    assert summary["never"]["random"]["n_fired"] == 0
    assert np.isnan(summary["never"]["random"]["budget"])
    assert not hasattr(rules["stable"], "history_")  # the given rules stay untouched
    again = _sim(data, {"random": random_sampling}, n_jobs=2, **kw)
    for name in rules:
        np.testing.assert_array_equal(again.stopped_at[name], res.stopped_at[name])


def test_stopping_rule_data_follow_the_arm_transformer(data, pca):
    from skvaeal.active import AccuracyChange

    X_pool, X_test, y_pool, y_test = data
    rule = AccuracyChange(X_test[:30], y_test[:30], threshold=1.0, window=1)
    res = _sim(data, {"pca": Arm(random_sampling, transformer=pca), "raw": random_sampling},
               budgets=[10, 20, 30], n_trials=1, random_state=0, protocol="incremental",
               stopping={"flat": rule})
    # A change below 1.0 always: both fire at the second budget, each in its own space
    # (the PCA arm's model would refuse the 64-pixel rows).
    np.testing.assert_array_equal(res.stopped_at["flat"], [[20], [20]])
    with pytest.raises(TypeError, match="stopping\\['x'\\] must be a stopping rule"):
        _sim(data, {"raw": random_sampling}, budgets=[10], stopping={"x": 3})


class _SeededBudget(StoppingRule):
    """Stands for a rule with a random_state: it fires at ``budgets[random_state % 4]``."""

    def __init__(self, budgets=(10, 20, 30, 40), random_state=None):
        self.budgets = budgets
        self.random_state = random_state

    def _measure(self, learner, X_pool, n_labeled, X_held_out, y_held_out):
        assert self.random_state is not None, "the simulation seeds an unseeded rule"
        return n_labeled, n_labeled >= self.budgets[self.random_state % 4]


@pytest.mark.parametrize("protocol", ["one-shot", "incremental"])
def test_unseeded_rules_are_seeded_per_trial(data, protocol):
    rules = {"unseeded": _SeededBudget(), "seeded": _SeededBudget(random_state=2)}
    kw = dict(budgets=[10, 20, 30, 40], n_trials=3, random_state=0, protocol=protocol,
              stopping=rules)
    arms = {"a": random_sampling, "b": Arm(random_sampling, estimator=SVC())}
    res = _sim(data, arms, **kw)
    np.testing.assert_array_equal(res.stopped_at["seeded"], np.full((2, 3), 30))
    unseeded = res.stopped_at["unseeded"]
    assert np.all(np.isin(unseeded, [10, 20, 30, 40]))
    np.testing.assert_array_equal(unseeded[0], unseeded[1])  # common to the arms of a trial
    assert rules["unseeded"].random_state is None  # the given rule is left alone
    again = _sim(data, arms, n_jobs=2, **kw)
    np.testing.assert_array_equal(again.stopped_at["unseeded"], unseeded)
    other = _sim(data, arms, **{**kw, "random_state": 1, "n_trials": 8})
    # Seeds differ by trial: over 8 trials the stop budget is not always the same.
    assert np.unique(other.stopped_at["unseeded"]).size > 1


@pytest.mark.parametrize("protocol", ["one-shot", "incremental"])
def test_single_class_budgets_are_not_asked(data, protocol):
    from skvaeal.active import LabelBudget

    # One label is always a single class; the rule is first asked where a model exists.
    with pytest.warns(UserWarning, match="single class"):
        res = _sim(data, {"random": random_sampling}, budgets=[1, 2, 15, 30], n_trials=3,
                   random_state=0, protocol=protocol, stopping={"any": LabelBudget(1)})
    first_model = np.argmax(~res.single_class[0], axis=1)
    assert res.single_class[0, :, 0].all() and not res.single_class[0, :, -1].any()
    np.testing.assert_array_equal(res.stopped_at["any"][0], res.budgets[first_model])


def test_no_rules_and_results_without_stopped_at(data, tmp_path):
    import pickle

    res = _sim(data, {"random": random_sampling}, budgets=[10, 20], n_trials=1,
               random_state=0)
    assert res.stopped_at == {} and res.stopping_summary() == {}
    # A pickle made before stopping rules existed: no stopped_at in its state.
    state = dict(vars(res))
    del state["stopped_at"]
    old = ActiveLearningResults.__new__(ActiveLearningResults)
    old.__dict__.update(state)
    restored = pickle.loads(pickle.dumps(old))
    assert restored.stopped_at == {} and restored.stopping_summary() == {}
    np.testing.assert_array_equal(restored.accuracy, res.accuracy)
    rebuilt = ActiveLearningResults(**{k: v for k, v in state.items()})
    assert rebuilt.stopped_at == {}


def test_stop_set_follows_the_arm_transformer(data, pca):
    from skvaeal.active import StabilizingPredictions

    X_pool, X_test, y_pool, y_test = data
    # threshold=-1: fires at the second budget, once two rounds could be compared; the PCA
    # arm's model predicts the 64-pixel stop set only once it is mapped to the 5 components.
    rule = StabilizingPredictions(X_test[:20], window=1, threshold=-1.0)
    for protocol in ("one-shot", "incremental"):
        res = _sim(data, {"pca": Arm(random_sampling, transformer=pca), "raw": random_sampling},
                   budgets=[10, 20, 30], n_trials=1, random_state=0, protocol=protocol,
                   stopping={"stable": rule})
        np.testing.assert_array_equal(res.stopped_at["stable"], [[20], [20]])
