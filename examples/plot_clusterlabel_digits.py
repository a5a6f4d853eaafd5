"""
=================================================================
Label the cluster centres, not the rows: Vengalil & Sinha's loop
=================================================================

Most active learners ask a person about one pool row at a time. Vengalil &
Sinha (*Semi-supervised learning using variational autoencoder: a cluster
based approach*) ask about *clusters*. A variational autoencoder (VAE) with a
softmax layer on its code learns a latent space from the unlabelled pool;
then, at intervals:

1. the latent codes are clustered (K-means or a Gaussian mixture);
2. each cluster's centre is decoded into an image and shown to the
   annotator, who gives a label and a confidence :math:`p_c`, or says "not a
   valid sample" (the cluster is then split into sub-clusters and asked
   again);
3. each label spreads to the rows of its cluster with a weight that decays
   with the distance to the centre, :math:`w_n = p_c\\,e^{-a d_n^2}` (the
   paper's eq. 3; eq. 2 is :math:`e^{-a d_n}`);
4. training continues with the VAE loss plus the weighted cross-entropy,
   :math:`L = L_{VAE} - \\gamma \\sum_n w_n \\sum_k y_{nk} \\ln \\hat y_{nk}`
   (eq. 4).

Ten labels per iteration label the whole pool, each row with its own
confidence. In this lesson we run the loop on the digits with
:func:`~skvaeal.clusterlabel.cluster_label_learning`, look at the decoded
centres the annotator saw (the paper's Fig. 2), compare the classifier with
a support vector machine given as many random labels, and look at the latent
space before and after with t-SNE (the paper's Fig. 6). Every random choice
takes a ``random_state``; the page runs in well under a minute on a laptop.

Reference: S. K. Vengalil and N. Sinha, "Semi-supervised learning using
variational autoencoder: a cluster based approach".
"""

# %%
# A pool without labels, and an annotator
# ---------------------------------------
#
# The 1,797 digits (8x8 pixels, scaled to :math:`[0, 1]`) are split into a
# pool, a test set and a small *reference* set. Nobody labels the pool: the
# annotator of this lesson is simulated by a classifier trained on the
# reference set (disjoint from the pool; an SVC with calibrated
# probabilities), which looks at each decoded centre
# and answers its most probable digit, with that probability as the
# confidence, or "not a valid sample" below 0.5. Any callable
# ``oracle(X_shown, indices=None) -> (labels, confidences)`` can take its
# place: :class:`~skvaeal.oracle.ConsoleOracle` asks a person.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from skvaeal.clusterlabel import ClusterLabelClassifier, cluster_label_learning
from skvaeal.oracle import ClassifierOracle

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
order = np.random.RandomState(0).permutation(len(X))
pool, test, reference = order[:1100], order[1100:1500], order[1500:]
reference_svc = CalibratedClassifierCV(SVC(), ensemble=False).fit(X[reference], y[reference])
annotator = ClassifierOracle(reference_svc, threshold=0.5)

# %%
# The loop: a warm-up, then five iterations
# -----------------------------------------
#
# :class:`~skvaeal.clusterlabel.ClusterLabelClassifier` is the VAE with its
# softmax head. The loop first trains it as a plain VAE
# (``warmup_epochs``), then five times clusters the codes with a Gaussian
# mixture, shows the ten decoded centres, propagates the answers with the
# Mahalanobis distance under each cluster's covariance and the Gaussian decay
# (the paper's best choices), and trains ``max_epochs`` more with eq. 4. The
# decay rate ``a="auto"`` gives a cluster's median row half the centre's
# confidence.

clf = ClusterLabelClassifier(hidden_dims=(128,), warmup_epochs=100, max_epochs=50,
                             unlabeled_trust=1.0, random_state=0)
result = cluster_label_learning(clf, X[pool], annotator, n_iterations=5, n_clusters=10,
                                clusterer="gmm", distance="mahalanobis", decay="gaussian",
                                X_test=X[test], y_test=y[test], y_true=y[pool],
                                random_state=0)
print("labels asked:", result.n_labels)
print("test accuracy:", np.round(result.accuracy, 3).tolist())
print("propagated labels right:", np.round(result.label_accuracy, 3).tolist())

# %%
# What the annotator saw
# ----------------------
#
# One row per iteration: the decoded centres, titled with the annotator's
# answer and confidence (a cross for "not a valid sample", after which the
# cluster's sub-centres were shown too). After the warm-up some centres are
# blends of two digits; as the labels shape the code, the centres become
# cleaner and cover more digits.

n_cols = max(len(step.shown_labels) for step in result.steps)
fig, axes = plt.subplots(len(result.steps), n_cols, figsize=(n_cols * 0.9, 6.5))
for row, step in enumerate(result.steps):
    for col in range(n_cols):
        ax = axes[row, col]
        ax.set_axis_off()
        if col >= len(step.shown_labels):
            continue
        ax.imshow(step.X_shown[col].reshape(8, 8), cmap="gray_r")
        label, conf = step.shown_labels[col], step.shown_confidences[col]
        ax.set_title("x" if label is None else f"{label} ({conf:.2f})", fontsize=7)
    axes[row, 0].text(-4, 4, f"it. {row + 1}", fontsize=8, va="center", ha="right")
fig.suptitle("Decoded cluster centres shown to the annotator")
plt.show()

# %%
# Against random labels
# ---------------------
#
# The same number of labels, drawn at random from the pool with their true
# values, train a support vector machine (five draws, averaged). The cluster
# method's labels are fewer per cluster but reach every row.

rng = np.random.RandomState(1)
svc = []
for n in result.n_labels:
    scores = []
    for _ in range(5):
        idx = rng.choice(len(pool), n, replace=False)
        scores.append(SVC().fit(X[pool][idx], y[pool][idx]).score(X[test], y[test]))
    svc.append(np.mean(scores))
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(result.n_labels, result.accuracy, "o-", label="cluster centres (eq. 4)")
ax.plot(result.n_labels, svc, "s--", label="SVC, random labels")
ax.set_xlabel("labels asked")
ax.set_ylabel("test accuracy")
ax.legend()
plt.show()

# %%
# The latent space before and after
# ---------------------------------
#
# t-SNE maps of the codes after the warm-up (a fresh classifier with the same
# seed reproduces it) and after the five iterations, coloured by the true
# digit, which the method never saw: the labels pull each class into a
# cluster of its own.

from sklearn.manifold import TSNE

before = ClusterLabelClassifier(hidden_dims=(128,), warmup_epochs=100,
                                random_state=0).fit_warmup(X[pool])
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, model, title in [(axes[0], before, "after the warm-up"),
                         (axes[1], result.estimator, "after 5 iterations")]:
    emb = TSNE(random_state=0, init="pca").fit_transform(model.transform(X[pool]))
    ax.scatter(emb[:, 0], emb[:, 1], c=y[pool], cmap="tab10", s=4)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %%
# The pool-based variant
# ----------------------
#
# Showing each centre's nearest pool row instead of a decoded image is
# ``show="nearest"``; as a query strategy for any learner it is
# :func:`~skvaeal.clusterlabel.cluster_centre_sampling`, which picks the rows
# nearest to the centres of ``n_instances`` clusters of the model's latent
# space and never a labelled row. ``ActiveLearner.teach_from`` asks the
# same kind of oracle about them.

from skvaeal.active import ActiveLearner
from skvaeal.clusterlabel import cluster_centre_sampling
from skvaeal.oracle import PoolOracle

learner = ActiveLearner(result.estimator, cluster_centre_sampling)
query_idx, _ = learner.query(X[pool], n_instances=5, random_state=0)
labels, confidences = PoolOracle(y[pool])(X[pool][query_idx], indices=query_idx)
print("queried rows:", query_idx.tolist(), "their digits:", labels.tolist())
