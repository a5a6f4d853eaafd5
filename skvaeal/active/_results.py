"""The result object of :func:`~skvaeal.active.simulate_active_learning`."""

import numpy as np


class ActiveLearningResults:
    """Accuracy, queried rows and timings of an active-learning simulation.

    Arrays are indexed ``[strategy, trial, budget]``, strategies in the order
    of ``names`` and budgets in the order of ``budgets``.

    Attributes
    ----------
    names : list of str
        The compared strategies (arms).
    budgets : ndarray of shape (n_budgets,)
        Numbers of labelled rows.
    accuracy : ndarray of shape (n_strategies, n_trials, n_budgets)
        Test accuracy.
    query_time : ndarray of shape (n_strategies, n_trials, n_budgets)
        Seconds spent choosing rows (for ``"incremental"``, the batch that
        reached this budget).
    fit_time : ndarray of shape (n_strategies, n_trials, n_budgets)
        Seconds spent fitting the model.
    single_class : ndarray of bool, same shape
        Where the labelled set held a single class (constant prediction).
    indices : dict of str to list
        ``indices[name][trial][j]``: the pool indices labelled at ``budgets[j]``.
    protocol : {"one-shot", "incremental"}
    seeds : ndarray of shape (n_trials,)
        The per-trial seeds.
    stopped_at : dict of str to ndarray of shape (n_strategies, n_trials)
        Per stopping rule given to the simulation, the budget at which it
        first fired in each run, ``-1`` where it never did; ``{}`` without
        rules, and for results made before stopping rules existed (an old
        pickle, or a constructor call without ``stopped_at``).
    """

    def __init__(self, *, names, budgets, accuracy, query_time, fit_time, indices,
                 single_class, protocol, seeds, stopped_at=None):
        self.names = list(names)
        self.budgets = np.asarray(budgets)
        self.accuracy = accuracy
        self.query_time = query_time
        self.fit_time = fit_time
        self.indices = indices
        self.single_class = single_class
        self.protocol = protocol
        self.seeds = np.asarray(seeds)
        self.stopped_at = {str(rule): np.asarray(at, dtype=np.int64)
                           for rule, at in ({} if stopped_at is None else stopped_at).items()}

    def __setstate__(self, state):
        # Pickles made before stopping rules existed have no stopped_at.
        state.setdefault("stopped_at", {})
        self.__dict__.update(state)

    @property
    def n_trials(self):
        """Number of trials."""
        return self.accuracy.shape[1]

    def summary(self):
        """Mean and standard deviation of test accuracy per strategy and budget.

        Returns
        -------
        summary : dict of str to dict
            ``summary[name]`` holds ``"budget"``, ``"mean"``, ``"std"``
            (population std over trials), ``"query_time"`` and ``"fit_time"``
            (mean seconds), each an array of shape ``(n_budgets,)``.
        """
        out = {}
        for a, name in enumerate(self.names):
            out[name] = {
                "budget": self.budgets.copy(),
                "mean": np.nanmean(self.accuracy[a], axis=0),
                "std": np.nanstd(self.accuracy[a], axis=0),
                "query_time": self.query_time[a].mean(axis=0),
                "fit_time": self.fit_time[a].mean(axis=0),
            }
        return out

    def stopping_summary(self):
        """Where each stopping rule would have stopped, per strategy.

        Returns
        -------
        summary : dict of str to dict of str to dict
            ``summary[rule][strategy]`` holds ``"n_fired"`` (runs where the
            rule fired), ``"budget"`` (the mean budget at which it fired, NaN
            if never), ``"accuracy"`` (the mean test accuracy at that budget,
            NaN if never) and ``"final_accuracy"`` (the mean accuracy at the
            last budget, over the same runs), so the cost of stopping early
            reads as the difference of the two accuracies. ``{}`` when the
            results hold no stopping rule (``stopped_at`` is empty).

        Examples
        --------
        >>> import numpy as np
        >>> from skvaeal.active import ActiveLearningResults
        >>> acc = np.array([[[0.5, 0.8, 0.9], [0.6, 0.7, 0.9]]])  # 1 strategy, 2 trials
        >>> res = ActiveLearningResults(
        ...     names=["random"], budgets=[10, 20, 30], accuracy=acc, query_time=acc * 0,
        ...     fit_time=acc * 0, indices={"random": [None, None]}, single_class=acc < 0,
        ...     protocol="incremental", seeds=[0, 1], stopped_at={"budget": [[20, -1]]})
        >>> res.stopping_summary()["budget"]["random"]
        {'n_fired': 1, 'budget': 20.0, 'accuracy': 0.8, 'final_accuracy': 0.9}
        """
        out = {}
        for rule, at in self.stopped_at.items():
            out[rule] = {}
            for a, name in enumerate(self.names):
                fired = np.flatnonzero(at[a] >= 0)
                if fired.size:
                    cols = np.searchsorted(self.budgets, at[a, fired])
                    acc = float(self.accuracy[a, fired, cols].mean())
                    final = float(self.accuracy[a, fired, -1].mean())
                    budget = float(at[a, fired].mean())
                else:
                    acc = final = budget = float("nan")
                out[rule][name] = {"n_fired": int(fired.size), "budget": budget,
                                   "accuracy": acc, "final_accuracy": final}
        return out

    def format_table(self, digits=3):
        """Mean ± std accuracy as a text table: a row per budget, a column per strategy.

        Parameters
        ----------
        digits : int, default=3
            Decimals shown.

        Returns
        -------
        table : str
        """
        summary = self.summary()
        cells = [[f"{s['mean'][j]:.{digits}f} ± {s['std'][j]:.{digits}f}"
                  for s in summary.values()] for j in range(len(self.budgets))]
        header = ["budget", *self.names]
        rows = [[str(b), *row] for b, row in zip(self.budgets.tolist(), cells)]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
        return "\n".join(lines)

    def __str__(self):
        return (f"Test accuracy, mean ± std over {self.n_trials} trials "
                f"({self.protocol} protocol):\n{self.format_table()}")

    def __repr__(self):
        return (f"ActiveLearningResults(names={self.names}, budgets={self.budgets.tolist()}, "
                f"n_trials={self.n_trials}, protocol={self.protocol!r})")

    def to_records(self):
        """One dict per (strategy, trial, budget): a tidy, JSON-ready list.

        Keys: ``strategy``, ``trial``, ``budget``, ``accuracy``, ``query_time``,
        ``fit_time``, ``single_class``.
        """
        records = []
        for a, name in enumerate(self.names):
            for t in range(self.n_trials):
                for j, budget in enumerate(self.budgets.tolist()):
                    records.append({
                        "strategy": name, "trial": t, "budget": int(budget),
                        "accuracy": float(self.accuracy[a, t, j]),
                        "query_time": float(self.query_time[a, t, j]),
                        "fit_time": float(self.fit_time[a, t, j]),
                        "single_class": bool(self.single_class[a, t, j]),
                    })
        return records

    def to_frame(self):
        """The records of :meth:`to_records` as a :class:`pandas.DataFrame`."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("to_frame needs pandas; pip install pandas.") from exc
        return pd.DataFrame.from_records(self.to_records())

    def plot(self, ax=None, *, std=True, title=None):
        """Mean ± std accuracy against the budget, a curve per strategy.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Draw here; ``None`` creates a new figure.
        std : bool, default=True
            Shade one standard deviation around each mean.
        title : str, default=None

        Returns
        -------
        ax : matplotlib.axes.Axes
        """
        from ._plotting import plot_learning_curves

        return plot_learning_curves(self, ax=ax, std=std, title=title)
