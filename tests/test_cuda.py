"""Every estimator on a CUDA device: fit, transform, predict, pickle, a CUDA-fitted model on
the CPU, and bfloat16 autocast. Marked ``cuda``; skipped without a GPU.

``benchmarks/gpu_check.py`` runs this module on a GPU machine (with pytest, or without it
through a minimal stand-in), so the tests here take no fixtures and import only what such a
machine has: torch, numpy, scikit-learn, joblib, skorch (possibly from a wheel) and skvaeal.
"""

import io
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits

from skvaeal import ASSALClassifier, VAALSampler, VAETransformer, WGANTransformer
from skvaeal.aral import ARALClassifier
from skvaeal.bald import MCDropoutClassifier
from skvaeal.clusterlabel import ClusterLabelClassifier

HAS_CUDA = torch.cuda.is_available()
#: SKVAEAL_CUDA_TESTS_ON_CPU=1 runs these tests on the CPU instead: a dry run of the tests'
#: own logic on a machine without a GPU (the CUDA-only assertions are then skipped).
DRY_RUN = not HAS_CUDA and os.environ.get("SKVAEAL_CUDA_TESTS_ON_CPU") == "1"
DEVICE = "cuda" if HAS_CUDA else "cpu"
pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not (HAS_CUDA or DRY_RUN), reason="needs a CUDA device")]

_SMALL = dict(max_epochs=2, batch_size=64, random_state=0, device=DEVICE)
#: name -> (estimator, how its target is built from the digits labels)
CUDA_CASES = {
    "VAETransformer": (VAETransformer(latent_dim=4, **_SMALL), None),
    "VAETransformer-conv": (VAETransformer(latent_dim=4, architecture="conv",
                                           input_shape=(1, 8, 8), **_SMALL), None),
    "WGANTransformer": (WGANTransformer(latent_dim=4, hidden_dims=(16,), **_SMALL), None),
    "VAALSampler": (VAALSampler(latent_dim=4, **_SMALL), "is_labeled"),
    "ASSALClassifier": (ASSALClassifier(latent_dim=4, warmup_epochs=1, **_SMALL), "semi"),
    "ARALClassifier": (ARALClassifier(latent_dim=4, unlabeled_trust=1.0, **_SMALL), "semi"),
    "ClusterLabelClassifier": (ClusterLabelClassifier(latent_dim=4, warmup_epochs=1,
                                                      unlabeled_trust=1.0, **_SMALL), "semi"),
    "MCDropoutClassifier": (MCDropoutClassifier(hidden_dims=(32,), n_mc_samples=4, **_SMALL),
                            "labels"),
}


def _data():
    X, y = load_digits(return_X_y=True)
    return (X[:600] / 16.0).astype(np.float32), y[:600]


def _fit(name):
    X, y = _data()
    est, target = CUDA_CASES[name]
    est = clone(est)
    if target is None:
        return est.fit(X), X
    if target == "is_labeled":
        return est.fit(X, np.arange(len(X)) < 100), X
    if target == "semi":
        y = y.copy()
        y[100:] = -1
    return est.fit(X, y), X


def _outputs(est, X):
    """What the estimator computes on X, as numpy arrays, by method name."""
    out = {}
    for method in ("transform", "score_samples", "predict_proba"):
        if hasattr(est, method):
            try:
                out[method] = np.asarray(getattr(est, method)(X))
            except (AttributeError, TypeError):  # e.g. a method for another target kind
                continue
    return out


@pytest.mark.parametrize("name", sorted(CUDA_CASES))
def test_fit_transform_pickle_on_cuda(name):
    est, X = _fit(name)
    assert est.device_.type == DEVICE
    assert next(est.net_.module_.parameters()).device.type == DEVICE
    outputs = _outputs(est, X)
    assert outputs, f"{name} has no output method"
    for method, value in outputs.items():
        assert isinstance(value, np.ndarray), f"{method} must come back as numpy on the CPU"
        assert np.isfinite(value).all(), method
    restored = pickle.loads(pickle.dumps(est))
    for method, value in _outputs(restored, X).items():
        np.testing.assert_allclose(value, outputs[method], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["VAETransformer", "ASSALClassifier"])
def test_a_cuda_fitted_model_loads_and_runs_on_a_cpu_only_process(name, tmp_path):
    est, X = _fit(name)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(est))
    np.save(tmp_path / "X.npy", X[:50])
    method = "transform" if hasattr(est, "transform") else "predict_proba"
    np.save(tmp_path / "expected.npy", getattr(est, method)(X[:50]))
    code = (
        "import pickle, warnings, numpy as np, torch\n"
        "assert not torch.cuda.is_available()\n"
        "warnings.simplefilter('ignore')\n"
        f"est = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "assert est.device_.type == 'cpu', est.device_\n"
        f"out = getattr(est, {method!r})(np.load({str(tmp_path / 'X.npy')!r}))\n"
        f"np.testing.assert_allclose(out, np.load({str(tmp_path / 'expected.npy')!r}), "
        "rtol=1e-4, atol=1e-5)\n"
        "print('ok')\n")
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]


def test_bfloat16_autocast_trains_on_cuda():
    X, _ = _data()
    full = VAETransformer(latent_dim=4, **_SMALL).fit(X)
    half = VAETransformer(latent_dim=4, precision="bfloat16", **_SMALL).fit(X)
    assert np.isfinite(half.loss_curve_).all()
    # Same data, same seed: bfloat16's loss is within a few percent of float32's.
    assert abs(half.loss_curve_[-1] - full.loss_curve_[-1]) < 0.1 * abs(full.loss_curve_[-1])
    Z = half.transform(X)
    assert Z.dtype == np.float32 and np.isfinite(Z).all()


def test_device_auto_is_cuda_and_results_come_back_as_numpy():
    X, _ = _data()
    vae = VAETransformer(latent_dim=4, max_epochs=1, random_state=0).fit(X)
    assert vae.device_.type == DEVICE
    Z = vae.transform(X)
    assert type(Z) is np.ndarray and Z.shape == (len(X), 4)
    buffer = io.BytesIO()
    pickle.dump(vae, buffer)
    assert buffer.tell() > 0
