"""Command-line interface: ``skvaeal demo`` runs the comparison of the VAE coreset paper.

``skvaeal demo`` (also ``python -m skvaeal demo``) reproduces, at a small scale,
the experiment of Pourkamali-Anaraki & Wakin (2019): a VAE is trained once on
an unlabelled pool, then for each labelling budget B every method of
``skvaeal.active.coreset_comparison_arms`` (among them random and K-means
coreset sampling in the input and the latent space, and greedy k-center in the
latent space) picks B rows from scratch, and an SVC tuned by grid search over
RBF/linear kernels is trained on them and scored on held-out rows.

``skvaeal curve`` plots learning curves of chosen query strategies, with the
incremental (pool-based) or the one-shot protocol.
"""

import argparse
import json
import math
import os
import sys
import time

#: The name in every message, whichever way the command was started
#: (console script or ``python -m skvaeal``, whose argv[0] is ``__main__.py``).
_PROG = "skvaeal"

#: Defaults per data set: the embedded 8x8 digits (small pool: smaller budgets
#: and K) or MNIST-format IDX files (the paper's budgets and K). "auto" epochs are the
#: VAE's own default: it trains until its loss converges. On MNIST batches of 32 give
#: the convolutional VAE four times the optimiser steps per epoch on a ~2,000-row pool.
_DEFAULTS = {
    "digits": {"budgets": [10, 20, 30, 40, 60, 80], "n_clusters": 10, "epochs": "auto",
               "n_trials": 10, "architecture": "auto", "pool_size": None, "batch_size": 128},
    "mnist": {"budgets": list(range(20, 201, 20)), "n_clusters": 20, "epochs": "auto",
              "n_trials": 10, "architecture": "auto", "pool_size": None, "batch_size": 32},
}
#: What ``--quick`` changes per data set; the help text is written from this table.
#: On 28x28 images the convolutional VAE costs seconds per epoch on a CPU, so the
#: quick MNIST run trains the MLP VAE, for fewer epochs, on a smaller pool.
_QUICK = {
    "digits": {"budgets": [10, 20, 40], "n_trials": 2, "epochs": 30},
    "mnist": {"budgets": [20, 40, 60], "n_trials": 2, "epochs": 10, "architecture": "mlp",
              "pool_size": 1000, "batch_size": 128},
}
#: Strategy names of ``skvaeal curve`` -> (name in skvaeal.query, needs predict_proba).
_CURVE_STRATEGIES = {
    "random": ("random_sampling", False),
    "uncertainty": ("uncertainty_sampling", True),
    "margin": ("margin_sampling", True),
    "entropy": ("entropy_sampling", True),
    "coreset": ("vae_coreset_sampling", False),
    "k-center": ("k_center_greedy", False),
}
_DEFAULT_CLASSES = [0, 3, 9]
_VERBOSE_HELP = ("0: silent; 1: the VAE's loss per epoch and the progress of the runs; "
                 "2: also a progress bar within each VAE epoch (default: 1)")


class _UsageError(Exception):
    """A bad argument found after parsing; :func:`main` reports it as argparse does."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2.

    argparse's own ``error`` prints the whole usage block first; a single
    ``skvaeal: error: ...`` line is easier to read and to grep in a log.
    """

    def error(self, message):
        """Print ``skvaeal: error: <message>`` on one line to stderr and exit with status 2."""
        self.exit(2, f"{_PROG}: error: {' '.join(str(message).split())}\n")


def _number(text, kind):
    """``kind(text)`` (int or float), or argparse's error naming what was expected."""
    try:
        return kind(text)
    except ValueError:
        expected = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {expected}; got {text!r}") from None


def _int_at_least(minimum):
    """An argparse ``type``: an int no smaller than ``minimum``."""
    def parse(text):
        value = _number(text, int)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}; got {value}")
        return value
    return parse


def _fraction(text):
    """An argparse ``type``: a float strictly between 0 and 1."""
    value = _number(text, float)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1; got {text}")
    return value


def _n_jobs(text):
    """An argparse ``type``: joblib's n_jobs, where 0 means nothing and would fail late."""
    value = _number(text, int)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a positive number of workers or negative "
                                         "(-1: all cores); got 0")
    return value


_POSITIVE = _int_at_least(1)
_NON_NEGATIVE = _int_at_least(0)


def _epochs(text):
    """An argparse ``type``: ``auto`` or a positive number of epochs."""
    return text if text == "auto" else _POSITIVE(text)


def _plain(text):
    """reST source as plain text, for help screens (no double backticks)."""
    return " ".join(text.replace("``", "").split())


def _quick_help():
    """The ``--quick`` help, written from :data:`_QUICK` so that it cannot drift from it."""
    def describe(settings):
        parts = [f"budgets {' '.join(map(str, settings['budgets']))}",
                 f"{settings['n_trials']} trials", f"{settings['epochs']} VAE epochs"]
        if "architecture" in settings:
            parts.append({"mlp": "an MLP VAE", "conv": "a convolutional VAE"}.get(
                settings["architecture"], f"the {settings['architecture']} VAE"))
        if "pool_size" in settings:
            parts.append(f"a pool of {settings['pool_size']} rows")
        return ", ".join(parts)

    return (f"smaller settings for a first look: on the 8x8 digits {describe(_QUICK['digits'])}; "
            f"on MNIST-format data (--data) {describe(_QUICK['mnist'])}; options given "
            "explicitly override these")


def _add_data_arguments(parser):
    """``--data`` and ``--classes``, shared by both subcommands."""
    parser.add_argument(
        "--data", metavar="DIR",
        help="folder with MNIST-format IDX files t10k-images-idx3-ubyte and "
             "t10k-labels-idx1-ubyte (each may be gzipped, .gz); default: scikit-learn's "
             "8x8 digits")
    # --digits is the former name: MNIST-format IDX data need not hold digits.
    parser.add_argument(
        "--classes", "--digits", dest="classes", type=_NON_NEGATIVE, nargs="+",
        default=_DEFAULT_CLASSES, metavar="C",
        help="labels of the classes to keep, at least two "
             f"(default: {' '.join(map(str, _DEFAULT_CLASSES))})")


def _add_run_arguments(parser, *, output, n_trials, n_trials_help):
    """Options shared by both subcommands that shape the run and its outputs."""
    parser.add_argument("--n-trials", type=_POSITIVE, default=n_trials, metavar="N",
                        help=n_trials_help)
    parser.add_argument("--test-size", type=_fraction, default=0.3, metavar="F",
                        help="fraction of rows held out for testing (default: 0.3)")
    parser.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                        help="parallel trials with joblib, -1 for all cores (default: 1)")
    parser.add_argument("--output", default=output, metavar="PNG",
                        help=f"where to write the plot, a .png file (default: {output})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--verbose", type=_NON_NEGATIVE, default=1, metavar="V",
                        help=_VERBOSE_HELP)


def _build_parser():
    from . import __version__

    parser = _Parser(
        prog=_PROG, description="Generative-model active learning with a scikit-learn API.")
    parser.add_argument("--version", action="version", version=f"{_PROG} {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser(
        "demo", help="compare random, coreset and k-center sampling in input and VAE latent space",
        description=_plain((__doc__ or "\n\n").split("\n\n")[1]))
    _add_data_arguments(demo)
    demo.add_argument("--latent-dim", type=_POSITIVE, default=3, metavar="D",
                      help="VAE latent dimension (default: 3)")
    demo.add_argument("--architecture", choices=["auto", "mlp", "conv"], default=None,
                      help="VAE network; auto is convolutional for 28x28 images and an MLP "
                           "otherwise (default: auto; mlp with --quick on MNIST-format data)")
    demo.add_argument("--n-clusters", type=_POSITIVE, default=None, metavar="K",
                      help="K of the coreset (default: 10 on digits, 20 on MNIST-format data)")
    demo.add_argument("--budgets", type=_POSITIVE, nargs="+", default=None, metavar="B",
                      help="numbers of labels (default: 10 20 30 40 60 80 on digits, "
                           "20 40 ... 200 on MNIST-format data)")
    demo.add_argument("--epochs", type=_epochs, default=None, metavar="N",
                      help="most VAE training epochs, or auto: until the VAE's loss "
                           "converges, within 10 to 200 epochs (default: auto)")
    demo.add_argument("--batch-size", type=_POSITIVE, default=None, metavar="N",
                      help="VAE batch size (default: 128 on digits, 32 on MNIST-format data)")
    demo.add_argument("--pool-size", type=_POSITIVE, default=None, metavar="N",
                      help="keep a stratified random subset of this many pool rows (default: "
                           "all rows not held out; "
                           f"{_QUICK['mnist']['pool_size']} with --quick on MNIST-format data)")
    _add_run_arguments(demo, output="skvaeal_demo.png", n_trials=None,
                       n_trials_help="repetitions (default: 10; 2 with --quick)")
    demo.add_argument("--results", metavar="JSON", default=None,
                      help="also write the mean and std accuracy per arm and budget to this "
                           "JSON file (default: none)")
    demo.add_argument("--quick", action="store_true", help=_quick_help())
    demo.set_defaults(func=_run_demo)

    curve = sub.add_parser(
        "curve", help="learning curves of chosen strategies (incremental or one-shot)",
        description="Simulate active learning with the true labels as the oracle and plot "
                    "test accuracy against the number of labels, for the chosen strategies "
                    "in the input space, the VAE latent space or both.")
    _add_data_arguments(curve)
    curve.add_argument("--strategies", nargs="+", choices=sorted(_CURVE_STRATEGIES),
                       default=["random", "uncertainty", "coreset"], metavar="S",
                       help=f"from {', '.join(sorted(_CURVE_STRATEGIES))} "
                            "(default: random uncertainty coreset)")
    curve.add_argument("--space", choices=["input", "latent", "both"], default="both",
                       help="where strategies and classifier work (default: both)")
    curve.add_argument("--protocol", choices=["incremental", "one-shot"],
                       default="incremental",
                       help="incremental: query batches with the model trained so far; "
                            "one-shot: pick each budget from scratch before any label "
                            "(default: incremental)")
    curve.add_argument("--budgets", type=_POSITIVE, nargs="+", metavar="B",
                       help="labelled-set sizes (default: n_initial + k * n_instances, "
                            "k = 0..n_rounds)")
    curve.add_argument("--n-initial", type=_POSITIVE, default=10, metavar="N",
                       help="rows labelled at random before the first query (default: 10)")
    curve.add_argument("--n-instances", type=_POSITIVE, default=10, metavar="N",
                       help="rows queried per round (default: 10)")
    curve.add_argument("--n-rounds", type=_NON_NEGATIVE, default=6, metavar="N",
                       help="query rounds (default: 6)")
    curve.add_argument("--estimator", choices=["logreg", "svc"], default="logreg",
                       help="logistic regression (has predict_proba, needed by the "
                            "uncertainty strategies) or the demo's SVC grid search "
                            "(default: logreg)")
    curve.add_argument("--latent-dim", type=_POSITIVE, default=3, metavar="D",
                       help="VAE latent dimension (default: 3)")
    curve.add_argument("--n-clusters", type=_POSITIVE, default=10, metavar="K",
                       help="K of the coreset strategy (default: 10)")
    curve.add_argument("--epochs", type=_epochs, default=None, metavar="N",
                       help="most VAE training epochs, or auto: until the VAE's loss "
                            "converges, within 10 to 200 epochs (default: auto)")
    _add_run_arguments(curve, output="skvaeal_curve.png", n_trials=5,
                       n_trials_help="repetitions (default: 5)")
    curve.set_defaults(func=_run_curve)
    return parser


def _check_writable(path, option, suffix=None):
    """Fail now, not after a long run, when ``path`` cannot be written."""
    if suffix is not None and not path.lower().endswith(suffix):
        raise _UsageError(f"{option} {path!r} must end in {suffix}")
    if os.path.isdir(path):
        raise _UsageError(f"{option} {path!r} is a folder; give a file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _UsageError(f"{option} {path!r}: folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise _UsageError(f"{option} {path!r}: folder {folder!r} is not writable")


def _load(args):
    """Rows of the chosen classes, the data set kind and a one-line description."""
    import numpy as np

    from .datasets import load_digits_subset, load_mnist

    # Load every class and filter here: the loaders only know the labels 0..9,
    # while an MNIST-format folder may hold any labels.
    try:
        if args.data is None:
            X, y = load_digits_subset(None, return_X_y=True)
            kind, source = "digits", "scikit-learn digits (8x8)"
        else:
            X, y = load_mnist(args.data, subset="t10k", return_X_y=True)
            side = math.isqrt(X.shape[1])
            shape = f"{side}x{side}" if side * side == X.shape[1] else f"{X.shape[1]} features"
            kind, source = "mnist", f"MNIST-format t10k ({shape}) from {args.data}"
    except (OSError, EOFError, ValueError) as exc:
        raise _UsageError(f"cannot load --data {args.data}: {exc}") from exc
    present = np.unique(y).tolist()
    classes = sorted(args.classes)
    if len(set(classes)) != len(classes):
        raise _UsageError(f"--classes repeats a class: {' '.join(map(str, args.classes))}")
    unknown = [c for c in classes if c not in present]
    if unknown:
        raise _UsageError(f"unknown classes {' '.join(map(str, unknown))} for --classes; the "
                          f"data hold {' '.join(map(str, present))}")
    if len(classes) < 2:
        raise _UsageError("--classes needs at least two classes to tell apart")
    mask = np.isin(y, classes)
    return X[mask], y[mask], kind, f"{source}, classes {tuple(classes)}"


def _split(X, y, args, pool_size=None):
    """Stratified pool/test split, then optionally a stratified subset of the pool."""
    from sklearn.model_selection import train_test_split

    try:
        X_pool, X_test, y_pool, y_test = train_test_split(
            X, y, test_size=args.test_size, stratify=y, random_state=args.seed)
        if pool_size is not None and pool_size < len(X_pool):
            X_pool, _, y_pool, _ = train_test_split(
                X_pool, y_pool, train_size=pool_size, stratify=y_pool, random_state=args.seed)
    except ValueError as exc:
        options = f"--test-size {args.test_size}"
        if pool_size is not None:
            options += f", --pool-size {pool_size}"
        raise _UsageError(f"cannot split the data ({options}): {exc}") from exc
    return X_pool, X_test, y_pool, y_test


def _check_budgets(budgets, n_pool):
    if max(budgets) > n_pool:
        raise _UsageError(f"the largest budget {max(budgets)} exceeds the pool of {n_pool} "
                          "rows; lower --budgets or --test-size")


def _save_plot(results, path, title):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no plot written (pip install 'skvaeal[plot]').")
        return False
    matplotlib.use("Agg")  # headless: the demo only writes a file
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    results.plot(ax=ax, title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def _plain_floats(values):
    # JSON has no NaN; null says "no score" to every reader.
    return [None if math.isnan(v) else v for v in map(float, values)]


def _write_results(results, path):
    """The mean and std accuracy table of ``results`` as JSON, keyed by the printed arm names."""
    summary = results.summary()
    payload = {
        "budgets": [int(b) for b in results.budgets.tolist()],
        "arms": {name: {"mean": _plain_floats(s["mean"]), "std": _plain_floats(s["std"])}
                 for name, s in summary.items()},
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2, allow_nan=False)
        f.write("\n")


def _join(names):
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _best_per_budget(results, decimals=3):
    """One line per budget naming the arm with the highest mean test accuracy.

    Means are compared as printed, rounded to ``decimals``, so that an arm
    never appears to win by a difference the table does not show; tied arms
    are all named.

    Parameters
    ----------
    results : ActiveLearningResults
    decimals : int, default=3

    Returns
    -------
    lines : list of str
        E.g. ``"20 labels: best is coreset (latent) (0.931), ahead of random
        (input) (0.902)"``.
    """
    summary = results.summary()
    lines = []
    for j, budget in enumerate(results.budgets.tolist()):
        means = {name: round(float(s["mean"][j]), decimals) for name, s in summary.items()
                 if not math.isnan(s["mean"][j])}
        if not means:
            lines.append(f"{budget} labels: no arm has a score")
            continue
        top = max(means.values())
        best = [name for name, m in means.items() if m == top]
        rest = {name: m for name, m in means.items() if m < top}
        if len(best) == 1:
            line = f"{budget} labels: best is {best[0]} ({top:.{decimals}f})"
        else:
            line = f"{budget} labels: best are {_join(best)}, tied at {top:.{decimals}f}"
        if rest:
            second = max(rest.values())
            runners = [name for name, m in rest.items() if m == second]
            line += f", ahead of {_join(runners)} ({second:.{decimals}f})"
        lines.append(line)
    return lines


def _run_demo(args):
    _check_writable(args.output, "--output", ".png")
    if args.results is not None:
        _check_writable(args.results, "--results")
    start = time.perf_counter()
    X, y, kind, description = _load(args)
    settings = dict(_DEFAULTS[kind])
    if args.quick:
        settings.update(_QUICK[kind])
    # An option given on the command line wins over the defaults and --quick.
    for key in settings:
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    n_trials, budgets, epochs = settings["n_trials"], settings["budgets"], settings["epochs"]
    n_clusters = settings["n_clusters"]

    X_pool, X_test, y_pool, y_test = _split(X, y, args, settings["pool_size"])
    _check_budgets(budgets, len(X_pool))
    print(f"{description}: pool {len(X_pool)} rows, test {len(X_test)} rows.")
    # Imported only now: torch takes seconds to import, and a bad argument should not wait.
    from .active import coreset_comparison_arms, simulate_active_learning
    from .vae import VAETransformer

    t0 = time.perf_counter()
    # The VAE never sees a label and is fitted once; the arms then use it frozen.
    vae = VAETransformer(args.latent_dim, architecture=settings["architecture"],
                         max_epochs=epochs, batch_size=settings["batch_size"],
                         random_state=args.seed, verbose=args.verbose).fit(X_pool)
    # The epochs actually run: the estimator may stop before max_epochs once converged.
    print(f"VAE ({vae.architecture_}, latent_dim={args.latent_dim}) trained for "
          f"{len(vae.loss_curve_)} epochs in {time.perf_counter() - t0:.1f} s.")

    results = simulate_active_learning(
        None, X_pool, y_pool, X_test, y_test, coreset_comparison_arms(vae, n_clusters=n_clusters),
        protocol="one-shot", budgets=budgets, n_trials=n_trials, n_jobs=args.n_jobs,
        random_state=args.seed, verbose=args.verbose)
    print()
    print(results)
    print()
    print("Best arm per budget (highest mean test accuracy):")
    for line in _best_per_budget(results):
        print(f"  {line}")
    if args.results is not None:
        _write_results(results, args.results)
        print(f"Results written to {args.results}")
    title = f"{description}\nd={args.latent_dim}, K={n_clusters}, {n_trials} trials"
    if _save_plot(results, args.output, title):
        print(f"Plot written to {args.output}")
    print(f"Total time {time.perf_counter() - start:.1f} s.")
    return 0


def _run_curve(args):
    _check_writable(args.output, "--output", ".png")
    if args.estimator == "svc":
        needs_proba = [s for s in args.strategies if _CURVE_STRATEGIES[s][1]]
        if needs_proba:
            verb = "needs" if len(needs_proba) == 1 else "need"
            raise _UsageError(f"{', '.join(needs_proba)} {verb} predict_proba; use "
                              "--estimator logreg")
    budgets = args.budgets
    if budgets is None:
        budgets = [args.n_initial + k * args.n_instances for k in range(args.n_rounds + 1)]
    if args.protocol == "incremental" and any(b >= c for b, c in zip(budgets, budgets[1:])):
        raise _UsageError(f"--budgets must increase for the incremental protocol; got "
                          f"{' '.join(map(str, budgets))}")
    start = time.perf_counter()
    X, y, kind, description = _load(args)
    X_pool, X_test, y_pool, y_test = _split(X, y, args)
    _check_budgets(budgets, len(X_pool))
    from functools import partial

    from sklearn.linear_model import LogisticRegression

    from . import query
    from .active import Arm, make_svc_search, simulate_active_learning
    from .vae import VAETransformer

    estimator = make_svc_search() if args.estimator == "svc" else LogisticRegression(max_iter=1000)
    print(f"{description}: pool {len(X_pool)} rows, test {len(X_test)} rows.")
    spaces = {"input": None}
    if args.space in ("latent", "both"):
        epochs = args.epochs or _DEFAULTS[kind]["epochs"]
        t0 = time.perf_counter()
        spaces["latent"] = VAETransformer(args.latent_dim, max_epochs=epochs,
                                          batch_size=_DEFAULTS[kind]["batch_size"],
                                          random_state=args.seed,
                                          verbose=args.verbose).fit(X_pool)
        print(f"VAE trained for {len(spaces['latent'].loss_curve_)} epochs in "
              f"{time.perf_counter() - t0:.1f} s.")
        if args.space == "latent":
            del spaces["input"]
    arms = {}
    for name in args.strategies:
        strategy = getattr(query, _CURVE_STRATEGIES[name][0])
        if name == "coreset":
            strategy = partial(strategy, n_clusters=args.n_clusters)
        for space, transformer in spaces.items():
            arms[f"{name} ({space})"] = Arm(strategy, estimator, transformer)
    results = simulate_active_learning(
        None, X_pool, y_pool, X_test, y_test, arms, protocol=args.protocol, budgets=budgets,
        n_trials=args.n_trials, n_jobs=args.n_jobs, random_state=args.seed,
        verbose=args.verbose)
    print()
    print(results)
    if _save_plot(results, args.output, f"{description}\n{args.protocol}, "
                                        f"{args.n_trials} trials"):
        print(f"Plot written to {args.output}")
    print(f"Total time {time.perf_counter() - start:.1f} s.")
    return 0


def main(argv=None):
    """Entry point of the ``skvaeal`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success.

    Raises
    ------
    SystemExit
        With status 2 after printing one line, ``skvaeal: error: <message>``,
        to stderr when an argument is invalid; with status 0 after
        ``--help`` or ``--version``.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except _UsageError as exc:
        parser.error(str(exc))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
