"""The shared estimator core: declared parameters, resolvers, input errors, batch invariance.

Every test here runs over every estimator of the registry, so a new method
gets them by adding its registry entry.
"""

import numpy as np
import pytest
import torch
from registry import ESTIMATORS
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skvaeal.base import (VAE_PARAMETER_CONSTRAINTS, build_vae_modules, is_large_image,
                          resolve_input_shape, resolve_likelihood, resolve_optimizer)
from skvaeal.utils import Substitution, torch_rng_scope

NAMES = sorted(ESTIMATORS)
#: The estimators that hold a skorch net trained for max_epochs (PoolMatcher holds none).
NET_NAMES = [n for n in NAMES if "max_epochs" in ESTIMATORS[n].instance.get_params()]


def _has(name, *params):
    return set(params) <= set(ESTIMATORS[name].instance.get_params())


def _fit(estimator, X, y):
    if estimator.__sklearn_tags__().target_tags.required:
        y_semi = y.copy()
        y_semi[60:] = -1
        return estimator.fit(X, y_semi)
    return estimator.fit(X)


@pytest.fixture(scope="module")
def data(small_digits):
    X, y = small_digits
    return X[:150], y[:150]


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return {name: _fit(clone(ESTIMATORS[name].instance).set_params(max_epochs=1), X, y)
            for name in NET_NAMES}


# ------------------------------------------------------------- declared parameters
def test_constraints_are_declared_once_and_merged():
    for name in NAMES:
        estimator = ESTIMATORS[name].instance
        constraints = type(estimator)._parameter_constraints
        params = set(estimator.get_params(deep=False))
        assert set(constraints) == params, (name, params ^ set(constraints))
        # A shared parameter an estimator has is declared by the shared constraint itself.
        shared_names = set(VAE_PARAMETER_CONSTRAINTS) & params
        if "latent_dim" not in params or name == "ARALClassifier":
            # ARAL is class-conditional: no (encoder, decoder) pair, its own choices only.
            # A network without a VAE (MCDropoutClassifier) names its own architectures.
            shared_names.discard("architecture")
        if name == "ARALClassifier":
            # ARAL sizes its code to the data ("auto"), on top of the shared integers.
            shared_names.discard("latent_dim")
            assert set(VAE_PARAMETER_CONSTRAINTS["latent_dim"]) < set(constraints["latent_dim"])
        for shared in shared_names:
            assert constraints[shared] is VAE_PARAMETER_CONSTRAINTS[shared], (name, shared)


BAD_PARAMS = [
    ({"hidden_dims": (0,)}, "hidden_dims"),
    ({"hidden_dims": (-5,)}, "hidden_dims"),
    ({"hidden_dims": (16, 2.5)}, "hidden_dims"),
    ({"lr": float("nan")}, "lr"),
    ({"lr": 0.0}, "lr"),
    ({"beta": float("nan")}, "beta"),
    ({"beta": float("inf")}, "beta"),
    ({"beta": -1.0}, "beta"),
    ({"latent_dim": 0}, "latent_dim"),
    ({"latent_dim": 2.5}, "latent_dim"),
    ({"batch_size": 0}, "batch_size"),
    ({"optimizer": "lbfgs-ish"}, "optimizer"),
    ({"optimizer": dict}, "optimizer"),
    ({"architecture": "transformer"}, "architecture"),
    ({"input_shape": (2, 3, 4, 5)}, "input_shape"),
    ({"precision": "float16"}, "precision"),
    ({"channels_last": "yes"}, "channels_last"),
    ({"device": 3}, "device"),
    ({"random_state": "seed"}, "random_state"),
]


@pytest.mark.parametrize("params, match", BAD_PARAMS, ids=[str(p) for p, _ in BAD_PARAMS])
@pytest.mark.parametrize("name", NAMES)
def test_bad_shared_parameters_are_named(name, params, match, data):
    if not _has(name, *params):
        pytest.skip(f"{name} has no {sorted(params)} parameter")
    estimator = clone(ESTIMATORS[name].instance).set_params(**params)
    with pytest.raises(InvalidParameterError, match=f"'{match}' parameter"):
        _fit(estimator, *data)


@pytest.mark.parametrize("name", NAMES)
def test_string_input_is_refused_by_name(name, data):
    X, y = data
    X_str = X.astype(str)  # strings of numbers are read as numbers, as in scikit-learn
    X_str[3, 4] = "dark"
    # X, or the name the estimator's fit gives it (PoolMatcher's X_pool).
    with pytest.raises(ValueError, match="X(_pool)? must hold numbers; it holds strings"):
        _fit(clone(ESTIMATORS[name].instance), X_str, y)
    X_obj = X.astype(object)
    X_obj[0, 0] = {"a": 1}
    with pytest.raises(TypeError, match="X(_pool)? must hold numbers"):
        _fit(clone(ESTIMATORS[name].instance), X_obj, y)


@pytest.mark.parametrize("name", NAMES)
def test_data_dependent_choices_are_checked_at_fit(name, data):
    X, y = data
    if not _has(name, "input_shape", "architecture"):
        pytest.skip(f"{name} has no data-dependent architecture")
    if _has(name, "likelihood"):
        with pytest.raises(ValueError, match="likelihood='bernoulli' needs X in"):
            _fit(clone(ESTIMATORS[name].instance).set_params(likelihood="bernoulli"), X * 16, y)
    with pytest.raises(ValueError, match="input_shape"):
        _fit(clone(ESTIMATORS[name].instance).set_params(input_shape=(7, 7)), X, y)
    with pytest.raises(ValueError, match="architecture='conv' needs an image"):
        _fit(clone(ESTIMATORS[name].instance).set_params(architecture="conv", input_shape=None),
             X, y)


# ------------------------------------------------------------------ resolvers
def test_resolvers():
    assert resolve_optimizer("ADAM") is torch.optim.Adam
    assert resolve_optimizer(torch.optim.SGD) is torch.optim.SGD
    assert resolve_likelihood("auto", np.array([[0.0, 1.0]])) == "bernoulli"
    assert resolve_likelihood("auto", np.array([[0.0, 1.5]])) == "gaussian"
    assert resolve_likelihood("gaussian", np.array([[0.5]])) == "gaussian"
    assert resolve_input_shape("auto", 64) == (1, 8, 8)
    assert resolve_input_shape((8, 8), 64) == (1, 8, 8)
    assert resolve_input_shape(None, 64) is None
    assert is_large_image((1, 16, 16)) and not is_large_image((1, 8, 8))
    assert not is_large_image(None)


def test_build_vae_modules_copies_a_custom_pair():
    from skvaeal import VAETransformer
    from skvaeal.nn import MLPDecoder, MLPEncoder

    with torch_rng_scope(0):
        pair = (MLPEncoder(6, 2), MLPDecoder(2, 6))
    enc, dec, arch, shape = build_vae_modules(VAETransformer(2, architecture=pair), 6)
    assert arch == "custom" and shape is None and enc is not pair[0]


def test_substitution_fills_markers_and_refuses_inline_ones():
    @Substitution(p="p : int\n    A number.")
    def f():
        """Doc.

        Parameters
        ----------
        %(p)s
        """

    assert "        p : int\n            A number." in f.__doc__

    def g():
        """Inline %(p)s marker."""

    with pytest.raises(ValueError, match="alone"):
        Substitution(p="x")(g)


# ------------------------------------------------------------ batch invariance
METHODS = ("transform", "score_samples", "predict_proba")


@pytest.mark.parametrize("name", NET_NAMES)
def test_inference_is_batch_invariant(name, fitted, data):
    """A row's outputs do not depend on what else is in its batch: bitwise equal.

    scikit-learn's check_methods_subset_invariance allows 1e-7; CPU kernels
    chose another algorithm for a batch of one row than for many, which broke
    it on some machines. Batches of one fixed size make the outputs exact.
    """
    estimator = fitted[name]
    X = data[0][:70]
    for method in METHODS:
        if not hasattr(estimator, method):
            continue
        full = getattr(estimator, method)(X)
        for i in (0, 33, 69):
            np.testing.assert_array_equal(getattr(estimator, method)(X[i:i + 1])[0], full[i],
                                          err_msg=f"{name}.{method} row {i}")
        np.testing.assert_array_equal(getattr(estimator, method)(X[5:40]), full[5:40])


TRANSFORM_NAMES = [n for n in NET_NAMES if hasattr(ESTIMATORS[n].instance, "transform")]


@pytest.mark.parametrize("name", TRANSFORM_NAMES)
def test_dataframe_in_pandas_out(name, data):
    """Fitted on a DataFrame, ``set_output(transform="pandas")`` gives a DataFrame with the
    input's index and prefixed column names; other feature names are refused, as sklearn's."""
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])],
                         index=np.arange(len(X)) + 500)
    estimator = clone(ESTIMATORS[name].instance).set_params(max_epochs=1)
    estimator.set_output(transform="pandas")
    _fit(estimator, frame, y)
    assert list(estimator.feature_names_in_) == list(frame.columns)
    out = estimator.transform(frame)
    assert isinstance(out, pd.DataFrame) and out.index.tolist() == frame.index.tolist()
    assert list(out.columns) == list(estimator.get_feature_names_out())
    assert out.columns[0] == f"{name.lower()}0"
    np.testing.assert_allclose(out.to_numpy(), estimator.set_output(
        transform="default").transform(frame), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="feature names should match"):
        estimator.transform(frame.set_axis([f"q{i}" for i in range(X.shape[1])], axis=1))
