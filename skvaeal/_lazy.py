"""Lazy re-exports (PEP 562), so that a lower layer can keep an old import path alive.

``skvaeal.query`` still offers ``vaal_sampling`` although VAAL now lives in
``skvaeal.vaal``, a layer above it. Importing it eagerly would point an import
upwards; instead the name is looked up on first access. The table of such
forwards is data (module names as strings), so the layering test can list and
check every one.
"""

import importlib

__all__ = ["lazy_exports"]


def lazy_exports(module_name, forwards):
    """``__getattr__`` and ``__dir__`` for a module whose ``forwards`` load on first access.

    Parameters
    ----------
    module_name : str
        ``__name__`` of the module that forwards.
    forwards : dict of str to str
        Public name -> absolute name of the module that defines it.

    Returns
    -------
    __getattr__, __dir__ : callables
        To assign at module level.
    """
    def __getattr__(name):
        target = forwards.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        return getattr(importlib.import_module(target), name)

    def __dir__():
        module = importlib.import_module(module_name)
        return sorted(set(vars(module)) | set(forwards))

    return __getattr__, __dir__
