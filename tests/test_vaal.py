"""VAALSampler, VAALNet and vaal_sampling."""

import functools
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from registry import TINY_VAAL as TINY
from strategy_contract import contract_data

from skvaeal import VAALSampler
from skvaeal._net import PoolPairLoader
from skvaeal.query import vaal_sampling

# Tiny networks (the registry's): these tests check behaviour, not sample quality.
tiny_vaal = functools.partial(vaal_sampling, **TINY)


@pytest.fixture(scope="module")
def pools():
    data = contract_data()
    return data.X_labeled, data.X_pool


@pytest.fixture(scope="module")
def fitted(pools):
    X_l, X_u = pools
    return VAALSampler(**{**TINY, "max_epochs": 3}, random_state=0).fit_pools(X_l, X_u)


# ------------------------------------------------------------------ estimator
def test_fit_signatures_agree(pools):
    X_l, X_u = pools
    X = np.concatenate([X_l, X_u])
    y_minus1 = np.r_[np.arange(len(X_l)) % 3, -np.ones(len(X_u), int)]
    mask = np.arange(len(X)) < len(X_l)
    a = VAALSampler(**TINY, random_state=0).fit(X, y_minus1).score_samples(X_u)
    b = VAALSampler(**TINY, random_state=0).fit(X, mask).score_samples(X_u)
    c = VAALSampler(**TINY, random_state=0).fit_pools(X_l, X_u).score_samples(X_u)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_outputs(fitted, pools):
    X_l, X_u = pools
    s = fitted.score_samples(X_u)
    assert s.shape == (len(X_u),) and s.dtype == np.float64
    assert np.all((s >= 0) & (s <= 1))
    Z = fitted.transform(X_u)
    assert Z.shape == (len(X_u), 4)
    assert fitted.transform(X_u.astype(np.float32)).dtype == np.float32
    assert fitted.get_feature_names_out().tolist() == [f"vaalsampler{i}" for i in range(4)]
    assert len(fitted.loss_curve_) == 3 and np.all(np.isfinite(fitted.loss_curve_))


def test_discriminator_learns_the_pools(pools):
    """With the encoder's adversarial push off, S must separate two distinct pools."""
    X_l, X_u = pools
    X_u = np.clip(X_u * 0.2, 0, 1)  # a visibly different pool
    sampler = VAALSampler(**{**TINY, "max_epochs": 20}, lr=3e-3, adversarial_weight=0.0,
                          random_state=0).fit_pools(X_l, X_u)
    s_l, s_u = sampler.score_samples(X_l), sampler.score_samples(X_u)
    auc = roc_auc_score(np.r_[np.ones(len(s_l)), np.zeros(len(s_u))], np.r_[s_l, s_u])
    assert auc > 0.95 and s_l.mean() > s_u.mean()


def test_deterministic_with_seed(pools):
    X_l, X_u = pools
    a = VAALSampler(**TINY, random_state=3).fit_pools(X_l, X_u)
    b = VAALSampler(**TINY, random_state=3).fit_pools(X_l, X_u)
    np.testing.assert_array_equal(a.score_samples(X_u), b.score_samples(X_u))
    np.testing.assert_array_equal(a.transform(X_u), b.transform(X_u))


def test_warm_start_continues(pools):
    X_l, X_u = pools
    sampler = VAALSampler(**TINY, random_state=0, warm_start=True).fit_pools(X_l, X_u)
    net = sampler.net_
    sampler.fit_pools(X_l, X_u[:-10])
    assert sampler.net_ is net and sampler.n_fits_ == 2 and len(sampler.loss_curve_) == 2
    cold = VAALSampler(**TINY, random_state=0).fit_pools(X_l, X_u)
    cold.fit_pools(X_l, X_u[:-10])
    assert cold.n_fits_ == 1 and len(cold.loss_curve_) == 1


def test_pickle_and_clone(fitted, pools):
    X_u = pools[1]
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(X_u), fitted.score_samples(X_u))
    assert not hasattr(clone(fitted), "net_")


@pytest.mark.parametrize("params, match", [
    (dict(latent_dim=0), "latent_dim"),
    (dict(lr=0.0), "lr"),
    (dict(beta=-1.0), "beta"),
    (dict(adversarial_weight=-1.0), "adversarial_weight"),
    (dict(n_vae_steps=0), "n_vae_steps"),
    (dict(discriminator_dims=(0,)), "discriminator_dims"),
    (dict(likelihood="poisson"), "likelihood"),
])
def test_bad_params(params, match, pools):
    with pytest.raises(ValueError, match=match):
        VAALSampler(**{**TINY, **params}).fit_pools(*pools)


def test_bad_input(pools):
    X_l, X_u = pools
    with pytest.raises(ValueError, match="same number of columns"):
        VAALSampler(**TINY).fit_pools(X_l, X_u[:, :10])
    X = X_u.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        VAALSampler(**TINY).fit_pools(X_l, X)


def test_conv_architecture():
    rng = np.random.RandomState(0)
    X = rng.rand(40, 256)  # 16x16 images: "auto" picks the conv VAE
    sampler = VAALSampler(latent_dim=3, max_epochs=1, discriminator_dims=(16,), batch_size=16,
                          random_state=0).fit(X, np.arange(40) < 8)
    assert sampler.architecture_ == "conv" and sampler.score_samples(X).shape == (40,)


def test_discriminator_params_reach_the_discriminator():
    """skorch's idiom: the net builds S from discriminator__*, and set_params rebuilds it."""
    from skvaeal.nn import LatentDiscriminator, MLPDecoder, MLPEncoder, VAEModule
    from skvaeal.utils import torch_rng_scope
    from skvaeal.vaal import VAALNet

    def widths(net):
        return [m.out_features for m in net.discriminator_.modules()
                if isinstance(m, torch.nn.Linear)]

    with torch_rng_scope(0):
        net = VAALNet(VAEModule, module__encoder=MLPEncoder(4, 2),
                      module__decoder=MLPDecoder(2, 4), discriminator=LatentDiscriminator,
                      discriminator__latent_dim=2, discriminator__hidden_dims=(8, 3),
                      max_epochs=1, verbose=0).initialize()
        assert widths(net) == [8, 3, 1]
        net.set_params(discriminator__hidden_dims=(5,))
    assert widths(net) == [5, 1]
    assert all(p.device.type == "cpu" for p in net.discriminator_.parameters())


def test_pool_pair_loader_augments_a_view():
    from skorch.dataset import Dataset

    from skvaeal.utils import torch_rng_scope

    y = torch.tensor([0] * 3 + [-1] * 9)
    loader = PoolPairLoader(Dataset(torch.arange(12.0)[:, None], y), batch_size=4,
                            augment=lambda rows: -rows)
    with torch_rng_scope(0):
        for Xb, _ in loader:
            assert set(Xb) == {"X", "X_view"}
            torch.testing.assert_close(Xb["X_view"], -Xb["X"])


def test_pool_pair_loader_balances_pools():
    from skorch.dataset import Dataset

    from skvaeal.utils import torch_rng_scope

    y = torch.tensor([0] * 3 + [-1] * 20)
    with torch_rng_scope(0):
        batches = list(PoolPairLoader(Dataset(torch.arange(23.0)[:, None], y), batch_size=8))
    assert len(batches) == 3
    for xb, yb in batches:
        assert int((yb != -1).sum()) == 3  # every batch sees the whole small labelled pool
    unlabeled = torch.cat([xb[yb == -1] for xb, yb in batches]).flatten()
    assert sorted(unlabeled.tolist()) == list(range(3, 23))  # one pass over the big pool


# ------------------------------------------------------------------- strategy
# The strategy contract (with skvaeal's and modAL's learners) runs in test_query_common.py.
def test_strategy_in_learner_query():
    from sklearn.linear_model import LogisticRegression

    from skvaeal.active import ActiveLearner

    data = contract_data()
    learner = ActiveLearner(LogisticRegression(max_iter=300), tiny_vaal,
                            X_training=data.X_labeled, y_training=data.y_labeled)
    idx, rows = learner.query(data.X_pool, n_instances=5, random_state=0)
    assert np.unique(idx).size == 5
    np.testing.assert_array_equal(rows, data.X_pool[idx])


def test_strategy_picks_lowest_scores(pools):
    X_l, X_u = pools
    sampler = VAALSampler(**TINY, random_state=0)
    idx, scores = vaal_sampling(None, X_u, 10, X_labeled=X_l, sampler=sampler, random_state=0)
    s = sampler.score_samples(X_u)
    np.testing.assert_allclose(scores, 1 - s[idx])
    assert s[idx].max() <= np.sort(s)[9] + 1e-12


def test_strategy_skips_labelled_rows_in_pool(pools):
    X_l, X_u = pools
    X_pool = np.concatenate([X_l, X_u])
    idx, _ = tiny_vaal(None, X_pool, len(X_u), X_labeled=X_l, random_state=0)
    assert idx.min() >= len(X_l)
    with pytest.raises(ValueError, match="n_instances"):
        tiny_vaal(None, X_pool, len(X_u) + 1, X_labeled=X_l, random_state=0)


def test_strategy_warm_start_and_refit_false(pools):
    X_l, X_u = pools
    sampler = VAALSampler(**TINY, random_state=0, warm_start=True)
    vaal_sampling(None, X_u, 2, X_labeled=X_l, sampler=sampler)
    vaal_sampling(None, X_u[2:], 2, X_labeled=X_l, sampler=sampler, max_epochs=2)
    assert sampler.n_fits_ == 2 and len(sampler.loss_curve_) == 3
    before = sampler.score_samples(X_u)
    idx, _ = vaal_sampling(None, X_u, 3, sampler=sampler, refit=False, random_state=0)
    np.testing.assert_array_equal(sampler.score_samples(X_u), before)
    np.testing.assert_array_equal(np.sort(idx), np.sort(np.argsort(before)[:3]))


def test_strategy_cold_start_and_bad_sampler(pools):
    X_u = pools[1]
    with pytest.raises(ValueError, match="labelled rows"):
        tiny_vaal(None, X_u, 2)
    with pytest.raises(TypeError, match="sampler"):
        vaal_sampling(None, X_u, 2, X_labeled=pools[0], sampler=object())
    with pytest.raises(ValueError, match="fitted sampler"):
        vaal_sampling(None, X_u, 2, refit=False)


def test_strategy_with_modal_learner(pools):
    modal_models = pytest.importorskip("modAL.models")
    from sklearn.linear_model import LogisticRegression

    data = contract_data()
    learner = modal_models.ActiveLearner(LogisticRegression(max_iter=300), tiny_vaal,
                                         X_training=data.X_labeled, y_training=data.y_labeled)
    idx, _ = learner.query(data.X_pool, n_instances=4, random_state=0)
    assert np.unique(np.asarray(idx)).size == 4


def test_set_output_pandas_wraps_transform():
    """An inherited transform is wrapped by set_output too (sklearn wraps per defining class)."""
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_digits

    X = load_digits().data[:60] / 16.0
    y = np.r_[np.ones(20, int), np.zeros(40, int)]
    sampler = VAALSampler(latent_dim=2, max_epochs=1, random_state=0).set_output(transform="pandas")
    out = sampler.fit(X, y).transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["vaalsampler0", "vaalsampler1"]
