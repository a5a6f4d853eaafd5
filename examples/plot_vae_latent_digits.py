"""
=====================================================
A variational autoencoder's latent space of digits
=====================================================

A variational autoencoder (VAE) learns two networks at once, without labels:

* an **encoder** :math:`q(z \\mid x)` that maps an image :math:`x` to a
  Gaussian over a short code :math:`z` (a mean and a variance per latent
  dimension), and
* a **decoder** :math:`p(x \\mid z)` that maps a code back to an image.

Training maximises the evidence lower bound (ELBO): reconstruct each image
well from a code drawn from :math:`q(z \\mid x)`, while keeping
:math:`q(z \\mid x)` close to a standard normal prior :math:`p(z)`. The prior
term packs the codes into a smooth region around the origin, which is what
makes the latent space useful for active learning: nearby codes mean similar
images, so distances, clusters and coresets there are meaningful.

In this lesson we

1. train a VAE with a 2-d latent space on the scikit-learn digits and look at
   the codes;
2. reconstruct images through the code and generate new ones from the prior;
3. compare a classifier trained on 8-d codes with one trained on raw pixels
   when only 50 labels are available.

Every random choice takes a ``random_state``, so the page is reproducible; no
global seed is set.
"""

# %%
# Load and scale the digits
# -------------------------
#
# The digits are 1797 grey-scale images of 8x8 pixels with intensities from
# 0 to 16. Dividing by 16 puts them in :math:`[0, 1]`, where
# :class:`~skvaeal.VAETransformer` models each pixel as a Bernoulli
# probability (its ``likelihood="auto"`` choice for data in that range).

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

digits = load_digits()
X = digits.data / 16.0
y = digits.target
print(X.shape, X.min(), X.max())

# %%
# Train a VAE with a 2-d latent space
# -----------------------------------
#
# :class:`~skvaeal.VAETransformer` is a scikit-learn transformer: ``fit``
# trains the VAE on the rows of ``X`` (``y`` is never used) and ``transform``
# returns the mean of :math:`q(z \mid x)` for each row. For 8x8 images the
# default ``architecture="auto"`` picks small fully connected networks. Forty
# epochs take a few seconds on a CPU.

from skvaeal import VAETransformer

vae2 = VAETransformer(latent_dim=2, max_epochs=40, random_state=0)
vae2.fit(X)
print(f"architecture: {vae2.architecture_}, likelihood: {vae2.likelihood_}")

# %%
# ``loss_curve_`` holds the training loss of each epoch: the negative ELBO per
# image (reconstruction error in nats plus the prior term). It should fall
# quickly and then flatten.

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.arange(1, len(vae2.loss_curve_) + 1), vae2.loss_curve_)
ax.set_xlabel("epoch")
ax.set_ylabel("negative ELBO per image")
ax.set_title("Training loss")
fig.tight_layout()

# %%
# Look at the codes
# -----------------
#
# Each image becomes a point in the plane. The labels were not used for
# training; we use them here only to colour the points. Images of the same
# digit land close together, and similar-looking digits (such as 3, 5 and 8)
# sit side by side, so the VAE has found much of the class structure on its
# own. Two dimensions cannot separate ten classes completely, which is why the
# classifier below uses eight.

Z2 = vae2.transform(X)

fig, ax = plt.subplots(figsize=(6, 5))
points = ax.scatter(Z2[:, 0], Z2[:, 1], c=y, cmap="tab10", s=8, alpha=0.8)
fig.colorbar(points, ax=ax, ticks=range(10), label="digit (for colour only)")
ax.set_xlabel("$z_1$")
ax.set_ylabel("$z_2$")
ax.set_title("2-d VAE codes of the digits")
fig.tight_layout()

# %%
# Reconstruct images through the code
# -----------------------------------
#
# ``inverse_transform`` decodes codes into pixel probabilities, so
# ``inverse_transform(transform(X))`` sends each image through the 2-number
# bottleneck and back. The reconstructions keep the identity of most digits
# but are blurry: two numbers cannot store every stroke.

rng = np.random.RandomState(0)
shown = rng.choice(len(X), size=8, replace=False)
X_rec = vae2.inverse_transform(vae2.transform(X[shown]))

fig, axes = plt.subplots(2, 8, figsize=(8, 2.4))
for col, (original, rebuilt) in enumerate(zip(X[shown], X_rec)):
    axes[0, col].imshow(original.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    axes[1, col].imshow(rebuilt.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("input")
axes[1, 0].set_ylabel("decoded")
fig.suptitle("Images and their reconstructions from 2-d codes")
fig.tight_layout()

# %%
# Generate new images
# -------------------
#
# Because the codes were pulled towards a standard normal prior, decoding a
# code drawn from :math:`\mathcal{N}(0, I)` gives a plausible new image.
# ``sample`` does exactly that; its own ``random_state`` picks the codes.

X_new = vae2.sample(16, random_state=0)

fig, axes = plt.subplots(2, 8, figsize=(8, 2.4))
for ax, image in zip(axes.ravel(), X_new):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.set_axis_off()
fig.suptitle("Images decoded from codes drawn from the prior")
fig.tight_layout()

# %%
# Walking through the latent plane on a regular grid shows how the decoder
# morphs one digit into another: the space between clusters is filled with
# in-between shapes rather than noise.

grid = np.linspace(-2.0, 2.0, 10)
# One code per tile: rows run from high to low z_2, columns from low to high z_1.
codes = np.array([[z1, z2] for z2 in grid[::-1] for z1 in grid])
tiles = vae2.inverse_transform(codes).reshape(10, 10, 8, 8)
# A blank one-pixel border around each 8x8 tile keeps neighbours apart.
tiles = np.pad(tiles, ((0, 0), (0, 0), (1, 1), (1, 1)))
mosaic = tiles.transpose(0, 2, 1, 3).reshape(100, 100)

fig, ax = plt.subplots(figsize=(5, 5))
ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, extent=(-2.2, 2.2, -2.2, 2.2))
ax.set_xlabel("$z_1$")
ax.set_ylabel("$z_2$")
ax.set_title("Decoded grid of codes")
fig.tight_layout()

# %%
# Few labels: codes versus raw pixels
# -----------------------------------
#
# Active learning starts with many unlabelled images and a small labelling
# budget. The VAE can use *all* images, since it needs no labels; the
# classifier only sees the labelled few. Here we train an 8-d VAE on every
# image, label 50 of them (5 per class), and train a support vector classifier
# (SVC) on their 8-d codes and, for comparison, on their 64 raw pixels. The
# remaining 1747 images are the test set.

from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

vae8 = VAETransformer(latent_dim=8, max_epochs=40, random_state=0).fit(X)
Z8 = vae8.transform(X)

labelled, test = train_test_split(
    np.arange(len(X)), train_size=50, stratify=y, random_state=0)
acc_pixels = SVC().fit(X[labelled], y[labelled]).score(X[test], y[test])
acc_codes = SVC().fit(Z8[labelled], y[labelled]).score(Z8[test], y[test])
print(f"SVC on 64 raw pixels: accuracy {acc_pixels:.3f}")
print(f"SVC on 8-d VAE codes: accuracy {acc_codes:.3f}")

# %%
# With only 50 labels, *which* 50 images are labelled matters a lot. Repeating
# the comparison over 20 random draws of the labelled set (each seeded) gives
# the mean accuracy and its spread.

scores = {"raw pixels": [], "8-d codes": []}
for seed in range(20):
    labelled, test = train_test_split(
        np.arange(len(X)), train_size=50, stratify=y, random_state=seed)
    for name, features in (("raw pixels", X), ("8-d codes", Z8)):
        svc = SVC().fit(features[labelled], y[labelled])
        scores[name].append(svc.score(features[test], y[test]))
for name, values in scores.items():
    print(f"{name:>10}: mean accuracy {np.mean(values):.3f} "
          f"(std {np.std(values):.3f}) over 20 labelled sets of 50")

# %%
# What to take away
# -----------------
#
# Compare the lines printed above. On these tiny 8x8 images the raw pixels are
# already a strong representation, and the short, untuned VAE used here does
# not beat them: squeezing 64 numbers into 8 keeps most of what tells the
# digits apart, but not all of it. That is a fair result, not a failure of the
# method. The VAE pays off when the input is high-dimensional, as for the 784
# pixels of MNIST in Pourkamali-Anaraki & Wakin (2019) (see the replication in
# ``benchmarks/``), and when the latent space is used to *choose* which images
# to label: :func:`skvaeal.query.vae_coreset_sampling` clusters the codes and
# labels a diverse set of images instead of a random one. Things to try: more
# epochs, ``beta`` below 1 (codes that keep more detail), or a different
# ``latent_dim``.

plt.show()
