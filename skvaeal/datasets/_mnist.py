"""MNIST from its original IDX files, with class subsets and optional MD5 checks."""

import hashlib
import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._idx import load_idx
from ._subset import check_digits, class_mask

_SUBSETS = ("train", "t10k")


def _find(directory, subset, kind, idx_dim):
    # The names used by the original distribution, plus the dotted variant that
    # several mirrors use; gzipped first because that is how MNIST ships.
    stems = (f"{subset}-{kind}-idx{idx_dim}-ubyte", f"{subset}-{kind}.idx{idx_dim}-ubyte")
    candidates = [directory / (stem + suffix) for stem in stems for suffix in (".gz", "")]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no MNIST {kind} file for subset={subset!r} in {os.fspath(directory)!r}; looked for "
        + ", ".join(p.name for p in candidates)
    )


def _read_md5sums(path):
    sums = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            # "hash  name" (md5sum's text mode) or "hash *name" (binary mode).
            sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def _verify_md5(paths, directory, verify_checksum):
    sums_file = directory / "MD5SUMS"
    if verify_checksum is False:
        return
    if not sums_file.is_file():
        if verify_checksum is True:
            raise FileNotFoundError(
                f"verify_checksum=True but there is no MD5SUMS file in {os.fspath(directory)!r}."
            )
        return
    sums = _read_md5sums(sums_file)
    for path in paths:
        expected = sums.get(path.name)
        if expected is None:
            if verify_checksum is True:
                raise ValueError(f"MD5SUMS in {os.fspath(directory)!r} lists no {path.name}.")
            continue
        actual = hashlib.md5(path.read_bytes()).hexdigest()
        if actual != expected:
            raise ValueError(
                f"{path.name} is corrupt or altered: MD5 {actual} differs from {expected} "
                "listed in MD5SUMS."
            )


def load_mnist(directory, *, subset="t10k", digits=None, scale=True, return_X_y=False,
               as_frame=False, verify_checksum="auto"):
    """Load MNIST from its IDX files, optionally only some digits.

    Parameters
    ----------
    directory : str or path-like
        Folder holding ``{subset}-images-idx3-ubyte`` and
        ``{subset}-labels-idx1-ubyte``, each plain or gzipped (``.gz``).
    subset : {"t10k", "train"}, default="t10k"
        The 10,000-image test set or the 60,000-image training set.
    digits : sequence of int, default=None
        Keep only these classes, e.g. ``(0, 3, 9)`` as in Pourkamali-Anaraki
        & Wakin (2019). Labels keep their digit values. ``None`` keeps all ten.
    scale : bool, default=True
        Return ``float32`` pixels in [0, 1]; ``False`` keeps ``uint8`` in 0..255.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a :class:`~sklearn.utils.Bunch`.
    as_frame : bool, default=False
        ``data`` as a :class:`pandas.DataFrame` (columns ``pixel_0`` ...) and
        ``target`` as a :class:`pandas.Series`; needs pandas.
    verify_checksum : {"auto", True, False}, default="auto"
        Check the files against an ``MD5SUMS`` file in ``directory``:
        ``"auto"`` when there is one, ``True`` always (missing file or entry
        is an error), ``False`` never.

    Returns
    -------
    data : Bunch
        ``data`` of shape ``(n, 784)``, ``target`` of shape ``(n,)`` (int64),
        ``images`` of shape ``(n, 28, 28)``, ``feature_names``,
        ``target_names`` (the digits kept) and ``DESCR``.
    (X, y) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        If a file is missing.
    ValueError
        If a file is corrupt (bad IDX header or size, MD5 mismatch), the images
        and labels disagree, or a parameter is invalid.

    Examples
    --------
    >>> from skvaeal.datasets import load_mnist
    >>> X, y = load_mnist("path/to/mnist", digits=(0, 3, 9),
    ...                   return_X_y=True)  # doctest: +SKIP
    >>> X.shape, X.dtype  # doctest: +SKIP
    ((2999, 784), dtype('float32'))
    """
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {_SUBSETS}; got {subset!r}.")
    if verify_checksum not in ("auto", True, False):
        raise ValueError(f"verify_checksum must be 'auto', True or False; got {verify_checksum!r}.")
    digits = check_digits(digits)
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"directory {os.fspath(directory)!r} does not exist.")
    images_path = _find(directory, subset, "images", 3)
    labels_path = _find(directory, subset, "labels", 1)
    _verify_md5((images_path, labels_path), directory, verify_checksum)

    images = load_idx(images_path)
    labels = load_idx(labels_path)
    if images.ndim != 3:
        raise ValueError(f"{images_path.name} must hold 3-D images; got shape {images.shape}.")
    if labels.ndim != 1:
        raise ValueError(f"{labels_path.name} must hold 1-D labels; got shape {labels.shape}.")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path.name} holds {len(images)} images but {labels_path.name} holds "
            f"{len(labels)} labels."
        )
    mask = class_mask(labels, digits)
    images, y = images[mask], labels[mask].astype(np.int64)
    if scale:
        images = images.astype(np.float32) / np.float32(255.0)
    X = images.reshape(len(images), -1)
    feature_names = [f"pixel_{i}" for i in range(X.shape[1])]
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=feature_names)
        y = pd.Series(y, name="class")
    if return_X_y:
        return X, y
    target_names = np.array(digits if digits is not None else np.unique(labels))
    return Bunch(
        data=X, target=y, images=images, feature_names=feature_names,
        target_names=target_names,
        DESCR=(f"MNIST {subset} subset from {os.fspath(directory)}, digits "
               f"{'all' if digits is None else digits}: {len(y)} images of "
               f"{images.shape[1]}x{images.shape[2]} pixels."),
    )
