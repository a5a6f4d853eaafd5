"""skvaeal: generative-model active learning with a scikit-learn API.

The estimators load on first access (PEP 562), so ``import skvaeal.nn`` or
``import skvaeal.datasets`` does not import skorch and every method.
"""

from ._lazy import lazy_exports

__version__ = "0.1.0.dev0"

#: Public estimator -> the method package that defines it.
_FORWARDS = {
    "ARALClassifier": "skvaeal.aral",
    "ASSALClassifier": "skvaeal.assal",
    "ClusterLabelClassifier": "skvaeal.clusterlabel",
    "MCDropoutClassifier": "skvaeal.bald",
    "PoolMatcher": "skvaeal.asal",
    "VAALSampler": "skvaeal.vaal",
    "VAETransformer": "skvaeal.vae",
    "WGANTransformer": "skvaeal.asal",
}

__getattr__, __dir__ = lazy_exports(__name__, _FORWARDS)

__all__ = ["ARALClassifier", "ASSALClassifier", "ClusterLabelClassifier", "MCDropoutClassifier",
           "PoolMatcher",
           "VAALSampler", "VAETransformer", "WGANTransformer", "__version__"]
