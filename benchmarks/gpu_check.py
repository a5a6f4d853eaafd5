"""The GPU check: the ``cuda`` tests, then VAE training on CUDA against a plain torch loop.

Run it on a machine with a CUDA device, from the repository root::

    python benchmarks/gpu_check.py                       # skorch installed
    python benchmarks/gpu_check.py --wheels skorch-1.1.0-py3-none-any.whl
    python benchmarks/gpu_check.py --wheels wheels/      # every *.whl in the folder

It needs torch, numpy, scikit-learn and joblib. skvaeal is imported from this
checkout (it need not be installed), and pure-Python packages the machine lacks
(skorch; pytest) may be given as wheels: a wheel is a zip archive Python
imports from directly, so each is put on ``sys.path`` and ``PYTHONPATH``
without installing anything. Without pytest the tests run through a minimal
stand-in that expands ``parametrize`` and gives ``tmp_path``.

Steps, in well under 5 minutes on a current GPU:

1. ``tests/test_cuda.py`` (marker ``cuda``): every estimator fitted, used and
   pickled on CUDA, a CUDA-fitted model loaded by a CPU-only process,
   bfloat16 autocast, ``device="auto"``.
2. Samples per second of ``VAETransformer.fit`` on CUDA (the MLP and the
   paper's conv VAE, 28 x 28 rows, float32 and bfloat16) against a
   hand-written loop that trains the same modules the same way, data on the
   device, with their ratio.

On a machine without CUDA it prints one line saying so and exits 0 (nothing
to check); a missing dependency exits 2 with the package to provide.
"""

import argparse
import glob
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def add_wheels(paths):
    """Put each wheel (or each ``*.whl`` in a folder) on sys.path and PYTHONPATH."""
    wheels = []
    for path in paths:
        if os.path.isdir(path):
            wheels += sorted(glob.glob(os.path.join(path, "*.whl")))
        elif path.endswith(".whl") and os.path.isfile(path):
            wheels.append(path)
        else:
            raise ValueError(f"--wheels {path}: not a .whl file or a folder of them")
    entries = [str(ROOT)] + [os.path.abspath(w) for w in wheels]
    for entry in reversed(entries):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        entries + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    return wheels


def require(module, hint):
    if importlib.util.find_spec(module) is None:
        print(f"gpu_check: cannot import {module}; {hint}", file=sys.stderr)
        raise SystemExit(2)


# ------------------------------------------------------------------------- tests
def run_tests_with_pytest(timeout):
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "cuda",
           "-o", "addopts=", str(ROOT / "tests" / "test_cuda.py")]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines else done.stderr.strip()[-300:]
    if done.returncode != 0:
        print(done.stdout[-6000:])
    return done.returncode == 0, summary, time.perf_counter() - start


class _Marks:
    """``pytest.mark`` of the stand-in: records ``parametrize`` and ignores other marks."""

    def __getattr__(self, name):
        if name == "parametrize":
            def parametrize(names, values, **_):
                def mark(func):
                    func._params = getattr(func, "_params", []) + [(names, list(values))]
                    return func
                return mark
            return parametrize
        if name == "skipif":
            return lambda *a, **k: (lambda func: func)
        return lambda func: func


def _standin_pytest():
    module = types.ModuleType("pytest")
    module.mark = _Marks()

    class Skipped(Exception):
        pass

    def skip(reason=""):
        raise Skipped(reason)

    module.skip, module.Skipped = skip, Skipped

    def importorskip(name, *args, **kwargs):
        return __import__(name)

    module.importorskip = importorskip
    return module


def run_tests_without_pytest():
    """Run tests/test_cuda.py's test functions directly, one line per test."""
    import inspect
    import itertools

    sys.modules.setdefault("pytest", _standin_pytest())
    spec = importlib.util.spec_from_file_location("test_cuda", ROOT / "tests" / "test_cuda.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    start, failed, passed = time.perf_counter(), [], 0
    for name, func in sorted(vars(module).items()):
        if not (name.startswith("test_") and callable(func)):
            continue
        grids = getattr(func, "_params", [])
        names = [n.replace(" ", "").split(",") for n, _ in grids]
        combos = itertools.product(*[values for _, values in grids]) if grids else [()]
        for combo in combos:
            kwargs = {}
            for arg_names, value in zip(names, combo):
                value = value if len(arg_names) > 1 else (value,)
                kwargs.update(zip(arg_names, value))
            label = f"{name}[{'-'.join(map(str, combo))}]" if combo else name
            with tempfile.TemporaryDirectory() as tmp:
                if "tmp_path" in inspect.signature(func).parameters:
                    kwargs["tmp_path"] = Path(tmp)
                try:
                    func(**kwargs)
                    passed += 1
                except Exception as exc:  # report every failure, then go on
                    failed.append(f"{label}: {type(exc).__name__}: {str(exc)[:300]}")
    for line in failed:
        print("FAILED", line)
    summary = f"{passed} passed, {len(failed)} failed (without pytest)"
    return not failed, summary, time.perf_counter() - start


# ----------------------------------------------------------------------- timing
def _sync():
    import torch

    torch.cuda.synchronize()


def time_estimator(X, arch, epochs, batch_size, precision):
    from skvaeal import VAETransformer

    est = VAETransformer(latent_dim=8, architecture=arch,
                         input_shape=(1, 28, 28) if arch == "conv" else None,
                         max_epochs=epochs, batch_size=batch_size, lr=1e-3,
                         optimizer="rmsprop", precision=precision, device="cuda",
                         random_state=0, verbose=0)
    _sync()
    start = time.perf_counter()
    est.fit(X)
    _sync()
    return time.perf_counter() - start, est.loss_curve_[-1]


def time_plain_loop(X, arch, epochs, batch_size, precision):
    """The same modules and optimiser in a hand-written loop, the rows already on the GPU."""
    import torch

    from skvaeal.nn import (ConvDecoder, ConvEncoder, ELBOLoss, MLPDecoder, MLPEncoder,
                            VAEModule)
    from skvaeal.utils import torch_rng_scope

    device = torch.device("cuda")
    _sync()
    start = time.perf_counter()
    with torch_rng_scope(0, device):
        if arch == "conv":
            encoder = ConvEncoder((1, 28, 28), 8, hidden_dim=128)
            decoder = ConvDecoder(8, (1, 28, 28), hidden_dim=128)
        else:
            encoder = MLPEncoder(X.shape[1], 8, (256, 128))
            decoder = MLPDecoder(8, X.shape[1], (128, 256))
        model = VAEModule(encoder, decoder).to(device).train()
        criterion = ELBOLoss(beta=1.0, likelihood="bernoulli")
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
        Xd = torch.as_tensor(X, device=device)
        n, total = len(Xd), 0.0
        for _ in range(epochs):
            order = torch.randperm(n, device=device)
            total = torch.zeros((), device=device)
            for i in range(0, n, batch_size):
                xb = Xd.index_select(0, order[i:i + batch_size])
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast("cuda", dtype=torch.bfloat16,
                                    enabled=precision == "bfloat16"):
                    out = model(xb)
                loss = criterion(out, xb)
                loss.backward()
                optimizer.step()
                total += loss.detach() * len(xb)
        loss = float(total) / n
    _sync()
    return time.perf_counter() - start, loss


def timing(n_samples, epochs, batch_size, repeats, data):
    import numpy as np

    if data:
        from skvaeal.datasets import load_mnist

        X = load_mnist(data, return_X_y=True)[0][:n_samples].astype(np.float32)
    else:
        # Stroke-like synthetic rows in [0, 1]: the timing does not depend on the pixels.
        X = (np.random.default_rng(0).random((n_samples, 784)) ** 4).astype(np.float32)
    rows = []
    for arch in ("mlp", "conv"):
        for precision in ("float32", "bfloat16"):
            # Warm-up: CUDA context, cuDNN autotuning and kernels for both batch shapes.
            time_estimator(X[:batch_size * 2 + 7], arch, 1, batch_size, precision)
            time_plain_loop(X[:batch_size * 2 + 7], arch, 1, batch_size, precision)
            est_t, plain_t = [], []
            for _ in range(repeats):  # interleaved, medians reported
                t, est_loss = time_estimator(X, arch, epochs, batch_size, precision)
                est_t.append(t)
                t, plain_loss = time_plain_loop(X, arch, epochs, batch_size, precision)
                plain_t.append(t)
            est_m, plain_m = statistics.median(est_t), statistics.median(plain_t)
            rows.append((arch, precision, n_samples * epochs / est_m,
                         n_samples * epochs / plain_m, plain_m / est_m, est_loss, plain_loss))
    print(f"\nVAE training on CUDA: {n_samples} rows x {epochs} epochs, batch {batch_size}, "
          f"median of {repeats}")
    header = ("arch", "precision", "skvaeal rows/s", "plain rows/s", "ratio",
              "skvaeal loss", "plain loss")
    print("  ".join(f"{h:>14}" for h in header))
    for arch, precision, est_rate, plain_rate, ratio, est_loss, plain_loss in rows:
        print(f"{arch:>14}  {precision:>14}  {est_rate:14.0f}  {plain_rate:14.0f}  "
              f"{ratio:14.3f}  {est_loss:14.2f}  {plain_loss:14.2f}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", nargs="*", default=[],
                        help="wheel files or folders of wheels to import from (skorch, pytest)")
    parser.add_argument("--data", default=None,
                        help="folder of MNIST-format IDX files (default: synthetic rows)")
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--test-timeout", type=int, default=240)
    args = parser.parse_args(argv)
    for name in ("n_samples", "epochs", "batch_size", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    try:
        wheels = add_wheels(args.wheels + ([os.environ["SKVAEAL_WHEELS"]]
                                           if os.environ.get("SKVAEAL_WHEELS") else []))
    except ValueError as exc:
        parser.error(str(exc))
    require("torch", "install PyTorch")
    import torch

    if not torch.cuda.is_available():
        print(f"gpu_check: no CUDA: torch {torch.__version__} sees no CUDA device "
              f"(torch.version.cuda={torch.version.cuda}); the cuda tests and the GPU timing "
              "need one, so nothing was run.")
        return 0
    for module in ("numpy", "sklearn", "joblib"):
        require(module, "install it (torch, numpy, scikit-learn and joblib are needed)")
    require("skorch", "pass its wheel: --wheels skorch-*.whl (pip download skorch --no-deps)")
    import skorch

    print(f"gpu_check on {torch.cuda.get_device_name(0)}; torch {torch.__version__} "
          f"(CUDA {torch.version.cuda}), skorch {skorch.__version__} from "
          f"{os.path.dirname(skorch.__file__)}; Python {platform.python_version()}; "
          f"bf16 supported: {torch.cuda.is_bf16_supported()}; wheels: {len(wheels)}")
    ok = True
    if not args.skip_tests:
        if importlib.util.find_spec("pytest") is not None:
            ok, summary, seconds = run_tests_with_pytest(args.test_timeout)
        else:
            ok, summary, seconds = run_tests_without_pytest()
        print(f"cuda tests: {summary} ({seconds:.0f} s)")
    start = time.perf_counter()
    timing(args.n_samples, args.epochs, args.batch_size, args.repeats, args.data)
    print(f"timing took {time.perf_counter() - start:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
