"""
======================================================
BALD and BatchBALD: asking where the networks disagree
======================================================

Uncertainty sampling queries the rows whose predicted class distribution has
the highest entropy. That mixes two kinds of doubt: a row may be ambiguous
(a 1 that could be a 7, whatever the model) or the model may not know yet
(plausible networks that fit the labels so far disagree about it). Only the
second kind is removed by labelling. BALD (Houlsby et al., 2011) scores it:
the mutual information between the row's label and the model's weights,

.. math::

   I[y; w] = H\\big[\\mathbb{E}_w\\, p(y \\mid x, w)\\big]
             - \\mathbb{E}_w\\, H\\big[p(y \\mid x, w)\\big],

high where each plausible network is confident but they disagree. Gal et al.
(2017) draw the networks with Monte Carlo dropout: keep dropout on at
prediction time, and each dropout mask is one network.

A batch of the top BALD rows may hold near-duplicates, each as informative
alone and redundant together. BatchBALD (Kirsch et al., 2019) scores the
batch jointly, :math:`I[y_1, \\dots, y_b; w]`, and picks it greedily.

In this lesson we fit :class:`~skvaeal.bald.MCDropoutClassifier` on a few
labelled digits, look at its stochastic passes, watch BatchBALD skip the
duplicates that BALD takes, and run a short active-learning loop. Every
random choice takes a ``random_state``; the settings are tiny, so the page
runs in seconds on a CPU.

References: N. Houlsby, F. Huszár, Z. Ghahramani and M. Lengyel, "Bayesian
Active Learning for Classification and Preference Learning", 2011. Y. Gal,
R. Islam and Z. Ghahramani, "Deep Bayesian Active Learning with Image Data",
ICML 2017. A. Kirsch, J. van Amersfoort and Y. Gal, "BatchBALD: Efficient and
Diverse Batch Acquisition for Deep Bayesian Active Learning", NeurIPS 2019.
"""

# %%
# A pool, a test set and 20 labels
# --------------------------------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0)
labelled = np.random.RandomState(0).choice(len(X_pool), 20, replace=False)
print(f"pool: {X_pool.shape}, test: {X_test.shape}, labels: {len(labelled)}")

# %%
# A dropout network with Monte Carlo passes
# -----------------------------------------
#
# :meth:`~skvaeal.bald.MCDropoutClassifier.predict_proba_samples` returns the
# class probabilities of each of the ``n_mc_samples`` passes. The j-th pass
# uses the same dropout mask for every row, so it is one network for the
# whole pool; ``predict_proba`` is their mean.

from skvaeal.bald import MCDropoutClassifier, bald_scores

clf = MCDropoutClassifier(n_mc_samples=30, max_epochs=100, lr=3e-3, random_state=0)
clf.fit(X_pool[labelled], y_pool[labelled])
samples = clf.predict_proba_samples(X_pool)
print("samples:", samples.shape, " test accuracy:", round(clf.score(X_test, y_test), 3))

# %%
# Entropy against BALD
# --------------------
#
# The entropy of the mean prediction is high for both kinds of doubt; BALD
# only for disagreement. The row with the highest entropy among those of low
# BALD score is ambiguous to every network; the top BALD row splits them.

mean = samples.mean(axis=0)
entropy = -(mean * np.log(np.clip(mean, 1e-12, None))).sum(axis=1)
bald = bald_scores(samples)
agreed = np.flatnonzero(bald < np.quantile(bald, 0.25))
rows = {"high entropy, low BALD": agreed[np.argmax(entropy[agreed])],
        "highest BALD": int(np.argmax(bald))}

fig, axes = plt.subplots(2, 2, figsize=(8, 5), gridspec_kw={"width_ratios": [1, 3]})
for (title, row), (ax_img, ax_s) in zip(rows.items(), axes):
    ax_img.imshow(X_pool[row].reshape(8, 8), cmap="gray_r")
    ax_img.set_axis_off()
    ax_img.set_title(f"entropy {entropy[row]:.2f}\nBALD {bald[row]:.2f}", fontsize=9)
    ax_s.imshow(samples[:, row].T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax_s.set_yticks(range(10))
    ax_s.set_ylabel("class")
    ax_s.set_title(title + ": class probabilities of each pass", fontsize=9)
axes[-1, 1].set_xlabel("MC dropout pass")
fig.tight_layout()
plt.show()

# %%
# BatchBALD skips duplicates that BALD takes
# ------------------------------------------
#
# Put every pool row in twice. BALD scores the copies alike and takes both;
# BatchBALD sees that the second copy adds nothing once the first is in the
# batch.

from skvaeal.bald import bald_sampling, batchbald_sampling

X_twice = np.concatenate([X_pool, X_pool])
original = np.concatenate([np.arange(len(X_pool))] * 2)
bald_idx, _ = bald_sampling(clf, X_twice, n_instances=10, random_state=0)
batch_idx, gains = batchbald_sampling(clf, X_twice, n_instances=10, random_state=0)
print("distinct rows in the batch: BALD", len(set(original[bald_idx])),
      "of 10, BatchBALD", len(set(original[batch_idx])), "of 10")
print("what each BatchBALD pick adds (nats):", np.round(gains, 2))

# %%
# A short active-learning loop
# ----------------------------
#
# :func:`~skvaeal.active.simulate_active_learning` refits the classifier after
# each round of 10 queries (three trials, the same initial labels for every
# strategy within a trial). The network is trained for 100 epochs at a higher
# learning rate than its default (about 1,000 steps at 1e-3), to keep the page
# quick; BatchBALD sums at most 512 label configurations exactly.

from skvaeal.active import simulate_active_learning
from skvaeal.query import random_sampling

from functools import partial

model = MCDropoutClassifier(n_mc_samples=20, max_epochs=100, lr=3e-3, random_state=0)
results = simulate_active_learning(
    model, X_pool, y_pool, X_test, y_test,
    {"random": random_sampling, "BALD": bald_sampling,
     "BatchBALD": partial(batchbald_sampling, n_configurations=512)},
    protocol="incremental", n_initial=20, n_instances=10, n_rounds=3, n_trials=3,
    random_state=0, verbose=0)
print(results.format_table())
results.plot(title="Digits: MC dropout MLP, 3 trials")
plt.show()

# %%
# With so few trials and labels the curves are noisy; the full-size
# comparison on MNIST is in ``benchmarks/aral.py`` and the benchmarks page.
