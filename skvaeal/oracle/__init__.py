"""Oracles: who answers a query, a person or a simulation, behind one small protocol.

An oracle is any callable ``oracle(X_shown, indices=None) -> (labels, confidences)``:

* ``X_shown``: the rows shown, one per query (pool rows, or synthetic rows such
  as decoded cluster centres);
* ``indices``: their positions in the pool when they are pool rows, else None
  (a simulated oracle that knows the pool's labels reads them there);
* ``labels``: one label per row, or ``None`` for "not a valid sample" (a
  synthetic row that shows no class);
* ``confidences``: one number in [0, 1] per row (ignored for invalid rows);
  an oracle may return the labels alone, which means a confidence of 1.

:func:`check_oracle_answer` validates an answer. :class:`PoolOracle` and
:class:`ClassifierOracle` simulate annotators for experiments;
:class:`ConsoleOracle` asks a person at a terminal. The cluster-centre method
(:func:`skvaeal.clusterlabel.cluster_label_learning`) and
:meth:`skvaeal.active.ActiveLearner.teach_from` both take any of them.
"""

from ._base import check_oracle_answer
from ._console import ConsoleOracle
from ._simulated import ClassifierOracle, PoolOracle

__all__ = ["ClassifierOracle", "ConsoleOracle", "PoolOracle", "check_oracle_answer"]
