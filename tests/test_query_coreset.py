"""VAE coreset sampling: spread over clusters, exclusion, within-cluster rules, quotas."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.datasets import load_digits, make_blobs
from sklearn.linear_model import LogisticRegression

from skvaeal import VAETransformer
from skvaeal.query import cluster_quotas, vae_coreset_sampling
from skvaeal.query._base import candidate_mask, labeled_mask, row_keys


@pytest.fixture(scope="module")
def blobs():
    # Well separated, equal blobs: K-means recovers them exactly.
    X, y = make_blobs(n_samples=600, centers=6, cluster_std=0.3, center_box=(-20, 20),
                      random_state=0)
    return X, y


@pytest.fixture(scope="module")
def digits_vae():
    X, y = load_digits(return_X_y=True)
    X = X[:400] / 16.0
    vae = VAETransformer(latent_dim=3, max_epochs=2, random_state=0).fit(X)
    return vae, X, y[:400]


def test_each_cluster_gets_m(blobs):
    X, y = blobs
    query_idx, scores = vae_coreset_sampling(None, X, 18, n_clusters=6, random_state=0)
    assert np.bincount(y[query_idx], minlength=6).tolist() == [3] * 6
    np.testing.assert_allclose(scores, 100 / 3)


def test_remainder_goes_to_the_largest_clusters():
    X, y = make_blobs(n_samples=[300, 100, 100], centers=[[0, 0], [20, 0], [0, 20]],
                      cluster_std=0.3, random_state=0)
    query_idx, _ = vae_coreset_sampling(None, X, 7, n_clusters=3, random_state=0)
    assert np.bincount(y[query_idx], minlength=3).tolist() == [3, 2, 2]


def test_small_cluster_shortfall_is_redistributed():
    X, y = make_blobs(n_samples=[200, 200, 2], centers=[[0, 0], [20, 0], [0, 20]],
                      cluster_std=0.3, random_state=0)
    query_idx, _ = vae_coreset_sampling(None, X, 12, n_clusters=3, random_state=0)
    assert np.bincount(y[query_idx], minlength=3).tolist() == [5, 5, 2]


def test_more_clusters_than_picks_is_capped(blobs):
    X, y = blobs
    query_idx, _ = vae_coreset_sampling(None, X, 6, n_clusters=50, random_state=0)
    # K = 6 = n_instances: one pick per (recovered) blob.
    assert sorted(y[query_idx].tolist()) == list(range(6))


def test_closest_picks_are_nearest_to_the_centroids(blobs):
    X, _ = blobs
    query_idx, scores = vae_coreset_sampling(None, X, 6, n_clusters=6, within="closest",
                                             max_fit_samples=None, random_state=0)
    km = KMeans(6, n_init=1, random_state=0).fit(X)  # same blobs, any seed
    D = np.linalg.norm(X[:, None, :] - km.cluster_centers_[None], axis=2)
    assert sorted(query_idx.tolist()) == sorted(np.argmin(D, axis=0).tolist())
    np.testing.assert_allclose(np.sort(-scores), np.sort(D.min(axis=0)), rtol=1e-6)


def test_closest_without_centres_uses_cluster_means(blobs):
    X, y = blobs
    query_idx, _ = vae_coreset_sampling(None, X, 6, n_clusters=6, within="closest",
                                        clusterer=AgglomerativeClustering(), random_state=0)
    means = np.stack([X[y == k].mean(axis=0) for k in range(6)])
    expected = [np.flatnonzero(y == k)[np.argmin(np.linalg.norm(X[y == k] - means[k], axis=1))]
                for k in range(6)]
    assert sorted(query_idx.tolist()) == sorted(expected)


def test_uncertainty_picks_the_most_uncertain_per_cluster(blobs):
    X, y = blobs
    clf = LogisticRegression(max_iter=500).fit(X[::20], (y[::20] % 2))
    query_idx, scores = vae_coreset_sampling(clf, X, 12, n_clusters=6, within="uncertainty",
                                             uncertainty="margin", random_state=0)
    margin = 1 - np.abs(np.diff(clf.predict_proba(X), axis=1)).ravel()
    for k in range(6):
        picked = query_idx[y[query_idx] == k]
        assert picked.size == 2
        assert set(picked.tolist()) == set(np.flatnonzero(y == k)[
            np.argsort(-margin[y == k], kind="stable")[:2]].tolist())
    np.testing.assert_allclose(scores, margin[query_idx])


def test_uncertainty_needs_a_fitted_classifier(blobs):
    X, _ = blobs
    with pytest.raises(TypeError, match="fitted classifier"):
        vae_coreset_sampling(None, X, 4, within="uncertainty")
    with pytest.raises(TypeError, match="fitted"):
        vae_coreset_sampling(LogisticRegression(), X, 4, within="uncertainty")


def test_labelled_rows_are_not_picked_again(blobs):
    X, _ = blobs

    class Learner:
        X_training = X[:550]

    for within in ("uniform", "closest"):
        query_idx, _ = vae_coreset_sampling(Learner(), X, 30, n_clusters=6, within=within,
                                            random_state=0)
        assert query_idx.min() >= 550
    with pytest.raises(ValueError, match="n_instances"):
        vae_coreset_sampling(Learner(), X, 51, random_state=0)


def test_explicit_exclude(blobs):
    X, _ = blobs
    query_idx, _ = vae_coreset_sampling(None, X, 50, n_clusters=5, exclude=np.arange(500),
                                        random_state=0)
    assert query_idx.min() >= 500
    mask = np.zeros(len(X), bool)
    mask[100:] = True
    query_idx, _ = vae_coreset_sampling(None, X, 50, n_clusters=5, exclude=mask,
                                        random_state=0)
    assert query_idx.max() < 100


def test_custom_clusterer_and_subsample_fit(blobs):
    X, y = blobs
    for clusterer in (MiniBatchKMeans(n_clusters=3, n_init=3), KMeans(n_clusters=99)):
        query_idx, _ = vae_coreset_sampling(None, X, 12, n_clusters=6, clusterer=clusterer,
                                            max_fit_samples=100, random_state=0)
        # The strategy's n_clusters wins over the clusterer's own.
        assert np.bincount(y[query_idx], minlength=6).tolist() == [2] * 6


def test_bad_parameters(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="within"):
        vae_coreset_sampling(None, X, 2, within="nearest")
    with pytest.raises(ValueError, match="n_clusters"):
        vae_coreset_sampling(None, X, 2, n_clusters=0)
    with pytest.raises(ValueError, match="max_fit_samples"):
        vae_coreset_sampling(None, X, 2, max_fit_samples=0)
    with pytest.raises(ValueError, match="uncertainty"):
        vae_coreset_sampling(None, X, 2, within="uncertainty", uncertainty="gini")
    with pytest.raises(TypeError, match="transform"):
        vae_coreset_sampling(None, X, 2, transformer=object())


def test_latent_space_of_a_vae(digits_vae):
    vae, X, y = digits_vae
    query_idx, _ = vae_coreset_sampling(None, X, 20, transformer=vae, n_clusters=5,
                                        random_state=0)
    Z = vae.transform(X)
    in_latent, _ = vae_coreset_sampling(None, Z, 20, n_clusters=5, random_state=0)
    np.testing.assert_array_equal(query_idx, in_latent)
    labels = KMeans(5, n_init=1, random_state=0).fit_predict(Z)
    assert np.unique(labels[query_idx]).size >= 4


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=12), st.data())
def test_cluster_quotas_properties(sizes, data):
    sizes = np.array(sizes)
    n = data.draw(st.integers(0, int(sizes.sum())))
    q = cluster_quotas(sizes, n, random_state=data.draw(st.integers(0, 10)))
    assert q.sum() == n
    assert np.all(q >= 0) and np.all(q <= sizes)
    # Each cluster gets m = n // K when it has that many points ...
    assert np.all(q >= np.minimum(sizes, n // sizes.size))
    # ... and the picks are as even as the sizes allow: a cluster below the top
    # quota is full.
    not_full = q < sizes
    if not_full.any():
        assert q.max() - q[not_full].min() <= 1


def test_cluster_quotas_errors():
    with pytest.raises(ValueError):
        cluster_quotas([3, 2], 6)
    with pytest.raises(ValueError):
        cluster_quotas([], 0)


def test_row_hash_matching():
    rng = np.random.RandomState(0)
    P = rng.normal(size=(50, 4))
    L = np.vstack([P[[3, 7]], rng.normal(size=(3, 4))])
    P[10] = -0.0
    L = np.vstack([L, np.zeros(4)])
    mask = labeled_mask(P, L)
    assert np.flatnonzero(mask).tolist() == [3, 7, 10]
    assert row_keys(P[:3]).dtype == np.uint64
    assert not labeled_mask(P, np.zeros((2, 5))).any()
    assert candidate_mask(P, None, exclude=[0, 1]).sum() == 48
