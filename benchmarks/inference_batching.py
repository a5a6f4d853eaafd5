"""Cost of batch-invariant inference: VAETransformer.transform against plain PyTorch.

``VAENet`` runs every inference batch at exactly ``batch_size`` rows, padding
the last one, so that a row's code is the same bits whatever else is in its
batch (CPU kernels pick their algorithm by the batch size). This script times
``transform`` on pools of several sizes against a hand-written loop that feeds
the same fitted encoder unpadded slices of the same batch size under
``torch.inference_mode`` (the fastest way to get the same numbers without
invariance), for the MLP VAE and the paper's convolutional VAE on MNIST rows,
and checks that the padded codes of one row alone equal its codes in the pool.
Medians over ``--repeats`` interleaved runs.

Usage::

    python benchmarks/inference_batching.py --data /path/to/mnist-idx-dir
    python benchmarks/inference_batching.py            # sklearn digits, upsampled to 16x16
"""

import argparse

import numpy as np
import torch
from _timing import time_call

from skvaeal import VAETransformer


def load_rows(directory, n_rows):
    if directory is None:
        from sklearn.datasets import load_digits

        X = load_digits().data / 16.0
        X = np.repeat(np.repeat(X.reshape(-1, 8, 8), 2, axis=1), 2, axis=2).reshape(len(X), -1)
    else:
        from skvaeal.datasets import load_mnist

        X = load_mnist(directory, return_X_y=True)[0]
    reps = -(-n_rows // len(X))
    return np.ascontiguousarray(np.tile(X, (reps, 1))[:n_rows], dtype=np.float32)


def plain_encode(vae, X):
    """The same encoder, unpadded slices of batch_size rows, no validation."""
    module, size = vae.net_.module_, vae.batch_size
    out = []
    with torch.inference_mode():
        for start in range(0, len(X), size):
            out.append(module.encode(torch.from_numpy(X[start:start + size]))[0].numpy())
    return np.concatenate(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="folder of MNIST-format IDX files (default: sklearn digits)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000, 10000])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)

    X = load_rows(args.data, max(args.sizes))
    side = int(np.sqrt(X.shape[1]))
    print(f"{X.shape[1]} features ({side}x{side} images), torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"{'architecture':>12} {'rows':>7} {'transform ms':>13} {'plain ms':>9} {'ratio':>6}"
          f"  {'row alone == row in pool':>24}")
    for arch in ("mlp", "conv"):
        vae = VAETransformer(8, architecture=arch, max_epochs=1, random_state=0).fit(X[:2000])
        full = vae.transform(X[:max(args.sizes)])
        alone = np.stack([vae.transform(X[i:i + 1])[0] for i in (0, 17, 129)])
        exact = bool(np.array_equal(alone, full[[0, 17, 129]]))
        for n in args.sizes:
            rows = X[:n]
            vae.transform(rows)  # warm-up: kernels for this shape exist before timing
            plain_encode(vae, rows)
            ours = time_call(lambda _: vae.transform(rows), args.repeats)[0]
            plain = time_call(lambda _: plain_encode(vae, rows), args.repeats)[0]
            print(f"{arch:>12} {n:>7} {1e3 * ours:>13.3f} {1e3 * plain:>9.3f} "
                  f"{ours / plain:>6.2f}  {str(exact):>24}")


if __name__ == "__main__":
    main()
