"""The strategy contract and the helpers several strategies share.

``strategy(classifier, X_pool, n_instances=1, *, random_state=None, **kwargs)``
returns ``(query_idx, scores)``: unique int indices into ``X_pool`` and one
float score per chosen index. The helpers here read what a strategy needs from
``classifier`` by duck typing only, so it may be a modAL ``ActiveLearner``,
skvaeal's :class:`~skvaeal.active.ActiveLearner`, a fitted scikit-learn
estimator or pipeline, or ``None`` for a cold start.
"""

import numbers
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from ..utils import check_n_instances, check_numeric_X, n_rows
from ..utils._blocks import is_dask_array, is_out_of_core, map_row_blocks, top_k_rows
from ..utils._random import draw_seed, fresh_seed
from ..utils._param_validation import Interval, validate_params

#: Constraints of the arguments every strategy takes, for :func:`strategy_params`.
STRATEGY_CONSTRAINTS = {
    "X_pool": ["array-like", "sparse matrix"],
    "n_instances": [Interval(numbers.Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
}


#: The constraint of the ``random_tie_break`` argument of the score-ranking strategies.
TIE_BREAK_CONSTRAINTS = {"random_tie_break": ["boolean"]}


def strategy_params(constraints=None, *, fits_models=False):
    """Declare a strategy's argument constraints; they are checked at each call.

    The one validation mechanism of every public strategy: scikit-learn's
    :func:`~sklearn.utils._param_validation.validate_params` over
    :data:`STRATEGY_CONSTRAINTS` plus the strategy's own, so a bad argument
    raises an ``InvalidParameterError`` (a ``ValueError`` and a
    ``TypeError``) that names it. Checks against the data (``n_instances``
    against the pool size) stay in the strategy.

    Parameters
    ----------
    constraints : dict, default=None
        Argument name -> list of constraints, as in scikit-learn.
    fits_models : bool, default=False
        The strategy fits skvaeal estimators (VAAL's sampler), whose own
        parameter validation must then stay on.
    """
    return validate_params({**STRATEGY_CONSTRAINTS, **(constraints or {})},
                           prefer_skip_nested_validation=not fits_models)


class ClassifierNotFittedError(TypeError, NotFittedError):
    """A strategy that needs class probabilities got no fitted classifier.

    A :class:`TypeError` (the argument is not usable as given) that is also
    scikit-learn's :class:`~sklearn.exceptions.NotFittedError`, so either
    ``except`` clause catches it.
    """


def n_pool_samples(X_pool):
    """Number of candidate rows in ``X_pool`` (an array, sparse matrix, DataFrame or list)."""
    try:
        return n_rows(X_pool)
    except TypeError:
        raise TypeError(
            f"X_pool must be an array-like of samples; got {type(X_pool).__name__}."
        ) from None


def check_n_query(X_pool, n_instances):
    """Validate ``n_instances`` against the pool size without converting ``X_pool``.

    For strategies that hand ``X_pool`` to the classifier as is (which may
    accept text, images or DataFrames).
    """
    return check_n_instances(n_instances, n_pool_samples(X_pool))


def check_pool(X_pool, *, allow_nd=False):
    """Validate the pool: non-empty, finite, numeric, 2-D (or N-D when ``allow_nd``).

    For the strategies that measure the pool's rows themselves: a sparse matrix
    or non-numeric rows (text) get an error saying to pass ``transformer=``
    (or a pipeline as the classifier), which maps them to dense features first.
    """
    if is_out_of_core(X_pool):
        # Read a block at a time later; reading it all here to check it would defeat that.
        if X_pool.ndim < 2 or (X_pool.ndim > 2 and not allow_nd):
            raise ValueError(f"X_pool must be 2-D{' or more' if allow_nd else ''}; got "
                             f"{X_pool.ndim} dimension(s).")
        if np.dtype(X_pool.dtype).kind not in "biuf":
            raise ValueError(f"X_pool must hold numbers; got dtype {X_pool.dtype}.")
        return X_pool
    if sp.issparse(X_pool):
        raise TypeError(
            "X_pool is a sparse matrix, but this strategy measures distances between dense "
            "rows: pass transformer= (e.g. a fitted TruncatedSVD), a pipeline as the "
            "classifier, or X_pool.toarray().")
    try:
        return check_numeric_X(X_pool, "X_pool", allow_nd=allow_nd, dtype="numeric")
    except ValueError as exc:
        if "must hold numbers" in str(exc):
            raise ValueError(
                f"{exc} This strategy measures distances between rows: pass transformer= "
                "(e.g. a fitted vectorizer and TruncatedSVD in a pipeline), or a pipeline "
                "as the classifier, to map them to numbers first.") from exc
        raise


def check_geometric_query(X_pool, n_instances, transformer):
    """Validate a geometric strategy's pool: raw rows are checked only without a transformer.

    With a ``transformer`` the pool may be anything it consumes (text, sparse
    matrices, DataFrames); without one it must be numeric and dense.
    """
    if transformer is None:
        return check_query(X_pool, n_instances, allow_nd=True)
    return X_pool, check_n_query(X_pool, n_instances)


def check_query(X_pool, n_instances, *, allow_nd=False):
    """Validate ``X_pool`` and ``n_instances`` together; return both."""
    X_pool = check_pool(X_pool, allow_nd=allow_nd)
    return X_pool, check_n_instances(n_instances, X_pool.shape[0])


def get_estimator(classifier):
    """The model inside a learner (``classifier.estimator``), else ``classifier`` itself."""
    if classifier is None:
        return None
    # Learners (modAL's and ours) wrap the model in `.estimator`; plain estimators do not.
    inner = getattr(classifier, "estimator", None)
    if inner is not None and hasattr(classifier, "teach"):
        return inner
    return classifier


def get_labeled(classifier, X_labeled=None):
    """The labelled rows: an explicit ``X_labeled`` wins, else ``classifier.X_training``.

    Returns ``None`` when there are none (cold start).
    """
    if X_labeled is None and classifier is not None:
        X_labeled = getattr(classifier, "X_training", None)
    if X_labeled is None:
        return None
    if not (sp.issparse(X_labeled) or hasattr(X_labeled, "iloc")
            or isinstance(X_labeled, (list, tuple))):
        X_labeled = np.asarray(X_labeled)
    # Sparse matrices, DataFrames and lists of texts stay as they are: a
    # transformer (a pipeline's first steps) may be what consumes them.
    return X_labeled if n_rows(X_labeled) > 0 else None


def resolve_transformer(classifier, transformer=None):
    """The map into the space a geometric strategy works in.

    An explicit ``transformer`` wins; else, when the (learner's) estimator is a
    :class:`~sklearn.pipeline.Pipeline`, all its steps but the last; else
    ``None`` (the input space).
    """
    if transformer is not None:
        if not hasattr(transformer, "transform"):
            raise TypeError(
                f"transformer must have a transform method (e.g. a fitted VAETransformer); "
                f"got {type(transformer).__name__}."
            )
        return transformer
    estimator = get_estimator(classifier)
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        return estimator[:-1]
    return None


def to_space(transformer, X):
    """``transformer.transform(X)`` as a dense float array, or X itself when it is None.

    A sparse result (a vectorizer's) is densified: the geometric strategies
    work on dense rows, so pass a transformer that reduces the dimension
    first (e.g. ``TruncatedSVD``) for wide vocabularies.
    """
    return pool_codes(transformer, X, dtype=np.float64)


def pool_codes(transformer, X, *, dtype=None):
    """``transformer.transform(X)`` (or X itself) as dense 2-D float rows in memory.

    The geometric strategies (k-center, coresets, clusters) compare every
    code with every pick, so they need the codes in memory. For a pool larger
    than memory (a dask array or memmap) those are a transformer's
    low-dimensional codes (a VAE's 16 numbers per image, not its 784 pixels),
    computed a block of rows at a time; ``transformer=None`` reads the rows
    themselves, which must then fit. A sparse result is densified.
    ``dtype=None`` keeps float32 codes as float32 (else float64).
    """
    def codes(block):
        Z = block if transformer is None else transformer.transform(block)
        if sp.issparse(Z):
            Z = Z.toarray()
        Z = np.asarray(Z)
        Z = Z.reshape(Z.shape[0], -1)
        if dtype is not None:
            return Z.astype(dtype, copy=False)
        return Z if Z.dtype in (np.float32, np.float64) else Z.astype(np.float64)

    if is_dask_array(X):
        first = codes(np.asarray(X[:1]))
        lazy = map_row_blocks(codes, X, out_shape=first.shape[1:], dtype=first.dtype)
        return np.ascontiguousarray(lazy.compute())
    if is_out_of_core(X):
        first = codes(np.array(X[:1]))
        return map_row_blocks(codes, X, out_shape=first.shape[1:], dtype=first.dtype)
    return codes(X)


def pool_scores(score_rows, X_pool):
    """``score_rows`` (rows -> one float per row) over the pool, by blocks when out of core.

    A dask pool gives a lazy dask array of scores (for :func:`top_k_scored`),
    a memmap is read a block at a time, anything else is scored whole.
    """
    if is_out_of_core(X_pool):
        return map_row_blocks(lambda rows: np.asarray(score_rows(rows), dtype=np.float64),
                              X_pool)
    return np.asarray(score_rows(X_pool), dtype=np.float64)


def get_proba(classifier, X_pool, **predict_proba_kwargs):
    """``predict_proba`` of a fitted classifier or learner, with a clear error otherwise.

    Raises
    ------
    ClassifierNotFittedError
        (a ``TypeError`` and a ``NotFittedError``) when ``classifier`` is
        ``None``, has no ``predict_proba``, or is not fitted yet.
    """
    if classifier is None or not hasattr(classifier, "predict_proba"):
        raise ClassifierNotFittedError(
            "this strategy needs a fitted classifier with predict_proba; got "
            f"{type(classifier).__name__ if classifier is not None else None}."
        )
    try:
        proba = classifier.predict_proba(X_pool, **predict_proba_kwargs)
    except NotFittedError as exc:
        raise ClassifierNotFittedError(
            f"this strategy needs a fitted classifier, but {type(classifier).__name__} "
            "is not fitted yet (label a first batch, e.g. with random_sampling)."
        ) from exc
    proba = np.asarray(proba, dtype=np.float64)
    n_pool = n_rows(X_pool)
    if proba.ndim != 2 or proba.shape[0] != n_pool:
        raise ValueError(
            f"predict_proba returned shape {proba.shape}; expected ({n_pool}, n_classes)."
        )
    return proba


def tie_seed(random_state, random_tie_break=True):
    """The integer seed of the tie keys, or ``None`` to break ties by index.

    One draw from ``check_random_state(random_state)``, so that an int and a
    :class:`~numpy.random.RandomState` seeded with it break ties alike (the
    contract of every strategy); ``None`` draws from the OS (never from
    numpy's global generator).
    """
    if not random_tie_break:
        return None
    if random_state is None:
        return fresh_seed()
    return draw_seed(check_random_state(random_state))


def top_k_scored(scores, n_instances, random_state=None, *, random_tie_break=True):
    """:func:`top_k` and the chosen scores; ``scores`` may be a lazy dask array.

    A dask array of scores is reduced block by block (each block's best
    ``n_instances``, then the best of those): the pool is never gathered.
    """
    return top_k_rows(scores, n_instances, tie_seed(random_state, random_tie_break))


def top_k(scores, n_instances, random_state=None, *, random_tie_break=True):
    """Indices of the ``n_instances`` highest scores, best first.

    With ``random_tie_break`` (the default) ties are broken at random with
    ``random_state`` (a seed gives the same indices), so equal scores do not
    always favour the start of the pool; without it they go to the lowest
    index. NaN scores come last. Runs in O(n) with :func:`numpy.argpartition`.

    The random order among equal scores is a hash of the seed and each row's
    position (:func:`skvaeal.utils._blocks.tie_keys`), not a permutation of
    the pool: it is the same when the pool is scored in blocks (a dask array,
    a memmap), so those give the same picks as the same rows in memory.
    """
    return top_k_scored(scores, n_instances, random_state,
                        random_tie_break=random_tie_break)[0]


def check_enough_candidates(candidates, n_instances):
    """Raise when fewer pool rows than ``n_instances`` may still be picked.

    Parameters
    ----------
    candidates : ndarray of bool
        :func:`candidate_mask` of the pool.
    n_instances : int
    """
    n_candidates = int(np.count_nonzero(candidates))
    if n_instances > n_candidates:
        raise ValueError(
            f"n_instances={n_instances} is larger than the {n_candidates} pool rows that "
            "are not labelled (or excluded) yet.")


def lowest_score_pick(proba, candidates, n_instances, random_state):
    """The ``n_instances`` candidates with the lowest ``proba``; scores are ``1 - proba``.

    The pick of the discriminator-based strategies (VAAL, ASSAL): ``proba`` is
    a sampler's probability that a row is labelled, so the lowest are the
    rows least like the labelled set. Ties are broken at random.
    """
    if is_dask_array(proba) or is_dask_array(candidates):
        # Lazy: counting the candidates first would read the pool once more; a
        # labelled row (-inf) among the picks means there were too few instead.
        informativeness = np.where(candidates, 1.0 - proba, -np.inf)
        query_idx, scores = top_k_scored(informativeness, n_instances, random_state)
        if np.isneginf(scores).any():
            raise ValueError(
                f"n_instances={n_instances} is larger than the "
                f"{int(np.count_nonzero(np.isfinite(scores)))} pool rows that are not "
                "labelled (or excluded) yet.")
        return query_result(query_idx, scores)
    check_enough_candidates(candidates, n_instances)
    informativeness = 1.0 - np.asarray(proba, dtype=np.float64)
    # Labelled rows can never win: -inf is below any 1 - S in [0, 1].
    informativeness = np.where(candidates, informativeness, -np.inf)
    query_idx, scores = top_k_scored(informativeness, n_instances, random_state)
    return query_result(query_idx, scores)


def query_result(query_idx, scores):
    """Package ``(query_idx, scores)`` as the contract's 2-tuple of numpy arrays."""
    query_idx = np.asarray(query_idx, dtype=np.intp)
    scores = np.asarray(scores, dtype=np.float64)
    if query_idx.shape != scores.shape:
        raise ValueError("a strategy must return exactly one score per chosen index")
    return query_idx, scores


def row_keys(X, block_rows=8192):
    """One uint64 hash per row of ``X``, equal for rows with equal values.

    The values are hashed as float64 bit patterns (``-0.0`` counts as ``0.0``), so
    rows match exactly, with no tolerance; distinct rows collide with
    probability about ``2**-64`` per pair, and :func:`labeled_mask` checks
    candidates exactly anyway. Rows are hashed ``block_rows`` at a time, so the
    float64 copy never exceeds a block, whatever the pool's size and dtype.
    """
    X = np.asarray(X)
    n = X.shape[0] if X.ndim else 0
    X = X.reshape(n, -1)
    d = X.shape[1]
    golden = np.uint64(0x9E3779B97F4A7C15)
    # Fixed odd per-column multipliers (multiples of the 64-bit golden ratio, wrapping),
    # and fixed odd weights of the columns' mixed bits in the row's key: the hash is the
    # same in every process, and no random generator is involved.
    with np.errstate(over="ignore"):
        mult = (np.arange(1, d + 1, dtype=np.uint64) * golden) | np.uint64(1)
        weights = (np.arange(d + 1, 1, -1, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9)) \
            | np.uint64(1)
    keys = np.empty(n, dtype=np.uint64)
    for start in range(0, n, block_rows):
        # Adding 0.0 turns -0.0 into 0.0 so that the two zeros hash alike.
        block = X[start:start + block_rows].astype(np.float64) + 0.0
        bits = block.view(np.uint64)
        bits *= mult
        bits ^= bits >> np.uint64(29)
        bits *= golden
        # One (wrapping) integer product per block combines the columns in order.
        keys[start:start + block_rows] = bits @ weights
        keys[start:start + block_rows] ^= keys[start:start + block_rows] >> np.uint64(32)
    return keys


def labeled_mask(X_pool, X_labeled):
    """Boolean mask of the pool rows exactly equal to some row of ``X_labeled``.

    Rows are compared after flattening, by value (not identity): hashing each row
    (:func:`row_keys`) makes this O((n_pool + n_labeled) * n_features), and the
    rare hash hits are confirmed by an exact comparison. Returns all ``False``
    when ``X_labeled`` is ``None`` or its rows have another width than the pool's.
    """
    n_pool = n_rows(X_pool)
    if X_labeled is None or n_rows(X_labeled) == 0 or n_pool == 0:
        if is_dask_array(X_pool):
            return map_row_blocks(lambda rows: np.zeros(rows.shape[0], dtype=bool), X_pool,
                                  dtype=bool)
        return np.zeros(n_pool, dtype=bool)
    if is_out_of_core(X_pool):
        L = np.asarray(X_labeled)
        return map_row_blocks(lambda rows: labeled_mask(rows, L), X_pool, dtype=bool)
    mask = np.zeros(n_pool, dtype=bool)
    if sp.issparse(X_pool) or sp.issparse(X_labeled):
        return _sparse_labeled_mask(X_pool, X_labeled)
    try:
        P = np.asarray(X_pool).reshape(n_pool, -1)
        L = np.asarray(X_labeled).reshape(n_rows(X_labeled), -1)
    except (TypeError, ValueError):
        return _object_labeled_mask(X_pool, X_labeled)
    if P.shape[1] != L.shape[1]:
        return mask
    try:
        P = P.astype(np.float64, copy=False)
        L = L.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        return _object_labeled_mask(X_pool, X_labeled)
    hits = np.flatnonzero(np.isin(row_keys(P), row_keys(L)))
    if hits.size:
        labeled_rows = {row.tobytes() for row in (L + 0.0)}
        confirmed = [i for i in hits if (P[i] + 0.0).tobytes() in labeled_rows]
        mask[np.asarray(confirmed, dtype=np.intp)] = True
    return mask


def _sparse_labeled_mask(X_pool, X_labeled, chunk=4096):
    # Densified a block of rows at a time: memory stays O(chunk * n_features).
    P = sp.csr_matrix(X_pool) if sp.issparse(X_pool) else sp.csr_matrix(np.asarray(X_pool))
    L = sp.csr_matrix(X_labeled) if sp.issparse(X_labeled) else sp.csr_matrix(
        np.asarray(X_labeled))
    mask = np.zeros(P.shape[0], dtype=bool)
    if P.shape[1] != L.shape[1]:
        return mask
    L = L.toarray() if L.shape[0] <= chunk else L
    for start in range(0, P.shape[0], chunk):
        block = P[start:start + chunk].toarray()
        mask[start:start + block.shape[0]] = labeled_mask(
            block, L if isinstance(L, np.ndarray) else L.toarray())
    return mask


def _object_labeled_mask(X_pool, X_labeled):
    # Rows that are not numbers (texts, tuples): equal by Python equality when hashable.
    try:
        labeled = {_hashable(x) for x in X_labeled}
        return np.fromiter((_hashable(x) in labeled for x in X_pool), dtype=bool,
                           count=n_rows(X_pool))
    except TypeError:
        return np.zeros(n_rows(X_pool), dtype=bool)


def _hashable(x):
    return tuple(x) if isinstance(x, list) else x


def candidate_mask(X_pool, classifier=None, *, X_labeled=None, exclude=None, lazy=False):
    """Pool rows a strategy may still pick: not labelled already and not in ``exclude``.

    Labelled rows are ``X_labeled`` or else ``classifier.X_training``
    (:func:`get_labeled`), matched to pool rows by exact value
    (:func:`labeled_mask`); ``exclude`` is an array of pool indices or a boolean
    mask over the pool. For a dask pool, ``lazy=True`` returns a lazy dask mask
    (to be computed with the scores in one pass over the pool); otherwise the
    mask is computed into memory (one byte per row).
    """
    n_pool = n_rows(X_pool)
    mask = ~labeled_mask(X_pool, get_labeled(classifier, X_labeled))
    if is_dask_array(mask) and not lazy:
        mask = np.asarray(mask.compute())
    if is_dask_array(mask):
        if exclude is None:
            return mask
        # The exclusions as a boolean mask in memory (one byte per row), checked as below.
        keep = candidate_mask(np.empty((n_pool, 0)), exclude=exclude)
        da = sys.modules["dask.array"]
        return mask & da.from_array(keep, chunks=(mask.chunks[0],))
    if exclude is not None:
        exclude = np.asarray(exclude)
        if exclude.dtype == bool:
            if exclude.shape != (n_pool,):
                raise ValueError(
                    f"a boolean exclude must have one entry per pool row ({n_pool}); "
                    f"got shape {exclude.shape}."
                )
            mask &= ~exclude
        elif exclude.size:
            if not np.issubdtype(exclude.dtype, np.integer):
                raise TypeError("exclude must be an array of pool indices or a boolean mask.")
            if exclude.min() < -n_pool or exclude.max() >= n_pool:
                raise ValueError(f"exclude holds indices outside the pool of {n_pool} rows.")
            mask[exclude.ravel()] = False
    return mask
