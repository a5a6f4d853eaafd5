"""VAETransformer: sklearn citizenship, determinism, bad input and real accuracy."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from skvaeal import VAETransformer
from skvaeal.nn import MLPDecoder, MLPEncoder
from skvaeal.utils import torch_rng_scope

FAST = dict(max_epochs=2, batch_size=64, random_state=0)


@pytest.fixture(scope="module")
def fitted(small_digits):
    X, _ = small_digits
    return VAETransformer(latent_dim=4, **FAST).fit(X)


# ------------------------------------------------------------------ basics
def test_transform_shapes_and_dtypes(fitted, small_digits):
    X, _ = small_digits
    Z = fitted.transform(X)
    assert Z.shape == (len(X), 4) and Z.dtype == np.float64
    assert fitted.transform(X.astype(np.float32)).dtype == np.float32
    X_back = fitted.inverse_transform(Z)
    assert X_back.shape == X.shape
    assert fitted.architecture_ == "mlp" and fitted.likelihood_ == "bernoulli"
    assert fitted.n_features_in_ == 64 and len(fitted.loss_curve_) == 2
    assert_array_equal(fitted.get_feature_names_out(),
                       [f"vaetransformer{i}" for i in range(4)])


def test_sample_and_scores(fitted, small_digits):
    X, _ = small_digits
    S = fitted.sample(5, random_state=0)
    assert S.shape == (5, 64)
    assert S.min() >= 0 and S.max() <= 1  # Bernoulli means are probabilities
    assert_array_equal(S, fitted.sample(5, random_state=0))
    scores = fitted.score_samples(X)
    assert scores.shape == (len(X),) and np.all(np.isfinite(scores))
    # Real digits are explained better than uniform noise of the same range.
    noise = np.random.RandomState(0).uniform(size=X.shape)
    assert scores.mean() > fitted.score_samples(noise).mean()
    assert fitted.score(X) == pytest.approx(scores.mean())


def test_batched_transform_matches_single_batch(fitted, small_digits):
    X, _ = small_digits
    one_batch = fitted.transform(X)
    fitted.net_.set_params(batch_size=7)
    try:
        assert_allclose(fitted.transform(X), one_batch, rtol=1e-5, atol=1e-6)
    finally:
        fitted.net_.set_params(batch_size=64)


def test_loss_decreases_with_training(small_digits):
    X, _ = small_digits
    vae = VAETransformer(latent_dim=4, max_epochs=8, batch_size=64, random_state=0).fit(X)
    assert vae.loss_curve_[-1] < vae.loss_curve_[0]


def test_gaussian_likelihood_for_real_valued_data(small_digits):
    X, _ = small_digits
    Xs = (X - X.mean(0)) / (X.std(0) + 1e-3)
    vae = VAETransformer(latent_dim=3, **FAST).fit(Xs)
    assert vae.likelihood_ == "gaussian"
    assert vae.inverse_transform(vae.transform(Xs[:5])).shape == (5, 64)


def test_conv_architecture_and_custom_modules(small_digits):
    X, _ = small_digits
    conv = VAETransformer(latent_dim=3, architecture="conv", **FAST).fit(X[:64])
    assert conv.architecture_ == "conv" and conv.input_shape_ == (1, 8, 8)
    assert conv.transform(X[:5]).shape == (5, 3)
    rect = VAETransformer(latent_dim=2, architecture="conv", input_shape=(4, 16), **FAST)
    assert rect.fit(X[:64]).inverse_transform(np.zeros((2, 2))).shape == (2, 64)
    with torch_rng_scope(0):  # building modules draws initial weights from torch's RNG
        pair = (MLPEncoder(64, 2, (16,)), MLPDecoder(2, 64, (16,)))
    custom = VAETransformer(latent_dim=2, architecture=pair, **FAST).fit(X[:64])
    assert custom.architecture_ == "custom" and custom.transform(X[:3]).shape == (3, 2)
    # The user's modules are copied, not trained in place.
    assert custom.net_.module_.encoder is not pair[0]


def test_auto_architecture_picks_conv_for_large_square_images():
    X = np.random.RandomState(0).uniform(size=(20, 256))
    assert VAETransformer(latent_dim=2, **FAST).fit(X).architecture_ == "conv"


def test_validation_fraction_early_stopping(small_digits):
    X, _ = small_digits
    vae = VAETransformer(latent_dim=2, max_epochs=60, validation_fraction=0.2, n_iter_no_change=2,
                         lr=3e-3, batch_size=64, random_state=0).fit(X)
    history = vae.net_.history
    assert "valid_loss" in history[-1]
    assert len(history) < 60  # the held-out loss plateaus and patience 2 stops the run


def test_bfloat16_precision_runs(small_digits):
    X, _ = small_digits
    vae = VAETransformer(latent_dim=2, precision="bfloat16", **FAST).fit(X)
    assert np.all(np.isfinite(vae.transform(X)))


def test_auto_precision_measures_once_and_leaves_training_as_it_would_be(
        small_digits, monkeypatch):
    from skvaeal._net import _vae as net_module

    X, _ = small_digits
    monkeypatch.setattr(net_module, "_AUTO_PRECISION", {})
    calls = []
    real = net_module.measure_precision

    def counting(module, xb, repeats=3):
        calls.append(tuple(xb.shape))
        return real(module, xb, repeats)

    monkeypatch.setattr(net_module, "measure_precision", counting)
    auto = VAETransformer(latent_dim=2, precision="auto", **FAST).fit(X)
    chosen = auto.net_.precision_
    assert chosen in ("float32", "bfloat16")
    assert calls == [(64, X.shape[1])]
    # The timing passes ran on a copy with the RNG restored: the fit is the one the
    # chosen precision gives on its own.
    same = VAETransformer(latent_dim=2, precision=chosen, **FAST).fit(X)
    np.testing.assert_allclose(auto.loss_curve_, same.loss_curve_, rtol=1e-6)
    # Measured once per process and model layout: a second fit reuses the choice.
    VAETransformer(latent_dim=2, precision="auto", **FAST).fit(X)
    assert len(net_module._AUTO_PRECISION) == 1
    np.testing.assert_array_equal(auto.transform(X[:5]), pickle.loads(
        pickle.dumps(auto)).transform(X[:5]))


def test_set_output_pandas(fitted, small_digits):
    pd = pytest.importorskip("pandas")
    X, _ = small_digits
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(64)])
    est = clone(fitted).set_output(transform="pandas").fit(frame)
    out = est.transform(frame)
    assert list(est.feature_names_in_[:2]) == ["px0", "px1"]
    assert list(out.columns) == [f"vaetransformer{i}" for i in range(4)]


# -------------------------------------------------------- sklearn citizenship
def test_clone_and_pickle_round_trip(fitted, small_digits, tmp_path):
    X, _ = small_digits
    cloned = clone(fitted)
    assert not hasattr(cloned, "net_") and cloned.get_params() == fitted.get_params()
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.transform(X), fitted.transform(X))
    joblib.dump(fitted, tmp_path / "vae.joblib")
    assert_array_equal(joblib.load(tmp_path / "vae.joblib").transform(X), fitted.transform(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_model_saved_on_cuda_loads_on_cpu(small_digits):
    X, _ = small_digits
    vae = VAETransformer(latent_dim=2, **FAST).fit(X)
    # Pretend it was trained on a GPU: skorch records the device in the pickled state.
    vae.net_.device = "cuda"
    vae.device_ = torch.device("cuda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skorch's DeviceWarning about falling back to CPU
        restored = pickle.loads(pickle.dumps(vae))
    assert restored.device_ == torch.device("cpu")
    assert restored.transform(X[:3]).shape == (3, 2)


def test_pipeline_and_grid_search_over_latent_dim(small_digits):
    X, y = small_digits
    pipe = make_pipeline(VAETransformer(**FAST), LogisticRegression(max_iter=200))
    search = GridSearchCV(pipe, {"vaetransformer__latent_dim": [2, 4]}, cv=2).fit(X, y)
    assert search.best_params_["vaetransformer__latent_dim"] in (2, 4)
    assert search.predict(X[:5]).shape == (5,)
    # Tuned alone, the VAE is scored by its ELBO.
    alone = GridSearchCV(VAETransformer(**FAST), {"latent_dim": [2, 4]}, cv=2).fit(X)
    assert np.isfinite(alone.best_score_)


def test_papers_frozen_vae_pipeline(small_digits):
    """Paper 0: the VAE is fit once on the whole pool, the SVC is tuned on few labels."""
    X, y = small_digits
    vae = VAETransformer(latent_dim=4, **FAST).fit(X)
    codes_before = vae.transform(X)
    model = make_pipeline(
        FrozenEstimator(vae),
        GridSearchCV(SVC(), {"kernel": ["rbf", "linear"], "C": [1, 10]}, cv=2),
    )
    labelled = np.concatenate([np.flatnonzero(y == c)[:4] for c in np.unique(y)])
    model.fit(X[labelled], y[labelled])
    assert model.predict(X).shape == y.shape
    assert_array_equal(vae.transform(X), codes_before)  # frozen: not refit


def test_same_seed_same_codes_different_seed_differs(small_digits):
    X, _ = small_digits
    a = VAETransformer(latent_dim=3, **FAST).fit(X).transform(X)
    b = VAETransformer(latent_dim=3, **FAST).fit(X).transform(X)
    c = VAETransformer(latent_dim=3, **{**FAST, "random_state": 1}).fit(X).transform(X)
    assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_fit_does_not_change_numpy_global_rng_with_int_seed(small_digits):
    X, _ = small_digits
    state = np.random.get_state()[1].copy()
    VAETransformer(latent_dim=2, **FAST).fit(X)
    assert_array_equal(np.random.get_state()[1], state)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rejects_non_finite_input(small_digits, bad):
    X, _ = small_digits
    X = X.copy()
    X[3, 5] = bad
    with pytest.raises(ValueError, match="(NaN|infinity)"):
        VAETransformer(**FAST).fit(X)


def test_rejects_1d_input(small_digits):
    with pytest.raises(ValueError, match="2D"):
        VAETransformer(**FAST).fit(small_digits[0][0])


@pytest.mark.parametrize("params, match", [
    ({"latent_dim": 0}, "latent_dim"),
    ({"latent_dim": -2}, "latent_dim"),
    ({"input_shape": (1, 7, 7), "architecture": "conv"}, "input_shape"),
    ({"input_shape": (2, 3, 4, 5)}, "input_shape"),
    ({"architecture": "transformer"}, "architecture"),
    ({"optimizer": "lbfgs-ish"}, "optimizer"),
    ({"likelihood": "poisson"}, "likelihood"),
    ({"validation_fraction": 1.5}, "validation_fraction"),
    ({"precision": "float16"}, "precision"),
    ({"beta": -1.0}, "beta"),
    ({"max_epochs": 0}, "max_epochs"),
])
def test_bad_parameters_are_named(small_digits, params, match):
    X, _ = small_digits
    with pytest.raises(ValueError, match=match):
        VAETransformer(**{**FAST, **params}).fit(X)


def test_latent_dim_type_error(small_digits):
    with pytest.raises(TypeError, match="latent_dim"):
        VAETransformer(latent_dim=2.5, **FAST).fit(small_digits[0])


def test_bernoulli_needs_unit_interval(small_digits):
    with pytest.raises(ValueError, match="bernoulli"):
        VAETransformer(likelihood="bernoulli", **FAST).fit(small_digits[0] * 16)


def test_conv_needs_square_or_shape():
    X = np.random.RandomState(0).uniform(size=(10, 10))
    with pytest.raises(ValueError, match="input_shape"):
        VAETransformer(architecture="conv", **FAST).fit(X)


def test_transform_before_fit_and_feature_mismatch(fitted, small_digits):
    X, _ = small_digits
    with pytest.raises(NotFittedError):
        VAETransformer().transform(X)
    with pytest.raises(ValueError, match="features"):
        fitted.transform(X[:, :10])
    with pytest.raises(ValueError, match="columns"):
        fitted.inverse_transform(np.zeros((2, 7)))


def test_nan_loss_stops_training_with_a_clear_error(small_digits):
    X, _ = small_digits
    with pytest.raises(ValueError, match="loss became"):
        VAETransformer(latent_dim=2, lr=1e12, optimizer="sgd", max_epochs=3,
                       likelihood="gaussian", random_state=0).fit(X * 1e3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_requested_without_cuda(small_digits):
    with pytest.raises(ValueError, match="CUDA is not available"):
        VAETransformer(device="cuda", **FAST).fit(small_digits[0])


# ------------------------------------------------------------ real accuracy
def test_default_training_gives_accurate_codes(digits):
    """With every training parameter at its default, an SVC on 8-d codes reaches >= 0.90.

    The issue's protocol: the digits / 16, a stratified 70/30 split, the VAE
    fitted on the training rows. Measured for seeds 0-4 with the defaults
    (``max_epochs="auto"``, 200 epochs at most here, ``tol=1e-4`` over 20
    epochs): 0.930, 0.928, 0.917, 0.930, 0.931 after 148 to 200 epochs, 4 to
    7 s each on 2 cores; the mean of three seeds leaves 4 sd of margin.
    """
    from sklearn.model_selection import train_test_split

    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                        stratify=y)
    scores = []
    for seed in range(3):
        vae = VAETransformer(latent_dim=8, random_state=seed).fit(X_train)
        assert 10 <= vae.n_iter_ <= 200
        scores.append(SVC().fit(vae.transform(X_train), y_train)
                      .score(vae.transform(X_test), y_test))
    assert np.mean(scores) >= 0.90, scores


def test_stopping_rule_and_auto_epochs(small_digits):
    X, _ = small_digits  # 300 rows: 3 batches of 128 per epoch
    kw = dict(latent_dim=2, random_state=0)
    stopped = VAETransformer(**kw, tol=0.9, n_iter_no_change=2).fit(X)
    # No epoch improves the best loss by 90%: the first sets it, two more miss.
    assert stopped.n_iter_ == 3
    full = VAETransformer(**kw, tol=None, max_epochs=7).fit(X)
    assert full.n_iter_ == 7 == len(full.loss_curve_)
    # "auto": 3,000 steps of 3 batches, capped at 200 epochs.
    assert stopped.net_.max_epochs == 200
    with pytest.raises(ValueError, match="'tol' parameter"):
        VAETransformer(tol=-1.0).fit(X)


def test_rmsprop_gets_keras_settings(small_digits):
    vae = VAETransformer(latent_dim=2, max_epochs=1, random_state=0).fit(small_digits[0])
    group = vae.net_.optimizer_.param_groups[0]
    assert (group["alpha"], group["eps"]) == (0.9, 1e-7)
    adam = VAETransformer(latent_dim=2, max_epochs=1, optimizer="adam",
                          random_state=0).fit(small_digits[0])
    assert adam.net_.optimizer_.param_groups[0]["eps"] == 1e-8


def test_svc_on_8d_codes_of_digits_is_accurate(digits, digits_split):
    """Trained on all labels, an SVC on 8-d codes reaches >= 0.85 test accuracy.

    Measured over VAE seeds 0-4: 0.911, 0.900, 0.907, 0.907, 0.913 (sd 0.005),
    the same with ATEN_CPU_CAPABILITY=avx2, so one seed with a 0.05 margin holds.
    """
    X, _ = digits
    X_train, X_test, y_train, y_test = digits_split
    vae = VAETransformer(latent_dim=8, max_epochs=60, tol=None, random_state=0).fit(X)
    accuracy = SVC().fit(vae.transform(X_train), y_train).score(vae.transform(X_test), y_test)
    assert accuracy >= 0.85
