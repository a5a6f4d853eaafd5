"""ASAL (Mayer & Timofte, 2020) on MNIST-format data: accuracy curves and selection time.

Three experiments, each on any folder of MNIST-format IDX files (``--data``; the
``t10k`` files are read):

``binary``
    Digits 5 and 7, split into a pool and a stratified test set (30%). Logistic
    regression on raw pixels, 50 random initial labels, then 10 per cycle up to
    500 (or what the pool allows), ``--seeds`` runs: random sampling,
    max-entropy sampling, and ASAL matching in three feature spaces (raw
    pixels, a VAE's codes, the WGAN critic's features; 50 PCA dimensions where
    wider). One GAN and one VAE are trained on the pool and shared by all runs.
    Also reported: the mean entropy of the generated rows, of the matched rows
    and of random unlabelled rows under the same classifier.
``ten-class``
    All ten digits, a small CNN (skorch) trained from scratch each cycle, 100
    initial + 50 per cycle up to 1,000: random, max-entropy, k-center, ASAL with
    critic features and ASAL with the classifier's own features (F_CLS).
``timing``
    Selection time for 10 rows against pools of 10^4 .. 10^6 rows grown from the
    t10k images by random shifts and rotations (``skvaeal.nn.RandomAffine``):
    ASAL (synthesis through the CNN + matching in a 50-d PCA space, exact and
    faiss indexes) against max-entropy, which scores every row with the CNN;
    the index build time, the cycle at which ASAL's total cost drops below
    max-entropy's, and faiss' recall@1 against exact search.

Usage::

    python benchmarks/asal.py --data DIR --experiment binary [--seeds 5]
    python benchmarks/asal.py --data DIR --experiment ten-class [--seeds 3]
    python benchmarks/asal.py --data DIR --experiment timing [--sizes 10000 100000 1000000]

Each writes ``asal_<experiment>.json`` to ``--output-dir`` and prints its table.
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skvaeal import VAETransformer
from skvaeal.asal import PoolMatcher, WGANTransformer, asal_sampling
from skvaeal.datasets import load_mnist
from skvaeal.query import entropy_sampling, k_center_greedy


def entropy(proba):
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


# ----------------------------------------------------------------------- models
class SmallCNN(torch.nn.Module):
    """Two 3x3 convolutions and a dense layer: a small MNIST classifier over flat rows."""

    def __init__(self, n_classes=10):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 64), torch.nn.ReLU(),
            torch.nn.Linear(64, n_classes))

    def forward(self, x):
        return self.body(x.reshape(-1, 1, 28, 28))


def make_cnn(seed, max_epochs=15):
    from skorch import NeuralNetClassifier

    torch.manual_seed(seed)  # benchmark script: its own process, seeded per model
    return NeuralNetClassifier(SmallCNN, criterion=torch.nn.CrossEntropyLoss,
                               optimizer=torch.optim.Adam, lr=1e-3, max_epochs=max_epochs,
                               batch_size=64, train_split=None, verbose=0)


# ------------------------------------------------------------------- AL loop
def run_loop(strategy, make_model, X_pool, y_pool, X_test, y_test, budgets, seed,
             record_entropy=None):
    """One incremental run; ``strategy(model, labeled, rng) -> new pool indices``."""
    rng = np.random.RandomState(seed)
    labeled = list(rng.choice(len(X_pool), budgets[0], replace=False))
    accs, extra = [], []
    for j, budget in enumerate(budgets):
        model = make_model(seed).fit(X_pool[labeled], y_pool[labeled])
        accs.append(float(model.score(X_test, y_test)))
        if j + 1 == len(budgets):
            break
        n_new = budgets[j + 1] - budget
        start = time.perf_counter()
        new = strategy(model, np.asarray(labeled), n_new, rng)
        elapsed = time.perf_counter() - start
        assert not set(new) & set(labeled) and len(set(new)) == n_new
        cycle = {"query_seconds": elapsed}
        if record_entropy is not None:
            cycle.update(record_entropy(model, np.asarray(labeled), np.asarray(new), rng))
        extra.append(cycle)
        labeled.extend(int(i) for i in new)
    return accs, extra


def random_strategy(X_pool):
    def strategy(model, labeled, n, rng):
        free = np.setdiff1d(np.arange(len(X_pool)), labeled)
        return rng.choice(free, n, replace=False)
    return strategy


def max_entropy_strategy(X_pool):
    def strategy(model, labeled, n, rng):
        free = np.setdiff1d(np.arange(len(X_pool)), labeled)
        idx, _ = entropy_sampling(model, X_pool[free], n, random_state=rng)
        return free[idx]
    return strategy


def k_center_strategy(X_pool):
    def strategy(model, labeled, n, rng):
        free = np.setdiff1d(np.arange(len(X_pool)), labeled)
        idx, _ = k_center_greedy(None, X_pool[free], n, X_labeled=X_pool[labeled],
                                 random_state=rng)
        return free[idx]
    return strategy


def asal_strategy(X_pool, gan, matcher, n_steps=100):
    def strategy(model, labeled, n, rng):
        idx, _ = asal_sampling(model, X_pool, n, generator=gan, matcher=matcher,
                               n_steps=n_steps, exclude=labeled, random_state=rng)
        return idx
    return strategy


def asal_entropy_recorder(X_pool, gan, matcher, n_steps=100):
    """Entropy of the generated, matched and random unlabelled rows for one ASAL query."""
    def record(model, labeled, new, rng):
        _, h_gen = gan.synthesize(model, len(new), n_steps=n_steps, return_entropy=True,
                                  random_state=np.random.RandomState(rng.randint(2**31)))
        free = np.setdiff1d(np.arange(len(X_pool)), labeled)
        rand = np.random.RandomState(0).choice(free, min(200, len(free)), replace=False)
        return {"generated": float(np.mean(h_gen)),
                "matched": float(np.mean(entropy(model.predict_proba(X_pool[new])))),
                "random": float(np.mean(entropy(model.predict_proba(X_pool[rand]))))}
    return record


def summarise(results, budgets):
    out = {}
    for name, runs in results.items():
        acc = np.array([r["accuracy"] for r in runs])
        out[name] = {"mean": acc.mean(0).tolist(), "std": acc.std(0).tolist()}
    return out


def print_table(summary, budgets, show):
    cols = [b for b in budgets if b in show]
    print("arm".ljust(22) + "".join(f"{b:>14d}" for b in cols))
    for name, s in summary.items():
        cells = "".join(f"{s['mean'][budgets.index(b)]:>8.3f}±{s['std'][budgets.index(b)]:.3f}"
                        for b in cols)
        print(name.ljust(22) + cells)


# ----------------------------------------------------------------- experiments
def experiment_binary(args):
    X, y = load_mnist(args.data, digits=(5, 7), return_X_y=True)
    X = X.astype(np.float32)
    X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                      random_state=0)
    budgets = list(range(50, min(args.max_budget or 500, len(X_pool)) + 1, 10))
    timings = {}
    start = time.perf_counter()
    gan = WGANTransformer(max_epochs=args.gan_epochs, random_state=0,
                          verbose=args.verbose).fit(X_pool)
    timings["gan_fit"] = time.perf_counter() - start
    start = time.perf_counter()
    vae = VAETransformer(latent_dim=16, max_epochs=args.vae_epochs, random_state=0).fit(X_pool)
    timings["vae_fit"] = time.perf_counter() - start
    matchers = {"raw": PoolMatcher("raw", random_state=0),
                "autoencoder": PoolMatcher(vae, random_state=0),
                "critic": PoolMatcher(gan, random_state=0)}
    for name, m in matchers.items():
        start = time.perf_counter()
        m.fit(X_pool)
        timings[f"index_{name}"] = time.perf_counter() - start

    def make_lr(seed):
        return LogisticRegression(max_iter=2000)

    arms = {"random": (random_strategy(X_pool), None),
            "max-entropy": (max_entropy_strategy(X_pool), None)}
    for name, m in matchers.items():
        arms[f"ASAL-{name}"] = (asal_strategy(X_pool, gan, m),
                                asal_entropy_recorder(X_pool, gan, m))
    results = {}
    for name, (strategy, recorder) in arms.items():
        results[name] = []
        for seed in range(args.seeds):
            start = time.perf_counter()
            accs, extra = run_loop(strategy, make_lr, X_pool, y_pool, X_test, y_test, budgets,
                                   seed, recorder)
            results[name].append({"seed": seed, "accuracy": accs, "cycles": extra,
                                  "seconds": time.perf_counter() - start})
            print(f"{name} seed {seed}: {accs[min(15, len(accs) - 1)]:.3f} at "
                  f"{budgets[min(15, len(budgets) - 1)]}, "
                  f"{accs[-1]:.3f} at {budgets[-1]} ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    summary = summarise(results, budgets)
    print(f"\nMNIST t10k 5 vs 7: pool {len(X_pool)}, test {len(X_test)}, {args.seeds} seeds")
    print_table(summary, budgets, {50, 100, 150, 200, 250, 300, 400, 500, budgets[-1]})
    at = 200 if 200 in budgets else budgets[-1]
    rand = np.array(summary["random"]["mean"])
    se = np.array(summary["random"]["std"]) / np.sqrt(args.seeds)
    checks = {}
    for name in summary:
        if name.startswith("ASAL"):
            mean = np.array(summary[name]["mean"])
            checks[name] = {
                "budgets_at_or_above_random": int(np.sum(mean >= rand)),
                "budgets_at_or_above_random_minus_se": int(np.sum(mean >= rand - se)),
                "n_budgets": len(budgets),
                "accuracy_at_200": float(mean[budgets.index(at)]),
            }
    entropies = {}
    for name, runs in results.items():
        if name.startswith("ASAL"):
            cyc = [c for r in runs for c in r["cycles"]]
            g, m, r_ = (float(np.mean([c[k] for c in cyc]))
                        for k in ("generated", "matched", "random"))
            entropies[name] = {"generated": g, "matched": m, "random": r_,
                               "matched_over_random": m / r_ if r_ > 0 else None}
    print("\ntargets (ASAL >= random at every budget; >= 0.98 at 200 labels):")
    for name, c in checks.items():
        print(f"  {name}: >= random at {c['budgets_at_or_above_random']}/{c['n_budgets']} "
              f"budgets (within 1 s.e. at {c['budgets_at_or_above_random_minus_se']}), "
              f"{c['accuracy_at_200']:.3f} at 200")
    print("\nmean entropy (nats) of generated / matched / random unlabelled rows:")
    for name, e in entropies.items():
        print(f"  {name}: {e['generated']:.3f} / {e['matched']:.3f} / {e['random']:.3f} "
              f"(matched {100 * (e['matched_over_random'] - 1):+.0f}% vs random)")
    return {"pool": len(X_pool), "test": len(X_test), "budgets": budgets, "summary": summary,
            "checks": checks, "entropy": entropies, "timings": timings,
            "runs": results}


def experiment_ten_class(args):
    X, y = load_mnist(args.data, return_X_y=True)
    X = X.astype(np.float32)
    y = y.astype(np.int64)
    X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.2, stratify=y,
                                                      random_state=0)
    budgets = list(range(100, (args.max_budget or 1000) + 1, 50))
    timings = {}
    start = time.perf_counter()
    gan = WGANTransformer(max_epochs=args.gan_epochs, random_state=0,
                          verbose=args.verbose).fit(X_pool)
    timings["gan_fit"] = time.perf_counter() - start
    critic = PoolMatcher(gan, random_state=0).fit(X_pool)
    cls_matcher = PoolMatcher("classifier", random_state=0).fit(X_pool)

    def cls_strategy(model, labeled, n, rng):
        idx, _ = asal_sampling(model, X_pool, n, generator=gan, matcher=cls_matcher,
                               exclude=labeled, random_state=rng)
        return idx

    arms = {"random": random_strategy(X_pool), "max-entropy": max_entropy_strategy(X_pool),
            "k-center": k_center_strategy(X_pool),
            "ASAL-critic": asal_strategy(X_pool, gan, critic), "ASAL-CLS": cls_strategy}
    results = {}
    partial_path = os.path.join(args.output_dir, "asal_ten_class.partial.json")
    for name, strategy in arms.items():
        results[name] = []
        for seed in range(args.seeds):
            start = time.perf_counter()
            accs, extra = run_loop(strategy, lambda s: make_cnn(s, args.cnn_epochs), X_pool,
                                   y_pool, X_test, y_test, budgets, seed)
            results[name].append({"seed": seed, "accuracy": accs, "cycles": extra,
                                  "seconds": time.perf_counter() - start})
            print(f"{name} seed {seed}: {accs[-1]:.3f} at {budgets[-1]} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
            with open(partial_path, "w") as fh:  # a crash later keeps the finished runs
                json.dump({"budgets": budgets, "runs": results}, fh)
    summary = summarise(results, budgets)
    print(f"\nMNIST t10k ten classes: pool {len(X_pool)}, test {len(X_test)}, "
          f"{args.seeds} seeds, CNN {args.cnn_epochs} epochs per cycle")
    print_table(summary, budgets, {100, 200, 300, 400, 500, 600, 800, 1000})
    rand = np.array(summary["random"]["mean"])
    above = int(np.sum(np.array(summary["ASAL-critic"]["mean"]) > rand))
    print(f"\nASAL-critic above random at {above}/{len(budgets)} budgets (target: above random)")
    return {"pool": len(X_pool), "test": len(X_test), "budgets": budgets, "summary": summary,
            "asal_critic_above_random": above, "timings": timings, "runs": results}


def grow_pool(X_base, n, seed):
    """``n`` rows: the base images, then random shifts and rotations of them, float32."""
    from skvaeal.nn import RandomAffine

    augment = RandomAffine((1, 28, 28))
    out = np.empty((n, X_base.shape[1]), dtype=np.float32)
    base = torch.from_numpy(X_base)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for start in range(0, n, len(X_base)):
            stop = min(n, start + len(X_base))
            block = base[: stop - start]
            if start > 0:
                state = torch.get_rng_state()
                torch.manual_seed(int(torch.randint(2**31, (1,), generator=generator)))
                block = augment(block)
                torch.set_rng_state(state)
            out[start:stop] = block.numpy()
    return out


def experiment_timing(args):
    X, y = load_mnist(args.data, return_X_y=True)
    X = X.astype(np.float32)
    y = y.astype(np.int64)
    rng = np.random.RandomState(0)
    labeled = rng.choice(len(X), 1000, replace=False)
    cnn = make_cnn(0, max_epochs=5).fit(X[labeled], y[labeled])
    # The GAN's samples are the queries whose recall is measured: train it as ASAL would.
    gan = WGANTransformer(max_epochs=args.gan_epochs, random_state=0).fit(X)
    pca = PCA(50, random_state=0).fit(X)
    rows = []
    for n in args.sizes:
        start = time.perf_counter()
        pool = grow_pool(X, n, seed=n)
        grow_s = time.perf_counter() - start
        row = {"n_pool": n, "grow_seconds": grow_s}
        # Max-entropy: the CNN scores every row.
        start = time.perf_counter()
        entropy_sampling(cnn, pool, 10, random_state=0)
        row["max_entropy_seconds"] = time.perf_counter() - start
        for index in ("exact", "faiss"):
            matcher = PoolMatcher(pca, n_components=None, index=index, random_state=0)
            start = time.perf_counter()
            matcher.fit(pool)
            row[f"build_{index}_seconds"] = time.perf_counter() - start
            times = []
            for rep in range(3):
                start = time.perf_counter()
                idx, _ = asal_sampling(cnn, pool, 10, generator=gan, matcher=matcher,
                                       X_labeled=X[labeled], random_state=rep)
                times.append(time.perf_counter() - start)
            row[f"asal_{index}_seconds"] = float(np.median(times))
            saved = row["max_entropy_seconds"] - row[f"asal_{index}_seconds"]
            row[f"transition_cycle_{index}"] = (
                int(np.ceil(row[f"build_{index}_seconds"] / saved)) if saved > 0 else None)
            if index == "exact":
                exact = matcher
            else:
                # Recall of the nearest row for ASAL's own queries: synthesised samples.
                queries = gan.synthesize(cnn, 1000, n_steps=20, random_state=1)
                _, i_exact = exact.kneighbors(queries, 1)
                for ef in args.ef_search:
                    matcher.set_params(ef_search=ef)
                    start = time.perf_counter()
                    _, i_faiss = matcher.kneighbors(queries, 1)
                    row[f"faiss_query_1000_seconds_ef{ef}"] = time.perf_counter() - start
                    row[f"faiss_recall_at_1_ef{ef}"] = float(
                        np.mean(i_exact[:, 0] == i_faiss[:, 0]))
                row["faiss_recall_at_1"] = row[f"faiss_recall_at_1_ef{args.ef_search[0]}"]
                matcher.set_params(ef_search=args.ef_search[0])
        row["speedup_exact"] = row["max_entropy_seconds"] / row["asal_exact_seconds"]
        row["speedup_faiss"] = row["max_entropy_seconds"] / row["asal_faiss_seconds"]
        rows.append(row)
        print(json.dumps(row), flush=True)
        del pool, exact, matcher
    print("\n   n_pool  max-entropy  ASAL exact  ASAL faiss  build exact  build faiss"
          "  speedup(faiss)  transition(exact/faiss)  recall@1")
    for r in rows:
        print(f"{r['n_pool']:>9d} {r['max_entropy_seconds']:>11.2f}s "
              f"{r['asal_exact_seconds']:>10.2f}s {r['asal_faiss_seconds']:>10.2f}s "
              f"{r['build_exact_seconds']:>11.1f}s {r['build_faiss_seconds']:>11.1f}s "
              f"{r['speedup_faiss']:>14.1f}x {str(r['transition_cycle_exact']):>11}/"
              f"{str(r['transition_cycle_faiss']):<11} {r['faiss_recall_at_1']:.3f}")
    return {"rows": rows}


def _epochs(text):
    return text if text == "auto" else int(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder of MNIST-format IDX files")
    parser.add_argument("--experiment", required=True,
                        choices=["binary", "ten-class", "timing"])
    parser.add_argument("--seeds", type=int, default=None,
                        help="runs per arm (default 5 for binary, 3 for ten-class)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000, 1000000])
    parser.add_argument("--cnn-epochs", type=int, default=15)
    parser.add_argument("--ef-search", type=int, nargs="+", default=[512, 128, 1024],
                        help="timing: faiss HNSW search breadths whose recall is reported "
                             "(the first is used for the timings)")
    parser.add_argument("--gan-epochs", type=_epochs, default="auto",
                        help="WGAN epochs, or 'auto' (the estimator's default)")
    parser.add_argument("--vae-epochs", type=_epochs, default="auto")
    parser.add_argument("--max-budget", type=int, default=None,
                        help="stop the curves here (default 500 binary, 1000 ten-class)")
    parser.add_argument("--output-dir", default="asal_results")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    if not os.path.isdir(args.data):
        parser.error(f"--data {args.data!r} is not a folder")
    if args.seeds is None:
        args.seeds = 5 if args.experiment == "binary" else 3
    os.makedirs(args.output_dir, exist_ok=True)
    start = time.perf_counter()
    run = {"binary": experiment_binary, "ten-class": experiment_ten_class,
           "timing": experiment_timing}[args.experiment]
    out = run(args)
    out.update(command=" ".join(["python benchmarks/asal.py", *(argv or [])]),
               seconds=time.perf_counter() - start, machine=platform.platform(),
               torch_threads=torch.get_num_threads())
    path = os.path.join(args.output_dir, f"asal_{args.experiment.replace('-', '_')}.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"\nwrote {path} ({out['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
