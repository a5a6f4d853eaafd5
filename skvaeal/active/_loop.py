"""A labelling loop over a pool that a person or a simulation answers, saved and resumed."""

import io
import numbers
import os
import pickle
import time
import warnings

import joblib
import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_random_state

from ..oracle import check_oracle_answer
from ..utils import MAX_SEED, label_kind, n_rows, take_rows
from ..utils._random import derive_seed, fresh_seed
from ._learner import _accepts_random_state, check_query_result

__all__ = ["ActiveLearningLoop", "LOOP_FORMAT_VERSION"]

#: The version of the file :meth:`ActiveLearningLoop.save` writes. It changes whenever the
#: saved state changes meaning, and :meth:`ActiveLearningLoop.load` refuses any other.
LOOP_FORMAT_VERSION = 1
_FORMAT = "skvaeal.ActiveLearningLoop"


def _labels_array(values, like=None):
    """Labels from an oracle (an object array) as the labelled set's dtype.

    Numbers stay numbers and strings strings, so that ``y_training`` is not an
    object array of mixed kinds.
    """
    values = list(values)
    if like is None or np.asarray(like).dtype == object:
        return np.asarray(values)
    dtype = np.asarray(like).dtype
    try:
        out = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError):
        out = None
    if out is None or label_kind(out) != label_kind(np.asarray(values)):
        raise ValueError(
            f"labels {values!r} are not of the kind of the labels so far (e.g. "
            f"{np.asarray(like)[0]!r}, dtype {dtype}); answer with labels of the same type. "
            "Nothing was taught.")
    return out


class ActiveLearningLoop:
    """The rounds of pool-based active learning: ask, answer, teach; save and resume.

    Holds an :class:`ActiveLearner`, the pool, which rows remain, every query
    with its scores and answers, and the seeds of the rounds to come. One round
    is :meth:`ask` (the learner's strategy picks ``n_instances`` rows),
    an answer from a person or an oracle, and :meth:`tell` (the learner is
    taught the valid answers). :meth:`step` and :meth:`run` take an oracle of
    :mod:`skvaeal.oracle` and do the same. :meth:`save` writes the whole state
    to one file, and :meth:`load` resumes it in another process: the next
    query after resuming is the one the loop would have asked without the
    restart. :class:`~skvaeal.widgets.LabellingWidget` drives a loop in a
    notebook.

    Parameters
    ----------
    learner : ActiveLearner
        skvaeal's learner (or modAL's): its ``query_strategy`` picks the rows
        and ``teach`` learns them. It may start without labels
        (``X_training=None``): until it can be fitted (a classifier needs two
        classes), ``initial`` picks the rows.
    X_pool : array-like, sparse matrix, DataFrame or list
        The unlabelled rows. Indices are positions in ``X_pool``.
    n_instances : int, default=1
        Rows asked per round.
    initial : callable or "random", default="random"
        The cold-start strategy, called as ``initial(None, X_candidates,
        n_instances, random_state=...)`` while the learner has no model.
    stopping : dict of str to StoppingRule, default=None
        Rules asked after every round (e.g. :class:`LabelBudget`,
        :class:`StabilizingPredictions`); :attr:`should_stop` is true once
        one fired. Rules are called once the learner has a model.
    X_test, y_test : array-like, default=None
        A held-out set: its score is recorded after every round, and rules
        such as :class:`AccuracyChange` use it.
    autosave : str or path-like, default=None
        Save the loop to this file after every :meth:`tell`, so that a
        labelling session survives a crash or a closed notebook.
    random_state : int, RandomState instance or None, default=None
        Seeds every round's strategy: round ``r`` gets a seed derived from
        this one and ``r``, so a resumed loop draws what it would have.

    Attributes
    ----------
    labeled_indices_ : ndarray of int
        Pool positions taught so far, in the order they were labelled.
    labels_ : ndarray
        Their labels.
    skipped_indices_ : ndarray of int
        Pool positions answered "skip" / "not a valid sample" (``None``);
        never asked again.
    history_ : list of dict
        One entry per round: ``round``, ``indices`` (pool positions asked),
        ``scores`` (the strategy's), ``labels`` (``None`` for skipped),
        ``confidences``, ``n_labeled``, ``score`` (on the held-out set, or
        None), ``stopped`` (names of the rules that had fired), ``seconds``
        (from ask to tell).
    round_ : int
        Rounds answered so far.
    stopped_by_ : list of str
        The rules that fired.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.active import ActiveLearner, ActiveLearningLoop, LabelBudget
    >>> from skvaeal.oracle import PoolOracle
    >>> X, y = load_digits(return_X_y=True)
    >>> loop = ActiveLearningLoop(ActiveLearner(LogisticRegression(max_iter=500)), X[:500],
    ...                           n_instances=20, stopping={"budget": LabelBudget(60)},
    ...                           X_test=X[500:], y_test=y[500:], random_state=0)
    >>> loop.run(PoolOracle(y[:500]))
    >>> loop.round_, len(loop.labeled_indices_), loop.stopped_by_
    (3, 60, ['budget'])
    >>> bool(loop.history_[-1]["score"] > 0.8)
    True
    """

    def __init__(self, learner, X_pool, *, n_instances=1, initial="random", stopping=None,
                 X_test=None, y_test=None, autosave=None, random_state=None):
        if not (hasattr(learner, "query") and hasattr(learner, "teach")):
            raise TypeError(
                f"learner must be an active learner with query and teach methods (e.g. "
                f"skvaeal.active.ActiveLearner); got {type(learner).__name__}.")
        if not isinstance(n_instances, numbers.Integral) or isinstance(n_instances, bool) \
                or n_instances < 1:
            raise ValueError(f"n_instances must be an int >= 1; got {n_instances!r}.")
        if isinstance(initial, str):
            if initial != "random":
                raise ValueError(f"initial must be 'random' or a callable; got {initial!r}.")
            from ..query import random_sampling

            initial = random_sampling
        elif not callable(initial):
            raise TypeError(f"initial must be 'random' or a callable; got {initial!r}.")
        stopping = {} if stopping is None else stopping
        if not isinstance(stopping, dict) or not all(
                hasattr(rule, "should_stop") for rule in stopping.values()):
            raise TypeError(
                "stopping must be a dict mapping a name to a stopping rule (an object with "
                "should_stop, e.g. skvaeal.active.LabelBudget).")
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test must be given together.")
        if X_test is not None and n_rows(X_test) != len(y_test):
            raise ValueError(
                f"X_test has {n_rows(X_test)} rows but y_test {len(y_test)} labels.")
        if autosave is not None and not isinstance(autosave, (str, os.PathLike)):
            raise TypeError(f"autosave must be a file path or None; got {autosave!r}.")
        self.learner = learner
        self.X_pool = X_pool
        self.n_instances = int(n_instances)
        self.initial = initial
        self.stopping = dict(stopping)
        self.X_test, self.y_test = X_test, y_test
        self.autosave = autosave
        self.random_state = random_state
        # One integer drawn up front: each round's seed derives from it and the round number,
        # so the seed of round r does not depend on how many draws earlier rounds made.
        # None draws it from fresh OS entropy, leaving numpy's global generator untouched.
        self._seed = (fresh_seed() if random_state is None
                      else int(check_random_state(random_state).randint(MAX_SEED)))
        n = n_rows(X_pool)
        self._status = np.zeros(n, dtype=np.int8)  # 0 unlabelled, 1 labelled, 2 skipped
        self.labeled_indices_ = np.empty(0, dtype=np.intp)
        self.labels_ = np.empty(0)
        self.history_ = []
        self.round_ = 0
        self.stopped_by_ = []
        self._pending = None

    # ------------------------------------------------------------------ state
    @property
    def n_pool(self):
        """Rows in the pool."""
        return len(self._status)

    @property
    def remaining_indices_(self):
        """Pool positions neither labelled nor skipped: the candidates of the next query."""
        return np.flatnonzero(self._status == 0)

    @property
    def skipped_indices_(self):
        return np.flatnonzero(self._status == 2)

    @property
    def should_stop(self):
        """Whether a stopping rule fired or no candidate is left."""
        return bool(self.stopped_by_) or not (self._status == 0).any()

    @property
    def pending(self):
        """The pool positions asked and not answered yet, or None."""
        return None if self._pending is None else self._pending["indices"].copy()

    def _has_model(self):
        return getattr(self.learner, "X_training", None) is not None

    # ---------------------------------------------------------------- rounds
    def ask(self):
        """The rows to label next; the same rows again until :meth:`tell` answers them.

        Returns
        -------
        query_idx : ndarray of int
            Positions in ``X_pool`` (at most ``n_instances``; fewer when fewer
            remain).
        X_query : same type as ``X_pool``
            Those rows.

        Raises
        ------
        ValueError
            When no candidate is left.
        """
        if self._pending is None:
            candidates = self.remaining_indices_
            if candidates.size == 0:
                raise ValueError("no pool row is left to ask about: every row is labelled "
                                 "or skipped.")
            n = min(self.n_instances, candidates.size)
            seed = derive_seed(self._seed, self.round_)
            X_candidates = take_rows(self.X_pool, candidates)
            start = time.perf_counter()
            if self._has_model():
                strategy = self.learner.query_strategy
                kwargs = {"random_state": seed} if _accepts_random_state(strategy) else {}
                query_idx, _, scores = _query_with_scores(self.learner, X_candidates, n, kwargs)
            else:
                kwargs = {"random_state": seed} if _accepts_random_state(self.initial) else {}
                result = self.initial(None, X_candidates, n_instances=n, **kwargs)
                query_idx, scores = check_query_result(result, candidates.size, n,
                                                       strategy=self.initial)
            indices = candidates[np.atleast_1d(query_idx)]
            self._pending = {"indices": indices, "scores": scores,
                             "start": start, "cold": not self._has_model()}
        indices = self._pending["indices"]
        return indices.copy(), take_rows(self.X_pool, indices)

    def tell(self, labels, confidences=None, **fit_kwargs):
        """Answer the rows of the last :meth:`ask` and teach the learner the valid ones.

        Parameters
        ----------
        labels : array-like of shape (n_asked,)
            One label per row asked, in the order asked; ``None`` skips a row
            (it is not asked again).
        confidences : array-like of shape (n_asked,), default=None
            The annotator's confidence per row, in [0, 1]; recorded in
            :attr:`history_`. None means 1.
        **fit_kwargs
            Passed to the learner's ``teach`` (or ``fit`` for its first model).

        Raises
        ------
        ValueError, TypeError
            When nothing was asked, or the answer does not fit the rows asked
            (see :func:`~skvaeal.oracle.check_oracle_answer`), or teaching
            fails. The loop and the learner's labelled set are then unchanged
            and the same rows stay asked.
        """
        if self._pending is None:
            raise ValueError("nothing was asked: call ask() before tell().")
        indices = self._pending["indices"]
        answer = labels if confidences is None else (labels, confidences)
        answered, conf, valid = check_oracle_answer(answer, len(indices))
        new = indices[valid]
        values = _labels_array(answered[valid],
                               like=self.labels_ if len(self.labels_) else None)
        if new.size:
            all_idx = np.concatenate([self.labeled_indices_, new])
            all_labels = values if not len(self.labels_) else np.concatenate(
                [self.labels_, values])
            if self._has_model():
                self.learner.teach(take_rows(self.X_pool, new), values, **fit_kwargs)
            elif not is_classifier(getattr(self.learner, "estimator", None)) or \
                    np.unique(all_labels.astype(str)).size >= 2:
                # The first model: every row labelled so far, once it holds two classes.
                self.learner.fit(take_rows(self.X_pool, all_idx), all_labels, **fit_kwargs)
            self.labeled_indices_, self.labels_ = all_idx, all_labels
        self._status[new] = 1
        self._status[indices[~valid]] = 2
        entry = {"round": self.round_, "indices": indices.copy(),
                 "scores": self._pending["scores"], "labels": answered, "confidences": conf,
                 "n_labeled": len(self.labeled_indices_), "cold_start": self._pending["cold"],
                 "score": None, "stopped": [],
                 "seconds": time.perf_counter() - self._pending["start"]}
        self._pending = None
        self.round_ += 1
        if self._has_model():
            if self.X_test is not None:
                entry["score"] = float(self.learner.score(self.X_test, self.y_test))
            # The rows left are copied only when a rule will read them.
            X_left = take_rows(self.X_pool, self.remaining_indices_) if self.stopping else None
            for name, rule in self.stopping.items():
                if rule.should_stop(self.learner, X_left, n_labeled=entry["n_labeled"],
                                    X_held_out=self.X_test, y_held_out=self.y_test) \
                        and name not in self.stopped_by_:
                    self.stopped_by_.append(name)
        entry["stopped"] = list(self.stopped_by_)
        self.history_.append(entry)
        if self.autosave is not None:
            self.save(self.autosave)

    def step(self, oracle, **fit_kwargs):
        """One round: :meth:`ask`, ``oracle(X_query, indices)``, :meth:`tell`.

        Parameters
        ----------
        oracle : callable
            ``oracle(X_shown, indices=None) -> (labels, confidences)``, see
            :mod:`skvaeal.oracle`.
        **fit_kwargs
            Passed to :meth:`tell`.

        Returns
        -------
        query_idx : ndarray of int
            The pool positions asked this round.
        """
        query_idx, X_query = self.ask()
        labels, confidences, _ = check_oracle_answer(oracle(X_query, indices=query_idx),
                                                     len(query_idx))
        self.tell(labels, confidences, **fit_kwargs)
        return query_idx

    def run(self, oracle, *, n_rounds=None, verbose=0, **fit_kwargs):
        """Rounds of :meth:`step` until a rule fires, the pool is spent or ``n_rounds`` ran.

        Parameters
        ----------
        oracle : callable
        n_rounds : int, default=None
            At most this many rounds; None runs until :attr:`should_stop`
            (give a stopping rule, or the loop asks about the whole pool).
        verbose : int, default=0
            ``1`` prints a line per round (labels so far, held-out score).
        **fit_kwargs
            Passed to :meth:`tell`.
        """
        if n_rounds is not None and (not isinstance(n_rounds, numbers.Integral)
                                     or n_rounds < 0):
            raise ValueError(f"n_rounds must be an int >= 0 or None; got {n_rounds!r}.")
        done = 0
        while not self.should_stop and (n_rounds is None or done < n_rounds):
            self.step(oracle, **fit_kwargs)
            done += 1
            if verbose:
                last = self.history_[-1]
                score = "" if last["score"] is None else f", score {last['score']:.3f}"
                print(f"[loop] round {self.round_}: {last['n_labeled']} labels{score}",
                      flush=True)

    # ----------------------------------------------------------- save / load
    def save(self, path, *, include_pool=True):
        """Write the loop's whole state to one file.

        The learner with its fitted model and labelled set, which rows remain,
        the history with scores, the pending query and the seeds: :meth:`load`
        in a fresh process continues exactly where this loop is.

        Parameters
        ----------
        path : str or path-like
            Written atomically (a temporary file renamed over it).
        include_pool : bool, default=True
            Store ``X_pool`` (and the held-out set) in the file. With False
            only a fingerprint is stored, and :meth:`load` needs the same
            pool again (for pools too large to copy).

        Raises
        ------
        TypeError
            When part of the state cannot be pickled (e.g. a lambda strategy);
            use a module-level function or :func:`functools.partial`.
        """
        state = dict(self.__dict__)
        header = {"format": _FORMAT, "format_version": LOOP_FORMAT_VERSION,
                  "skvaeal_version": _version(), "include_pool": bool(include_pool),
                  "n_pool": self.n_pool}
        if not include_pool:
            header["pool_hash"] = joblib.hash(self.X_pool)
            state["X_pool"] = None
        buffer = io.BytesIO()
        pickle.dump(header, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            joblib.dump(state, buffer)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise TypeError(
                f"the loop could not be saved: {exc}. Every part of it must pickle; a lambda "
                "or a local function as a strategy does not (use a module-level function or "
                "functools.partial).") from exc
        path = os.fspath(path)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(buffer.getvalue())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path, *, X_pool=None):
        """Resume a loop written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
        X_pool : array-like, default=None
            Needed when the file was saved with ``include_pool=False``; it must
            be the same pool (checked by its fingerprint).

        Returns
        -------
        loop : ActiveLearningLoop

        Raises
        ------
        ValueError
            When the file is not a saved loop, was written in another format
            version (by an incompatible skvaeal), cannot be read, or needs a
            pool that was not given or differs.
        """
        with open(path, "rb") as f:
            try:
                header = pickle.load(f)
            except Exception as exc:  # any unpickling failure means "not our file"
                raise ValueError(f"{os.fspath(path)!r} is not a saved ActiveLearningLoop "
                                 f"({type(exc).__name__}: {exc}).") from exc
            if not isinstance(header, dict) or header.get("format") != _FORMAT:
                raise ValueError(f"{os.fspath(path)!r} is not a saved ActiveLearningLoop.")
            version = header.get("format_version")
            if version != LOOP_FORMAT_VERSION:
                raise ValueError(
                    f"{os.fspath(path)!r} was written by skvaeal "
                    f"{header.get('skvaeal_version')} in loop format version {version}; this "
                    f"skvaeal ({_version()}) reads format version {LOOP_FORMAT_VERSION} only. "
                    "Resume it with the version that wrote it.")
            try:
                state = joblib.load(f)
            except Exception as exc:  # a class moved or changed between versions
                raise ValueError(
                    f"{os.fspath(path)!r} (written by skvaeal {header.get('skvaeal_version')}) "
                    f"could not be read: {type(exc).__name__}: {exc}. Its learner or strategy "
                    "may come from a package version that is not installed.") from exc
        if not header["include_pool"]:
            if X_pool is None:
                raise ValueError(
                    f"{os.fspath(path)!r} was saved without its pool (include_pool=False); "
                    "pass the same pool as X_pool.")
            if n_rows(X_pool) != header["n_pool"] or joblib.hash(X_pool) != header["pool_hash"]:
                raise ValueError(
                    f"X_pool is not the pool this loop was saved with ({header['n_pool']} "
                    "rows, another fingerprint); the remaining rows and the history would "
                    "point at other rows.")
            state["X_pool"] = X_pool
        elif X_pool is not None:
            raise ValueError("this loop was saved with its pool; do not pass X_pool.")
        loop = cls.__new__(cls)
        loop.__dict__.update(state)
        return loop

    def __repr__(self):
        return (f"ActiveLearningLoop(round={self.round_}, n_labeled="
                f"{len(self.labeled_indices_)}, n_remaining={len(self.remaining_indices_)}, "
                f"n_instances={self.n_instances})")


def _query_with_scores(learner, X_candidates, n, kwargs):
    """``learner.query`` with the strategy's scores when the learner can return them."""
    try:
        with warnings.catch_warnings():
            # A strategy without scores is fine here: the history records None.
            warnings.filterwarnings("ignore", message="the query strategy returned no scores")
            query_idx, rows, scores = learner.query(X_candidates, n_instances=n,
                                                    return_metrics=True, **kwargs)
    except TypeError as exc:
        if "return_metrics" not in str(exc):
            raise
        # modAL before 0.4.2 has no return_metrics; its strategies' scores are lost.
        query_idx, rows = learner.query(X_candidates, n_instances=n, **kwargs)
        scores = None
    query_idx, _ = check_query_result((query_idx, scores), n_rows(X_candidates), n,
                                      strategy=learner.query_strategy)
    return query_idx, rows, scores


def _version():
    from .. import __version__

    return __version__
