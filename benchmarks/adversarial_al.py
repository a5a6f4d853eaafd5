"""Adversarial active learning on MNIST: VAAL and ASSAL against supervised baselines.

Protocol (issue 4): the 10,000-image MNIST test set, all ten digits, split per
seed into a pool of 8,000 rows and a held-out test set of 2,000; 20 initial
labels, then 20 more per round for 5 rounds (20, 40, ..., 120 labels); the test
accuracy after every round, averaged over seeds.

Arms
----
- ``random/svc-vae``, ``random/mlp``: random queries; task model an RBF SVC on
  the codes of a VAE fitted (without labels) on the pool, or a small MLP on
  pixels.
- ``entropy/svc-vae``: entropy sampling with that SVC (probability outputs).
- ``vaal/svc-vae``, ``vaal/mlp``: :func:`skvaeal.query.vaal_sampling` with a
  warm-started :class:`skvaeal.VAALSampler` (task-agnostic, so one query
  sequence is scored with both task models).
- ``assal/random``, ``assal/coreset``: :class:`skvaeal.ASSALClassifier`
  (defaults: pseudo-labels on shifted and rotated images plus the
  class-balanced entropy term) trained semi-supervised on the pool (labels so
  far, the rest ``-1``), refitted every round, and queried with
  :func:`skvaeal.query.assal_sampling`; the first 20 labels are
  random, or the K-means coreset (``vae_coreset_sampling``, one row nearest
  each of 20 centres) of the warm-up latent space. ``--assal-warm-start``
  continues training between rounds instead of refitting.
- ``assal-kmeans/random``, ``assal-kmeans/coreset``: the same, querying with
  ``assal_sampling(..., diversity="kmeans")`` (the lowest sampler score in
  each of 20 K-means clusters of the codes instead of the 20 lowest).
- ``assal-clf/random-queries`` (diagnostic): the ASSAL classifier refitted on
  the random arm's labels, to separate the classifier from its acquisition.

Every semi-supervised arm is paired with the supervised fit of the same network on
the same labels each round (``ASSALClassifier(unlabeled_trust=0)``, column
``<arm>/supervised``; ``--no-paired`` skips it), and the report gives the
largest fall of the mean between successive rounds and, per round, what the
fit did with its unlabelled rows: the trust it chose (``--trust``, default
``"cv"``), pseudo-label coverage and accuracy at ``--threshold``, the test
calibration error, and the cross-validated accuracies behind the trust.

Other data (issue 12): ``--classes 0 1 2 3 4`` keeps some classes of the IDX
folder; ``--dataset digits`` uses scikit-learn's 8x8 digits (give ``--n-pool
1400 --n-test 397``).

Query time per round: for VAAL the whole :func:`vaal_sampling` call (training
the sampler on the 8,000-row pools, then scoring); for ASSAL the selection
(:func:`assal_sampling`) and, separately, the training that produces the
sampler (which also trains the classifier).

Example::

    OMP_NUM_THREADS=1 python benchmarks/adversarial_al.py \\
        --data ../shared/data/mnist-t10k --n-seeds 5 --n-jobs 2

The digits, ASSAL's queries against random ones, paired supervised fits::

    OMP_NUM_THREADS=1 python benchmarks/adversarial_al.py --dataset digits \\
        --n-pool 1400 --n-test 397 --n-seeds 5 --n-jobs 2 \\
        --arms random/mlp assal-kmeans/random assal-clf/random-queries

Query times on 2 cores, one seed at a time::

    python benchmarks/adversarial_al.py --data ../shared/data/mnist-t10k \\
        --n-seeds 1 --threads 2 --arms assal/random vaal/svc-vae
"""

import argparse
import json
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

ROUNDS_DEFAULT = 5
ASSAL_ARMS = ["assal/random", "assal/coreset", "assal-kmeans/random", "assal-kmeans/coreset"]
ARM_ORDER = (["random/svc-vae", "random/mlp", "entropy/svc-vae", "vaal/svc-vae", "vaal/mlp"]
             + ASSAL_ARMS + ["assal-clf/random-queries"])


def load(args):
    """Rows and labels of the chosen data: an IDX folder (optionally some classes) or digits."""
    from skvaeal.datasets import load_digits_subset, load_mnist

    if args.dataset == "digits":
        X, y = load_digits_subset(args.classes, return_X_y=True)
    else:
        X, y = load_mnist(args.data, digits=args.classes, return_X_y=True)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


def semi_diagnostics(clf, X_unlabeled, y_unlabeled, X_test, y_test, threshold,
                     X_labeled=None, y_labeled=None):
    """What a semi-supervised fit did with its unlabelled rows, against their true labels.

    Pseudo-label coverage (share of unlabelled rows at or above the confidence
    threshold) and accuracy (among those), the expected calibration error on the
    test rows (15 equal-width confidence bins), and the trust the fit chose.
    """
    proba = clf.predict_proba(X_unlabeled)
    confident = proba.max(1) >= threshold
    pred = clf.classes_[proba.argmax(1)]
    out = {"coverage": float(confident.mean()),
           "pseudo_accuracy": float(np.mean(pred[confident] == y_unlabeled[confident]))
           if confident.any() else float("nan"),
           "trust": float(getattr(clf, "unlabeled_trust_", float("nan")))}
    scores = getattr(clf, "trust_scores_", None)
    if scores:
        out["cv_semi"], out["cv_supervised"] = scores[1.0], scores[0.0]
        out["cv_gain"] = scores.get("gain", float("nan"))
    proba_t = clf.predict_proba(X_test)
    conf_t, correct_t = proba_t.max(1), clf.classes_[proba_t.argmax(1)] == y_test
    bins = np.minimum((conf_t * 15).astype(int), 14)
    if X_labeled is not None:
        out["train_accuracy"] = float(clf.score(X_labeled, y_labeled))
    out["ece"] = float(sum(abs(correct_t[bins == b].mean() - conf_t[bins == b].mean())
                           * np.mean(bins == b) for b in range(15) if np.any(bins == b)))
    return out


def parse_trust(text):
    return text if text == "cv" else float(text)


def assal_params(args, seed):
    return dict(latent_dim=32, architecture="mlp", vae_weight=10.0, adversarial_weight=0.1,
                lr=1e-3, unlabeled_weight=args.unlabeled_weight, threshold=args.threshold,
                augment=None if args.augment == "none" else args.augment,
                input_dropout=args.input_dropout, warmup_epochs=args.assal_warmup,
                max_epochs=args.assal_epochs, batch_size=128, warm_start=args.assal_warm_start,
                unlabeled_trust=args.trust, trust_cv=args.trust_cv, ema_decay=args.ema_decay,
                device="cpu",
                random_state=seed)


def supervised_twin(params):
    """The supervised fit of the same network: ASSAL's parameters with trust 0."""
    return {**params, "unlabeled_trust": 0.0, "warm_start": False}


def task_models(seed):
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    return {
        "svc-vae": lambda: SVC(probability=True, random_state=seed),
        "mlp": lambda: MLPClassifier((128,), max_iter=300, random_state=seed),
    }


def progress(log, arms):
    # Partial results as they come, so that a cut-short run still reports something.
    for arm in arms:
        print(f"seed {log['seed']} {arm:<16} " + " ".join(f"{a:.3f}" for a in log["acc"][arm])
              + f"  [{time.strftime('%H:%M:%S')}]", flush=True)


def run_seed(args, seed):
    import torch
    from sklearn.exceptions import ConvergenceWarning

    # SVC(probability=True) is deprecated in sklearn 1.9 but is the SVC entropy sampling
    # needs; a calibrated CV wrapper cannot be fitted on 2 labels per class.
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    from skvaeal import ASSALClassifier, VAALSampler, VAETransformer
    from skvaeal.query import (assal_sampling, entropy_sampling, random_sampling,
                               vaal_sampling, vae_coreset_sampling)

    torch.set_num_threads(args.threads)
    X, y = load(args)
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(X))
    pool, test = order[:args.n_pool], order[args.n_pool:args.n_pool + args.n_test]
    Xp, yp, Xt, yt = X[pool], y[pool], X[test], y[test]
    budgets = [args.n_initial + args.n_query * r for r in range(args.rounds + 1)]
    log = {"seed": seed, "budgets": budgets, "acc": {}, "times": {}, "diagnostics": {}}
    models = task_models(seed)

    t0 = time.perf_counter()
    Zp = Zt = None
    if any(a.endswith("svc-vae") for a in args.arms):
        vae = VAETransformer(latent_dim=32, architecture="mlp", max_epochs=args.vae_epochs,
                             lr=1e-3, optimizer="adam", device="cpu",
                             random_state=seed).fit(Xp)
        Zp, Zt = vae.transform(Xp), vae.transform(Xt)
    log["times"]["vae_fit"] = time.perf_counter() - t0
    initial = random_sampling(None, Xp, args.n_initial, random_state=seed)[0]

    def evaluate(labeled, model_name):
        # Codes for the SVC, pixels for the MLP.
        Ztr, Zte = (Zp, Zt) if model_name == "svc-vae" else (Xp, Xt)
        model = models[model_name]().fit(Ztr[labeled], yp[labeled])
        return float(model.score(Zte, yt)), model

    def unlabeled_of(labeled):
        mask = np.ones(len(Xp), bool)
        mask[labeled] = False
        return np.flatnonzero(mask)

    # --- random (two task models) and entropy (SVC on codes)
    labeled = list(initial)
    for r, budget in enumerate(budgets):
        for name in ("svc-vae", "mlp"):
            if f"random/{name}" in args.arms:
                log["acc"].setdefault(f"random/{name}", []).append(evaluate(labeled, name)[0])
        if r < args.rounds:
            rest = unlabeled_of(labeled)
            labeled += list(rest[random_sampling(None, Xp[rest], args.n_query,
                                                 random_state=seed * 1000 + r)[0]])
    random_labeled = np.array(labeled)
    labeled = list(initial)
    for r, budget in enumerate(budgets):
        if "entropy/svc-vae" not in args.arms:
            break
        acc, model = evaluate(labeled, "svc-vae")
        log["acc"].setdefault("entropy/svc-vae", []).append(acc)
        if r < args.rounds:
            rest = unlabeled_of(labeled)
            idx = entropy_sampling(model, Zp[rest], args.n_query, random_state=seed)[0]
            labeled += list(rest[idx])

    progress(log, [a for a in ["random/svc-vae", "random/mlp", "entropy/svc-vae"]
                   if a in log["acc"]])

    # --- Diagnostic: the ASSAL classifier on the random arm's labels (no ASSAL queries),
    # to separate the semi-supervised classifier from its acquisition function.
    if "assal-clf/random-queries" in args.arms:
        accs = []
        for r, budget in enumerate(budgets):
            if args.assal_eval_budgets and budget not in args.assal_eval_budgets:
                accs.append(float("nan"))
                continue
            y_semi = np.full(len(Xp), -1)
            y_semi[random_labeled[:budget]] = yp[random_labeled[:budget]]
            clf = ASSALClassifier(**{**assal_params(args, seed), "warm_start": False})
            accs.append(float(clf.fit(Xp, y_semi).score(Xt, yt)))
            twin_acc = accs[-1]
            if clf.unlabeled_trust_ != 0.0:  # else this cold fit is its supervised twin
                twin = ASSALClassifier(**supervised_twin(assal_params(args, seed)))
                twin_acc = float(twin.fit(Xp, y_semi).score(Xt, yt))
            log["acc"].setdefault("assal-clf/random-queries/supervised", []).append(twin_acc)
            rest = y_semi == -1
            log["diagnostics"].setdefault("assal-clf/random-queries", []).append(
                semi_diagnostics(clf, Xp[rest], yp[rest], Xt, yt, args.threshold,
                                 Xp[~rest], yp[~rest]))
        log["acc"]["assal-clf/random-queries"] = accs
        progress(log, ["assal-clf/random-queries", "assal-clf/random-queries/supervised"])

    # --- ASSAL with a random or a coreset cold start, top-k or per-cluster queries
    for arm in [a for a in ASSAL_ARMS if a in args.arms]:
        variant, start = arm.split("/")
        diversity = "kmeans" if variant == "assal-kmeans" else None
        clf = ASSALClassifier(**assal_params(args, seed))
        fit_times, select_times = [], []
        if start == "random":
            labeled = list(initial)
        else:
            t0 = time.perf_counter()
            # The cold start only needs the warm-up latent space; with warm_start the
            # first fit continues from it, otherwise every round trains afresh.
            clf.fit_warmup(Xp)
            idx = vae_coreset_sampling(None, Xp, args.n_initial, transformer=clf,
                                       n_clusters=args.n_initial, within="closest",
                                       random_state=seed)[0]
            log["times"][f"{variant}_coreset_warmup"] = time.perf_counter() - t0
            labeled = list(idx)
        for r, budget in enumerate(budgets):
            y_semi = np.full(len(Xp), -1)
            y_semi[labeled] = yp[labeled]
            if r > 0 and args.assal_warm_start:
                clf.set_params(max_epochs=args.assal_warm_epochs)
            t0 = time.perf_counter()
            clf.fit(Xp, y_semi)
            fit_times.append(time.perf_counter() - t0)
            log["acc"].setdefault(arm, []).append(float(clf.score(Xt, yt)))
            rest = y_semi == -1
            log["diagnostics"].setdefault(arm, []).append(
                semi_diagnostics(clf, Xp[rest], yp[rest], Xt, yt, args.threshold,
                                 Xp[~rest], yp[~rest]))
            if args.paired:
                # The same network and labels without the unlabelled rows (issue 12). A
                # cold fit whose trust came out 0 is that fit already (same seed).
                t0 = time.perf_counter()
                if clf.unlabeled_trust_ == 0.0 and not args.assal_warm_start:
                    twin_acc = log["acc"][arm][-1]
                else:
                    twin = ASSALClassifier(**supervised_twin(assal_params(args, seed)))
                    twin_acc = float(twin.fit(Xp, y_semi).score(Xt, yt))
                log["acc"].setdefault(f"{arm}/supervised", []).append(twin_acc)
                log["times"].setdefault(f"{arm}_supervised_fit", []).append(
                    time.perf_counter() - t0)
            if r < args.rounds:
                rest = unlabeled_of(labeled)
                t0 = time.perf_counter()
                idx = assal_sampling(clf, Xp[rest], args.n_query, diversity=diversity,
                                     random_state=seed)[0]
                select_times.append(time.perf_counter() - t0)
                labeled += list(rest[idx])
        log["times"][f"{arm}_fit"] = fit_times
        log["times"][f"{arm}_select"] = select_times
        log.setdefault("class_counts", {})[arm] = [
            int(np.sum(yp[labeled] == c)) for c in np.unique(y)]
        progress(log, [a for a in (arm, f"{arm}/supervised") if a in log["acc"]])

    # --- VAAL: one warm-started sampler, queries scored with both task models
    if "vaal/svc-vae" not in args.arms:
        return log
    sampler = VAALSampler(latent_dim=32, architecture="mlp", max_epochs=args.vaal_epochs,
                          device="cpu", warm_start=True, random_state=seed)
    labeled = list(initial)
    vaal_times = []
    for r, budget in enumerate(budgets):
        for name in ("svc-vae", "mlp"):
            log["acc"].setdefault(f"vaal/{name}", []).append(evaluate(labeled, name)[0])
        if r < args.rounds:
            rest = unlabeled_of(labeled)
            epochs = args.vaal_epochs if r == 0 else args.vaal_warm_epochs
            t0 = time.perf_counter()
            idx = vaal_sampling(None, Xp[rest], args.n_query, X_labeled=Xp[labeled],
                                sampler=sampler, random_state=seed, max_epochs=epochs)[0]
            vaal_times.append(time.perf_counter() - t0)
            labeled += list(rest[idx])
    log["times"]["vaal_query"] = vaal_times
    progress(log, ["vaal/svc-vae", "vaal/mlp"])

    print(f"seed {seed} done: " + ", ".join(
        f"{arm} {log['acc'][arm][-1]:.3f}" for arm in ARM_ORDER if arm in log["acc"]),
        flush=True)
    return log


def report(logs, args):
    budgets = logs[0]["budgets"]
    print(f"\nTest accuracy (mean ± std over {len(logs)} seeds; pool {args.n_pool}, "
          f"test {args.n_test})")
    head = f"{'arm':<25}" + "".join(f"{b:>14}" for b in budgets)
    print(head)
    print("-" * len(head))
    table = {}
    semi_arms = [a for a in ASSAL_ARMS + ["assal-clf/random-queries"] if a in logs[0]["acc"]]
    for arm in [a for base in ARM_ORDER for a in (base, f"{base}/supervised")]:
        if arm not in logs[0]["acc"]:
            continue
        acc = np.array([log["acc"][arm] for log in logs])
        table[arm] = acc
        with warnings.catch_warnings():  # budgets an arm skipped are all-NaN columns
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, std = np.nanmean(acc, 0), np.nanstd(acc, 0)
        print(f"{arm:<25}" + "".join(f"{m:>8.3f} ±{s:.3f}" for m, s in zip(mean, std)))
    supervised = [a for a in table if not a.startswith("assal")]
    if supervised:
        best_sup = np.max([table[a].mean(0) for a in supervised], axis=0)
        for arm in semi_arms:
            above = table[arm].mean(0) > best_sup
            print(f"{arm} above every supervised curve at rounds: {above.tolist()}; "
                  f"at {budgets[-1]} labels {table[arm].mean(0)[-1]:.3f}")
    print("\nSemi-supervised arms against the supervised fit of the same network on the same "
          "labels (issue 12: mean gap >= -0.01 at every round, no drop > 0.02)")
    for arm in semi_arms:
        mean = table[arm].mean(0)
        drops = mean[:-1] - mean[1:]
        line = f"{arm:<25} largest fall between rounds {max(drops.max(), 0.0):.3f}"
        if f"{arm}/supervised" in table:
            gap = mean - table[f"{arm}/supervised"].mean(0)
            line += "; minus supervised: " + " ".join(f"{g:+.3f}" for g in gap)
        print(line)
        per_seed = np.array([log["acc"][arm] for log in logs])
        fall = max(float(np.max(per_seed[:, :-1] - per_seed[:, 1:])), 0.0)
        print(f"{'':<25} largest fall of one seed {fall:.3f}")
    for arm in semi_arms:
        diag = [log["diagnostics"].get(arm) for log in logs]
        if not all(diag):
            continue
        print(f"\n{arm}: per round, mean over seeds")
        for key in ("trust", "coverage", "pseudo_accuracy", "train_accuracy", "ece", "cv_semi",
                    "cv_supervised", "cv_gain"):
            if key not in diag[0][0]:
                continue
            values = np.array([[d.get(key, np.nan) for d in run] for run in diag], float)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                print(f"  {key:<16}" + " ".join(f"{v:>6.3f}" for v in np.nanmean(values, 0)))
    for model in ("svc-vae", "mlp"):
        if f"vaal/{model}" in table:
            diff = table[f"vaal/{model}"].mean(0) - table[f"random/{model}"].mean(0)
            print(f"VAAL - random ({model}) per round: " + " ".join(f"{d:+.3f}" for d in diff))
    print("\nTimes (s, mean over seeds; wall clock on the shared 2-core machine)")
    if "vaal_query" in logs[0]["times"]:
        vaal = np.array([log["times"]["vaal_query"] for log in logs])
        print("vaal_sampling per round (train sampler + score the pool): "
              + " ".join(f"{v:.1f}" for v in vaal.mean(0)))
    for arm in ASSAL_ARMS:
        if f"{arm}_fit" not in logs[0]["times"]:
            continue
        fit = np.array([log["times"][f"{arm}_fit"] for log in logs])
        sel = np.array([log["times"][f"{arm}_select"] for log in logs])
        print(f"{arm} fit per round: " + " ".join(f"{v:.1f}" for v in fit.mean(0))
              + "; assal_sampling per round: " + " ".join(f"{v:.3f}" for v in sel.mean(0)))
    if "class_counts" in logs[0]:
        print("\nLabels per class after the last round (summed over seeds)")
        for arm in logs[0]["class_counts"]:
            counts = np.sum([log["class_counts"][arm] for log in logs], axis=0)
            print(f"{arm:<21} " + " ".join(f"{c:>3d}" for c in counts))
    print(f"VAE for the SVC codes: {np.mean([log['times']['vae_fit'] for log in logs]):.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="folder with MNIST-format IDX files (e.g. t10k)")
    parser.add_argument("--dataset", choices=["idx", "digits"], default="idx",
                        help="idx: the --data folder; digits: scikit-learn's 8x8 digits")
    parser.add_argument("--classes", type=int, nargs="+", default=None,
                        help="keep only these classes (default: all)")
    parser.add_argument("--trust", type=parse_trust, default="cv",
                        help="ASSAL's unlabeled_trust: 'cv' (default) or a number in [0, 1]")
    parser.add_argument("--trust-cv", type=int, default=2, help="ASSAL's trust_cv")
    parser.add_argument("--ema-decay", type=float, default=None,
                        help="ASSAL's ema_decay (an averaged teacher); default: none")
    parser.add_argument("--paired", action=argparse.BooleanOptionalAction, default=True,
                        help="also fit the supervised twin of every ASSAL arm each round")
    parser.add_argument("--n-seeds", type=int, default=5)
    parser.add_argument("--seed0", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=ROUNDS_DEFAULT)
    parser.add_argument("--n-initial", type=int, default=20)
    parser.add_argument("--n-query", type=int, default=20)
    parser.add_argument("--n-pool", type=int, default=8000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--vae-epochs", type=int, default=10)
    parser.add_argument("--vaal-epochs", type=int, default=8,
                        help="sampler epochs in the first round")
    parser.add_argument("--vaal-warm-epochs", type=int, default=2,
                        help="sampler epochs in later (warm-started) rounds")
    parser.add_argument("--assal-warmup", type=int, default=5)
    parser.add_argument("--assal-epochs", type=int, default=10,
                        help="adversarial epochs of the first ASSAL fit")
    parser.add_argument("--assal-warm-epochs", type=int, default=3,
                        help="epochs of later (warm-started) ASSAL fits")
    parser.add_argument("--assal-warm-start", action=argparse.BooleanOptionalAction,
                        default=False,
                        help="continue training between rounds (cheaper; default: refit)")
    parser.add_argument("--assal-eval-budgets", type=int, nargs="*", default=None,
                        help="budgets at which assal-clf/random-queries is fitted (all)")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--input-dropout", type=float, default=0.0)
    parser.add_argument("--unlabeled-weight", type=float, default=3.0,
                        help="ASSAL's unlabeled_weight (the pseudo-label loss's weight)")
    parser.add_argument("--augment", choices=["auto", "affine", "none"], default="auto",
                        help="ASSAL's augment ('auto': shifts and rotations on MNIST, none on "
                             "the 8x8 digits)")
    parser.add_argument("--arms", nargs="+", default=ARM_ORDER, choices=ARM_ORDER)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per seed (use 2 with --n-jobs 1 to time 2 cores)")
    parser.add_argument("--output", default=None, help="write per-seed results as JSON")
    args = parser.parse_args(argv)
    if args.dataset == "idx" and not args.data:
        parser.error("--data DIR is required unless --dataset digits")
    if args.n_initial + args.n_query * args.rounds > args.n_pool:
        parser.error(f"--n-pool {args.n_pool} is smaller than the last budget")

    t0 = time.perf_counter()
    seeds = list(range(args.seed0, args.seed0 + args.n_seeds))
    if args.n_jobs > 1:
        with ProcessPoolExecutor(args.n_jobs) as ex:
            logs = list(ex.map(run_seed, [args] * len(seeds), seeds))
    else:
        logs = [run_seed(args, s) for s in seeds]
    report(logs, args)
    print(f"\nTotal wall time: {time.perf_counter() - t0:.0f} s")
    if args.output:
        with open(args.output, "w") as fh:
            json.dump({"args": vars(args), "logs": logs}, fh, indent=1)


if __name__ == "__main__":
    main()
