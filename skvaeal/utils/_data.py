"""Rows of any container a scikit-learn pipeline consumes, kept in their own type.

Active learning moves rows between a pool and a labelled set. Users hand over
numpy arrays, scipy sparse matrices, pandas DataFrames, lists of strings for a
text pipeline, or torch tensors for a skorch net; converting them all to one
numpy array would break the pipelines they were meant for. These helpers count,
take and stack rows in the container's own type. pandas and torch are never
imported here: a DataFrame or a tensor can only reach these functions when its
library is already loaded.
"""

import sys

import numpy as np
import scipy.sparse as sp

__all__ = ["check_rows", "hstack_columns", "n_rows", "stack_rows", "take_rows"]


def _is_pandas(X):
    return type(X).__module__.split(".")[0] == "pandas" and hasattr(X, "iloc")


def _is_tensor(X):
    torch = sys.modules.get("torch")
    return torch is not None and torch.is_tensor(X)


def n_rows(X):
    """Number of rows (samples) of ``X``: its first dimension, or its length.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from skvaeal.utils import n_rows
    >>> n_rows(sp.random(5, 3)), n_rows(["a text", "another"])
    (5, 2)
    """
    shape = getattr(X, "shape", None)
    if shape is not None:
        if len(shape) == 0:
            raise TypeError(f"expected a collection of samples; got a scalar {type(X).__name__}.")
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        raise TypeError(
            f"expected an array-like of samples; got {type(X).__name__}.") from None


def take_rows(X, idx):
    """The rows ``idx`` of ``X``, in ``X``'s own type.

    Parameters
    ----------
    X : ndarray, sparse matrix, DataFrame, Series, list, tuple or tensor
    idx : int or array-like of int or bool
        Positions (never DataFrame labels). A single int gives one row as the
        container gives it (a 1-D row of an array, a Series of a DataFrame, one
        item of a list).

    Returns
    -------
    rows : same type as ``X``

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.utils import take_rows
    >>> take_rows(["cat", "dog", "tree"], np.array([2, 0]))
    ['tree', 'cat']
    """
    scalar = np.ndim(idx) == 0
    if _is_pandas(X):
        # .iloc: positions. X[idx] would select DataFrame columns by label.
        return X.iloc[idx]
    if sp.issparse(X):
        fmt = X.format
        if fmt in ("coo", "dia", "bsr"):  # formats without row indexing
            return X.tocsr()[idx].asformat(fmt)
        return X[idx]
    if isinstance(X, (list, tuple)):
        if scalar:
            return X[int(idx)]
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return type(X)(X[int(i)] for i in idx)
    if _is_tensor(X):
        torch = sys.modules["torch"]
        return X[int(idx)] if scalar else X[torch.as_tensor(np.asarray(idx))]
    return X[idx]


def stack_rows(blocks):
    """Stack row blocks vertically, in the type of the first block.

    Sparse blocks give a sparse matrix (in the first block's format, CSR when
    the first is dense), DataFrames a DataFrame with the rows' own index,
    lists a list, tensors a tensor and arrays an array. A later block of
    another type is converted to the first's.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.utils import stack_rows
    >>> stack_rows([np.zeros((1, 2)), np.ones((2, 2))]).shape
    (3, 2)
    >>> stack_rows([["a"], ["b", "c"]])
    ['a', 'b', 'c']
    """
    blocks = list(blocks)
    if not blocks:
        raise ValueError("stack_rows needs at least one block.")
    first = blocks[0]
    if len(blocks) == 1:
        return first
    if any(sp.issparse(b) for b in blocks):
        fmt = first.format if sp.issparse(first) else "csr"
        return sp.vstack([b if sp.issparse(b) else sp.csr_matrix(np.asarray(b))
                          for b in blocks], format=fmt)
    if _is_pandas(first):
        pd = sys.modules["pandas"]
        frame = isinstance(first, pd.DataFrame)
        converted = []
        for b in blocks:
            if not _is_pandas(b):
                b = (pd.DataFrame(np.asarray(b), columns=first.columns) if frame
                     else pd.Series(np.asarray(b), name=first.name))
            converted.append(b)
        return pd.concat(converted)
    if isinstance(first, (list, tuple)):
        out = []
        for b in blocks:
            out.extend(b.tolist() if isinstance(b, np.ndarray) else b)
        return type(first)(out)
    if _is_tensor(first):
        torch = sys.modules["torch"]
        return torch.cat([torch.as_tensor(b) for b in blocks])
    return np.concatenate([np.asarray(b) for b in blocks])


def hstack_columns(blocks):
    """Stack column blocks (feature sets of the same rows) side by side.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.utils import hstack_columns
    >>> hstack_columns([np.zeros((2, 1)), np.ones((2, 3))]).shape
    (2, 4)
    """
    blocks = list(blocks)
    if len(blocks) == 1:
        return blocks[0]
    if any(sp.issparse(b) for b in blocks):
        return sp.hstack(blocks, format="csr")
    if all(_is_pandas(b) for b in blocks):
        return sys.modules["pandas"].concat(blocks, axis=1)
    return np.hstack([np.asarray(b).reshape(n_rows(b), -1) for b in blocks])


def check_rows(X, name, *, ensure_all_finite=True):
    """Validate a collection of samples without converting it; return it unchanged.

    Accepts what a scikit-learn pipeline may consume: numeric arrays of any
    dimension (1-D included), sparse matrices, DataFrames, lists of strings or
    other objects. Checks that there is at least one row and, for numbers,
    that they are finite (``ensure_all_finite``: ``True``, ``False`` or
    ``"allow-nan"``, as in :func:`sklearn.utils.check_array`).

    Raises
    ------
    ValueError
        Naming ``name``: no rows, or NaN/infinity where they are refused.
    TypeError
        Naming ``name``: a scalar or ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.utils import check_rows
    >>> check_rows(["a text", "another"], "X_pool")
    ['a text', 'another']
    >>> try:
    ...     check_rows([[1.0, np.nan]], "X")
    ... except ValueError as exc:
    ...     print(str(exc)[:30])
    X contains NaN or infinity; pa
    """
    from sklearn.utils import check_array

    # Lists first: np.ndim of a ragged list (token lists of different lengths) raises.
    if X is None or not isinstance(X, (list, tuple)) and np.ndim(X) == 0:
        raise TypeError(f"{name} must be a collection of samples; got "
                        f"{type(X).__name__ if X is not None else None}.")
    if n_rows(X) == 0:
        raise ValueError(f"{name} must hold at least one row; it is empty.")
    if ensure_all_finite is False:
        return X
    try:
        values = X if sp.issparse(X) else (
            X.detach().cpu().numpy() if _is_tensor(X) else X)
        check_array(values, accept_sparse=True, ensure_2d=False, allow_nd=True, dtype=None,
                    ensure_all_finite=ensure_all_finite, ensure_min_samples=1,
                    ensure_min_features=0, input_name=name)
    except ValueError as exc:
        if "NaN" in str(exc) or "infinity" in str(exc):
            raise ValueError(
                f"{name} contains NaN or infinity; pass force_all_finite=False to the learner "
                "(or 'allow-nan') when its estimator handles them.") from exc
        # Ragged lists, nested objects and the like: a pipeline may still consume them.
    return X
