"""Command-line interface: ``skvaeal demo`` runs the comparison of the VAE coreset paper.

``skvaeal demo`` (also ``python -m skvaeal demo``) reproduces, at a small scale,
the experiment of Pourkamali-Anaraki & Wakin (2019): a VAE is trained once on
an unlabelled pool, then for each labelling budget B five methods pick B rows
from scratch (random and K-means coreset in the input and the latent space,
and greedy k-center in the latent space), and an SVC tuned by grid search over
RBF/linear kernels is trained on them and scored on held-out rows.
"""

import argparse
import sys
import time

#: Defaults per data set: the embedded 8x8 digits (small pool: smaller budgets
#: and K) or MNIST IDX files (the paper's budgets and K).
_DEFAULTS = {
    "digits": {"budgets": [10, 20, 30, 40, 60, 80], "n_clusters": 10, "epochs": 150},
    "mnist": {"budgets": list(range(20, 201, 20)), "n_clusters": 20, "epochs": 20},
}
_QUICK = {"budgets": [10, 20, 40], "n_trials": 2, "epochs": 30}
#: Strategy names of ``skvaeal curve`` -> (name in skvaeal.query, needs predict_proba).
_CURVE_STRATEGIES = {
    "random": ("random_sampling", False),
    "uncertainty": ("uncertainty_sampling", True),
    "margin": ("margin_sampling", True),
    "entropy": ("entropy_sampling", True),
    "coreset": ("vae_coreset_sampling", False),
    "k-center": ("k_center_greedy", False),
}


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="skvaeal", description="Generative-model active learning with a scikit-learn API.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser(
        "demo", help="compare random, coreset and k-center sampling in input and VAE latent space",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    demo.add_argument("--data", metavar="DIR",
                      help="folder with MNIST t10k-images-idx3-ubyte(.gz) and "
                           "t10k-labels-idx1-ubyte(.gz); default: scikit-learn's 8x8 digits")
    demo.add_argument("--digits", type=int, nargs="+", default=[0, 3, 9], metavar="D",
                      help="classes to keep (default: 0 3 9)")
    demo.add_argument("--latent-dim", type=int, default=3, help="VAE latent dimension (default 3)")
    demo.add_argument("--n-clusters", type=int, default=None,
                      help="K of the coreset (default 10 on digits, 20 on MNIST)")
    demo.add_argument("--budgets", type=int, nargs="+", default=None, metavar="B",
                      help="numbers of labels (default 10..80 on digits, 20..200 on MNIST)")
    demo.add_argument("--n-trials", type=int, default=None,
                      help="repetitions (default 10; 2 with --quick)")
    demo.add_argument("--epochs", type=int, default=None,
                      help="VAE training epochs (default 150 on digits, 20 on MNIST)")
    demo.add_argument("--test-size", type=float, default=0.3,
                      help="fraction of rows held out for testing (default 0.3)")
    demo.add_argument("--n-jobs", type=int, default=None,
                      help="parallel trials (joblib; default 1, -1 for all cores)")
    demo.add_argument("--output", default="skvaeal_demo.png", metavar="PNG",
                      help="where to write the plot (default skvaeal_demo.png)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--quick", action="store_true",
                      help="a ~20 s run: 3 budgets, 2 trials, 30 epochs")
    demo.add_argument("--verbose", type=int, default=1, help="0 silences the progress bar")
    demo.set_defaults(func=_run_demo)

    curve = sub.add_parser(
        "curve", help="learning curves of chosen strategies (incremental or one-shot)",
        description="Simulate active learning with the true labels as the oracle and plot "
                    "test accuracy against the number of labels, for the chosen strategies "
                    "in the input space, the VAE latent space or both.")
    curve.add_argument("--data", metavar="DIR", help="MNIST IDX folder (default: 8x8 digits)")
    curve.add_argument("--digits", type=int, nargs="+", default=[0, 3, 9], metavar="D")
    curve.add_argument("--strategies", nargs="+", choices=sorted(_CURVE_STRATEGIES),
                       default=["random", "uncertainty", "coreset"], metavar="S",
                       help=f"from {', '.join(sorted(_CURVE_STRATEGIES))} "
                            "(default: random uncertainty coreset)")
    curve.add_argument("--space", choices=["input", "latent", "both"], default="both",
                       help="where strategies and classifier work (default both)")
    curve.add_argument("--protocol", choices=["incremental", "one-shot"],
                       default="incremental")
    curve.add_argument("--budgets", type=int, nargs="+", metavar="B",
                       help="labelled-set sizes (default: n_initial + k * n_instances)")
    curve.add_argument("--n-initial", type=int, default=10)
    curve.add_argument("--n-instances", type=int, default=10)
    curve.add_argument("--n-rounds", type=int, default=6)
    curve.add_argument("--estimator", choices=["logreg", "svc"], default="logreg",
                       help="logistic regression (has predict_proba, needed by the "
                            "uncertainty strategies) or the demo's SVC grid search")
    curve.add_argument("--latent-dim", type=int, default=3)
    curve.add_argument("--n-clusters", type=int, default=10)
    curve.add_argument("--epochs", type=int, default=None,
                       help="VAE epochs (default 150 on digits, 20 on MNIST)")
    curve.add_argument("--n-trials", type=int, default=5)
    curve.add_argument("--test-size", type=float, default=0.3)
    curve.add_argument("--n-jobs", type=int, default=None)
    curve.add_argument("--output", default="skvaeal_curve.png", metavar="PNG")
    curve.add_argument("--seed", type=int, default=0)
    curve.add_argument("--verbose", type=int, default=1)
    curve.set_defaults(func=_run_curve)
    return parser


def _load(args):
    from .datasets import load_digits_subset, load_mnist

    if args.data is None:
        X, y = load_digits_subset(args.digits, return_X_y=True)
        return X, y, "digits", f"scikit-learn digits (8x8), classes {tuple(args.digits)}"
    X, y = load_mnist(args.data, subset="t10k", digits=args.digits, return_X_y=True)
    return X, y, "mnist", f"MNIST t10k (28x28) from {args.data}, classes {tuple(args.digits)}"


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


def _run_demo(args):
    from sklearn.model_selection import train_test_split

    from .active import coreset_comparison_arms, simulate_active_learning
    from .vae import VAETransformer

    start = time.perf_counter()
    X, y, kind, description = _load(args)
    defaults = dict(_DEFAULTS[kind])
    defaults["n_trials"] = 10
    if args.quick:
        defaults.update(_QUICK)
    n_trials = args.n_trials or defaults["n_trials"]
    budgets = args.budgets or defaults["budgets"]
    epochs = args.epochs or defaults["epochs"]
    n_clusters = args.n_clusters or defaults["n_clusters"]

    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=args.test_size, stratify=y, random_state=args.seed)
    if max(budgets) > len(X_pool):
        raise SystemExit(f"skvaeal demo: error: the largest budget {max(budgets)} exceeds the "
                         f"pool of {len(X_pool)} rows.")
    print(f"{description}: pool {len(X_pool)} rows, test {len(X_test)} rows.")

    t0 = time.perf_counter()
    # The VAE never sees a label and is fitted once; the arms then use it frozen.
    vae = VAETransformer(args.latent_dim, architecture="auto", max_epochs=epochs,
                         random_state=args.seed).fit(X_pool)
    print(f"VAE ({vae.architecture_}, latent_dim={args.latent_dim}) trained for {epochs} "
          f"epochs in {time.perf_counter() - t0:.1f} s.")

    results = simulate_active_learning(
        None, X_pool, y_pool, X_test, y_test, coreset_comparison_arms(vae, n_clusters=n_clusters),
        protocol="one-shot", budgets=budgets, n_trials=n_trials, n_jobs=args.n_jobs,
        random_state=args.seed, verbose=args.verbose)
    print()
    print(results)
    title = f"{description}\nd={args.latent_dim}, K={n_clusters}, {n_trials} trials"
    if _save_plot(results, args.output, title):
        print(f"Plot written to {args.output}")
    print(f"Total time {time.perf_counter() - start:.1f} s.")
    return 0


def _run_curve(args):
    from functools import partial

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from . import query
    from .active import Arm, make_svc_search, simulate_active_learning
    from .vae import VAETransformer

    start = time.perf_counter()
    X, y, kind, description = _load(args)
    if args.estimator == "svc":
        needs_proba = [s for s in args.strategies if _CURVE_STRATEGIES[s][1]]
        if needs_proba:
            raise SystemExit(f"skvaeal curve: error: {', '.join(needs_proba)} need "
                             "predict_proba; use --estimator logreg.")
        estimator = make_svc_search()
    else:
        estimator = LogisticRegression(max_iter=1000)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=args.test_size, stratify=y, random_state=args.seed)
    print(f"{description}: pool {len(X_pool)} rows, test {len(X_test)} rows.")
    spaces = {"input": None}
    if args.space in ("latent", "both"):
        epochs = args.epochs or _DEFAULTS[kind]["epochs"]
        t0 = time.perf_counter()
        spaces["latent"] = VAETransformer(args.latent_dim, max_epochs=epochs,
                                          random_state=args.seed).fit(X_pool)
        print(f"VAE trained for {epochs} epochs in {time.perf_counter() - t0:.1f} s.")
        if args.space == "latent":
            del spaces["input"]
    arms = {}
    for name in args.strategies:
        strategy = getattr(query, _CURVE_STRATEGIES[name][0])
        if name == "coreset":
            strategy = partial(strategy, n_clusters=args.n_clusters)
        for space, transformer in spaces.items():
            arms[f"{name} ({space})"] = Arm(strategy, estimator, transformer)
    budgets = args.budgets
    if budgets is None and args.protocol == "one-shot":
        budgets = [args.n_initial + k * args.n_instances for k in range(args.n_rounds + 1)]
    results = simulate_active_learning(
        None, X_pool, y_pool, X_test, y_test, arms, protocol=args.protocol, budgets=budgets,
        n_initial=args.n_initial, n_instances=args.n_instances, n_rounds=args.n_rounds,
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
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "n_trials", None) is not None and args.n_trials < 1:
        parser.error("--n-trials must be >= 1")
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
