"""PoolMatcher: greedy matching without replacement, exact against brute force; features, locate."""

import pickle
import tracemalloc

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from skvaeal.asal import PoolMatcher


def brute_greedy(Z, Q, n_instances, excluded=None):
    """The reference: for each query row in turn (round-robin), the nearest free row of all."""
    Z = np.asarray(Z, dtype=np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    taken = np.zeros(len(Z), dtype=bool) if excluded is None else excluded.copy()
    idx, dist = [], []
    for t in range(n_instances):
        d = np.sqrt(((Z - Q[t % len(Q)]) ** 2).sum(axis=1))
        d[taken] = np.inf
        i = int(np.argmin(d))
        taken[i] = True
        idx.append(i)
        dist.append(d[i])
    return np.array(idx), np.array(dist)


def clustered(seed, n_pool=300, n_query=40, dim=5):
    """A pool and query rows crowded around a few pool rows, so that queries compete."""
    rng = np.random.RandomState(seed)
    X_pool = rng.standard_normal((n_pool, dim))
    centres = X_pool[rng.choice(n_pool, 4, replace=False)]
    X_query = centres[rng.randint(4, size=n_query)] + 0.05 * rng.standard_normal((n_query, dim))
    return X_pool, X_query


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("exclude_as", [None, "indices", "mask"])
def test_match_is_the_brute_force_greedy(seed, exclude_as):
    X_pool, X_query = clustered(seed)
    rng = np.random.RandomState(100 + seed)
    excluded = np.zeros(len(X_pool), dtype=bool)
    exclude = None
    if exclude_as is not None:
        # Exclude rows near the crowded spots too, so that searches must go deep.
        near = NearestNeighbors(n_neighbors=10).fit(X_pool).kneighbors(
            X_query[:5], return_distance=False).ravel()
        excluded[np.concatenate([near, rng.choice(len(X_pool), 30)])] = True
        exclude = np.flatnonzero(excluded) if exclude_as == "indices" else excluded.copy()
    for start in (None, 1, 3, 150):
        matcher = PoolMatcher(n_components=None, algorithm="kd_tree",
                              n_neighbors_start=start).fit(X_pool)
        for n_instances in (None, 7, 95, 220):
            idx, dist = matcher.match(X_query, n_instances, exclude=exclude)
            expected_idx, expected_dist = brute_greedy(
                X_pool.astype(np.float32), X_query.astype(np.float32),
                n_instances or len(X_query), excluded)
            np.testing.assert_array_equal(idx, expected_idx)
            np.testing.assert_allclose(dist, expected_dist, rtol=1e-6)
            assert idx.dtype == np.intp and dist.dtype == np.float64
    if exclude is not None and exclude_as == "mask":
        np.testing.assert_array_equal(exclude, excluded)  # the caller's mask is not modified


@pytest.mark.parametrize("algorithm", ["auto", "ball_tree", "brute"])
def test_every_exact_algorithm_matches_brute_force(algorithm):
    X_pool, X_query = clustered(7, n_pool=200, dim=3)
    matcher = PoolMatcher(n_components=None, algorithm=algorithm, n_neighbors_start=2)
    idx, _ = matcher.fit(X_pool).match(X_query, 60)
    np.testing.assert_array_equal(
        idx, brute_greedy(X_pool.astype(np.float32), X_query.astype(np.float32), 60)[0])


def test_no_duplicates_and_exclusions_respected():
    rng = np.random.RandomState(0)
    X_pool = rng.standard_normal((100, 4))
    X_query = np.repeat(X_pool[:1], 30, axis=0)  # all ask for the same row
    exclude = np.arange(0, 100, 3)
    idx, dist = PoolMatcher(n_components=None).fit(X_pool).match(X_query, 50, exclude=exclude)
    assert len(idx) == 50 and len(np.unique(idx)) == 50
    assert not np.isin(idx, exclude).any()
    # The same query everywhere: rows come out nearest first.
    assert np.all(np.diff(dist) >= 0)


def test_pool_exhausted():
    X_pool = np.arange(20.0).reshape(10, 2)
    matcher = PoolMatcher().fit(X_pool)
    with pytest.raises(ValueError, match="only 4 of the 10 pool rows are left"):
        matcher.match(X_pool[:5], exclude=np.arange(6))
    with pytest.raises(ValueError, match="only 0 of the 10"):
        matcher.match(X_pool[:1], exclude=np.ones(10, dtype=bool))
    # Exactly as many as are left works, and takes all of them.
    idx, _ = matcher.match(X_pool[:1], 4, exclude=np.arange(6))
    assert sorted(idx.tolist()) == [6, 7, 8, 9]


@pytest.mark.parametrize("exclude, error, match", [
    (np.array([0, 10]), ValueError, "outside"),
    (np.array([-1]), ValueError, "outside"),
    (np.ones(3, dtype=bool), ValueError, "shape"),
    (np.array([0.5]), TypeError, "exclude"),
    (np.zeros((2, 2), dtype=int), ValueError, "exclude"),
])
def test_bad_exclude(exclude, error, match):
    matcher = PoolMatcher().fit(np.arange(20.0).reshape(10, 2))
    with pytest.raises(error, match=match):
        matcher.match(np.zeros((1, 2)), exclude=exclude)


def test_empty_exclude_is_none():
    X_pool, X_query = clustered(1)
    matcher = PoolMatcher().fit(X_pool)
    np.testing.assert_array_equal(matcher.match(X_query, exclude=[])[0],
                                  matcher.match(X_query)[0])


def test_pca_applied_and_capped():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((100, 30))
    matcher = PoolMatcher(n_components=5, random_state=0).fit(X)
    assert matcher.pca_.n_components_ == 5 and matcher.features_dim_ == 5
    Z = matcher.transform_features(X[:7])
    assert Z.dtype == np.float32 and Z.shape == (7, 5)
    np.testing.assert_allclose(Z, matcher.pca_.transform(X[:7].astype(np.float32)), atol=1e-5)
    # The PCA centres by the pool mean: F_PCA(x) = PCA(F(x) - mu).
    np.testing.assert_allclose(matcher.pca_.mean_, X.mean(axis=0), atol=1e-5)
    # More components than pool rows: capped at the pool size.
    small = PoolMatcher(n_components=20).fit(X[:10])
    assert small.pca_.n_components_ == 10 and small.features_dim_ == 10
    # ... which changes no nearest neighbour of any query.
    np.testing.assert_array_equal(
        small.match(X[10:20])[0], PoolMatcher(n_components=None).fit(X[:10]).match(X[10:20])[0])
    for n_components in (None, 30, 64):
        matcher = PoolMatcher(n_components=n_components).fit(X)
        assert matcher.pca_ is None and matcher.features_dim_ == 30


def test_pca_matches_are_the_brute_force_greedy_in_pca_space():
    X_pool, X_query = clustered(3, n_pool=400, dim=12)
    matcher = PoolMatcher(n_components=4, random_state=0).fit(X_pool)
    idx, dist = matcher.match(X_query, 60)
    Z, Q = matcher.transform_features(X_pool), matcher.transform_features(X_query)
    expected_idx, expected_dist = brute_greedy(Z, Q, 60)
    np.testing.assert_array_equal(idx, expected_idx)
    np.testing.assert_allclose(dist, expected_dist, rtol=1e-5)


def test_transformer_features_are_used_as_given():
    X_pool, X_query = clustered(5, n_pool=250, dim=6)
    # Stretching one axis changes which rows are nearest.
    stretch = FunctionTransformer(lambda X: X * np.array([50.0, 1, 1, 1, 1, 1]))
    stretch.fit(X_pool)
    matcher = PoolMatcher(stretch, n_components=None).fit(X_pool)
    assert matcher.features is stretch  # not cloned nor refitted
    np.testing.assert_allclose(matcher.transform_features(X_query),
                               stretch.transform(X_query), rtol=1e-6)
    idx, _ = matcher.match(X_query, 50)
    expected = brute_greedy(stretch.transform(X_pool).astype(np.float32),
                            stretch.transform(X_query).astype(np.float32), 50)[0]
    np.testing.assert_array_equal(idx, expected)
    assert not np.array_equal(idx, PoolMatcher(n_components=None).fit(X_pool).match(
        X_query, 50)[0])


def test_fitted_pca_as_transformer_then_no_refit():
    rng = np.random.RandomState(2)
    X_pool = rng.standard_normal((200, 10))
    codes = PCA(n_components=3, random_state=0).fit(X_pool[:50])  # fitted on other rows
    before = codes.components_.copy()
    matcher = PoolMatcher(codes, n_components=None).fit(X_pool)
    np.testing.assert_array_equal(codes.components_, before)
    assert matcher.features_dim_ == 3
    np.testing.assert_allclose(matcher.transform_features(X_pool[:4]),
                               codes.transform(X_pool[:4]), rtol=1e-5, atol=1e-6)


def test_unfitted_transformer_errors():
    with pytest.raises(NotFittedError):
        PoolMatcher(PCA(2)).fit(np.random.RandomState(0).rand(20, 4))


def test_classifier_features_are_log_probabilities():
    rng = np.random.RandomState(0)
    X_pool = rng.standard_normal((300, 4))
    y = (X_pool[:, 0] + X_pool[:, 1] > 0).astype(int) + (X_pool[:, 2] > 1)
    clf = LogisticRegression().fit(X_pool[:100], y[:100])
    X_query = rng.standard_normal((25, 4))
    matcher = PoolMatcher("classifier").fit(X_pool)
    assert matcher.index_ is None and matcher.features_dim_ is None
    assert matcher.X_pool_ is X_pool  # a reference, scored at every match
    exclude = np.arange(100)
    idx, dist = matcher.match(X_query, exclude=exclude, classifier=clf)
    expected_idx, expected_dist = brute_greedy(
        clf.predict_log_proba(X_pool).astype(np.float32),
        clf.predict_log_proba(X_query).astype(np.float32), 25, np.arange(300) < 100)
    np.testing.assert_array_equal(idx, expected_idx)
    np.testing.assert_allclose(dist, expected_dist, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(matcher.transform_features(X_query[:3], classifier=clf),
                               clf.predict_log_proba(X_query[:3]), rtol=1e-5)
    # A new classifier: the space follows it, with no refit of the matcher.
    clf2 = LogisticRegression(C=0.01).fit(X_pool[:100], y[:100])
    idx2, _ = matcher.match(X_query, exclude=exclude, classifier=clf2)
    np.testing.assert_array_equal(idx2, brute_greedy(
        clf2.predict_log_proba(X_pool).astype(np.float32),
        clf2.predict_log_proba(X_query).astype(np.float32), 25, np.arange(300) < 100)[0])


def test_classifier_features_with_pca_refitted_per_match():
    rng = np.random.RandomState(1)
    X_pool = rng.standard_normal((200, 3))
    y = np.argmax(X_pool, axis=1)
    clf = LogisticRegression().fit(X_pool, y)
    matcher = PoolMatcher("classifier", n_components=2, random_state=0).fit(X_pool)
    assert matcher.pca_ is None
    Z = matcher.transform_features(X_pool[:5], classifier=clf)
    assert Z.shape == (5, 2) and Z.dtype == np.float32
    idx, _ = matcher.match(X_pool[:5] + 0.01, classifier=clf)
    assert len(np.unique(idx)) == 5


def test_classifier_features_need_a_classifier():
    X_pool = np.random.RandomState(0).standard_normal((30, 2))
    matcher = PoolMatcher("classifier").fit(X_pool)
    with pytest.raises(TypeError, match="pass classifier="):
        matcher.match(X_pool[:2])
    with pytest.raises(TypeError, match="predict_proba"):
        matcher.match(X_pool[:2], classifier=FunctionTransformer())
    with pytest.raises(NotFittedError, match="not fitted"):
        matcher.match(X_pool[:2], classifier=LogisticRegression())


def test_locate_finds_pool_rows_and_skips_foreign_ones():
    rng = np.random.RandomState(0)
    X_pool = rng.rand(500, 6).astype(np.float32)
    X_pool[321] = X_pool[7]  # a duplicated row: both copies are found
    matcher = PoolMatcher().fit(X_pool)
    wanted = np.array([400, 7, 3, 499, 0])
    foreign = rng.rand(3, 6) + 2.0
    almost = X_pool[10:11].astype(np.float64) + 1e-12  # not equal: no tolerance
    X_rows = np.vstack([X_pool[wanted].astype(np.float64), foreign, almost, X_pool[3:4]])
    positions = matcher.locate(X_rows[rng.permutation(len(X_rows))])
    assert positions.dtype == np.intp
    np.testing.assert_array_equal(positions, [0, 3, 7, 321, 400, 499])
    assert matcher.locate(None).size == 0 and matcher.locate(np.empty((0, 6))).size == 0
    assert matcher.locate(foreign).size == 0
    with pytest.raises(ValueError, match="X_rows has rows of 5 values"):
        matcher.locate(np.zeros((2, 5)))
    # The positions exclude exactly those rows.
    idx, _ = matcher.match(X_pool[[7, 400]], exclude=positions)
    assert not np.isin(idx, positions).any()


def test_locate_does_not_copy_the_pool():
    X_pool = np.random.RandomState(0).rand(2000, 8)
    matcher = PoolMatcher(n_components=None).fit(X_pool)
    assert matcher.X_pool_ is X_pool
    stored = sum(v.nbytes for v in vars(matcher).values() if isinstance(v, np.ndarray)
                 and v is not X_pool)
    # Row hashes and positions: 12 bytes a row, well under the pool's 64.
    assert stored <= 12 * len(X_pool)


@pytest.mark.parametrize("seed", [0, 1])
def test_faiss_recall_at_one(seed):
    faiss = pytest.importorskip("faiss")
    rng = np.random.RandomState(seed)
    X_pool = rng.rand(5000, 20)
    X_query = rng.rand(300, 20)
    approx = PoolMatcher(n_components=None, index="faiss").fit(X_pool)
    assert isinstance(approx.index_, faiss.Index) and approx.index_.ntotal == 5000
    exact = PoolMatcher(n_components=None).fit(X_pool)
    _, i_approx = approx.kneighbors(X_query)
    _, i_exact = exact.kneighbors(X_query)
    assert np.mean(i_approx[:, 0] == i_exact[:, 0]) >= 0.95
    idx, dist = approx.match(X_query, 400, exclude=np.arange(100))
    assert len(np.unique(idx)) == 400 and idx.min() >= 100
    # Its distances are Euclidean (faiss's are squared).
    np.testing.assert_allclose(dist, np.linalg.norm(
        X_pool[idx] - X_query[np.arange(400) % 300], axis=1), rtol=1e-4)
    # It survives pickling (joblib, multiprocessing).
    clone = pickle.loads(pickle.dumps(approx))
    np.testing.assert_array_equal(clone.match(X_query[:20])[0], approx.match(X_query[:20])[0])


def test_faiss_exhausting_a_small_pool():
    pytest.importorskip("faiss")
    X_pool = np.random.RandomState(0).rand(40, 3)
    idx, _ = PoolMatcher(index="faiss", n_neighbors_start=1).fit(X_pool).match(
        X_pool[:2], 40)
    assert sorted(idx.tolist()) == list(range(40))


def test_missing_faiss_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_faiss(name, *args, **kwargs):
        if name == "faiss":
            raise ImportError("No module named 'faiss'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    with pytest.raises(ImportError, match="pip install faiss-cpu"):
        PoolMatcher(index="faiss").fit(np.zeros((5, 2)))
    PoolMatcher().fit(np.zeros((5, 2)))  # the exact index needs no faiss


def test_kneighbors_is_sklearns():
    X_pool, X_query = clustered(2)
    matcher = PoolMatcher(n_components=3, random_state=0).fit(X_pool)
    dist, ind = matcher.kneighbors(X_query, 4)
    ref_d, ref_i = NearestNeighbors(n_neighbors=4).fit(
        matcher.transform_features(X_pool)).kneighbors(matcher.transform_features(X_query))
    np.testing.assert_array_equal(ind, ref_i)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-6)
    assert dist.dtype == np.float64 and ind.dtype == np.intp
    with pytest.raises(ValueError, match="n_neighbors=301"):
        matcher.kneighbors(X_query, 301)
    with pytest.raises(ValueError, match="n_neighbors"):
        matcher.kneighbors(X_query, 0)


def test_image_rows_are_flattened():
    rng = np.random.RandomState(0)
    X_pool = rng.rand(60, 3, 4)
    matcher = PoolMatcher(n_components=None).fit(X_pool)
    assert matcher.features_dim_ == 12
    idx, _ = matcher.match(X_pool[[5, 9]] + 1e-3)
    assert idx.tolist() == [5, 9]
    assert matcher.locate(X_pool[[9, 2]]).tolist() == [2, 9]
    with pytest.raises(ValueError, match="X_query has rows of 15 values, but the pool's .* 12"):
        matcher.match(rng.rand(2, 3, 5))


def test_query_width_must_match():
    matcher = PoolMatcher().fit(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="X_query has rows of 4 values"):
        matcher.match(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="X has rows of 4 values"):
        matcher.transform_features(np.zeros((2, 4)))


@pytest.mark.parametrize("param, value", [
    ("features", "pixels"),
    ("features", 3),
    ("n_components", 0),
    ("n_components", 2.5),
    ("index", "annoy"),
    ("algorithm", "lsh"),
    ("n_neighbors_start", 0),
    ("random_state", "seed"),
])
def test_bad_parameters_name_themselves(param, value):
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        PoolMatcher(**{param: value}).fit(np.zeros((5, 2)))


def test_bad_n_instances():
    matcher = PoolMatcher().fit(np.random.RandomState(0).rand(10, 2))
    for bad, error in ((0, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="n_instances"):
            matcher.match(np.zeros((2, 2)), bad)


def test_not_fitted():
    matcher = PoolMatcher()
    for call in (lambda: matcher.match(np.zeros((1, 2))),
                 lambda: matcher.kneighbors(np.zeros((1, 2))),
                 lambda: matcher.transform_features(np.zeros((1, 2))),
                 lambda: matcher.locate(np.zeros((1, 2)))):
        with pytest.raises(NotFittedError):
            call()


def test_bad_pool():
    with pytest.raises(ValueError, match="X_pool must hold numbers"):
        PoolMatcher().fit([["a", "b"], ["c", "d"]])
    with pytest.raises(ValueError, match="NaN"):
        PoolMatcher().fit(np.array([[0.0, np.nan], [1.0, 2.0]]))


def test_deterministic_and_global_rng_untouched():
    rng = np.random.RandomState(0)
    # Wide enough that the PCA uses its randomized solver, which random_state seeds.
    X_pool = rng.rand(600, 600)
    X_query = rng.rand(15, 600)
    state = np.random.get_state()
    first = PoolMatcher(n_components=10, random_state=0).fit(X_pool).match(X_query, 30)
    second = PoolMatcher(n_components=10, random_state=0).fit(X_pool).match(X_query, 30)
    after = np.random.get_state()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2] == state[2]
    # Repeated matches of one fitted matcher agree too (match keeps no state).
    matcher = PoolMatcher(n_components=10, random_state=0).fit(X_pool)
    np.testing.assert_array_equal(matcher.match(X_query)[0], matcher.match(X_query)[0])


def test_match_memory_is_not_quadratic():
    rng = np.random.RandomState(0)
    X_pool = rng.rand(20000, 4)
    matcher = PoolMatcher(n_components=None).fit(X_pool)
    X_query = np.repeat(X_pool[:1], 20, axis=0)
    # Many excluded rows around the query: searches double well past the first k.
    exclude = matcher.kneighbors(X_pool[:1], 3000)[1][0]
    tracemalloc.start()
    idx, _ = matcher.match(X_query, 200, exclude=exclude)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(np.unique(idx)) == 200 and not np.isin(idx, exclude).any()
    assert peak < 2_000_000  # a 20000 x 20000 distance matrix would be 3.2 GB
