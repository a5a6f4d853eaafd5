"""Reader for the IDX format of the MNIST files (plain or gzip-compressed)."""

import gzip
import os

import numpy as np

# IDX type codes -> big-endian numpy dtypes (the format's own table).
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path):
    with open(path, "rb") as f:
        raw = f.read()
    # Sniff the content rather than trust the suffix: renamed or already
    # decompressed files are common in downloaded MNIST copies.
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{os.fspath(path)!r} is a corrupt gzip file: {exc}") from exc
    return raw


def parse_idx(data, *, name="data"):
    """Decode the bytes of one IDX file into a numpy array.

    Parameters
    ----------
    data : bytes
        The (decompressed) content of an IDX file.
    name : str, default="data"
        How error messages refer to the input.

    Returns
    -------
    array : ndarray
        In native byte order, with the shape stored in the header.

    Raises
    ------
    ValueError
        If the magic number, the type code, the number of dimensions or the
        amount of data does not match the header.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.datasets import parse_idx
    >>> header = bytes([0, 0, 0x08, 1]) + (3).to_bytes(4, "big")
    >>> parse_idx(header + bytes([7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    data = bytes(data)
    if len(data) < 4:
        raise ValueError(f"{name} is not an IDX file: {len(data)} bytes, shorter than the header.")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{name} is not an IDX file: the magic number must start with two zero bytes, "
            f"got {data[:4].hex()}."
        )
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(
            f"{name} has an unknown IDX type code 0x{type_code:02x}; expected one of "
            f"{', '.join(f'0x{c:02x}' for c in _IDX_DTYPES)}."
        )
    if ndim == 0:
        raise ValueError(f"{name} declares 0 dimensions in its IDX header.")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{name} is truncated: its header declares {ndim} dimensions but the file has "
            f"only {len(data)} bytes."
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_DTYPES[type_code]
    expected = header_size + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "longer than its header says"
        raise ValueError(
            f"{name} is {kind}: shape {shape} of {dtype.name} needs {expected} bytes, "
            f"found {len(data)}."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def load_idx(path):
    """Load one IDX file, such as ``t10k-images-idx3-ubyte.gz``.

    Parameters
    ----------
    path : str or path-like
        A plain or gzip-compressed IDX file (detected from its content).

    Returns
    -------
    array : ndarray
        For MNIST: ``uint8`` images of shape ``(n, 28, 28)`` or labels of shape ``(n,)``.

    Raises
    ------
    ValueError
        If the file is not a well-formed IDX file (see :func:`parse_idx`).

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> from skvaeal.datasets import load_idx
    >>> header = bytes([0, 0, 0x08, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    >>> path = os.path.join(tempfile.mkdtemp(), "x-idx2-ubyte.gz")
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(header + bytes(range(6)))
    >>> load_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    return parse_idx(_read_bytes(path), name=repr(os.fspath(path)))
