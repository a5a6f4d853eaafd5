"""Batch iterators that slice whole tensors: one pool, or two pools in fixed shares."""

import numpy as np
import torch
from torch.utils.data import Subset

from ..utils import UNLABELED


def as_tensor(data):
    """``data`` as a tensor without a copy where possible; None stays None."""
    if data is None or isinstance(data, torch.Tensor):
        return data
    return torch.as_tensor(np.asarray(data))


def _dataset_tensors(dataset):
    """``(X, y)`` tensors of a dataset; ``y`` may be None."""
    if isinstance(dataset, Subset):
        # skorch's ValidSplit hands over Subsets of its Dataset: gather their rows once.
        X, y = _dataset_tensors(dataset.dataset)
        index = torch.as_tensor(np.asarray(dataset.indices, dtype=np.int64))
        return X.index_select(0, index), None if y is None else y.index_select(0, index)
    if hasattr(dataset, "tensors"):
        tensors = dataset.tensors
        return tensors[0], tensors[1] if len(tensors) > 1 else None
    if hasattr(dataset, "X"):
        return as_tensor(dataset.X), as_tensor(getattr(dataset, "y", None))
    raise TypeError(
        f"SliceLoader needs a skorch Dataset, a TensorDataset or a Subset of one; "
        f"got {type(dataset).__name__}."
    )


class SliceLoader:
    """Iterate over ``(X_batch, y_batch)`` by indexing whole tensors.

    skorch's default :class:`torch.utils.data.DataLoader` fetches samples one by
    one and collates them, which costs about a millisecond per batch: a tenth of
    a small VAE's epoch. Indexing the stored tensor with a batch of indices does
    the same work in one vectorised gather. Shuffling draws from torch's global
    generator, which the estimators seed inside
    :func:`skvaeal.utils.torch_rng_scope`.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch.utils.data.TensorDataset
        Must expose its arrays as ``X``/``y`` (skorch) or ``tensors``, or be a
        :class:`~torch.utils.data.Subset` of such a dataset (as skorch's
        ``ValidSplit`` makes).
    batch_size : int, default=128
    shuffle : bool, default=False
    drop_last : bool, default=False
    device : str or torch.device, default=None
        Move each batch there as it is yielded, so the net's own conversions
        are no-ops (one host-to-device copy per batch). :class:`VAENet` sets it
        to the net's device unless it is given. ``None`` leaves batches where
        the data lies.
    **kwargs
        Accepted and ignored, so DataLoader-only options such as
        ``num_workers`` can be set without breaking the net.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from skvaeal._net import SliceLoader
    >>> loader = SliceLoader(TensorDataset(torch.arange(10.0)), batch_size=4)
    >>> [len(xb) for xb, _ in loader]
    [4, 4, 2]
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, drop_last=False, device=None,
                 **kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.device = device
        self._X, self._y = _dataset_tensors(dataset)

    def __len__(self):
        n = len(self._X)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self):
        n = len(self._X)
        order = torch.randperm(n) if self.shuffle else None
        stop = n - n % self.batch_size if self.drop_last else n
        X, y, size = self._X, self._y, self.batch_size
        move = self._mover()
        for start in range(0, stop, size):
            if order is None:
                Xb, yb = X[start:start + size], None if y is None else y[start:start + size]
            else:
                # index_select is a plain row gather: for a 128 x 784 float batch it takes
                # ~30 us where advanced indexing (X[index]) takes ~150 us.
                index = order[start:start + size]
                Xb = X.index_select(0, index)
                yb = None if y is None else y.index_select(0, index)
            yield (Xb, yb) if move is None else (move(Xb), move(yb))

    def _mover(self):
        """A function moving a batch to ``device``, or None when nothing would move."""
        if self.device is None:
            return None
        device = torch.device(self.device)
        on_device = [t.device == device or (device.index is None and t.device.type == device.type)
                     for t in (self._X, self._y) if t is not None]
        if all(on_device):
            return None
        non_blocking = device.type == "cuda"
        return lambda t: None if t is None else t.to(device, non_blocking=non_blocking)


class PoolPairLoader:
    """Iterate over batches that hold unlabelled and labelled rows in fixed shares.

    Each batch concatenates ``batch_size`` unlabelled rows and
    ``min(batch_size, n_labelled)`` labelled rows. An epoch is one pass over
    the larger pool; the smaller one is cycled through fresh permutations.
    With 20 labelled rows among 8,000, a plain shuffled loader would put a
    labelled row in about one batch in three, so the discriminator would
    barely see the labelled pool; pairing the pools as the VAAL reference
    code does gives every step both.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        ``X`` rows and ``y`` targets, where ``y == -1`` marks unlabelled rows.
    batch_size : int, default=128
    shuffle : bool, default=True
        Kept for skorch's iterator interface; the pools are always shuffled.
        Shuffling draws from torch's global generator, which the estimators
        seed inside :func:`skvaeal.utils.torch_rng_scope`.
    augment : callable, default=None
        Maps a batch of rows to randomly altered rows of the same shape (e.g.
        :class:`~skvaeal.nn.RandomAffine`). When given, each batch's ``X`` is a
        dict ``{"X": rows, "X_view": augment(rows)}``: the data pipeline is
        where PyTorch applies random transforms, and a parameter of the
        iterator can change between fits of a skorch net without rebuilding
        its modules (``net.set_params(iterator_train__augment=...)``).
    **kwargs
        Accepted and ignored (e.g. DataLoader-only options).

    Examples
    --------
    >>> import torch
    >>> from skorch.dataset import Dataset
    >>> from skvaeal._net import PoolPairLoader
    >>> y = torch.tensor([0, 1] + [-1] * 8)
    >>> loader = PoolPairLoader(Dataset(torch.rand(10, 3), y), batch_size=4)
    >>> [(len(yb), int((yb == -1).sum())) for _, yb in loader]
    [(6, 4), (6, 4)]
    """

    def __init__(self, dataset, batch_size=128, shuffle=True, augment=None, **kwargs):
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.augment = augment
        X = as_tensor(dataset.X)
        y = as_tensor(dataset.y)
        if y is None:
            raise ValueError("PoolPairLoader needs y, with -1 marking unlabelled rows.")
        self._X, self._y = X, y.long()
        unlabeled = self._y == UNLABELED
        self._idx_u = torch.nonzero(unlabeled).flatten()
        self._idx_l = torch.nonzero(~unlabeled).flatten()

    def __len__(self):
        n = max(len(self._idx_u), len(self._idx_l))
        return -(-n // self.batch_size)

    @staticmethod
    def _cycle(index, n_batches, size):
        """``n_batches`` slices of ``size`` rows from fresh permutations of ``index``."""
        if len(index) == 0:
            return [index] * n_batches
        size = min(size, len(index))
        needed = n_batches * size
        n_perms = -(-needed // len(index))
        order = torch.cat([index[torch.randperm(len(index))] for _ in range(n_perms)])
        return [order[i * size:(i + 1) * size] for i in range(n_batches)]

    def __iter__(self):
        n_batches = len(self)
        if n_batches == 0:
            return
        # The larger pool is walked once (a true epoch); only the smaller one repeats.
        big, small = ((self._idx_u, self._idx_l) if len(self._idx_u) >= len(self._idx_l)
                      else (self._idx_l, self._idx_u))
        big = big[torch.randperm(len(big))]
        small_batches = self._cycle(small, n_batches, self.batch_size)
        for i in range(n_batches):
            index = torch.cat([big[i * self.batch_size:(i + 1) * self.batch_size],
                               small_batches[i]])
            Xb = self._X[index]
            if self.augment is not None:
                Xb = {"X": Xb, "X_view": self.augment(Xb)}
            yield Xb, self._y[index]
