"""VAALNet: the VAE and latent discriminator of VAAL (Sinha et al., 2019)."""

from .._net import AdversarialVAENet

__all__ = ["VAALNet"]


class VAALNet(AdversarialVAENet):
    """A VAE trained against a latent discriminator, as in VAAL (Sinha et al., 2019).

    ``fit(X, y)`` takes rows and a target where ``-1`` marks unlabelled rows
    (any other value: labelled). Each training step makes ``n_vae_steps``
    updates of the VAE with

    ``loss_VAE = ELBO / n_features + adversarial_weight * L_adv``,
    ``L_adv = BCE(S(mu_L), 1) + BCE(S(mu_U), 1)`` (eq. 2 of Mottaghi & Yeung, 2019)

    and one update of the discriminator ``S`` (see
    :class:`~skvaeal._net.AdversarialVAENet`). The ELBO is divided by the
    number of features, as the reference code's mean-reduced reconstruction
    loss is, so that ``adversarial_weight=1`` means what it means there.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        A VAE such as :class:`~skvaeal.nn.VAEModule`.
    discriminator : torch.nn.Module class or instance
        Maps codes ``(n, d)`` to logits ``(n,)``, e.g.
        :class:`~skvaeal.nn.LatentDiscriminator` with
        ``discriminator__latent_dim`` and ``discriminator__hidden_dims``.
    **kwargs
        Everything :class:`~skvaeal._net.AdversarialVAENet` accepts:
        ``adversarial_weight``, ``n_vae_steps`` (2 in the reference code),
        ``lr_discriminator`` and skorch's parameters.

    Examples
    --------
    >>> import torch
    >>> from skvaeal.nn import LatentDiscriminator, MLPDecoder, MLPEncoder, VAEModule
    >>> from skvaeal.vaal import VAALNet
    >>> net = VAALNet(VAEModule, module__encoder=MLPEncoder(4, 2),
    ...               module__decoder=MLPDecoder(2, 4), discriminator=LatentDiscriminator,
    ...               discriminator__latent_dim=2, discriminator__hidden_dims=(8,),
    ...               max_epochs=1, verbose=0)
    >>> y = torch.tensor([0] * 4 + [-1] * 12)
    >>> net = net.fit(torch.rand(16, 4), y)
    >>> net.predict_labeled_proba(torch.rand(3, 4)).shape
    (3,)
    """

    # VAAL's loss is the adversarial base's own: this class names the method's net and
    # documents its equations; nothing is overridden.
