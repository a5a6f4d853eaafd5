"""Training throughput of VAETransformer against a plain PyTorch loop.

For the paper's convolutional VAE and for the MLP VAE this trains the same
modules (built the same way from :mod:`skvaeal.nn`) on the same MNIST rows,
once through :meth:`skvaeal.VAETransformer.fit` (a skorch net with its history
and callbacks) and once with a hand-written loop (RMSprop, same learning rate
and batch size, a fresh shuffle every epoch, the same fast ``index_select`` row
gather as :class:`~skvaeal._net.SliceLoader`, :class:`~skvaeal.nn.ELBOLoss`),
and prints samples per second for both and their ratio. Both are seeded alike,
so their final training losses should agree, which checks that they did the
same work.

It also reports the conv VAE's achieved GFLOP/s (FLOPs of one training step
counted by :class:`torch.utils.flop_counter.FlopCounterMode`, forward plus
backward, times the measured steps per second) against the peak of large
square matmuls measured on this machine, and the opt-in speed settings
``precision="bfloat16"`` and ``channels_last=True`` (alone and combined) with
their speed-up over float32 and, for bfloat16, the final training loss.

Each contender and setting first gets an untimed warm-up fit over one full
batch plus the ragged last batch, so the oneDNN kernels for both batch shapes
exist before anything is timed. The contenders are then interleaved and
repeated and the medians reported, because a shared machine makes single
timings noisy; the "noise" column shows how noisy. Timings cover the whole
``fit`` call (input validation, module construction, all epochs) and, for the
plain loop, module and optimizer construction plus all epochs. The thread
count is left at torch's default.

Usage::

    python benchmarks/bench_vae_fit.py --data /path/to/mnist-idx-dir
    python benchmarks/bench_vae_fit.py --data /path/to/mnist-idx-dir --quick
"""

import argparse
import platform
import statistics
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from skvaeal import VAETransformer
from skvaeal.datasets import load_mnist
from skvaeal.nn import (ConvDecoder, ConvEncoder, ELBOLoss, MLPDecoder, MLPEncoder,
                        VAEModule)
from skvaeal.utils import torch_rng_scope

IMAGE_SHAPE = (1, 28, 28)
LATENT_DIM = 8  # VAETransformer's default
MLP_HIDDEN = (256, 128)  # VAETransformer's default
CONV_HIDDEN = 128  # VAETransformer's default
LR = 1e-3  # VAETransformer's default
SEED = 0


# --------------------------------------------------------------------------- data
def load_rows(directory, n_samples):
    """The first ``n_samples`` MNIST test images as float32 rows in [0, 1]."""
    X = load_mnist(directory, return_X_y=True)[0]
    if n_samples > len(X):
        raise SystemExit(f"--n-samples={n_samples} but {directory} holds {len(X)} images.")
    return np.ascontiguousarray(X[:n_samples], dtype=np.float32)


def warmup_rows(X, batch_size):
    """A full batch plus the ragged last batch of ``X``: both kernel shapes, few steps."""
    n = len(X)
    return X[:min(n, batch_size + n % batch_size)]


# ------------------------------------------------------------------- contenders
def make_estimator(arch, epochs, batch_size, precision="float32", channels_last=False):
    return VAETransformer(
        latent_dim=LATENT_DIM, architecture=arch,
        input_shape=IMAGE_SHAPE if arch == "conv" else None,
        max_epochs=epochs, batch_size=batch_size, lr=LR, optimizer="rmsprop",
        precision=precision, channels_last=channels_last, device="cpu",
        random_state=SEED, verbose=0,
    )


class Clock:
    """Wall-clock (``perf_counter``) and process CPU seconds of a block."""

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def fit_estimator(X, arch, epochs, batch_size, precision="float32", channels_last=False):
    """Return ``(Clock, final training loss)`` of one ``VAETransformer.fit``."""
    est = make_estimator(arch, epochs, batch_size, precision, channels_last)
    with Clock() as clock:
        est.fit(X)
    return clock, est.loss_curve_[-1]


def build_modules(arch, n_features, channels_last=False):
    """The encoder/decoder pair VAETransformer builds, constructed the same way."""
    if arch == "conv":
        return (ConvEncoder(IMAGE_SHAPE, LATENT_DIM, hidden_dim=CONV_HIDDEN,
                            channels_last=channels_last),
                ConvDecoder(LATENT_DIM, IMAGE_SHAPE, hidden_dim=CONV_HIDDEN,
                            channels_last=channels_last))
    return (MLPEncoder(n_features, LATENT_DIM, MLP_HIDDEN),
            MLPDecoder(LATENT_DIM, n_features, MLP_HIDDEN[::-1]))


def plain_loop(X, arch, epochs, batch_size):
    """Return ``(Clock, final training loss)`` of a hand-written training loop."""
    with Clock() as clock, torch_rng_scope(SEED):
        encoder, decoder = build_modules(arch, X.shape[1])
        model = VAEModule(encoder, decoder)
        criterion = ELBOLoss(beta=1.0, likelihood="bernoulli")
        optimizer = torch.optim.RMSprop(model.parameters(), lr=LR)
        model.train()
        n = len(X)
        for _ in range(epochs):
            order = torch.randperm(n)
            total = 0.0
            for i in range(0, n, batch_size):
                # The fast row gather (X[index] would take ~5x longer on a 784-wide batch),
                # so the comparison measures framework overhead alone.
                xb = X.index_select(0, order[i:i + batch_size])
                optimizer.zero_grad()
                loss = criterion(model(xb), xb)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(xb)
    return clock, total / n


# ------------------------------------------------------------------------ FLOPs
def flops_per_sample(arch, n_features, batch_size=8, channels_last=False):
    """FLOPs of one forward+backward training step divided by the batch size.

    Every counted operation (convolutions, matmuls) scales linearly with the
    batch, so a small batch gives the per-sample count of any batch size.
    """
    with torch_rng_scope(SEED):
        encoder, decoder = build_modules(arch, n_features, channels_last)
        model = VAEModule(encoder, decoder).train()
        xb = torch.rand(batch_size, n_features)
        counter = FlopCounterMode(display=False)
        with counter:
            loss = ELBOLoss()(model(xb), xb)
            loss.backward()
    return counter.get_total_flops() / batch_size


def matmul_peak(dtype, size, repeats):
    """Best GFLOP/s of ``size x size`` matmuls in ``dtype`` (a practical peak)."""
    gen = torch.Generator().manual_seed(SEED)
    a = torch.randn(size, size, generator=gen).to(dtype)
    b = torch.randn(size, size, generator=gen).to(dtype)
    out = torch.empty(size, size, dtype=dtype)
    torch.matmul(a, b, out=out)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


# -------------------------------------------------------------------- reporting
def median(values):
    return statistics.median(values)


def spread(values):
    """Relative half-range of a list of timings, as a noise indicator."""
    if len(values) < 2:
        return 0.0
    return (max(values) - min(values)) / (2 * median(values))


def print_table(title, header, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}")
    print(line)
    print("  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w)
                    for i, (h, w) in enumerate(zip(header, widths))))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
    print(line)


def compare(X, arch, epochs, batch_size, repeats):
    """Interleaved timings of VAETransformer.fit and the plain loop."""
    Xt = torch.from_numpy(X)
    warm = warmup_rows(X, batch_size)
    fit_estimator(warm, arch, 1, batch_size)
    plain_loop(torch.from_numpy(warm), arch, 1, batch_size)
    est_t, plain_t, est_cpu, plain_cpu = [], [], [], []
    for r in range(repeats):
        # Alternate who goes first so slow drifts in machine load hit both alike.
        order = ("est", "plain") if r % 2 == 0 else ("plain", "est")
        for who in order:
            if who == "est":
                clock, est_loss = fit_estimator(X, arch, epochs, batch_size)
                est_t.append(clock.wall)
                est_cpu.append(clock.cpu)
            else:
                clock, plain_loss = plain_loop(Xt, arch, epochs, batch_size)
                plain_t.append(clock.wall)
                plain_cpu.append(clock.cpu)
    samples = len(X) * epochs
    return {
        "est_sps": samples / median(est_t), "plain_sps": samples / median(plain_t),
        "est_t": est_t, "plain_t": plain_t, "est_loss": est_loss, "plain_loss": plain_loss,
        "cpu_ratio": median(plain_cpu) / median(est_cpu),
        "best_ratio": min(plain_t) / min(est_t),
    }


def opt_in(X, epochs, batch_size, repeats, baseline):
    """Conv VAETransformer under the opt-in speed settings, interleaved."""
    configs = [("float32", False), ("bfloat16", False), ("float32", True), ("bfloat16", True)]
    warm = warmup_rows(X, batch_size)
    for precision, channels_last in configs[1:]:
        fit_estimator(warm, "conv", 1, batch_size, precision, channels_last)
    times = {c: [] for c in configs}
    losses = {}
    times[configs[0]] = list(baseline["est_t"])
    losses[configs[0]] = baseline["est_loss"]
    for r in range(repeats):
        run = configs[1:] if r % 2 == 0 else configs[:0:-1]
        for config in run:
            clock, losses[config] = fit_estimator(X, "conv", epochs, batch_size, *config)
            times[config].append(clock.wall)
    return times, losses


def profile_conv(X, batch_size, steps=20, channels_last=False, precision="float32"):
    """Where a conv training step's time goes: torch.profiler's top operators by self CPU
    time, over ``steps`` steps of the plain loop's modules (after 3 untimed steps)."""
    from torch.profiler import ProfilerActivity, profile

    with torch_rng_scope(SEED):
        encoder, decoder = build_modules("conv", X.shape[1], channels_last)
        model = VAEModule(encoder, decoder).train()
        criterion = ELBOLoss(beta=1.0, likelihood="bernoulli")
        optimizer = torch.optim.RMSprop(model.parameters(), lr=LR)
        Xt = torch.from_numpy(X[:batch_size])

        def step():
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bfloat16"):
                out = model(Xt)
            loss = criterion(out, Xt)
            loss.backward()
            optimizer.step()

        for _ in range(3):
            step()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            start = time.perf_counter()
            for _ in range(steps):
                step()
            seconds = (time.perf_counter() - start) / steps
    print(f"\nconv VAE step profile ({precision}, channels_last={channels_last}, batch "
          f"{batch_size}): {1e3 * seconds:.1f} ms per step (under the profiler)")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=14,
                                    max_name_column_width=40))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True,
                        help="directory holding MNIST IDX files (t10k-images-idx3-ubyte[.gz])")
    parser.add_argument("--n-samples", type=int, default=4000,
                        help="MNIST rows for the MLP VAE (default 4000)")
    parser.add_argument("--conv-samples", type=int, default=512,
                        help="rows for the conv VAE, whose step costs ~100x the MLP's "
                             "(default 512, capped at --n-samples)")
    parser.add_argument("--epochs", type=int, default=2,
                        help="timed epochs per fit (default 2)")
    parser.add_argument("--conv-epochs", type=int, default=2,
                        help="timed epochs per conv fit (default 2: with the default "
                             "RMSprop lr the conv VAE's first epoch has a loss spike, so "
                             "the loss comparison needs a second one)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed repeats of each conv contender; the MLP gets 3x as "
                             "many (default 3)")
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--profile", action="store_true",
                        help="only profile the conv VAE's training step (torch.profiler): "
                             "its top operators, float32 and bfloat16, channels-first and -last")
    parser.add_argument("--quick", action="store_true",
                        help="a ~20 s smoke run (tiny sizes; numbers are not meaningful)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.conv_samples = 1000, 64
        args.epochs, args.conv_epochs, args.repeats = 1, 1, 1
        args.matmul_size = 1024
    conv_samples = min(args.conv_samples, args.n_samples)
    B = args.batch_size

    X = load_rows(args.data, args.n_samples)
    Xc = X[:conv_samples]
    if args.profile:
        for precision in ("float32", "bfloat16"):
            for channels_last in (False, True):
                profile_conv(X, B, channels_last=channels_last, precision=precision)
        return 0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{platform.processor() or platform.machine()}, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print(f"batch size {B}, lr {LR}, RMSprop, latent_dim {LATENT_DIM}, seed {SEED}; "
          f"MLP: {len(X)} rows x {args.epochs} epochs x {3 * args.repeats} repeats; "
          f"conv: {len(Xc)} rows x {args.conv_epochs} epochs x {args.repeats} repeats")

    t_start = time.perf_counter()

    def progress(what):
        print(f"  ... {what} done ({time.perf_counter() - t_start:.0f} s)", flush=True)

    mlp = compare(X, "mlp", args.epochs, B, 3 * args.repeats)
    progress("MLP VAE: VAETransformer vs plain loop")
    conv = compare(Xc, "conv", args.conv_epochs, B, args.repeats)
    progress("conv VAE: VAETransformer vs plain loop")
    times, losses = opt_in(Xc, args.conv_epochs, B, args.repeats, conv)
    progress("conv VAE: opt-in settings")

    rows = []
    for name, res in (("MLP VAE", mlp), ("conv VAE", conv)):
        rows.append([name, f"{res['est_sps']:.0f}", f"{res['plain_sps']:.0f}",
                     f"{res['est_sps'] / res['plain_sps']:.3f}", f"{res['best_ratio']:.3f}",
                     f"{res['cpu_ratio']:.3f}",
                     f"+-{100 * max(spread(res['est_t']), spread(res['plain_t'])):.0f}%",
                     f"{res['est_loss']:.3f}", f"{res['plain_loss']:.3f}"])
    print_table("Training throughput, float32 (samples/s, median; ratio = VAETransformer / "
                "plain loop, target >= 0.95)",
                ["model", "VAETransformer", "plain loop", "ratio", "best-of ratio",
                 "CPU-time ratio", "noise", "loss (VAET)", "loss (plain)"], rows)
    print("best-of ratio: from each contender's fastest run (least disturbed by other load); "
          "CPU-time ratio: from median process CPU seconds; noise: half the range of a "
          "contender's timings over its median")

    # GFLOP/s against the measured matmul peak.
    fps = flops_per_sample("conv", X.shape[1])
    peaks = {dt: matmul_peak(dt, args.matmul_size, 5) for dt in (torch.float32, torch.bfloat16)}
    samples = len(Xc) * args.conv_epochs
    rows = []
    for label, config, peak_dtype in (
            ("VAETransformer float32", ("float32", False), torch.float32),
            ("plain loop float32", None, torch.float32),
            ("VAETransformer bfloat16", ("bfloat16", False), torch.bfloat16),
            ("VAETransformer bf16+channels_last", ("bfloat16", True), torch.bfloat16)):
        sps = (conv["plain_sps"] if config is None else samples / median(times[config]))
        gflops = fps * sps / 1e9
        peak = peaks[peak_dtype]
        rows.append([label, f"{sps:.1f}", f"{gflops:.1f}",
                     f"{peak:.1f} ({str(peak_dtype).split('.')[-1]})",
                     f"{100 * gflops / peak:.1f}%"])
    print(f"\nconv VAE: {fps * B / 1e9:.2f} GFLOP per training step of {B} rows "
          f"(FlopCounterMode, forward+backward; optimizer and elementwise ops not counted)")
    print_table("Conv VAE arithmetic throughput vs. measured matmul peak",
                ["run", "samples/s", "GFLOP/s", f"peak GFLOP/s ({args.matmul_size}^2 matmul)",
                 "% of peak"], rows)

    base = median(times[("float32", False)])
    base_best = min(times[("float32", False)])
    rows = []
    for (precision, channels_last), ts in times.items():
        label = precision + (" + channels_last" if channels_last else "")
        rows.append([label, f"{samples / median(ts):.1f}", f"{base / median(ts):.2f}x",
                     f"{base_best / min(ts):.2f}x", f"+-{100 * spread(ts):.0f}%",
                     f"{losses[(precision, channels_last)]:.3f}",
                     f"{losses[(precision, channels_last)] - losses[('float32', False)]:+.3f}"])
    print_table(f"Conv VAETransformer opt-in settings ({args.conv_epochs} epoch(s), "
                f"{len(Xc)} rows)",
                ["setting", "samples/s", "speed-up", "best-of speed-up", "noise",
                 "final train loss", "vs float32"], rows)
    print(f"\ntotal benchmark time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
