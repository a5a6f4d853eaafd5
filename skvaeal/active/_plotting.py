"""Matplotlib drawing of learning curves (matplotlib is an optional extra)."""


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plotting needs matplotlib; install it with pip install 'skvaeal[plot]'."
        ) from exc
    return plt


def plot_learning_curves(results, ax=None, *, std=True, title=None):
    """Draw mean ± std test accuracy against the number of labels.

    Parameters
    ----------
    results : ActiveLearningResults
    ax : matplotlib.axes.Axes, default=None
        ``None`` creates a new figure.
    std : bool, default=True
        Shade one standard deviation around each mean.
    title : str, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes
    """
    plt = _import_pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, s in results.summary().items():
        (line,) = ax.plot(s["budget"], s["mean"], marker="o", markersize=3, label=name)
        if std:
            ax.fill_between(s["budget"], s["mean"] - s["std"], s["mean"] + s["std"],
                            color=line.get_color(), alpha=0.15, linewidth=0)
    ax.set_xlabel("number of labelled points")
    ax.set_ylabel("test accuracy")
    ax.set_title(title if title is not None
                 else f"{results.protocol}, mean ± std over {results.n_trials} trials")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return ax
