"""A batch iterator that slices whole tensors."""

import numpy as np
import torch


def _as_tensor(data):
    if data is None or isinstance(data, torch.Tensor):
        return data
    return torch.as_tensor(np.asarray(data))


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
        Must expose its arrays as ``X``/``y`` (skorch) or ``tensors``.
    batch_size : int, default=128
    shuffle : bool, default=False
    drop_last : bool, default=False
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

    def __init__(self, dataset, batch_size=128, shuffle=False, drop_last=False, **kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        if hasattr(dataset, "tensors"):
            self._X = dataset.tensors[0]
            self._y = dataset.tensors[1] if len(dataset.tensors) > 1 else None
        else:
            self._X = _as_tensor(dataset.X)
            self._y = _as_tensor(getattr(dataset, "y", None))

    def __len__(self):
        n = len(self._X)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self):
        n = len(self._X)
        order = torch.randperm(n) if self.shuffle else None
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            index = (order[start:start + self.batch_size] if order is not None
                     else slice(start, start + self.batch_size))
            yield self._X[index], None if self._y is None else self._y[index]
