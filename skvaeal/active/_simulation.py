"""Pool-based active-learning experiments with a simulated oracle."""

import numbers
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_array, check_random_state

from ..utils import MAX_SEED
from ..utils._random import derive_seed
from ..utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from ._learner import ActiveLearner, _accepts_random_state, check_query_result
from ._results import ActiveLearningResults

_PROTOCOLS = ("one-shot", "incremental")


@dataclass(frozen=True)
class Arm:
    """One compared method: a query strategy, and optionally its own model and feature map.

    Parameters
    ----------
    strategy : callable
        A query strategy following the contract
        ``strategy(classifier, X_pool, n_instances=..., *, random_state=None, **kw)
        -> (query_idx, scores)``; use :func:`functools.partial` to fix options.
    estimator : estimator object, default=None
        The model trained on the labelled rows (a fresh clone per trial and
        budget); ``None`` uses the ``estimator`` given to
        :func:`simulate_active_learning`.
    transformer : fitted transformer, default=None
        A fitted feature map (e.g. a :class:`~skvaeal.VAETransformer` fitted on
        the pool). Pool and test rows are transformed once per simulation and
        both the strategy and the estimator see only the transformed rows.
        This gives the same results as an estimator
        ``make_pipeline(FrozenEstimator(transformer), model)`` with
        ``partial(strategy, transformer=transformer)``, without transforming
        the same rows again in every trial.
    semi_supervised : bool, default=False
        The estimator learns from unlabelled rows too (e.g.
        :class:`~skvaeal.ASSALClassifier`): every fit also receives the pool
        rows not labelled yet, as ``fit(X, y, X_unlabeled=...)``.
    initial : callable, default=None
        Incremental protocol: this arm's cold-start strategy, instead of the
        ``initial`` given to :func:`simulate_active_learning`; e.g. a K-means
        coreset in a latent space learnt without labels (the cold start of
        ASSAL): ``partial(vae_coreset_sampling, transformer=ASSALClassifier(
        warmup_epochs=5).fit_warmup(X_pool), n_clusters=20, within="closest")``.

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> from skvaeal.active import Arm
    >>> def first_rows(classifier, X_pool, n_instances=1):
    ...     return list(range(n_instances)), [0.0] * n_instances
    >>> Arm(first_rows, SVC()).estimator
    SVC()
    """

    strategy: Callable[..., Any]
    estimator: Optional[Any] = None
    transformer: Optional[Any] = None
    semi_supervised: bool = False
    initial: Optional[Callable[..., Any]] = None


def _call_strategy(strategy, classifier, X_pool, n_instances, seed):
    kwargs = {"random_state": seed} if _accepts_random_state(strategy) else {}
    result = strategy(classifier, X_pool, n_instances=n_instances, **kwargs)
    query_idx, _ = check_query_result(result, X_pool.shape[0], n_instances, strategy=strategy)
    return query_idx


def _constant_accuracy(y_labeled, y_test):
    """Accuracy of predicting the only labelled class (what a 1-class model would say)."""
    return float(np.mean(y_test == y_labeled[0]))


def _n_classes(y):
    return np.unique(y).shape[0]


def _unlabeled_kwargs(arm, X_pool, labeled):
    """``fit`` keywords of a semi-supervised arm: the pool rows where ``labeled`` is False."""
    return {"X_unlabeled": X_pool[~labeled]} if arm.semi_supervised else {}


def _ask_rules(rules, out, j, budget, model, X_pool, labeled, X_test, y_test):
    """Ask each rule not fired yet; record the budget where it first fires."""
    X_left = X_pool[~labeled]  # once per budget, not once per rule
    for name, rule in rules.items():
        if out["stopped_at"][name] >= 0:
            continue
        if rule.should_stop(model, X_left, n_labeled=int(budget),
                            X_held_out=X_test, y_held_out=y_test):
            out["stopped_at"][name] = int(budget)


def _fresh_rules(rules, trial_seed):
    """A fresh clone of each rule for one run; an unseeded ``random_state`` gets the trial's.

    The seed depends on the trial and the rule's position only, so every arm of a
    trial draws alike (common random numbers) and results do not depend on n_jobs.
    """
    fresh = {}
    for k, (name, rule) in enumerate(rules.items()):
        rule = clone(rule)
        if "random_state" in rule.get_params(deep=False) and rule.random_state is None:
            rule.set_params(random_state=derive_seed(trial_seed, k, spawn_key=(1,)))
        fresh[name] = rule
    return fresh


def _new_out(n_budgets, rules):
    return {"accuracy": np.empty(n_budgets), "query_time": np.empty(n_budgets),
            "fit_time": np.empty(n_budgets), "single_class": np.zeros(n_budgets, dtype=bool),
            "indices": [], "stopped_at": {name: -1 for name in rules}}


class _TrialContext:
    """What every (arm, trial) task of a simulation reads, in one picklable object.

    joblib's dask backend scatters an argument to the cluster once when dask
    measures it as large (:func:`dask.sizeof.sizeof` over 1 kB) and it can be
    weakly referenced; a dict of fitted models is neither, so without this
    wrapper the models and pools would be pickled into every task.
    ``__sizeof__`` reports the arrays it holds plus 1 MiB standing for the
    models (measuring their pickled size would pickle them once more), so that
    dask sees it as the large object it is.
    """

    def __init__(self, payload):
        self.payload = payload

    def __sizeof__(self):
        spaces = self.payload["spaces"].values()
        return object.__sizeof__(self) + int(sum(
            getattr(X, "nbytes", 0) + getattr(Xt, "nbytes", 0) for X, Xt in spaces)) + 2**20


def _run_trial(context, name, seed):
    """One (arm, trial) of a simulation, from the shared context."""
    c = context.payload
    arm = c["arms"][name]
    Xp, Xt = c["spaces"][c["space_of"][name]]
    rules = c["rules_of"][c["space_of"][name]]
    if c["protocol"] == "one-shot":
        return _one_shot_trial(arm, c["estimator"], Xp, c["y_pool"], Xt, c["y_test"],
                               c["budgets"], seed, rules)
    return _incremental_trial(arm, c["estimator"], Xp, c["y_pool"], Xt, c["y_test"],
                              c["budgets"], seed, c["initial"], rules)


def _one_shot_trial(arm, default_estimator, X_pool, y_pool, X_test, y_test, budgets, seed,
                    rules):
    n_budgets = len(budgets)
    rules = _fresh_rules(rules, seed)
    out = _new_out(n_budgets, rules)
    estimator = arm.estimator if arm.estimator is not None else default_estimator
    for j, budget in enumerate(budgets):
        # Pourkamali-Anaraki & Wakin's protocol: every budget picks its B rows from
        # scratch, before any label.
        start = time.perf_counter()
        idx = _call_strategy(arm.strategy, None, X_pool, int(budget), derive_seed(seed, j))
        out["query_time"][j] = time.perf_counter() - start
        out["indices"].append(idx)
        y_labeled = y_pool[idx]
        start = time.perf_counter()
        if _n_classes(y_labeled) < 2:
            out["single_class"][j] = True
            out["accuracy"][j] = _constant_accuracy(y_labeled, y_test)
        else:
            labeled = np.zeros(X_pool.shape[0], dtype=bool)
            labeled[idx] = True
            model = clone(estimator).fit(X_pool[idx], y_labeled,
                                         **_unlabeled_kwargs(arm, X_pool, labeled))
            out["accuracy"][j] = float(model.score(X_test, y_test))
        out["fit_time"][j] = time.perf_counter() - start
        if rules and not out["single_class"][j]:
            _ask_rules(rules, out, j, budget, model, X_pool, labeled, X_test, y_test)
    return out


def _incremental_trial(arm, default_estimator, X_pool, y_pool, X_test, y_test, budgets, seed,
                       initial, rules):
    n_budgets = len(budgets)
    rules = _fresh_rules(rules, seed)
    out = _new_out(n_budgets, rules)
    estimator = arm.estimator if arm.estimator is not None else default_estimator
    initial = arm.initial if arm.initial is not None else initial
    strategy_takes_seed = _accepts_random_state(arm.strategy)
    labeled = np.zeros(X_pool.shape[0], dtype=bool)
    order = []  # pool indices in the order they were labelled
    learner = None
    for j, budget in enumerate(budgets):
        n_new = int(budget) - len(order)
        candidates = np.flatnonzero(~labeled)
        step_seed = derive_seed(seed, j)
        start = time.perf_counter()
        if learner is None:
            # Cold start, and any round while the labelled set has a single class:
            # the `initial` strategy picks without a model.
            idx = _call_strategy(initial, None, X_pool[candidates], n_new, step_seed)
        else:
            kwargs = {"random_state": step_seed} if strategy_takes_seed else {}
            idx, _ = learner.query(X_pool[candidates], n_instances=n_new, **kwargs)
        out["query_time"][j] = time.perf_counter() - start
        new = candidates[idx]
        labeled[new] = True
        order.extend(new.tolist())
        all_idx = np.asarray(order, dtype=np.intp)
        start = time.perf_counter()
        unlabeled = _unlabeled_kwargs(arm, X_pool, labeled)
        if learner is not None:
            learner.teach(X_pool[new], y_pool[new], **unlabeled)
        elif _n_classes(y_pool[all_idx]) >= 2:
            learner = ActiveLearner(clone(estimator), arm.strategy,
                                    X_training=X_pool[all_idx], y_training=y_pool[all_idx],
                                    **unlabeled)
        out["fit_time"][j] = time.perf_counter() - start
        if learner is None:
            out["single_class"][j] = True
            out["accuracy"][j] = _constant_accuracy(y_pool[all_idx], y_test)
        else:
            out["accuracy"][j] = float(learner.score(X_test, y_test))
            if rules:
                _ask_rules(rules, out, j, budget, learner, X_pool, labeled, X_test, y_test)
        out["indices"].append(all_idx)
    return out


def _check_budgets(budgets, protocol, n_pool, n_initial, n_instances, n_rounds):
    if budgets is None:
        if protocol == "one-shot":
            raise ValueError("budgets is required for protocol='one-shot', e.g. [20, 40, 60].")
        budgets = n_initial + n_instances * np.arange(n_rounds + 1)
    budgets = np.asarray(budgets)
    if budgets.ndim != 1 or budgets.size == 0 or not np.issubdtype(budgets.dtype, np.integer):
        raise ValueError(f"budgets must be a non-empty 1-D sequence of ints; got {budgets!r}.")
    if budgets.min() < 1 or budgets.max() > n_pool:
        raise ValueError(
            f"budgets must lie in [1, {n_pool}] (the pool size); got {budgets.tolist()}."
        )
    if protocol == "incremental" and np.any(np.diff(budgets) <= 0):
        raise ValueError(
            f"budgets must increase strictly for protocol='incremental'; got {budgets.tolist()}."
        )
    return budgets.astype(np.int64)


def _resolve_arms(strategies, estimator):
    if not strategies:  # a dict, by the declared constraint
        raise TypeError(
            "strategies must be a non-empty dict mapping a name to a strategy or an Arm."
        )
    arms = {}
    for name, value in strategies.items():
        arm = value if isinstance(value, Arm) else Arm(value)
        if not callable(arm.strategy):
            raise TypeError(f"strategies[{name!r}] must be callable or an Arm; got {value!r}.")
        if arm.estimator is None and estimator is None:
            raise ValueError(
                f"strategies[{name!r}] has no estimator of its own and estimator is None."
            )
        if arm.transformer is not None and not hasattr(arm.transformer, "transform"):
            raise TypeError(f"strategies[{name!r}].transformer must have a transform method.")
        if arm.initial is not None and not callable(arm.initial):
            raise TypeError(f"strategies[{name!r}].initial must be callable; got {arm.initial!r}.")
        arms[str(name)] = arm
    return arms


def _check_rules(stopping):
    if stopping is None:
        return {}
    for name, rule in stopping.items():
        if not (hasattr(rule, "should_stop") and hasattr(rule, "get_params")):
            raise TypeError(
                f"stopping[{name!r}] must be a stopping rule (e.g. skvaeal.active.LabelBudget);"
                f" got {rule!r}.")
    return {str(name): rule for name, rule in stopping.items()}


def _map_rules(rules, transformer):
    """The rules with the rows they hold mapped by ``transformer`` (once per space)."""
    mapped = {}
    for name, rule in rules.items():
        params = {p: getattr(rule, p) for p in getattr(rule, "_data_params", ())
                  if getattr(rule, p, None) is not None}
        mapped[name] = clone(rule).set_params(
            **{p: np.asarray(transformer.transform(X)) for p, X in params.items()})
    return mapped


def _progress(total, verbose):
    """A progress reporter: tqdm when installed, else a line per finished task."""
    if not verbose:
        return lambda: None, lambda: None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(total=total, desc="simulate", unit="run", leave=False)
        return (lambda: bar.update(1)), bar.close
    state = {"done": 0, "start": time.perf_counter()}

    def update():
        state["done"] += 1
        print(f"[simulate] {state['done']}/{total} runs done "
              f"({time.perf_counter() - state['start']:.1f} s)", flush=True)
    return update, lambda: None


@validate_params({
    "estimator": [None, HasMethods(["fit"])],
    "X_pool": ["array-like"],
    "y_pool": ["array-like"],
    "X_test": ["array-like"],
    "y_test": ["array-like"],
    "strategies": [dict],
    "protocol": [StrOptions(set(_PROTOCOLS))],
    "budgets": [None, "array-like"],
    "n_initial": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_instances": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_rounds": [Interval(numbers.Integral, 0, None, closed="left")],
    "initial": [StrOptions({"random"}), callable],
    "n_trials": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_jobs": [None, numbers.Integral],
    "stopping": [None, dict],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}, prefer_skip_nested_validation=False)
def simulate_active_learning(estimator, X_pool, y_pool, X_test, y_test, strategies, *,
                             protocol="one-shot", budgets=None, n_initial=10, n_instances=10,
                             n_rounds=10, initial="random", n_trials=5, n_jobs=None,
                             stopping=None, random_state=None, verbose=1):
    """Compare query strategies on a pool with known labels (a simulated oracle).

    Parameters
    ----------
    estimator : estimator object or None
        The model trained on the labelled rows; a fresh :func:`~sklearn.base.clone`
        is fitted for every trial and budget. May be ``None`` when every arm
        brings its own (see :class:`Arm`).
    X_pool : array-like of shape (n_pool, n_features)
        Unlabelled candidates; ``y_pool`` holds the labels the oracle reveals.
    y_pool : array-like of shape (n_pool,)
    X_test : array-like of shape (n_test, n_features)
        Held-out rows for the reported accuracy.
    y_test : array-like of shape (n_test,)
    strategies : dict of str to callable or Arm
        The methods to compare, by name. A callable is a query strategy used
        with ``estimator`` in the input space; an :class:`Arm` may add its own
        estimator and a fitted ``transformer`` (e.g. a VAE) for a latent space.
    protocol : {"one-shot", "incremental"}, default="one-shot"
        ``"one-shot"`` (Pourkamali-Anaraki & Wakin, 2019): for each budget B,
        the strategy picks B rows from scratch with ``classifier=None`` (a cold
        start: no label is known yet), then the model is trained on them.
        ``"incremental"``: ``initial`` picks the first ``budgets[0]`` rows, then
        an :class:`ActiveLearner` (the learner is passed to the strategy as the
        classifier) queries ``budgets[j] - budgets[j-1]`` rows per round and
        is refitted on all labelled rows.
    budgets : sequence of int, default=None
        Numbers of labelled rows at which test accuracy is recorded. Required
        for ``"one-shot"``; for ``"incremental"`` it defaults to
        ``n_initial + n_instances * [0, 1, ..., n_rounds]``.
    n_initial, n_instances, n_rounds : int, default=10
        The incremental schedule when ``budgets`` is None.
    initial : "random" or callable, default="random"
        Incremental protocol: the cold-start strategy (called with
        ``classifier=None``) for the first batch and for any round while the
        labelled set holds a single class. ``"random"`` is
        :func:`skvaeal.query.random_sampling`.
    n_trials : int, default=5
        Independent repetitions, each with its own seed. Within a trial all
        arms share that seed (common random numbers), so e.g. random sampling
        in input and latent space labels the same rows and their difference
        comes from the space alone.
    n_jobs : int, default=None
        Runs (arm, trial) pairs in parallel with joblib; results are identical
        for any value, since every seed is drawn up front from ``random_state``.
    stopping : dict of str to StoppingRule, default=None
        Rules to report on (e.g. :class:`LabelBudget`,
        :class:`StabilizingPredictions`): a fresh clone of each is asked
        after every budget of every (arm, trial), with the model of that
        budget, the pool rows not labelled yet and ``X_test``/``y_test`` as the
        held-out set. The simulation does not stop; ``results.stopped_at``
        records the budget at which each rule would have. Rows a rule holds
        (``X_stop``, ``X_val``) are mapped by an arm's ``transformer``, like
        the pool. A rule with ``random_state=None`` is seeded per trial from
        ``random_state``, so ``stopped_at`` is reproducible too. Budgets with
        a single-class labelled set (no model) are not asked about.
    random_state : int, RandomState instance or None, default=None
        Seeds all trials. Strategies receive per-trial, per-budget integer
        seeds through their ``random_state`` keyword when they declare one.
    verbose : int, default=1
        ``0`` is silent; ``1`` shows a progress bar (tqdm when installed, else
        a line per finished run).

    Returns
    -------
    results : ActiveLearningResults
        Accuracy, queried indices and timings per arm, trial and budget, and
        in ``stopped_at`` the budget at which each stopping rule fired.

    Notes
    -----
    A labelled set with a single class cannot train most classifiers. Such a
    budget records the accuracy of predicting that class for every test row
    (what the labelled data supports), is flagged in ``results.single_class``,
    and triggers one :class:`UserWarning` per simulation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.active import simulate_active_learning
    >>> X, y = load_iris(return_X_y=True)
    >>> def random_rows(classifier, X_pool, n_instances=1, *, random_state=None):
    ...     rng = np.random.RandomState(random_state)
    ...     return rng.choice(len(X_pool), n_instances, replace=False), np.zeros(n_instances)
    >>> res = simulate_active_learning(
    ...     LogisticRegression(), X[::2], y[::2], X[1::2], y[1::2], {"random": random_rows},
    ...     budgets=[10, 30], n_trials=3, random_state=0, verbose=0)
    >>> res.accuracy.shape  # (strategies, trials, budgets)
    (1, 3, 2)
    >>> bool(res.summary()["random"]["mean"][-1] > 0.8)
    True
    """
    X_pool = check_array(X_pool, allow_nd=True, input_name="X_pool")
    X_test = check_array(X_test, allow_nd=True, input_name="X_test")
    y_pool, y_test = np.asarray(y_pool), np.asarray(y_test)
    for name, X_, y_ in (("y_pool", X_pool, y_pool), ("y_test", X_test, y_test)):
        if y_.ndim != 1 or y_.shape[0] != X_.shape[0]:
            raise ValueError(
                f"{name} must be 1-D with one label per row of X_{name[2:]}: got shape "
                f"{y_.shape} for {X_.shape[0]} rows."
            )
    if X_pool.shape[1:] != X_test.shape[1:]:
        raise ValueError(
            f"X_test rows have shape {X_test.shape[1:]} but X_pool rows have {X_pool.shape[1:]}."
        )
    budgets = _check_budgets(budgets, protocol, X_pool.shape[0], n_initial, n_instances,
                             n_rounds)
    arms = _resolve_arms(strategies, estimator)
    rules = _check_rules(stopping)
    if protocol == "incremental" and isinstance(initial, str):  # "random"
        from ..query import random_sampling

        initial = random_sampling

    # Transform once per distinct feature map, not once per trial and budget.
    spaces, space_of = {}, {}
    for name, arm in arms.items():
        key = id(arm.transformer)
        if key not in spaces:
            if arm.transformer is None:
                spaces[key] = (X_pool, X_test)
            else:
                spaces[key] = (np.asarray(arm.transformer.transform(X_pool)),
                               np.asarray(arm.transformer.transform(X_test)))
        space_of[name] = key
    # A rule's own rows (a stop set, a validation set) live where the arm's model does.
    rules_of = {}
    for name, arm in arms.items():
        if space_of[name] not in rules_of:
            rules_of[space_of[name]] = (rules if arm.transformer is None
                                        else _map_rules(rules, arm.transformer))

    seeds = check_random_state(random_state).randint(MAX_SEED, size=n_trials)
    names = list(arms)
    tasks = [(a, t) for t in range(n_trials) for a in range(len(names))]

    # Everything the trials share (models, pools, rules) travels as one object: a dask
    # cluster (joblib's "dask" backend) scatters it once and each worker fetches it once,
    # instead of pickling the fitted models into every task.
    context = _TrialContext(dict(
        arms=arms, estimator=estimator, spaces=spaces, space_of=space_of, rules_of=rules_of,
        y_pool=y_pool, y_test=y_test, budgets=budgets, protocol=protocol, initial=initial))

    def make_task(a, t):
        return delayed(_run_trial)(context, names[a], int(seeds[t]))

    update, close = _progress(len(tasks), verbose)
    outputs = []
    try:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator")
        for out in parallel(make_task(a, t) for a, t in tasks):
            outputs.append(out)
            update()
    finally:
        close()

    shape = (len(names), n_trials, len(budgets))
    accuracy, query_time, fit_time = np.empty(shape), np.empty(shape), np.empty(shape)
    single_class = np.zeros(shape, dtype=bool)
    indices = {name: [None] * n_trials for name in names}
    stopped_at = {name: np.full(shape[:2], -1, dtype=np.int64) for name in rules}
    for (a, t), out in zip(tasks, outputs):
        for rule_name, budget in out["stopped_at"].items():
            stopped_at[rule_name][a, t] = budget
        accuracy[a, t], query_time[a, t], fit_time[a, t] = (
            out["accuracy"], out["query_time"], out["fit_time"])
        single_class[a, t] = out["single_class"]
        indices[names[a]][t] = out["indices"]
    if single_class.any():
        warnings.warn(
            f"{int(single_class.sum())} of {single_class.size} labelled sets held a single "
            "class; their accuracy is that of predicting this class for every test row "
            "(see results.single_class).", UserWarning, stacklevel=2)
    return ActiveLearningResults(
        names=names, budgets=budgets, accuracy=accuracy, query_time=query_time,
        fit_time=fit_time, indices=indices, single_class=single_class, protocol=protocol,
        seeds=seeds, stopped_at=stopped_at,
    )
