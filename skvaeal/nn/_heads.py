"""Heads on the latent code: the labelled/unlabelled discriminator and the classifier."""

from torch import nn

from ._mlp import mlp_layers


class LatentDiscriminator(nn.Module):
    """MLP ``S(z)`` giving the logit that a code comes from the labelled pool.

    VAAL (Sinha et al., 2019) and adversarial semi-supervised active learning
    (ASSAL, an anonymous preprint under review) train this network to tell
    the codes of labelled rows (target 1) from those of unlabelled rows
    (target 0); a low ``sigmoid(S(z))`` marks a
    row unlike anything labelled so far, the rows those methods query.

    Parameters
    ----------
    latent_dim : int
        Dimension of the code ``z``.
    hidden_dims : sequence of int, default=(512, 512)
        Widths of the ReLU hidden layers (the reference code uses 512, 512).

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import LatentDiscriminator
    >>> LatentDiscriminator(8)(torch.zeros(5, 8)).shape
    torch.Size([5])
    """

    def __init__(self, latent_dim, hidden_dims=(512, 512)):
        super().__init__()
        sizes = (latent_dim, *tuple(hidden_dims))
        self.body = nn.Sequential(*mlp_layers(sizes), nn.Linear(sizes[-1], 1))

    def forward(self, z):
        # Logits, not probabilities: BCE-with-logits is stable where sigmoid saturates.
        return self.body(z).squeeze(-1)


class LatentClassifier(nn.Module):
    """Classifier head ``p(y|z)`` on the latent code: returns class logits.

    Parameters
    ----------
    latent_dim : int
    n_classes : int
    hidden_dims : sequence of int, default=(128,)
        Widths of the ReLU hidden layers; ``()`` gives a linear softmax head.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import LatentClassifier
    >>> LatentClassifier(8, 3)(torch.zeros(5, 8)).shape
    torch.Size([5, 3])
    """

    def __init__(self, latent_dim, n_classes, hidden_dims=(128,)):
        super().__init__()
        sizes = (latent_dim, *tuple(hidden_dims))
        self.body = nn.Sequential(*mlp_layers(sizes), nn.Linear(sizes[-1], n_classes))

    def forward(self, z):
        return self.body(z)
