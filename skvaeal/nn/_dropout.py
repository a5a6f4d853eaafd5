"""Classifiers with dropout whose stochastic passes can share their masks across rows.

Monte Carlo dropout (Gal & Ghahramani, 2016) reads a network trained with
dropout as an approximate Bayesian one: each dropout mask is a draw of the
weights, and T masks give T predictive distributions per row. BALD (Houlsby
et al., 2011; Gal et al., 2017) needs those T draws per row; BatchBALD (Kirsch
et al., 2019) needs more: the j-th draw must be the *same* weights for every
row, or the joint predictive of a batch mixes unrelated networks. The modules
here therefore take explicit masks of shape ``(T, 1, width)``, broadcast over
the rows of a batch (the "consistent" MC dropout of Kirsch et al.'s code).

Only the dense layers are dropped: the trunk (an MLP's first layer, a CNN's
convolutions and first dense layer) runs once per row whatever T is, so the T
passes cost a few small matrix products instead of T forward passes.
"""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["MCDropoutCNN", "MCDropoutMLP"]


class _MCDropoutBase(nn.Module):
    """A deterministic ``trunk`` then dropout before each of ``layers`` (ReLU between).

    ``forward(x)`` trains with ordinary dropout (a fresh mask per row) and
    evaluates without it; ``forward(x, masks)`` returns ``(T, n, n_classes)``
    logits, the j-th of them with ``masks[i][j]`` dropping the input of layer i.
    """

    def __init__(self, trunk, layers, dropout):
        super().__init__()
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
        self.trunk = trunk
        self.layers = nn.ModuleList(layers)
        self.dropout = float(dropout)

    @property
    def mask_widths(self):
        """Widths of the inputs that dropout acts on, one per entry of ``layers``."""
        return [layer.in_features for layer in self.layers]

    def sample_masks(self, n_samples, generator=None):
        """``n_samples`` scaled keep-masks per dropout layer, each ``(n_samples, 1, width)``.

        Drawn on the CPU from ``generator``, so the same generator state gives
        the same masks on every device; move them with ``.to(device)``.
        """
        keep = 1.0 - self.dropout
        return [(torch.rand(n_samples, 1, width, generator=generator) < keep).float() / keep
                for width in self.mask_widths]

    def forward(self, x, masks=None):
        h = self.trunk(x)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            if masks is None:
                h = F.dropout(h, self.dropout, self.training)
            else:
                # (T, 1, w) * (n, w) or (T, n, w) -> (T, n, w): one mask per draw, all rows.
                h = h * masks[i].to(dtype=h.dtype)
            h = layer(h)
            if i < last:
                h = F.relu(h)
        return h


class MCDropoutMLP(_MCDropoutBase):
    """ReLU MLP classifier with dropout before every layer after the first.

    Parameters
    ----------
    n_features : int
    n_classes : int
    hidden_dims : sequence of int, default=(256, 128)
        At least one width.
    dropout : float in [0, 1), default=0.5

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import MCDropoutMLP
    >>> module = MCDropoutMLP(6, 3, hidden_dims=(8,)).eval()
    >>> masks = module.sample_masks(5, torch.Generator().manual_seed(0))
    >>> tuple(module(torch.zeros(4, 6), masks).shape), tuple(module(torch.zeros(4, 6)).shape)
    ((5, 4, 3), (4, 3))
    """

    def __init__(self, n_features, n_classes, hidden_dims=(256, 128), dropout=0.5):
        hidden_dims = tuple(int(h) for h in hidden_dims)
        if not hidden_dims:
            raise ValueError("hidden_dims must hold at least one width for MC dropout.")
        trunk = nn.Sequential(nn.Linear(n_features, hidden_dims[0]), nn.ReLU())
        sizes = (*hidden_dims, n_classes)
        layers = [nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        super().__init__(trunk, layers, dropout)


class MCDropoutCNN(_MCDropoutBase):
    """Small CNN classifier for images given as flat rows, with MC dropout on its dense layer.

    Two 3x3 convolutions (32 and 64 filters, ReLU, 2x2 max-pooling after each),
    a dense ReLU layer and the output layer, dropout before the output: the
    model of Gal et al. (2017) for MNIST, except that their 25% dropout on the
    pooled features is left out, so the convolutions run once per row for any
    number of MC passes.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)``.
    n_classes : int
    hidden_dim : int, default=128
    dropout : float in [0, 1), default=0.5
    filters : tuple of int, default=(32, 64)

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import MCDropoutCNN
    >>> MCDropoutCNN((1, 8, 8), 3).eval()(torch.zeros(2, 64)).shape
    torch.Size([2, 3])
    """

    def __init__(self, input_shape, n_classes, hidden_dim=128, dropout=0.5, filters=(32, 64)):
        self.input_shape = tuple(int(s) for s in input_shape)
        channels, height, width = self.input_shape
        convs = []
        for c_in, c_out in zip((channels, *filters[:-1]), filters):
            convs += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            height, width = height // 2, width // 2
        if height < 1 or width < 1:
            raise ValueError(f"input_shape={input_shape!r} is too small for {len(filters)} "
                             "poolings of 2x2; use the MLP.")
        trunk = nn.Sequential(nn.Unflatten(1, self.input_shape), *convs, nn.Flatten(),
                              nn.Linear(filters[-1] * height * width, hidden_dim), nn.ReLU())
        super().__init__(trunk, [nn.Linear(hidden_dim, n_classes)], dropout)
