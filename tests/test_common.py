"""Checks every public estimator and the package's layering must pass."""

import ast
import importlib
import pathlib
import subprocess
import sys

import pytest
from registry import ESTIMATORS, expected_failed_checks, public_estimators
from sklearn.utils.estimator_checks import parametrize_with_checks

import skvaeal


@parametrize_with_checks([case.instance for case in ESTIMATORS.values()],
                         expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_public_estimator_is_registered():
    missing = public_estimators() - set(ESTIMATORS)
    assert not missing, f"add {sorted(missing)} to tests/registry.py ESTIMATORS"


def test_expected_failures_have_reasons():
    for name, case in ESTIMATORS.items():
        for check, reason in case.expected_failed_checks.items():
            assert check.startswith("check_") and isinstance(reason, str) and len(reason) > 20, \
                (name, check)


# ------------------------------------------------------------------ layering
PACKAGE = pathlib.Path(skvaeal.__file__).resolve().parent
# The shared core, in layers: a module may import its own layer and lower ones.
CORE_RANK = {"_lazy": 0, "utils": 0, "nn": 1, "datasets": 1, "oracle": 1, "_net": 2,
             "base": 3, "_semi": 3, "query": 4}
METHOD_RANK = 5  # every other subpackage is a method package (vae, vaal, assal, ...)
UPPER_RANK = {"active": 6, "estimators": 7, "widgets": 7, "cli": 8, "__init__": 9}


def _unit(parts):
    """The layer unit a module belongs to, from its path parts inside the package."""
    head = parts[0]
    if head == "__main__":  # `python -m skvaeal` is the CLI
        return "cli"
    if len(parts) == 1 and head == "__init__":
        return "__init__"
    return head


def _rank(unit):
    if unit in CORE_RANK:
        return CORE_RANK[unit]
    if unit in UPPER_RANK:
        return UPPER_RANK[unit]
    return METHOD_RANK


METHODS = sorted(p.name for p in PACKAGE.iterdir()
                 if p.is_dir() and (p / "__init__.py").exists()
                 and _rank(p.name) == METHOD_RANK)


def _imports(path):
    """Absolute names imported by a file, with relative imports resolved."""
    tree = ast.parse(path.read_text())
    package = ["skvaeal", *path.relative_to(PACKAGE).parent.parts]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                names += [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            else:
                names.append(node.module)
    return names


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_method_packages_found():
    assert {"vae", "vaal", "assal"} <= set(METHODS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_only(path):
    """Core layers import downwards; a method imports the core and other methods' public names."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    unit = _unit(parts)
    for name in _imports(path):
        target = name.split(".")
        if unit == "nn":
            assert target[0] not in ("sklearn", "skorch"), f"skvaeal.nn must be pure torch: {name}"
        if target[0] != "skvaeal" or len(target) < 2:
            continue
        target_unit = target[1]
        if target_unit == unit:
            continue
        if _rank(unit) == METHOD_RANK and _rank(target_unit) == METHOD_RANK:
            # Another method: through its package's public names only, never its files.
            assert len(target) == 2, f"{path.name} reaches into method {target_unit}: {name}"
            continue
        assert _rank(target_unit) < _rank(unit), \
            f"{path.relative_to(PACKAGE)} ({unit}) imports upwards: {name}"


def _forward_tables():
    for module_name in ("skvaeal", "skvaeal.query"):
        yield module_name, importlib.import_module(module_name)._FORWARDS


def test_lazy_forwards_point_at_public_names_of_method_packages():
    for module_name, forwards in _forward_tables():
        for name, target in forwards.items():
            package = target.split(".")
            assert len(package) == 2 and package[1] in METHODS, (module_name, name, target)
            assert name in importlib.import_module(target).__all__, (name, target)
            assert name in importlib.import_module(module_name).__all__, name
            assert getattr(importlib.import_module(module_name), name) is \
                getattr(importlib.import_module(target), name)


def _loaded_after(statement):
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


def test_lower_layers_do_not_load_upper_ones():
    loaded = _loaded_after("import skvaeal.nn")
    assert not {"sklearn", "skorch"} & loaded, "skvaeal.nn must not load scikit-learn or skorch"
    loaded = _loaded_after("import skvaeal.query")
    assert not {f"skvaeal.{m}" for m in METHODS} & loaded, "skvaeal.query loaded a method"
    loaded = _loaded_after("from skvaeal.query import vaal_sampling")
    assert "skvaeal.vaal" in loaded and "skvaeal.assal" not in loaded


def test_old_import_paths_still_work():
    from skvaeal.estimators import ASSALClassifier, VAALSampler, VAETransformer
    from skvaeal.nn import ASSALModule, VAEClassifierModule
    from skvaeal.query import assal_sampling, vaal_sampling

    assert ASSALModule is VAEClassifierModule
    assert VAETransformer is skvaeal.VAETransformer and VAALSampler is skvaeal.VAALSampler
    assert ASSALClassifier is skvaeal.ASSALClassifier
    assert vaal_sampling.__module__.startswith("skvaeal.vaal")
    assert assal_sampling.__module__.startswith("skvaeal.assal")
    assert "vaal_sampling" in dir(importlib.import_module("skvaeal.query"))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        skvaeal.nothing
