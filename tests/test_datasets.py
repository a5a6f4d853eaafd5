"""skvaeal.datasets: the IDX reader, MNIST loading with checks, and the digits default."""

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from skvaeal.datasets import load_digits_subset, load_idx, load_mnist, parse_idx

_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
          np.float64: 0x0E}


def idx_bytes(array):
    array = np.asarray(array)
    header = bytes([0, 0, _CODES[array.dtype.type], array.ndim])
    header += b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, data, compress):
    path = Path(str(path) + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("dtype", list(_CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, dtype, compress):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype is np.uint8:
        array = np.abs(array).astype(dtype)
    path = write(tmp_path / "a-idx3", idx_bytes(array), compress)
    loaded = load_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)


def test_gzip_is_detected_by_content(tmp_path):
    array = np.arange(5, dtype=np.uint8)
    path = tmp_path / "renamed-without-suffix"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(load_idx(path), array)


@pytest.mark.parametrize("data, match", [
    (b"\x00\x00", "shorter than the header"),
    (b"\x01\x00\x08\x01" + (1).to_bytes(4, "big") + b"\x00", "two zero bytes"),
    (b"\x00\x00\x07\x01" + (1).to_bytes(4, "big") + b"\x00", "type code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03" + (1).to_bytes(4, "big"), "header declares 3"),
    (b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"\x00\x01", "truncated"),
    (b"\x00\x00\x08\x01" + (1).to_bytes(4, "big") + b"\x00\x01", "longer than its header"),
])
def test_corrupt_idx_is_a_clear_value_error(data, match):
    with pytest.raises(ValueError, match=match):
        parse_idx(data)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))[:-10])
    with pytest.raises(ValueError, match="corrupt gzip|truncated"):
        load_idx(path)


@pytest.fixture
def fake_mnist(tmp_path):
    """A 12-image, 4x4-pixel MNIST-like folder with gzipped files and MD5SUMS."""
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(12, 4, 4)).astype(np.uint8)
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 3], dtype=np.uint8)
    img = write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(images), True)
    lab = write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(labels), True)
    sums = "".join(f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.name}\n" for p in (img, lab))
    (tmp_path / "MD5SUMS").write_text(sums)
    return tmp_path, images, labels


def test_load_mnist_bunch(fake_mnist):
    directory, images, labels = fake_mnist
    bunch = load_mnist(directory)
    assert bunch.data.shape == (12, 16) and bunch.data.dtype == np.float32
    assert bunch.data.min() >= 0 and bunch.data.max() <= 1
    np.testing.assert_allclose(bunch.data, images.reshape(12, -1) / 255.0, rtol=1e-6)
    assert bunch.target.dtype == np.int64 and bunch.target.tolist() == labels.tolist()
    assert bunch.images.shape == (12, 4, 4) and len(bunch.feature_names) == 16
    assert "t10k" in bunch.DESCR


def test_load_mnist_digits_subset_and_raw(fake_mnist):
    directory, images, labels = fake_mnist
    X, y = load_mnist(directory, digits=[3, 0, 9], scale=False, return_X_y=True)
    assert sorted(set(y.tolist())) == [0, 3, 9] and len(y) == 5
    assert X.dtype == np.uint8
    np.testing.assert_array_equal(X, images[np.isin(labels, [0, 3, 9])].reshape(5, -1))
    assert load_mnist(directory, digits=(0, 3, 9)).target_names.tolist() == [0, 3, 9]


def test_load_mnist_plain_files_and_frame(fake_mnist, tmp_path_factory):
    directory, images, labels = fake_mnist
    plain = tmp_path_factory.mktemp("plain")
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (plain / name).write_bytes(gzip.decompress((directory / (name + ".gz")).read_bytes()))
    X, y = load_mnist(plain, return_X_y=True)
    assert X.shape == (12, 16)
    pd = pytest.importorskip("pandas")
    X, y = load_mnist(plain, as_frame=True, return_X_y=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)


def test_md5_mismatch_and_required_checksums(fake_mnist):
    directory, _, _ = fake_mnist
    load_mnist(directory, verify_checksum=True)
    (directory / "MD5SUMS").write_text("0" * 32 + "  t10k-images-idx3-ubyte.gz\n")
    with pytest.raises(ValueError, match="MD5"):
        load_mnist(directory)
    load_mnist(directory, verify_checksum=False)  # not checked
    os.remove(directory / "MD5SUMS")
    load_mnist(directory)  # "auto": no MD5SUMS, no check
    with pytest.raises(FileNotFoundError, match="MD5SUMS"):
        load_mnist(directory, verify_checksum=True)


def test_mismatched_counts_and_missing_files(fake_mnist):
    directory, images, labels = fake_mnist
    os.remove(directory / "MD5SUMS")
    write(directory / "t10k-labels-idx1-ubyte", idx_bytes(labels[:5]), True)
    with pytest.raises(ValueError, match="12 images but .* 5 labels"):
        load_mnist(directory)
    os.remove(directory / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError, match="labels"):
        load_mnist(directory)
    with pytest.raises(FileNotFoundError, match="train"):
        load_mnist(directory, subset="train")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(directory / "nope")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"subset": "test"}, ValueError, "subset"),
    ({"digits": []}, ValueError, "digits"),
    ({"digits": [0, 10]}, ValueError, "digits"),
    ({"digits": [1, 1]}, ValueError, "repeat"),
    ({"digits": [1.5]}, TypeError, "digits"),
    ({"verify_checksum": "yes"}, ValueError, "verify_checksum"),
])
def test_load_mnist_parameter_errors(fake_mnist, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_mnist(fake_mnist[0], **kwargs)


def test_load_digits_subset():
    bunch = load_digits_subset()
    assert bunch.data.shape == (1797, 64) and bunch.data.dtype == np.float32
    assert bunch.data.max() == 1.0 and bunch.data.min() == 0.0
    X, y = load_digits_subset(7, return_X_y=True)
    assert set(y.tolist()) == {7}
    X, _ = load_digits_subset((0, 3), scale=False, return_X_y=True)
    assert X.max() == 16


_REAL_MNIST = Path(os.environ.get(
    "SKVAEAL_MNIST_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"))


@pytest.mark.skipif(not _REAL_MNIST.is_dir(), reason="real MNIST t10k files not available")
def test_real_mnist_t10k():
    X, y = load_mnist(_REAL_MNIST, digits=(0, 3, 9), return_X_y=True)
    # the paper's {0, 3, 9} test set: 980 + 1010 + 1009 images
    assert X.shape == (2999, 784) and np.bincount(y)[[0, 3, 9]].tolist() == [980, 1010, 1009]
