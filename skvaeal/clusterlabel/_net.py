"""ClusterLabelNet: the skorch net of cluster-centre labelling (Vengalil & Sinha)."""

import torch
from skorch.utils import to_tensor

from .._net import VAENet
from ..nn import weighted_cross_entropy

__all__ = ["ClusterLabelNet"]


class ClusterLabelNet(VAENet):
    """A VAE with a softmax head on its code, trained with eq. 4 of Vengalil & Sinha.

    ``loss = mean_n [ e_n (-log p(x_n|z_n) + beta KL_n) ] + gamma mean_n [ w_n CE_n ]``:
    the beta-VAE loss (eq. 1) plus ``classification_weight`` (``gamma``) times
    the confidence-weighted cross-entropy of the labelled rows. Both are
    averaged over the batch, so a row of zero weight changes neither term.

    ``fit(X, y)`` takes ``y=None`` (the unsupervised warm-up: eq. 1 alone) or a
    float tensor of shape ``(n, 3)`` whose columns are the class index (``-1``
    for a row without a label), the weight ``w_n`` of its cross-entropy and the
    weight ``e_n`` of its ELBO. The estimator packs them; the weights are how
    it trusts propagated labels less than the annotator's own.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns ``(x_hat, mu, logvar, logits)``, e.g.
        :class:`~skvaeal.nn.VAEClassifierModule`.
    classification_weight : float, default=1.0
        ``gamma`` of eq. 4.
    **kwargs
        Everything :class:`~skvaeal._net.VAENet` accepts.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.clusterlabel import ClusterLabelNet
    >>> from skvaeal.nn import LatentClassifier, MLPDecoder, MLPEncoder, VAEClassifierModule
    >>> net = ClusterLabelNet(VAEClassifierModule, module__encoder=MLPEncoder(4, 2),
    ...                       module__decoder=MLPDecoder(2, 4),
    ...                       module__classifier=LatentClassifier(2, 2, ()),
    ...                       max_epochs=1, verbose=0)
    >>> y = torch.tensor([[0, 1.0, 1.0], [1, 0.5, 1.0]] + [[-1, 0.0, 1.0]] * 6)
    >>> net = net.fit(torch.rand(8, 4), y)
    >>> net.predict_proba(torch.rand(3, 4)).shape
    (3, 2)
    """

    def __init__(self, module, *args, classification_weight=1.0, **kwargs):
        self.classification_weight = classification_weight
        super().__init__(module, *args, **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        X = to_tensor(X, device=self.device).float()
        x_hat, mu, logvar, logits = y_pred
        nll, kl = self.criterion_.per_sample((x_hat, mu, logvar), X)
        elbo = nll + self.criterion_.beta * kl
        if y_true is None:
            return elbo.mean()
        y_true = to_tensor(y_true, device=self.device).float()
        target, ce_weight, elbo_weight = y_true[:, 0].long(), y_true[:, 1], y_true[:, 2]
        ce = weighted_cross_entropy(logits, target, ce_weight)
        return (elbo * elbo_weight).mean() + self.classification_weight * ce.mean()

    def predict_proba(self, X):
        """Class probabilities ``p(y | mu(x))`` as a float32 array."""
        def fn(xb):
            module = self.module_
            return torch.softmax(module.classify(module.encode(xb)[0]).float(), dim=1)

        return self._map_batches(fn, X)
