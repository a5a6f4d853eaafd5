"""Uncertainty scores (property tests) and the strategies built on them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skvaeal.query import (entropy_sampling, entropy_scores, least_confident_scores,
                           margin_sampling, margin_scores, uncertainty_sampling)

SCORES = [least_confident_scores, margin_scores, entropy_scores]


@st.composite
def probas(draw, min_classes=1, max_classes=8):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(min_classes, max_classes))
    raw = draw(arrays(np.float64, (n, k), elements=st.floats(0, 1e3)))
    # A row of zeros normalises to uniform; exact zeros elsewhere stay (0 log 0 = 0).
    raw[raw.sum(axis=1) == 0] = 1.0
    return raw / raw.sum(axis=1, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(probas())
def test_entropy_in_0_log_k(proba):
    s = entropy_scores(proba)
    assert s.shape == (proba.shape[0],)
    assert np.all(s >= 0) and np.all(s <= np.log(proba.shape[1]) + 1e-12)


@settings(max_examples=60, deadline=None)
@given(probas())
def test_least_confident_in_0_1_minus_1_over_k(proba):
    s = least_confident_scores(proba)
    assert np.all(s >= -1e-12) and np.all(s <= 1 - 1 / proba.shape[1] + 1e-12)


@settings(max_examples=60, deadline=None)
@given(probas())
def test_margin_in_0_1(proba):
    s = margin_scores(proba)
    assert np.all(s >= -1e-12) and np.all(s <= 1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(probas(), st.randoms(use_true_random=False))
def test_permutation_invariance_over_classes(proba, rnd):
    perm = list(range(proba.shape[1]))
    rnd.shuffle(perm)
    for score in SCORES:
        np.testing.assert_allclose(score(proba[:, perm]), score(proba), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(probas(), st.randoms(use_true_random=False))
def test_row_order_equivariance(proba, rnd):
    order = list(range(proba.shape[0]))
    rnd.shuffle(order)
    for score in SCORES:
        np.testing.assert_allclose(score(proba[order]), score(proba)[order], atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 20))
def test_uniform_row_is_maximal_and_one_hot_minimal(k):
    uniform = np.full((1, k), 1 / k)
    one_hot = np.eye(k)[:1]
    np.testing.assert_allclose(entropy_scores(uniform), [np.log(k)], atol=1e-12)
    np.testing.assert_allclose(least_confident_scores(uniform), [1 - 1 / k], atol=1e-12)
    np.testing.assert_allclose(margin_scores(uniform), [1.0 if k > 1 else 0.0], atol=1e-12)
    for score in SCORES:
        np.testing.assert_allclose(score(one_hot), [0.0], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(probas(min_classes=2, max_classes=2))
def test_binary_scores_agree_on_the_order(proba):
    """With two classes all three criteria rank by closeness to 0.5."""
    dist = np.abs(proba[:, 0] - 0.5)
    for score in SCORES:
        s = score(proba)
        i, j = np.argmin(dist), np.argmax(dist)
        assert s[i] >= s[j] - 1e-12


@pytest.mark.parametrize("score", SCORES)
def test_scores_reject_bad_shapes(score):
    with pytest.raises(ValueError, match="proba"):
        score(np.array([0.2, 0.8]))
    with pytest.raises(ValueError, match="finite"):
        score(np.array([[np.nan, 1.0]]))


@pytest.fixture(scope="module")
def fitted():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    clf = LogisticRegression(max_iter=300).fit(X[:60], y[:60])
    return clf, X[60:400]


@pytest.mark.parametrize("strategy, score", [
    (uncertainty_sampling, least_confident_scores),
    (margin_sampling, margin_scores),
    (entropy_sampling, entropy_scores),
])
def test_strategy_queries_the_highest_scores(strategy, score, fitted):
    clf, X_pool = fitted
    full = score(clf.predict_proba(X_pool))
    query_idx, scores = strategy(clf, X_pool, n_instances=10, random_state=0)
    np.testing.assert_allclose(scores, full[query_idx])
    # Most uncertain first, and nothing left out scores higher than what was taken.
    assert np.all(np.diff(scores) <= 0)
    assert np.sort(full)[::-1][9] == pytest.approx(scores[-1])


def test_ties_are_broken_at_random():
    class Flat:
        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

    X = np.zeros((100, 1))
    picks = {tuple(entropy_sampling(Flat(), X, 3, random_state=s)[0]) for s in range(5)}
    assert len(picks) > 1
    assert entropy_sampling(Flat(), X, 3, random_state=1)[0].tolist() == \
        entropy_sampling(Flat(), X, 3, random_state=1)[0].tolist()


def test_bad_predict_proba_shape():
    class Bad:
        def predict_proba(self, X):
            return np.zeros(len(X))

    with pytest.raises(ValueError, match="predict_proba"):
        margin_sampling(Bad(), np.zeros((5, 2)), 1)
