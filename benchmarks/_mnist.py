"""A tiny reader for MNIST's IDX files, for the benchmarks only.

The package's own loader (``skvaeal.datasets``) is preferred when it exists;
this file only keeps the benchmarks runnable without it.
"""

import gzip
import os

import numpy as np

_IMAGES = ("t10k-images-idx3-ubyte", "train-images-idx3-ubyte")
_LABELS = ("t10k-labels-idx1-ubyte", "train-labels-idx1-ubyte")
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
               0x0E: ">f8"}


def read_idx(path):
    """Read one IDX file (optionally gzipped) into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    dtype, ndim = data[2], data[3]
    if dtype not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX element type 0x{dtype:02x}.")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    array = np.frombuffer(data, dtype=_IDX_DTYPES[dtype], offset=offset)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape} but holds {array.size} values.")
    return array.reshape(shape)


def _find(directory, stems):
    for stem in stems:
        for name in (stem + ".gz", stem):
            path = os.path.join(directory, name)
            if os.path.exists(path):
                return path
    raise FileNotFoundError(
        f"No MNIST IDX file ({' or '.join(s + '[.gz]' for s in stems)}) in {directory!r}."
    )


def load_mnist_idx(directory):
    """Return ``(X, y)``: uint8 images flattened to ``(n, 784)`` and int64 labels."""
    images = read_idx(_find(directory, _IMAGES))
    labels = read_idx(_find(directory, _LABELS))
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels in {directory!r}.")
    return images.reshape(len(images), -1), labels.astype(np.int64)
