"""The embedded default data set: scikit-learn's 8x8 digits, scaled to [0, 1]."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.utils import Bunch

from ._subset import check_digits, class_mask


def load_digits_subset(digits=None, *, scale=True, return_X_y=False):
    """Scikit-learn's 1,797 8x8 handwritten digits, optionally only some classes.

    Ships with scikit-learn, so it needs no download; the package's demo uses it.

    Parameters
    ----------
    digits : sequence of int, default=None
        Keep only these classes, e.g. ``(0, 3, 9)``. ``None`` keeps all ten.
    scale : bool, default=True
        Divide the pixel counts (0..16) by 16 to get ``float32`` in [0, 1],
        the range a Bernoulli-likelihood VAE expects.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : Bunch
        ``data`` of shape ``(n, 64)``, ``target`` (int64), ``images`` of shape
        ``(n, 8, 8)``, ``target_names`` and ``DESCR``.
    (X, y) : tuple
        When ``return_X_y=True``.

    Examples
    --------
    >>> from skvaeal.datasets import load_digits_subset
    >>> X, y = load_digits_subset((0, 3, 9), return_X_y=True)
    >>> X.shape, float(X.max()), sorted(set(y.tolist()))
    ((541, 64), 1.0, [0, 3, 9])
    """
    digits = check_digits(digits)
    raw = load_digits()
    mask = class_mask(raw.target, digits)
    X = raw.data[mask]
    X = (X / 16.0).astype(np.float32) if scale else X
    y = raw.target[mask].astype(np.int64)
    if return_X_y:
        return X, y
    return Bunch(
        data=X, target=y, images=X.reshape(-1, 8, 8), feature_names=raw.feature_names,
        target_names=np.array(digits if digits is not None else raw.target_names),
        DESCR=f"scikit-learn digits (8x8), classes {'all' if digits is None else digits}.",
    )
