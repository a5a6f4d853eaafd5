"""Pure torch building blocks: shapes, loss values and properties."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skvaeal.nn import (ConvDecoder, ConvEncoder, ELBOLoss, MLPDecoder, MLPEncoder, RandomAffine,
                        VAEModule, gaussian_kl, reconstruction_nll, reparameterize)
from skvaeal.utils import torch_rng_scope


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 8, 8), (3, 7, 9), (2, 5, 6), (1, 1, 1)])
def test_conv_vae_round_trips_any_image_shape(shape):
    n_features = math.prod(shape)
    with torch_rng_scope(0):
        vae = VAEModule(ConvEncoder(shape, 3), ConvDecoder(3, shape)).eval()
    x_hat, mu, logvar = vae(torch.rand(4, n_features, generator=torch.Generator().manual_seed(0)))
    assert x_hat.shape == (4, n_features) and mu.shape == (4, 3) and logvar.shape == (4, 3)


def test_conv_encoder_follows_the_paper():
    with torch_rng_scope(0):
        enc = ConvEncoder((1, 28, 28), 3)
    convs = [m for m in enc.convs if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 64, 64]
    assert all(c.kernel_size == (3, 3) for c in convs)
    assert [c.stride[0] for c in convs].count(2) == 1


def test_channels_last_gives_the_same_outputs():
    x = torch.rand(5, 64, generator=torch.Generator().manual_seed(0))
    with torch_rng_scope(0):
        plain = VAEModule(ConvEncoder((1, 8, 8), 2), ConvDecoder(2, (1, 8, 8))).eval()
    with torch_rng_scope(0):
        fast = VAEModule(ConvEncoder((1, 8, 8), 2, channels_last=True),
                         ConvDecoder(2, (1, 8, 8), channels_last=True)).eval()
    for a, b in zip(plain(x), fast(x)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_mlp_shapes_and_empty_hidden_layers():
    with torch_rng_scope(0):
        enc, dec = MLPEncoder(10, 2, hidden_dims=()), MLPDecoder(2, 10, hidden_dims=())
    mu, logvar = enc(torch.zeros(3, 10))
    assert mu.shape == (3, 2) and dec(mu).shape == (3, 10)


def test_eval_mode_is_deterministic_train_mode_samples():
    with torch_rng_scope(0):
        vae = VAEModule(MLPEncoder(6, 2), MLPDecoder(2, 6))
        x = torch.rand(8, 6)
        vae.eval()
        assert torch.equal(vae(x)[0], vae(x)[0])
        vae.train()
        assert not torch.equal(vae(x)[0], vae(x)[0])


def test_reparameterize_moments():
    with torch_rng_scope(0):
        mu = torch.full((20000, 1), 2.0)
        z = reparameterize(mu, torch.full_like(mu, math.log(0.25)))
    assert z.mean().item() == pytest.approx(2.0, abs=0.02)
    assert z.std().item() == pytest.approx(0.5, abs=0.02)


def test_losses_match_closed_forms():
    x = torch.tensor([[0.0, 1.0]])
    logits = torch.tensor([[0.0, 0.0]])
    assert reconstruction_nll(logits, x, "bernoulli").item() == pytest.approx(2 * math.log(2))
    assert reconstruction_nll(torch.zeros(1, 2), torch.ones(1, 2), "gaussian").item() == (
        pytest.approx(1.0 + math.log(2 * math.pi)))
    mu, logvar = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(2.0)]])
    expected = 0.5 * (1.0 + (2.0 - 1.0 - math.log(2.0)))
    assert gaussian_kl(mu, logvar).item() == pytest.approx(expected)
    with pytest.raises(ValueError, match="likelihood"):
        reconstruction_nll(logits, x, "poisson")


def test_elbo_loss_beta_weights_the_kl():
    x = torch.rand(4, 3, generator=torch.Generator().manual_seed(0))
    outputs = (torch.zeros(4, 3), torch.ones(4, 2), torch.zeros(4, 2))
    nll, kl = ELBOLoss().per_sample(outputs, x)
    assert ELBOLoss(beta=0.0)(outputs, x).item() == pytest.approx(nll.mean().item())
    assert ELBOLoss(beta=3.0)(outputs, x).item() == pytest.approx((nll + 3 * kl).mean().item())


@settings(max_examples=50, deadline=None)
@given(arrays(np.float32, (3, 4), elements=st.floats(-5, 5, width=32)),
       arrays(np.float32, (3, 4), elements=st.floats(-5, 5, width=32)))
def test_kl_is_non_negative_and_zero_only_at_the_prior(mu, logvar):
    kl = gaussian_kl(torch.from_numpy(mu), torch.from_numpy(logvar))
    assert torch.all(kl >= -1e-4)
    assert gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max().item() == 0.0


def test_random_affine_moves_images_within_its_bounds():
    # One bright pixel in the middle of 2 x 15 x 15 images, 64 of them.
    x = torch.zeros(64, 2, 15, 15)
    x[:, :, 7, 7] = 1.0
    flat = x.reshape(64, -1)
    with torch_rng_scope(0):
        out = RandomAffine((2, 15, 15), max_shift=0.2, max_rotation=0.0)(flat)
    assert out.shape == flat.shape
    images = out.reshape(64, 2, 15, 15)
    rows = torch.arange(15.0).view(1, 15, 1)
    mass = images[:, 0].sum(dim=(1, 2))
    centre_row = (images[:, 0] * rows).sum(dim=(1, 2)) / mass
    shift = (centre_row - 7).abs()
    # Shifts up to 0.2 * 15 = 3 pixels, different per image, channels moved together.
    assert float(shift.max()) <= 3.0 + 1e-4 and float(shift.std()) > 0.3
    torch.testing.assert_close(images[:, 0], images[:, 1])
    # Bilinear resampling of an interior point keeps its mass.
    torch.testing.assert_close(mass, torch.ones(64), atol=1e-4, rtol=0)


def test_random_affine_rotation_and_identity():
    x = torch.rand(8, 100, generator=torch.Generator().manual_seed(0))
    assert torch.equal(RandomAffine((1, 10, 10), max_shift=0.0, max_rotation=0.0)(x), x)
    # A centred disc is (nearly) unchanged by rotation alone.
    yy, xx = torch.meshgrid(torch.arange(21.0), torch.arange(21.0), indexing="ij")
    disc = (((yy - 10) ** 2 + (xx - 10) ** 2) <= 36).float().reshape(1, -1).repeat(4, 1)
    with torch_rng_scope(1):
        rotated = RandomAffine((1, 21, 21), max_shift=0.0, max_rotation=45.0)(disc)
    with torch_rng_scope(1):
        shifted = RandomAffine((1, 21, 21), max_shift=0.1, max_rotation=0.0)(disc)
    # Rotation only resamples the rim; a shift of up to 2 pixels moves it.
    assert float((rotated - disc).abs().mean()) < 0.05
    assert float((shifted - disc).abs().mean()) > 2 * float((rotated - disc).abs().mean())
    with torch_rng_scope(2):
        a = RandomAffine((1, 21, 21))(disc)
    with torch_rng_scope(2):
        b = RandomAffine((1, 21, 21))(disc)
    assert torch.equal(a, b)
