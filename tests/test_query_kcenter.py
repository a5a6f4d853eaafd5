"""Greedy k-center: the farthest-first property, the labelled set, memory, exactness."""

import tracemalloc

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skvaeal.query import k_center_greedy


def brute_force(Z, n_instances, labeled=None, first=None, metric="euclidean"):
    """The O(n^2) reference: recompute every distance to every centre at each step."""
    centres = [] if labeled is None else list(labeled)
    chosen, scores = [], []
    for _ in range(n_instances):
        if not centres:
            i, s = first, np.inf
        else:
            D = cdist(Z, np.asarray(centres), metric=metric).min(axis=1)
            D[chosen] = -np.inf
            i = int(np.argmax(D))
            s = D[i]
        chosen.append(i)
        scores.append(s)
        centres.append(Z[i])
    return np.array(chosen), np.array(scores)


def test_farthest_first_on_a_line():
    X = np.array([[0.0], [1.0], [2.0], [10.0], [4.0], [9.0]])
    query_idx, scores = k_center_greedy(None, X, 3, X_labeled=[[0.0]])
    # 10 is farthest from 0; then 4 (4 from 0, 5 from 10... min 4); then 2 (min 2).
    assert query_idx.tolist() == [3, 4, 2]
    np.testing.assert_allclose(scores, [10.0, 4.0, 2.0])


def test_scores_decrease_and_first_cold_pick_is_random():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    firsts = {int(k_center_greedy(None, X, 1, random_state=s)[0][0]) for s in range(6)}
    assert len(firsts) > 1
    query_idx, scores = k_center_greedy(None, X, 20, random_state=0)
    assert scores[0] == np.inf
    assert np.all(np.diff(scores[1:]) <= 1e-12)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cityblock", "cosine"])
@pytest.mark.parametrize("with_labeled", [False, True])
def test_equals_brute_force(metric, with_labeled):
    rng = np.random.RandomState(1)
    Z = rng.normal(size=(120, 4))
    labeled = rng.normal(size=(7, 4)) if with_labeled else None
    query_idx, scores = k_center_greedy(None, Z, 25, X_labeled=labeled, metric=metric,
                                        random_state=3)
    ref_idx, ref_scores = brute_force(Z, 25, labeled, first=query_idx[0], metric=metric)
    np.testing.assert_array_equal(query_idx, ref_idx)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-7, atol=1e-9)


def test_labelled_set_from_classifier_and_chunking():
    rng = np.random.RandomState(2)
    Z = rng.normal(size=(200, 3))
    L = rng.normal(size=(50, 3))

    class Learner:
        X_training = L

    a = k_center_greedy(Learner(), Z, 10)
    b = k_center_greedy(None, Z, 10, X_labeled=L, chunk_size=7)
    ref = brute_force(Z, 10, L)
    np.testing.assert_array_equal(a[0], ref[0])
    np.testing.assert_array_equal(b[0], ref[0])
    np.testing.assert_allclose(b[1], ref[1], rtol=1e-7)


def test_labelled_rows_are_never_picked_and_duplicates_come_last():
    X = np.array([[0.0], [0.0], [5.0], [5.0], [1.0]])
    query_idx, scores = k_center_greedy(None, X, 3, X_labeled=[[0.0]])
    assert query_idx[0] in (2, 3) and query_idx[1] == 4
    assert set(query_idx.tolist()) == {2, 3, 4}
    np.testing.assert_allclose(scores[2:], 0.0)
    for metric in ("euclidean", "cityblock"):
        # Fewer unlabelled rows than asked for: an error, as in every other strategy,
        # not the labelled rows themselves.
        with pytest.raises(ValueError, match="n_instances=4 is larger than the 3 pool rows"):
            k_center_greedy(None, X, 4, X_labeled=[[0.0]], metric=metric)
        idx, _ = k_center_greedy(None, X, 3, X_labeled=[[0.0]], metric=metric)
        assert set(idx.tolist()) == {2, 3, 4}


def test_labelled_rows_are_never_picked_inside_a_learner(digits):
    from sklearn.linear_model import LogisticRegression

    from skvaeal.active import ActiveLearner

    X, y = digits
    learner = ActiveLearner(LogisticRegression(max_iter=200), k_center_greedy,
                            X_training=X[:20], y_training=y[:20])
    pool = X[:26]  # 20 labelled rows and 6 new ones
    idx, _ = learner.query(pool, n_instances=6)
    assert sorted(idx.tolist()) == list(range(20, 26))
    with pytest.raises(ValueError, match="n_instances"):
        learner.query(pool, n_instances=7)


def test_pipeline_space_and_explicit_transformer():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(150, 10))
    y = (X[:, 0] > 0).astype(int)
    pipe = make_pipeline(PCA(n_components=2, random_state=0), LogisticRegression()).fit(X, y)
    Z = pipe[:-1].transform(X)
    from_pipe = k_center_greedy(pipe, X, 8, random_state=0)
    in_latent = k_center_greedy(None, Z, 8, random_state=0)
    explicit = k_center_greedy(None, X, 8, transformer=pipe[:-1], random_state=0)
    np.testing.assert_array_equal(from_pipe[0], in_latent[0])
    np.testing.assert_array_equal(explicit[0], in_latent[0])


def test_float32_pool_stays_float32_and_agrees():
    rng = np.random.RandomState(4)
    Z = rng.normal(size=(500, 5))
    a = k_center_greedy(None, Z, 15, random_state=0)
    b = k_center_greedy(None, Z.astype(np.float32), 15, random_state=0)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1][1:], b[1][1:], rtol=1e-4)


def test_bad_parameters():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="chunk_size"):
        k_center_greedy(None, X, 1, chunk_size=0)
    with pytest.raises(TypeError, match="metric"):
        k_center_greedy(None, X, 1, metric=3)
    with pytest.raises(ValueError, match="features"):
        k_center_greedy(None, X, 1, X_labeled=np.zeros((2, 3)))


def test_memory_is_linear_in_the_pool():
    """200k x 10: an n x n matrix would be 320 GB; the query stays within a few n-vectors."""
    n, d = 200_000, 10
    Z = np.random.RandomState(5).normal(size=(n, d))
    L = Z[:300].copy()
    tracemalloc.start()
    try:
        k_center_greedy(None, Z, 30, random_state=0)
        _, peak_cold = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        k_center_greedy(None, Z, 30, X_labeled=L, chunk_size=10_000)
        _, peak_labeled = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A handful of n-vectors, plus rows gathered for a partial update (65536 x d).
    budget = 6 * n * 8 + 2 * 65536 * d * 8
    assert peak_cold < budget, peak_cold
    # Labelled distances come in blocks of 10_000 x 300 (24 MB) at most.
    assert peak_labeled < budget + 10_000 * 300 * 8 * 2, peak_labeled
    assert budget < n * n * 8 / 10_000


def test_threads_split_the_pool_and_pick_the_same():
    # 60_000 x 40 = 2.4 million values: above the size from which passes are threaded.
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((60_000, 40)).astype(np.float32)
    one = k_center_greedy(None, Z, 25, X_labeled=Z[:50], n_jobs=1)
    two = k_center_greedy(None, Z, 25, X_labeled=Z[:50], n_jobs=2)
    every = k_center_greedy(None, Z, 25, X_labeled=Z[:50], n_jobs=-1)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[0], every[0])
    np.testing.assert_allclose(one[1], two[1], rtol=1e-6)
    cold = [k_center_greedy(None, Z, 10, random_state=3, n_jobs=j)[0] for j in (1, 2)]
    np.testing.assert_array_equal(*cold)


def test_float32_pass_for_float64_codes_is_opt_in():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((3000, 8))
    exact = k_center_greedy(None, Z, 20, X_labeled=Z[:5])
    fast = k_center_greedy(None, Z, 20, X_labeled=Z[:5], dtype="float32")
    # Well-separated picks agree; the scores agree to float32 precision.
    assert np.mean(exact[0] == fast[0]) >= 0.9
    np.testing.assert_allclose(fast[1][:5], exact[1][:5], rtol=1e-4)
    # The same as running on float32 codes.
    np.testing.assert_array_equal(
        fast[0], k_center_greedy(None, Z.astype(np.float32), 20,
                                 X_labeled=Z[:5].astype(np.float32))[0])
    with pytest.raises(ValueError, match="dtype"):
        k_center_greedy(None, Z, 2, dtype="float16")
    with pytest.raises((TypeError, ValueError), match="n_jobs"):
        k_center_greedy(None, Z, 2, n_jobs=1.5)
