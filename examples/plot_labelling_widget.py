"""
Labelling with a person in the loop
===================================

Every other lesson answers its queries from labels it already has. Here a
person answers them: a notebook widget shows the rows the learner asks about,
the person clicks a label under each, and the learner is taught on
**Submit**. Around the widget are the parts a real labelling session needs:
a loop that saves itself and resumes in another process, rules that say when
more labels stop paying, and the same widget for the cluster-centre method of
Vengalil & Sinha, whose annotator also gives a confidence.

This page runs without a browser, so the person is played by
:meth:`~skvaeal.widgets.LabellingWidget.answer`, which sets the same buttons a
click sets and presses Submit. To click yourself, open the notebook
``examples/label_digits.ipynb`` (or download this lesson as a notebook) in
Jupyter or Voilà; the project's test suite clicks through it in Chromium.
"""

# %%
# The pool and the learner
# ------------------------
# The digits: 1,000 rows form the pool, the rest is held out to score the
# learner after each round. The learner is a logistic regression with entropy
# sampling; with no labels yet, the loop starts with random rows.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skvaeal.active import ActiveLearner, ActiveLearningLoop
from skvaeal.query import entropy_sampling
from skvaeal.widgets import LabellingWidget

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_pool, y_pool, X_test, y_test = X[:1000], y[:1000], X[1000:], y[1000:]

learner = ActiveLearner(LogisticRegression(max_iter=1000), entropy_sampling)
loop = ActiveLearningLoop(learner, X_pool, n_instances=8, X_test=X_test, y_test=y_test,
                          random_state=0)

# %%
# The widget
# ----------
# In a notebook, the last line of a cell displays the widget: eight cards,
# each with the row drawn as an 8x8 image, a button per digit, ``skip``, and a
# box for a label that is not among the buttons. A status line above says
# the round, the labels so far and the held-out score.
widget = LabellingWidget(loop, classes=range(10))
widget

# %%
# What the person sees in the first round:


def show_round(widget, answers=None, title=""):
    n = len(widget.rows)
    ncols = min(n, 10)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.5 * nrows + 0.3),
                             squeeze=False)
    answers = answers or [None] * n
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i, answer in zip(axes.ravel(), widget.shown_indices, answers):
        ax.imshow(X_pool[i].reshape(8, 8), cmap="gray_r")
        ax.set_title(f"row {i}" + ("" if answer is None else f"\n→ {answer}"), fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()


first = widget.shown_indices
show_round(widget, title="round 1: rows asked (cold start, random)")

# %%
# The person answers. One row is a poor scan they would rather not label:
# ``None`` is the ``skip`` button, and a skipped row is never asked again.
answers = [int(y_pool[i]) for i in first]
answers[3] = None
widget.answer(answers)
print(widget._status.value)
print("labelled:", loop.labeled_indices_.tolist())
print("skipped: ", loop.skipped_indices_.tolist())

# %%
# Four more rounds. From the second on, the rows come from entropy sampling
# with the model the previous answers trained.
for _ in range(4):
    widget.answer([int(y_pool[i]) for i in widget.shown_indices])
print(widget._status.value)
scores = [h["score"] for h in loop.history_]
print("held-out score per round:", np.round(scores, 3).tolist())

# %%
# Save, close the notebook, resume tomorrow
# -----------------------------------------
# :meth:`~skvaeal.active.ActiveLearningLoop.save` writes the whole loop to one
# file: the learner and its labelled set, which rows remain, every query with
# its scores and answers, and the seeds of the rounds to come.
# :meth:`~skvaeal.active.ActiveLearningLoop.load` in a fresh process asks
# exactly the query this loop asks next (pass ``autosave=path`` to save after
# every round).
import os  # noqa: E402
import tempfile  # noqa: E402

path = os.path.join(tempfile.mkdtemp(), "digits.skvaeal")
loop.save(path)
resumed = ActiveLearningLoop.load(path)
print("next query here:    ", loop.ask()[0].tolist())
print("next query resumed: ", resumed.ask()[0].tolist())

# %%
# When to stop
# ------------
# A person's time is the budget, so a rule that says "more labels will not
# change much" is worth having. A loop given ``stopping=`` rules stops at the
# first that fires (:attr:`~skvaeal.active.ActiveLearningLoop.should_stop`);
# to see where each would stop, a simulation with the true labels as the
# oracle records them all without stopping. Four rules are offered:
#
# * :class:`~skvaeal.active.LabelBudget`: a fixed number of labels;
# * :class:`~skvaeal.active.StabilizingPredictions` (Bloodgood &
#   Vijay-Shanker, 2009): the predictions on a fixed, unlabelled stop set
#   stop changing (the mean Cohen's kappa of the last three pairs of rounds
#   reaches 0.99);
# * :class:`~skvaeal.active.MaxUncertainty` (Zhu, Wang & Hovy, 2008): no pool
#   row is uncertain any more;
# * :class:`~skvaeal.active.AccuracyChange`: the held-out accuracy moved by
#   less than half a point twice in a row.
from skvaeal.active import (AccuracyChange, LabelBudget, MaxUncertainty,  # noqa: E402
                            StabilizingPredictions, simulate_active_learning)

rules = {"budget 200": LabelBudget(200),
         "stabilising": StabilizingPredictions(random_state=0),
         "max uncertainty": MaxUncertainty(0.5),
         "accuracy change": AccuracyChange(threshold=0.005, window=2)}
budgets = np.arange(20, 401, 20)
res = simulate_active_learning(
    LogisticRegression(max_iter=1000), X_pool, y_pool, X_test, y_test,
    {"entropy": entropy_sampling}, protocol="incremental", budgets=budgets, n_trials=2,
    stopping=rules, random_state=0, verbose=0)

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(budgets, res.accuracy[0].mean(axis=0), marker=".", color="k", label="entropy")
for k, (name, stop) in enumerate(res.stopping_summary().items()):
    at = stop["entropy"]
    print(f"{name:16s} fired in {at['n_fired']} of 2 runs, at {at['budget']:.0f} labels: "
          f"accuracy {at['accuracy']:.3f} there, {at['final_accuracy']:.3f} at 400")
    if at["n_fired"]:
        ax.axvline(at["budget"], color=f"C{k}", ls="--", label=name)
ax.set(xlabel="labels", ylabel="held-out accuracy", title="Where each rule would stop")
ax.legend(fontsize=7, loc="lower right")
fig.tight_layout()

# %%
# The accuracy rule needs labels the learner never sees, which a real session
# rarely has; the stabilising rule needs none, and stops where the curve has
# flattened. A rule that never fires (NaN above) would have let the session
# run to the end of the budget.

# %%
# The cluster-centre method, answered in the widget
# -------------------------------------------------
# Vengalil & Sinha's annotator labels cluster centres instead of pool rows,
# gives a confidence with each label, and may answer "not a valid sample",
# after which that cluster is split and its parts asked about.
# :class:`~skvaeal.clusterlabel.CentreLabellingStep` is their labelling step
# asked in turns, so the same widget drives it (``confidence=True`` adds a
# slider per row). The VAE's latent space comes from its unsupervised
# warm-up (the default length, a few seconds here); the centres shown are the
# pool rows nearest to the twenty cluster centres.
from skvaeal import ClusterLabelClassifier  # noqa: E402
from skvaeal.clusterlabel import CentreLabellingStep  # noqa: E402

vae = ClusterLabelClassifier(random_state=0).fit_warmup(X_pool)
step = CentreLabellingStep(vae, X_pool, n_clusters=20, n_sub_clusters=2, show="nearest",
                           random_state=0)
centres = LabellingWidget(step, classes=range(10), confidence=True)
shown = centres.shown_indices
show_round(centres, [int(y_pool[i]) for i in shown], "the twenty centres, with their labels")

# %%
# The person is sure of most centres, less of two, and calls one not valid.
answers = [int(y_pool[i]) for i in shown]
confidence = [1.0] * len(shown)
confidence[1] = confidence[2] = 0.6
answers[0] = None
centres.answer(answers, confidence)
print(centres._status.value)  # the invalid centre's cluster is split in two
centres.answer([int(y_pool[i]) for i in centres.shown_indices])
result = step.result()
reached = np.array([label is not None for label in result.labels])
accuracy = np.mean(result.labels[reached].astype(int) == y_pool[reached])
print(f"{result.n_queries} answers labelled {reached.sum()} of {len(X_pool)} pool rows, "
      f"{accuracy:.1%} of them correctly")

# %%
# ``result.labels`` and ``result.weights`` are what
# :meth:`~skvaeal.ClusterLabelClassifier.fit` takes as propagated labels and
# their confidences; the lesson *Cluster-centre labelling* runs the whole
# method.
