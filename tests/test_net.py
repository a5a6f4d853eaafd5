"""Tests for the skorch layer: VAENet and SliceLoader."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import TensorDataset

from skvaeal._net import SliceLoader, VAENet
from skvaeal._net._vae import _needs_train_call
from skvaeal.nn import MLPDecoder, MLPEncoder, VAEModule
from skvaeal.utils import torch_rng_scope


@pytest.fixture(autouse=True)
def _seeded_torch():
    """VAENet is the low-level net: it draws from torch's global generator by design
    (the estimators fork and seed it). Each test runs inside a seeded fork, so it is
    reproducible and leaves the global state as it found it."""
    with torch_rng_scope(0):
        yield


@pytest.fixture(scope="module")
def digits_t():
    """512 of sklearn's digits, scaled to [0, 1]: small enough to keep each fit fast."""
    return torch.tensor(load_digits().data[:512] / 16.0, dtype=torch.float32)


def make_net(n_features=64, latent_dim=2, hidden=(32,), **kwargs):
    params = dict(optimizer=torch.optim.RMSprop, lr=1e-3, max_epochs=3, batch_size=64,
                  train_split=None, verbose=0, device="cpu")
    params.update(kwargs)
    return VAENet(VAEModule, module__encoder=MLPEncoder(n_features, latent_dim, hidden),
                  module__decoder=MLPDecoder(latent_dim, n_features, hidden[::-1]), **params)


# ----------------------------------------------------------------- SliceLoader
@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 4), (5, 8), (1, 1)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_slice_loader_covers_every_row_once(n, batch_size, shuffle):
    X = torch.arange(n, dtype=torch.float32)[:, None].repeat(1, 2)
    y = torch.arange(n) * 10
    loader = SliceLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle)
    batches = list(loader)
    assert len(batches) == len(loader) == -(-n // batch_size)
    rows = torch.cat([xb[:, 0] for xb, _ in batches]).long()
    assert sorted(rows.tolist()) == list(range(n))
    for xb, yb in batches:  # X and y stay paired under shuffling
        assert torch.equal(yb, xb[:, 0].long() * 10)
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])
    if not shuffle:
        assert rows.tolist() == list(range(n))


@pytest.mark.parametrize("n, batch_size", [(10, 3), (12, 4), (5, 8)])
def test_slice_loader_drop_last(n, batch_size):
    loader = SliceLoader(TensorDataset(torch.arange(n)), batch_size=batch_size, shuffle=True,
                         drop_last=True)
    batches = [xb for xb, _ in loader]
    assert len(batches) == len(loader) == n // batch_size
    assert all(len(xb) == batch_size for xb in batches)
    seen = torch.cat(batches).tolist() if batches else []
    assert len(set(seen)) == len(seen) == batch_size * (n // batch_size)


def test_slice_loader_shuffles_differently_each_epoch():
    loader = SliceLoader(TensorDataset(torch.arange(100)), batch_size=100, shuffle=True)
    with torch_rng_scope(0):
        first, second = (next(iter(loader))[0].tolist() for _ in range(2))
    assert first != second and sorted(first) == sorted(second)


def test_slice_loader_skorch_dataset_and_ignored_kwargs():
    from skorch.dataset import Dataset

    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    loader = SliceLoader(Dataset(X, None), batch_size=4, num_workers=3, pin_memory=True)
    (x0, y0), (x1, y1) = list(loader)
    assert y0 is None and y1 is None
    assert isinstance(x0, torch.Tensor) and torch.equal(torch.cat([x0, x1]), torch.from_numpy(X))


def test_slice_loader_moves_batches_to_its_device():
    X, y = torch.rand(7, 3), torch.arange(7)
    loader = SliceLoader(TensorDataset(X, y), batch_size=4, shuffle=True, device="meta")
    for xb, yb in loader:
        assert xb.device.type == yb.device.type == "meta"
    # Already there: batches are returned as gathered, not copied again.
    assert SliceLoader(TensorDataset(X), device="cpu")._mover() is None
    assert SliceLoader(TensorDataset(X))._mover() is None


def test_vaenet_hands_its_device_to_the_loader(digits_t):
    from skorch.dataset import Dataset

    net = make_net().initialize()
    assert net.get_iterator(Dataset(digits_t, None), training=True).device == "cpu"
    assert net.get_iterator(Dataset(digits_t, None), training=True).shuffle
    # An explicitly set loader device is kept.
    net = make_net(iterator_valid__device="meta").initialize()
    assert net.get_iterator(Dataset(digits_t, None), training=False).device == "meta"


# ---------------------------------------------------------------------- VAENet
def test_vaenet_loss_decreases(digits_t):
    with torch_rng_scope(0):
        net = make_net(max_epochs=4).fit(digits_t, None)
    losses = net.history[:, "train_loss"]
    assert len(losses) == 4 and np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    assert net.history[-1, "train_batch_count"] == -(-len(digits_t) // 64)
    assert "dur" in net.history[-1]  # skorch's default callbacks still run


def test_vaenet_seeded_fits_are_identical(digits_t):
    codes = []
    for _ in range(2):
        with torch_rng_scope(0):
            net = make_net(max_epochs=1).fit(digits_t[:256], None)
        codes.append(net.encode(digits_t[:50]))
    np.testing.assert_array_equal(codes[0], codes[1])


class _NaNDecoder(nn.Module):
    def __init__(self, latent_dim, n_features):
        super().__init__()
        self.linear = nn.Linear(latent_dim, n_features)

    def forward(self, z):
        return self.linear(z) * float("nan")


def test_vaenet_nan_guard_raises(digits_t):
    net = VAENet(VAEModule, module__encoder=MLPEncoder(64, 2, (8,)),
                 module__decoder=_NaNDecoder(2, 64), max_epochs=2, train_split=None,
                 verbose=0, device="cpu")
    with pytest.raises(ValueError, match="loss became nan in epoch 1"):
        net.fit(digits_t[:128], None)


def test_vaenet_nan_guard_catches_divergence(digits_t):
    net = make_net(lr=1e10, optimizer=torch.optim.SGD, max_epochs=20)
    with torch_rng_scope(0), pytest.raises(ValueError, match="Training diverged: the loss"):
        net.fit(digits_t[:256] * 100, None)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_vaenet_precision_runs(digits_t, precision):
    with torch_rng_scope(0):
        net = make_net(max_epochs=1, precision=precision).fit(digits_t[:256], None)
    assert np.all(np.isfinite(net.history[:, "train_loss"]))
    Z = net.encode(digits_t[:5])
    assert Z.dtype == np.float32 and Z.shape == (5, 2) and np.all(np.isfinite(Z))


def test_vaenet_bfloat16_autocasts_the_forward_pass(digits_t):
    seen = []
    net = make_net(max_epochs=1, precision="bfloat16").initialize()
    net.module_.encoder.body.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    net.partial_fit(digits_t[:64], None)
    assert seen == [torch.bfloat16]


def test_vaenet_bad_precision(digits_t):
    with pytest.raises(ValueError, match="precision must be one of"):
        make_net(max_epochs=1, precision="float16").fit(digits_t[:10], None)


def test_vaenet_encode_decode_elbo_shapes(digits_t):
    with torch_rng_scope(0):
        net = make_net(latent_dim=3, max_epochs=1).fit(digits_t[:128], None)
    Z = net.encode(digits_t[:7].numpy())
    assert Z.shape == (7, 3) and Z.dtype == np.float32
    X_hat = net.decode(Z)
    assert X_hat.shape == (7, 64) and X_hat.min() >= 0 and X_hat.max() <= 1  # Bernoulli means
    elbo = net.elbo(digits_t[:7])
    assert elbo.shape == (7,) and np.all(elbo < 0)
    with pytest.raises(ValueError, match="0 sample"):
        net.encode(np.empty((0, 64), dtype=np.float32))


def test_vaenet_batched_inference_matches_one_batch():
    rng = np.random.default_rng(0)
    X = rng.random((10_000, 64), dtype=np.float32)
    with torch_rng_scope(0):
        net = make_net(max_epochs=1, batch_size=64).fit(X[:128], None)
    Z = net.encode(X)
    batched = (Z, net.decode(Z[:2000]), net.elbo(X[:2000]))
    net.set_params(batch_size=-1)
    whole = (net.encode(X), net.decode(Z[:2000]), net.elbo(X[:2000]))
    for b, w in zip(batched, whole):
        assert b.shape == w.shape
        np.testing.assert_allclose(b, w, rtol=1e-5, atol=1e-5)
    # A ragged last batch and read-only float64 input go through the same path.
    X64 = X[:1000].astype(np.float64)
    X64.setflags(write=False)
    net.set_params(batch_size=300)
    np.testing.assert_allclose(net.encode(X64), whole[0][:1000], rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------ _set_training
class _CountingTrain(nn.Linear):
    calls = 0

    def train(self, mode=True):
        type(self).calls += 1
        return super().train(mode)


def test_set_training_skips_only_no_op_calls():
    net = make_net().initialize()
    module = net.module_
    net._set_training(True)
    assert all(m.training for m in module.modules())
    assert not _needs_train_call(module, True) and _needs_train_call(module, False)
    # A submodule switched on its own is switched back, as skorch does.
    module.encoder.body[0].eval()
    assert _needs_train_call(module, True)
    net._set_training(True)
    assert all(m.training for m in module.modules())
    net._set_training(False)
    assert not any(m.training for m in module.modules())
    assert not any(m.training for m in net.criterion_.modules())


def test_set_training_always_calls_overridden_train():
    net = VAENet(VAEModule, module__encoder=MLPEncoder(4, 2, (4,)),
                 module__decoder=nn.Sequential(_CountingTrain(2, 4)), train_split=None,
                 verbose=0, device="cpu").initialize()
    before = _CountingTrain.calls
    net._set_training(True)
    net._set_training(True)
    assert _CountingTrain.calls == before + 2


def test_slice_loader_subset_and_bad_dataset():
    from skorch.dataset import Dataset
    from torch.utils.data import Subset

    X = torch.arange(20.0).reshape(10, 2)
    for base in (Dataset(X, None), TensorDataset(X)):
        loader = SliceLoader(Subset(base, [7, 2, 5]), batch_size=2)
        assert torch.equal(torch.cat([xb for xb, _ in loader]), X[[7, 2, 5]])
    with pytest.raises(TypeError, match="SliceLoader needs"):
        SliceLoader(list(X))


def test_vaenet_default_valid_split(digits_t):
    # skorch's default train_split (ValidSplit) hands Subsets to the loaders.
    net = VAENet(VAEModule, module__encoder=MLPEncoder(64, 2, (8,)),
                 module__decoder=MLPDecoder(2, 64, (8,)), max_epochs=1, verbose=0,
                 device="cpu").fit(digits_t[:100], None)
    assert np.isfinite(net.history[-1, "valid_loss"])
    assert net.history[-1, "valid_batch_count"] == 1
