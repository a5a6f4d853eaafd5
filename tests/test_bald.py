"""BALD and BatchBALD (skvaeal.bald): the criteria by hand, the greedy batch, MC dropout."""

import itertools

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import check_classifiers_train

from skvaeal.bald import MCDropoutClassifier, bald_sampling, bald_scores, batchbald_sampling
from skvaeal.query import ClassifierNotFittedError, entropy_sampling


class FixedSamples(ClassifierMixin, BaseEstimator):
    """Weight samples given in advance: row i of X is the index of a pool row."""

    def __init__(self, samples=None):
        self.samples = samples

    def fit(self, X=None, y=None):
        self.classes_ = np.arange(np.asarray(self.samples).shape[2])
        return self

    def predict_proba_samples(self, X):
        return np.asarray(self.samples)[:, np.asarray(X, dtype=int)[:, 0]]

    def predict_proba(self, X):
        return self.predict_proba_samples(X).mean(0)


def _random_samples(seed, T=6, n=12, K=3, concentration=0.5):
    rng = np.random.RandomState(seed)
    return rng.dirichlet(np.full(K, concentration), size=(T, n))


def _pool(samples):
    return np.arange(samples.shape[1])[:, None]


def _entropy(p):
    p = np.asarray(p, dtype=float)
    return -sum(v * np.log(v) for v in p.ravel() if v > 0)


def _batch_information(samples, rows):
    """I[y_rows; w] by enumerating every joint label configuration."""
    T, _, K = samples.shape
    joint = {}
    for labels in itertools.product(range(K), repeat=len(rows)):
        joint[labels] = np.mean([np.prod([samples[t, r, k] for r, k in zip(rows, labels)])
                                 for t in range(T)])
    conditional = sum(np.mean([_entropy(samples[t, r]) for t in range(T)]) for r in rows)
    return _entropy(list(joint.values())) - conditional


# ------------------------------------------------------------------------------ BALD
def test_bald_scores_equal_the_hand_computed_mutual_information():
    samples = np.array([[[0.9, 0.1], [0.5, 0.5], [1.0, 0.0]],
                        [[0.1, 0.9], [0.5, 0.5], [1.0, 0.0]]])  # T=2, n=3, K=2
    h = lambda p: -sum(v * np.log(v) for v in p if v > 0)  # noqa: E731
    expected = [h([0.5, 0.5]) - (h([0.9, 0.1]) + h([0.1, 0.9])) / 2,  # confident, disagree
                0.0,  # unsure, but both samples agree: no information about the weights
                0.0]  # sure and agreed
    np.testing.assert_allclose(bald_scores(samples), expected, atol=1e-12)
    assert expected[0] == pytest.approx(0.368064, abs=1e-6)


def test_bald_scores_match_enumeration_on_random_samples():
    samples = _random_samples(0)
    expected = [_batch_information(samples, [i]) for i in range(samples.shape[1])]
    np.testing.assert_allclose(bald_scores(samples), expected, atol=1e-10)


def test_bald_sampling_ranks_by_information_not_by_entropy():
    # Row 0: every sample unsure (highest entropy, no information); row 1: confident
    # samples that disagree (the most informative); row 2: agreed.
    samples = np.array([[[0.5, 0.5], [1.0, 0.0], [0.9, 0.1]],
                        [[0.5, 0.5], [0.0, 1.0], [0.9, 0.1]]])
    clf = FixedSamples(samples).fit()
    idx, scores = bald_sampling(clf, _pool(samples), n_instances=2, random_state=0)
    assert idx.tolist() == [1, 2] and scores[0] == pytest.approx(np.log(2))
    # The entropy of the mean cannot tell rows 0 and 1 apart: both average to (0.5, 0.5).
    idx, entropy = entropy_sampling(clf, _pool(samples), n_instances=2, random_state=0)
    assert set(idx.tolist()) == {0, 1} and entropy[0] == pytest.approx(entropy[1])


def test_bald_sampling_scores_the_pool_in_chunks(monkeypatch):
    from skvaeal.bald import _strategy

    samples = _random_samples(1, n=50)
    clf = FixedSamples(samples).fit()
    whole = bald_sampling(clf, _pool(samples), n_instances=5, random_state=0)
    monkeypatch.setattr(_strategy, "BALD_CHUNK", 7)
    chunked = bald_sampling(clf, _pool(samples), n_instances=5, random_state=0)
    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_allclose(whole[1], chunked[1])


# ------------------------------------------------------------------------- BatchBALD
@pytest.mark.parametrize("seed", range(3))
def test_batchbald_first_pick_equals_bald(seed):
    samples = _random_samples(seed, n=30)
    clf = FixedSamples(samples).fit()
    bald = bald_sampling(clf, _pool(samples), n_instances=1, random_state=0)
    batch = batchbald_sampling(clf, _pool(samples), n_instances=4, random_state=0)
    assert batch[0][0] == bald[0][0]
    assert batch[1][0] == pytest.approx(bald[1][0], rel=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_batchbald_gains_add_up_to_the_enumerated_batch_information(seed):
    samples = _random_samples(seed, T=5, n=10, K=3)
    clf = FixedSamples(samples).fit()
    idx, gains = batchbald_sampling(clf, _pool(samples), n_instances=3, random_state=0)
    for i in range(1, 4):
        assert gains[:i].sum() == pytest.approx(_batch_information(samples, idx[:i]), rel=1e-5)
    # Greedy: no other third row adds more to the first two.
    best = max(_batch_information(samples, [*idx[:2], r]) for r in range(10) if r not in idx[:2])
    assert gains.sum() == pytest.approx(best, rel=1e-5)


def test_batchbald_sampled_configurations_estimate_the_exact_sum():
    samples = _random_samples(3, T=8, n=40, K=3, concentration=1.0)
    clf = FixedSamples(samples).fit()
    exact_idx, exact = batchbald_sampling(clf, _pool(samples), n_instances=5, random_state=0,
                                          n_configurations=3 ** 5)
    errors = []
    for seed in range(5):
        # 9 configurations are summed exactly (two rows chosen), beyond that 4,000 are drawn.
        idx, gains = batchbald_sampling(clf, _pool(samples), n_instances=5, random_state=seed,
                                        n_configurations=4000)
        errors.append(abs(_batch_information(samples, idx) - gains.sum()))
    assert max(errors) < 0.02, errors
    assert exact.sum() == pytest.approx(_batch_information(samples, exact_idx), rel=1e-5)


def test_batchbald_does_not_repeat_a_duplicate_but_bald_does():
    rng = np.random.RandomState(0)
    samples = rng.dirichlet([0.3, 0.3, 0.3], size=(10, 20))
    # Rows 0 and 1: the same confident, disagreeing samples, the most informative rows.
    samples[:, 0] = samples[:, 1] = np.eye(3)[np.arange(10) % 3]
    clf = FixedSamples(samples).fit()
    bald_idx = bald_sampling(clf, _pool(samples), n_instances=2, random_state=0)[0]
    batch_idx, gains = batchbald_sampling(clf, _pool(samples), n_instances=2, random_state=0)
    assert set(bald_idx.tolist()) == {0, 1}
    assert batch_idx[0] in (0, 1) and batch_idx[1] not in (0, 1)
    assert gains[1] > 1e-3  # the second pick still adds information


def test_batchbald_is_deterministic_with_a_seed():
    samples = _random_samples(4, T=6, n=40, K=4)
    clf = FixedSamples(samples).fit()
    runs = [batchbald_sampling(clf, _pool(samples), n_instances=6, n_configurations=20,
                               random_state=3) for _ in range(2)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize("strategy", [bald_sampling, batchbald_sampling])
def test_strategies_refuse_a_model_without_weight_samples(strategy):
    X, y = load_digits(return_X_y=True)
    fitted = LogisticRegression(max_iter=200).fit(X[:100], y[:100])
    with pytest.raises(TypeError, match="predict_proba_samples"):
        strategy(fitted, X[100:], 2)
    with pytest.raises(ClassifierNotFittedError, match="not fitted"):
        strategy(MCDropoutClassifier(), X[100:], 2)


def test_strategies_refuse_bad_sample_shapes():
    class Flat(FixedSamples):
        def predict_proba_samples(self, X):
            return super().predict_proba_samples(X)[0]

    samples = _random_samples(0)
    with pytest.raises(ValueError, match=r"expected \(T, 12, n_classes\)"):
        bald_sampling(Flat(samples).fit(), _pool(samples), 1)


# ---------------------------------------------------------------- MCDropoutClassifier
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    return MCDropoutClassifier(hidden_dims=(32,), n_mc_samples=10, max_epochs=30,
                               random_state=0).fit(X[:200], y[:200])


def test_samples_are_stochastic_shared_and_deterministic(fitted, digits):
    X, _ = digits
    samples = fitted.predict_proba_samples(X[200:260])
    assert samples.shape == (10, 60, 10)
    np.testing.assert_allclose(samples.sum(axis=2), 1.0, atol=1e-6)
    assert np.ptp(samples, axis=0).max() > 0.05  # dropout stays on: the passes differ
    # The same call gives the same samples, and a row's samples do not depend on the others.
    np.testing.assert_array_equal(samples, fitted.predict_proba_samples(X[200:260]))
    np.testing.assert_allclose(fitted.predict_proba_samples(X[205:207]), samples[:, 5:7],
                               atol=1e-6)
    np.testing.assert_allclose(fitted.predict_proba(X[200:260]), samples.mean(axis=0))


def test_same_seed_same_fit(digits, fitted):
    X, y = digits
    again = MCDropoutClassifier(hidden_dims=(32,), n_mc_samples=10, max_epochs=30,
                                random_state=0).fit(X[:200], y[:200])
    np.testing.assert_allclose(again.predict_proba_samples(X[200:230]),
                               fitted.predict_proba_samples(X[200:230]), atol=1e-6)
    other = MCDropoutClassifier(hidden_dims=(32,), n_mc_samples=10, max_epochs=30,
                                random_state=1).fit(X[:200], y[:200])
    assert not np.allclose(other.predict_proba(X[200:230]), fitted.predict_proba(X[200:230]))


def test_no_dropout_gives_identical_passes_and_zero_bald(digits):
    X, y = digits
    clf = MCDropoutClassifier(hidden_dims=(16,), dropout=0.0, n_mc_samples=4, max_epochs=3,
                              random_state=0).fit(X[:100], y[:100])
    samples = clf.predict_proba_samples(X[100:120])
    np.testing.assert_allclose(samples, np.broadcast_to(samples[0], samples.shape), atol=1e-7)
    np.testing.assert_allclose(bald_scores(samples), 0.0, atol=1e-6)


def test_conv_for_images_and_its_samples():
    rng = np.random.RandomState(0)
    X = rng.rand(60, 256).astype(np.float32)
    y = np.arange(60) % 3
    clf = MCDropoutClassifier(n_mc_samples=3, max_epochs=2, random_state=0).fit(X, y)
    assert clf.architecture_ == "conv" and clf.input_shape_ == (1, 16, 16)
    assert clf.predict_proba_samples(X[:5]).shape == (3, 5, 3)
    with pytest.raises(ValueError, match="architecture='conv' needs an image"):
        MCDropoutClassifier(architecture="conv", max_epochs=1).fit(X[:, :10], y)


def test_learns_the_digits(digits):
    X, y = digits
    accuracies = [MCDropoutClassifier(random_state=seed).fit(X[:300], y[:300])
                  .score(X[300:], y[300:]) for seed in range(2)]
    # Measured on this machine: 0.862 and 0.878 with the defaults (200 epochs of 5 batches);
    # seeds 2 and 3 gave 0.863 and 0.859.
    assert min(accuracies) > 0.82, accuracies


def test_passes_the_training_check_given_epochs():
    check_classifiers_train("MCDropoutClassifier",
                            MCDropoutClassifier(hidden_dims=(16,), n_mc_samples=5,
                                                max_epochs=50, random_state=0))


@pytest.mark.parametrize("params, name", [({"dropout": 1.0}, "dropout"),
                                          ({"n_mc_samples": 0}, "n_mc_samples"),
                                          ({"weight_decay": -1.0}, "weight_decay")])
def test_bad_parameters_name_themselves(digits, params, name):
    X, y = digits
    with pytest.raises(ValueError, match=name):
        MCDropoutClassifier(**params).fit(X[:20], y[:20])


def test_one_class_is_refused(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="at least 2 classes"):
        MCDropoutClassifier(max_epochs=1).fit(X[:10], np.zeros(10, dtype=int))


def test_batchbald_long_batches_stay_finite():
    # 60 picks multiply 60 probabilities per configuration: kept normalised, nothing
    # underflows (the product of the raw probabilities would reach 1e-100 and below).
    import warnings

    samples = _random_samples(5, T=8, n=200, K=10, concentration=0.1)
    clf = FixedSamples(samples).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        idx, gains = batchbald_sampling(clf, _pool(samples), n_instances=60,
                                        n_configurations=256, random_state=0)
    assert len(set(idx.tolist())) == 60 and np.all(np.isfinite(gains))
    # The first three picks are summed exactly (100 configurations <= 256) in either run.
    short_idx, short = batchbald_sampling(clf, _pool(samples), n_instances=3,
                                          n_configurations=256, random_state=0)
    np.testing.assert_array_equal(idx[:3], short_idx)
    np.testing.assert_allclose(gains[:3], short, rtol=1e-6)
