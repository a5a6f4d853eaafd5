"""A classifier's ``predict_proba`` as a differentiable torch function, where it can be one.

ASAL's synthesis (eq. 1 of Mayer & Timofte, 2020) climbs the gradient of the
classifier's entropy with respect to the GAN's latent code. That gradient
exists in closed form for torch modules and skorch nets, for scikit-learn's
linear probabilistic classifiers (through ``coef_`` and ``intercept_``) and for
pipelines of affine steps (scalers, PCA) before one of them. Every function
built here is checked against the classifier's own ``predict_proba`` before it
is used; anything else gets ``None`` and a derivative-free search instead.
"""

import numpy as np
import torch

_LINEAR_PROBA = ("LogisticRegression", "LogisticRegressionCV", "LinearDiscriminantAnalysis")


def _tensor(values, like):
    return torch.as_tensor(np.asarray(values, dtype=np.float32), device=like.device)


def _affine(step):
    """``x -> f(x)`` in torch for an affine scikit-learn transformer, else None."""
    from sklearn.decomposition import PCA
    from sklearn.frozen import FrozenEstimator
    from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

    if step is None or (isinstance(step, str) and step == "passthrough"):
        return lambda x: x
    if isinstance(step, FrozenEstimator):
        return _affine(step.estimator)
    if isinstance(step, FunctionTransformer) and step.func is None:
        return lambda x: x
    if isinstance(step, StandardScaler):
        def scale(x):
            if step.mean_ is not None:
                x = x - _tensor(step.mean_, x)
            if step.scale_ is not None:
                x = x / _tensor(step.scale_, x)
            return x
        return scale
    if isinstance(step, MinMaxScaler) and not step.clip:
        return lambda x: x * _tensor(step.scale_, x) + _tensor(step.min_, x)
    if isinstance(step, PCA):
        def project(x):
            z = (x - _tensor(step.mean_, x)) @ _tensor(step.components_, x).T
            if step.whiten:
                z = z / torch.sqrt(_tensor(step.explained_variance_, x))
            return z
        return project
    return None


def _linear(estimator):
    """Class probabilities of a fitted linear probabilistic classifier, in torch, else None."""
    name = type(estimator).__name__
    linear = name in _LINEAR_PROBA or (
        name == "SGDClassifier" and getattr(estimator, "loss", None) == "log_loss")
    if not linear or not hasattr(estimator, "coef_"):
        return None
    coef, intercept = np.atleast_2d(estimator.coef_), np.ravel(estimator.intercept_)

    def proba(x):
        logits = x @ _tensor(coef, x).T + _tensor(intercept, x)
        if logits.shape[1] == 1:  # binary: sigmoid of one decision function
            p = torch.sigmoid(logits[:, 0])
            return torch.stack([1 - p, p], dim=1)
        return torch.softmax(logits, dim=1)

    return proba


def _torch_proba(estimator):
    from skorch import NeuralNet

    if isinstance(estimator, NeuralNet) and getattr(estimator, "initialized_", False):
        module = estimator.module_
        nonlinearity = estimator._get_predict_nonlinearity()
        return lambda x: nonlinearity(module(x.to(estimator.device))), module
    if isinstance(estimator, torch.nn.Module):
        return lambda x: torch.softmax(estimator(x), dim=1), estimator
    return None, None


def differentiable_proba(classifier, X_check):
    """``(proba_fn, module)``: ``classifier``'s ``predict_proba`` in torch, or ``(None, None)``.

    Parameters
    ----------
    classifier : classifier, pipeline or active learner
        A learner is unwrapped to its estimator.
    X_check : ndarray of shape (n, n_features)
        Rows on which the torch function must agree with ``predict_proba``
        (to 1e-4); it is refused otherwise.

    Returns
    -------
    proba_fn : callable or None
        Maps a float32 tensor of rows to a tensor of class probabilities.
    module : torch.nn.Module or None
        A torch model to put in evaluation mode while the function is used.
    """
    from sklearn.pipeline import Pipeline

    if not hasattr(classifier, "predict_proba"):  # nothing to check a torch function against
        return None, None
    estimator = classifier
    if hasattr(classifier, "teach") and getattr(classifier, "estimator", None) is not None:
        estimator = classifier.estimator
    fn, module = _torch_proba(estimator)
    if fn is None:
        if isinstance(estimator, Pipeline):
            steps = [_affine(step) for _, step in estimator.steps[:-1]]
            final = _linear(estimator.steps[-1][1])
            if final is not None and all(s is not None for s in steps):
                def fn(x):
                    for step in steps:
                        x = step(x)
                    return final(x)
        else:
            fn = _linear(estimator)
    if fn is None:
        return None, None
    training = module.training if module is not None else False
    if module is not None:
        module.eval()  # predict_proba runs in evaluation mode (no dropout)
    try:
        with torch.no_grad():
            ours = fn(torch.as_tensor(np.asarray(X_check, dtype=np.float32))).cpu().numpy()
    except (RuntimeError, TypeError, ValueError):  # shapes or dtypes the model refuses
        return None, None
    finally:
        if module is not None:
            module.train(training)
    theirs = np.asarray(classifier.predict_proba(X_check), dtype=np.float64)
    if ours.shape != theirs.shape or not np.allclose(ours, theirs, atol=1e-4):
        return None, None
    return fn, module
