"""MCDropoutClassifier's training loop against a hand-written torch loop on the same network.

Usage::

    python benchmarks/bench_mc_dropout_fit.py [--rows 8000] [--epochs 5] [--repeats 3]

Both train the same module (:class:`skvaeal.nn.MCDropoutMLP` 784-256-128-10, or
:class:`skvaeal.nn.MCDropoutCNN` on 28x28 images with ``--conv``) with Adam at
1e-3, batches of 64 shuffled rows, cross-entropy, for the same number of epochs
on random MNIST-sized rows; the hand loop draws its batches with
``index_select`` from one tensor and does nothing else. Prints the median (and
best) seconds of each over ``--repeats`` runs and their ratios (the bests vary
less between runs on a shared machine).
"""

import argparse

import numpy as np
import torch

from _timing import time_call
from skvaeal.bald import MCDropoutClassifier
from skvaeal.nn import MCDropoutCNN, MCDropoutMLP


def hand_loop(module, X, y, epochs, batch_size, lr):
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    module.train()
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(module(X.index_select(0, index)), y.index_select(0, index))
            loss.backward()
            optimizer.step()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--conv", action="store_true", help="the CNN instead of the MLP")
    args = parser.parse_args(argv)
    rng = np.random.RandomState(0)
    X = rng.rand(args.rows, 784).astype(np.float32)
    y = rng.randint(10, size=args.rows)
    arch = "conv" if args.conv else "mlp"

    def skvaeal_fit():
        MCDropoutClassifier(architecture=arch, max_epochs=args.epochs, batch_size=64,
                            lr=1e-3, device="cpu", random_state=0).fit(X, y)

    def torch_fit():
        torch.manual_seed(0)
        module = (MCDropoutCNN((1, 28, 28), 10) if args.conv
                  else MCDropoutMLP(784, 10, (256, 128)))
        hand_loop(module, torch.from_numpy(X), torch.from_numpy(y), args.epochs, 64, 1e-3)

    skvaeal_fit()  # warm-up: first calls pay for allocator and kernel selection
    ours = time_call(lambda _: skvaeal_fit(), args.repeats)
    theirs = time_call(lambda _: torch_fit(), args.repeats)
    print(f"{arch}, {args.rows} rows, {args.epochs} epochs, batch 64, "
          f"{torch.get_num_threads()} threads")
    print(f"MCDropoutClassifier.fit  {ours[0]:.2f} s (best {ours[1]:.2f})")
    print(f"hand-written torch loop  {theirs[0]:.2f} s (best {theirs[1]:.2f})")
    print(f"ratio                    {ours[0] / theirs[0]:.3f} (medians), "
          f"{ours[1] / theirs[1]:.3f} (bests)")


if __name__ == "__main__":
    main()
