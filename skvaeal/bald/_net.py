"""MCDropoutNet: the skorch net of MCDropoutClassifier."""

import numpy as np
import torch
from skorch.utils import to_tensor

from .._net import BatchedNet


class MCDropoutNet(BatchedNet):
    """A classifier net trained with cross-entropy, with Monte Carlo dropout inference.

    The module (:class:`~skvaeal.nn.MCDropoutMLP` or
    :class:`~skvaeal.nn.MCDropoutCNN`) returns logits; training uses ordinary
    dropout. :meth:`proba_samples` runs the T stochastic passes with given
    masks, shared by every row.

    Parameters
    ----------
    module : torch.nn.Module class or instance
    criterion : class or instance, default=torch.nn.CrossEntropyLoss
    **kwargs
        Everything :class:`~skvaeal._net.BatchedNet` accepts.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.bald._net import MCDropoutNet
    >>> from skvaeal.nn import MCDropoutMLP
    >>> net = MCDropoutNet(MCDropoutMLP, module__n_features=4, module__n_classes=2,
    ...                    module__hidden_dims=(8,), max_epochs=1, train_split=None,
    ...                    verbose=0).fit(torch.rand(16, 4), torch.randint(2, (16,)))
    >>> masks = net.module_.sample_masks(3, torch.Generator().manual_seed(0))
    >>> net.proba_samples(torch.rand(5, 4), masks).shape
    (3, 5, 2)
    """

    def __init__(self, module, *args, criterion=torch.nn.CrossEntropyLoss, **kwargs):
        super().__init__(module, *args, criterion=criterion, **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        return self.criterion_(y_pred.float(), y_true.long())

    def proba_samples(self, X, masks):
        """Class probabilities of the T passes, ``(T, n_samples, n_classes)`` float32.

        ``masks`` come from the module's ``sample_masks``; the j-th pass uses
        the j-th mask of every dropout layer for all rows, so a row's samples
        do not depend on the other rows (batch-invariant, as :meth:`_map_batches`
        requires).
        """
        masks = [m.to(self.device) for m in masks]

        def fn(xb):
            proba = torch.softmax(self.module_(xb, masks).float(), dim=-1)
            return proba.transpose(0, 1)  # rows first, as _map_batches slices them

        return np.ascontiguousarray(self._map_batches(fn, X).transpose(1, 0, 2))

    def proba_mean(self, X, masks):
        """Mean class probabilities over the T passes, ``(n_samples, n_classes)`` float64.

        Reduced batch by batch (in float64, as ``proba_samples(X, masks).mean(0)``
        would be), so only one batch's T passes are held at a time.
        """
        masks = [m.to(self.device) for m in masks]

        def fn(xb):
            return torch.softmax(self.module_(xb, masks).float(), dim=-1).double().mean(dim=0)

        return self._map_batches(fn, X, dtype=np.float64)
