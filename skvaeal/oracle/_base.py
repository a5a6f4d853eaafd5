"""The oracle protocol: validating what an oracle answers."""

from numbers import Real

import numpy as np

__all__ = ["check_oracle_answer"]


def check_oracle_answer(answer, n_shown):
    """Validate an oracle's answer; return ``(labels, confidences, valid)``.

    Parameters
    ----------
    answer : tuple ``(labels, confidences)`` or array-like of labels
        What ``oracle(X_shown, indices)`` returned. ``None`` among the labels
        marks "not a valid sample"; labels alone mean confidence 1.
    n_shown : int
        Number of rows shown.

    Returns
    -------
    labels : ndarray of shape (n_shown,), dtype object
        ``None`` where the row was not a valid sample.
    confidences : ndarray of shape (n_shown,), float64 in [0, 1]
        0 for invalid rows.
    valid : ndarray of shape (n_shown,), bool

    Raises
    ------
    ValueError
        When the answer has another length than the rows shown, or a
        confidence outside [0, 1].
    TypeError
        When a confidence is not a number.

    Examples
    --------
    >>> from skvaeal.oracle import check_oracle_answer
    >>> labels, conf, valid = check_oracle_answer(([3, None], [0.8, 0.0]), 2)
    >>> labels.tolist(), conf.tolist(), valid.tolist()
    ([3, None], [0.8, 0.0], [True, False])
    """
    if isinstance(answer, tuple) and len(answer) == 2:
        labels, confidences = answer
    else:
        labels, confidences = answer, None
    labels = np.array(list(labels) if not isinstance(labels, np.ndarray) else labels.tolist(),
                      dtype=object).reshape(-1)
    if labels.shape[0] != n_shown:
        raise ValueError(
            f"the oracle answered {labels.shape[0]} labels for the {n_shown} rows shown; it "
            "must answer one label (or None for 'not a valid sample') per row.")
    valid = np.array([label is not None for label in labels], dtype=bool)
    if confidences is None:
        confidences = np.ones(n_shown)
    else:
        confidences = list(np.asarray(confidences, dtype=object).reshape(-1))
        if len(confidences) != n_shown:
            raise ValueError(
                f"the oracle answered {len(confidences)} confidences for the {n_shown} rows "
                "shown; it must answer one per row.")
        for value, ok in zip(confidences, valid):
            if ok and not (isinstance(value, Real) and not isinstance(value, bool)):
                raise TypeError(
                    f"an oracle's confidences must be numbers in [0, 1]; got {value!r}.")
        confidences = np.array([float(v) if ok else 0.0 for v, ok in zip(confidences, valid)])
        if np.any(~np.isfinite(confidences)) or confidences.min(initial=0) < 0 or \
                confidences.max(initial=0) > 1:
            raise ValueError(
                f"an oracle's confidences must lie in [0, 1]; got {confidences.tolist()}.")
    confidences = np.where(valid, confidences, 0.0).astype(np.float64)
    return labels, confidences, valid
