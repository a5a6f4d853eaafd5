"""Run modAL's own tests and examples against skvaeal, with their imports pointed here.

modAL's test files are read from a checkout of its public repository
(https://github.com/modAL-python/modAL) given with ``--modal-repo``; nothing of
modAL is copied into skvaeal. Before the tests are imported, the ``modAL``
modules they import are bound to skvaeal's:

    modAL.models, modAL.models.learners, modAL.models.base  ->  skvaeal.active
    modAL.uncertainty, modAL.disagreement, modAL.batch,
    modAL.utils.selection, modAL.utils.combination          ->  skvaeal.query
    modAL.utils.data                                         ->  skvaeal.utils

and the modules outside this comparison (acquisition, density, dropout,
expected_error, multilabel) to empty placeholders, so that the test file
imports; their test classes are not run. The test bodies run unchanged.

Usage::

    python benchmarks/modal_parity.py --modal-repo PATH [--results out.json]

prints one line per test (pass/fail and the first line of the error) and the
counts, per test class and for the examples.
"""

import argparse
import json
import os
import runpy
import sys
import tempfile
import time
import traceback
import types
import unittest
import warnings

import numpy as np

CLASSES = ["TestUncertainties", "TestActiveLearner", "TestCommittee", "TestCommitteeRegressor",
           "TestDisagreements"]
EXAMPLES = ["pool_based_sampling", "ranked_batch_mode", "query_by_committee",
            "ensemble_regression", "stream_based_sampling", "custom_query_strategies",
            "active_regression"]
POINTED = {
    "modAL.models": "skvaeal.active",
    "modAL.models.learners": "skvaeal.active",
    "modAL.models.base": "skvaeal.active",
    "modAL.uncertainty": "skvaeal.query",
    "modAL.disagreement": "skvaeal.query",
    "modAL.batch": "skvaeal.query",
    "modAL.utils.selection": "skvaeal.query",
    "modAL.utils.combination": "skvaeal.query",
    "modAL.utils.data": "skvaeal.utils",
}
PLACEHOLDERS = ["modAL.acquisition", "modAL.density", "modAL.dropout", "modAL.expected_error",
                "modAL.multilabel", "modAL.utils.validation"]


def point_modal_at_skvaeal():
    """Bind the ``modAL`` module names to proxies of skvaeal's modules."""
    import importlib

    for name in list(sys.modules):
        if name == "modAL" or name.startswith("modAL."):
            del sys.modules[name]
    modules = {}

    def module(name):
        if name not in modules:
            modules[name] = types.ModuleType(name)
            sys.modules[name] = modules[name]
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(module(parent), child, modules[name])
        return modules[name]

    module("modAL")
    module("modAL.utils")
    for name, target in POINTED.items():
        source = importlib.import_module(target)
        proxy = module(name)
        for attr in getattr(source, "__all__", dir(source)):
            setattr(proxy, attr, getattr(source, attr))
    for name in PLACEHOLDERS:
        module(name)


def run_tests(repo):
    sys.path.insert(0, os.path.join(repo, "tests"))
    import core_tests  # noqa: F401  (modAL's test module, with the names pointed above)

    results = {}
    for cls_name in CLASSES:
        cls = getattr(core_tests, cls_name)
        for test_name in unittest.TestLoader().getTestCaseNames(cls):
            # modAL's tests draw from the global generators unseeded; seed them so that
            # the counts are the same on every run.
            np.random.seed(0)
            import random
            random.seed(0)
            case = cls(test_name)
            outcome = unittest.TestResult()
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                case.run(outcome)
            problems = outcome.failures + outcome.errors
            results[f"{cls_name}.{test_name}"] = {
                "passed": not problems,
                "seconds": round(time.perf_counter() - start, 2),
                "error": problems[0][1].strip().splitlines()[-1] if problems else None,
            }
    return results


def run_examples(repo):
    results = {}
    for name in EXAMPLES:
        path = os.path.join(repo, "tests", "example_tests", f"{name}.py")
        start = time.perf_counter()
        error = None
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                runpy.run_path(path, run_name="__main__")
            except Exception:  # report every failure, do not stop at the first
                error = traceback.format_exc().strip().splitlines()[-1]
            finally:
                os.chdir(cwd)
        results[name] = {"passed": error is None,
                         "seconds": round(time.perf_counter() - start, 2), "error": error}
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modal-repo", required=True,
                        help="checkout of github.com/modAL-python/modAL (holds tests/)")
    parser.add_argument("--results", help="write the outcome of every test as JSON here")
    args = parser.parse_args(argv)
    if not os.path.isfile(os.path.join(args.modal_repo, "tests", "core_tests.py")):
        parser.error(f"{args.modal_repo} holds no tests/core_tests.py")
    import sklearn

    import skvaeal

    point_modal_at_skvaeal()
    tests = run_tests(args.modal_repo)
    examples = run_examples(args.modal_repo)
    for name, r in {**tests, **examples}.items():
        print(f"{'PASS' if r['passed'] else 'FAIL'}  {name}  ({r['seconds']} s)"
              + (f"  -- {r['error']}" if r["error"] else ""))
    print(f"\nscikit-learn {sklearn.__version__}, skvaeal {skvaeal.__version__}")
    for cls_name in CLASSES:
        mine = [r for k, r in tests.items() if k.startswith(cls_name + ".")]
        print(f"{cls_name}: {sum(r['passed'] for r in mine)} of {len(mine)} pass")
    print(f"tests: {sum(r['passed'] for r in tests.values())} of {len(tests)} pass")
    print(f"examples: {sum(r['passed'] for r in examples.values())} of {len(examples)} run")
    if args.results:
        with open(args.results, "w") as fh:
            json.dump({"scikit-learn": sklearn.__version__, "tests": tests,
                       "examples": examples}, fh, indent=1)


if __name__ == "__main__":
    main()
