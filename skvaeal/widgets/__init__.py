"""Notebook interfaces for a person in the loop (needs ``ipywidgets``: ``skvaeal[widgets]``).

:class:`LabellingWidget` shows an active-learning loop's queries in a notebook,
takes a label per row by clicking, and teaches the learner on submit. It answers
through the oracle protocol of :mod:`skvaeal.oracle`, so it drives an
:class:`~skvaeal.active.ActiveLearningLoop` with any query strategy and the
cluster-centre method's :class:`~skvaeal.clusterlabel.CentreLabellingStep`.
"""

from ._labelling import SKIP, LabellingWidget

__all__ = ["LabellingWidget", "SKIP"]
