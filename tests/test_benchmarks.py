"""The benchmark scripts that CI can run at small sizes: their command lines and messages."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def _run(script, *args, env=None, timeout=300):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=dict(os.environ, **(env or {})))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a CPU machine")
def test_gpu_check_says_no_cuda_and_exits_0():
    done = _run("gpu_check.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("gpu_check: no CUDA") and "nothing was run" in done.stdout
    assert len(done.stdout.strip().splitlines()) == 1


def test_gpu_check_bad_arguments_exit_2_with_one_line():
    for args in (["--wheels", "no-such.whl"], ["--epochs", "0"]):
        done = _run("gpu_check.py", *args)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines()[-1].startswith("gpu_check.py: error:")


def test_gpu_check_imports_skorch_from_a_wheel(tmp_path):
    """A GPU machine has no skorch installed: a wheel on the path must be enough. The
    installed skorch is hidden from the child process, which must find the wheel's."""
    import skorch

    wheel = tmp_path / "skorch-0.0-py3-none-any.whl"
    package = Path(skorch.__file__).parent
    with zipfile.ZipFile(wheel, "w") as zf:
        for path in package.rglob("*.py"):
            zf.write(path, Path("skorch") / path.relative_to(package))
    code = f"""
import importlib.abc, sys
class HideInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "skorch" and not any(p.endswith(".whl") for p in sys.path):
            raise ImportError("skorch is hidden")
        return None
sys.meta_path.insert(0, HideInstalled())
sys.path.insert(0, {str(ROOT / "benchmarks")!r})
import gpu_check
try:
    import skorch
    raise SystemExit("skorch should be hidden")
except ImportError:
    pass
gpu_check.add_wheels([{str(tmp_path)!r}])
import skorch
assert skorch.__file__.startswith({str(wheel)!r}), skorch.__file__
from skorch import NeuralNet
import os
assert {str(wheel)!r} in os.environ["PYTHONPATH"].split(os.pathsep)
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
