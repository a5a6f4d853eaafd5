"""ActiveLearningLoop: rounds, answers, refusals, save and resume (across processes too)."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skvaeal.active import LOOP_FORMAT_VERSION, ActiveLearner, ActiveLearningLoop
from skvaeal.oracle import PoolOracle
from skvaeal.query import entropy_sampling, random_sampling


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300], X[1000:1200] / 16.0, y[1000:1200]


def make_loop(digits, **kw):
    X, y, X_test, y_test = digits
    learner = ActiveLearner(LogisticRegression(max_iter=300), entropy_sampling)
    params = dict(n_instances=5, X_test=X_test, y_test=y_test, random_state=0)
    params.update(kw)
    return ActiveLearningLoop(learner, X, **params)


def test_rounds_label_the_rows_asked(digits):
    X, y, *_ = digits
    loop = make_loop(digits)
    asked = []
    for _ in range(3):
        idx, rows = loop.ask()
        np.testing.assert_array_equal(rows, X[idx])
        asked += idx.tolist()
        loop.tell(y[idx])
    assert loop.labeled_indices_.tolist() == asked
    np.testing.assert_array_equal(loop.labels_, y[asked])
    np.testing.assert_array_equal(loop.learner.y_training, y[asked])
    assert loop.round_ == 3 and len(loop.history_) == 3
    assert loop.history_[0]["cold_start"] and not loop.history_[1]["cold_start"]
    assert loop.history_[1]["scores"] is not None  # entropy's scores are kept
    assert all(h["score"] is not None for h in loop.history_)
    assert set(loop.remaining_indices_) == set(range(len(X))) - set(asked)


def test_ask_repeats_until_answered(digits):
    loop = make_loop(digits)
    first, _ = loop.ask()
    again, _ = loop.ask()
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(loop.pending, first)


def test_single_class_waits_for_a_second_class(digits):
    X, y, *_ = digits
    loop = make_loop(digits)
    idx, _ = loop.ask()
    loop.tell([4] * len(idx))  # one class: LogisticRegression cannot be fitted yet
    assert loop.learner.X_training is None and len(loop.labels_) == 5
    assert loop.history_[-1]["cold_start"]
    idx2, _ = loop.ask()
    assert not set(idx2) & set(idx)
    loop.tell([1, 4, 4, 4, 4])
    np.testing.assert_array_equal(loop.learner.y_training, [4] * 5 + [1, 4, 4, 4, 4])


def test_skip_is_not_taught_nor_asked_again(digits):
    X, y, *_ = digits
    loop = make_loop(digits)
    idx, _ = loop.ask()
    labels = list(y[idx])
    labels[1] = None
    loop.tell(labels, [1.0, 0.0, 0.5, 1.0, 1.0])
    assert loop.skipped_indices_.tolist() == [idx[1]]
    assert idx[1] not in loop.labeled_indices_ and idx[1] not in loop.remaining_indices_
    assert loop.history_[-1]["confidences"].tolist() == [1.0, 0.0, 0.5, 1.0, 1.0]


@pytest.mark.parametrize("answer, error", [
    (lambda idx, y: y[idx][:-1], "answered 4 labels for the 5 rows"),
    (lambda idx, y: [str(v) for v in y[idx]], "not of the kind of the labels so far"),
])
def test_bad_answer_changes_nothing(digits, answer, error):
    X, y, *_ = digits
    loop = make_loop(digits)
    idx, _ = loop.ask()
    loop.tell(y[idx])
    idx, _ = loop.ask()
    before = (loop.labeled_indices_.copy(), loop.learner.y_training.copy(), loop.round_)
    with pytest.raises(ValueError, match=error):
        loop.tell(answer(idx, y))
    np.testing.assert_array_equal(loop.labeled_indices_, before[0])
    np.testing.assert_array_equal(loop.learner.y_training, before[1])
    assert loop.round_ == before[2]
    np.testing.assert_array_equal(loop.pending, idx)  # the same rows stay asked
    loop.tell(y[idx])
    assert loop.round_ == before[2] + 1


def test_tell_before_ask_and_empty_pool(digits):
    X, y, *_ = digits
    loop = ActiveLearningLoop(ActiveLearner(LogisticRegression()), X[:4], n_instances=3)
    with pytest.raises(ValueError, match="call ask"):
        loop.tell([1])
    loop.run(PoolOracle(y[:4]))
    assert loop.should_stop and loop.round_ == 2 and len(loop.labeled_indices_) == 4
    with pytest.raises(ValueError, match="no pool row is left"):
        loop.ask()


@pytest.mark.parametrize("kw, error, match", [
    (dict(n_instances=0), ValueError, "n_instances"),
    (dict(initial="first"), ValueError, "initial"),
    (dict(stopping=[1]), TypeError, "stopping"),
    (dict(X_test=np.zeros((2, 64))), ValueError, "X_test has 2 rows but y_test"),
    (dict(y_test=None), ValueError, "X_test and y_test"),
    (dict(autosave=3), TypeError, "autosave"),
])
def test_bad_parameters_are_named(digits, kw, error, match):
    with pytest.raises(error, match=match):
        make_loop(digits, **kw)
    with pytest.raises(TypeError, match="learner"):
        ActiveLearningLoop(LogisticRegression(), digits[0])


def test_same_seed_same_queries(digits):
    X, y, *_ = digits
    runs = []
    for _ in range(2):
        loop = make_loop(digits)
        loop.run(PoolOracle(y), n_rounds=3)
        runs.append(loop.labeled_indices_)
    np.testing.assert_array_equal(*runs)
    other = make_loop(digits, random_state=1)
    other.run(PoolOracle(y), n_rounds=1)
    assert other.labeled_indices_.tolist() != runs[0][:5].tolist()


def test_save_and_load_continue_identically(digits, tmp_path):
    X, y, *_ = digits
    loop = make_loop(digits)
    loop.run(PoolOracle(y), n_rounds=2)
    loop.ask()  # a pending query is part of the state
    loop.save(tmp_path / "loop.skvaeal")
    resumed = ActiveLearningLoop.load(tmp_path / "loop.skvaeal")
    for a in (loop, resumed):
        a.run(PoolOracle(y), n_rounds=2)
    np.testing.assert_array_equal(loop.labeled_indices_, resumed.labeled_indices_)
    assert [h["score"] for h in loop.history_] == [h["score"] for h in resumed.history_]


def test_save_without_pool_checks_the_pool(digits, tmp_path):
    X, y, *_ = digits
    loop = make_loop(digits)
    loop.run(PoolOracle(y), n_rounds=1)
    path = tmp_path / "loop.skvaeal"
    loop.save(path, include_pool=False)
    with pytest.raises(ValueError, match="saved without its pool"):
        ActiveLearningLoop.load(path)
    with pytest.raises(ValueError, match="not the pool"):
        ActiveLearningLoop.load(path, X_pool=X[::-1].copy())
    resumed = ActiveLearningLoop.load(path, X_pool=X)
    assert resumed.X_pool is X and resumed.round_ == 1
    loop.save(path)
    with pytest.raises(ValueError, match="do not pass X_pool"):
        ActiveLearningLoop.load(path, X_pool=X)


def test_incompatible_or_foreign_files_are_refused(digits, tmp_path):
    loop = make_loop(digits)
    path = tmp_path / "loop.skvaeal"
    loop.save(path)
    header_end = len(pickle.dumps(pickle.load(open(path, "rb")),
                                  protocol=pickle.HIGHEST_PROTOCOL))
    header = pickle.load(open(path, "rb"))
    body = path.read_bytes()[header_end:]
    header["format_version"] = LOOP_FORMAT_VERSION + 1
    header["skvaeal_version"] = "9.0"
    path.write_bytes(pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL) + body)
    with pytest.raises(ValueError, match=r"skvaeal 9\.0 in loop format version 2.*reads "
                                         r"format version 1"):
        ActiveLearningLoop.load(path)
    (tmp_path / "other.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="not a saved ActiveLearningLoop"):
        ActiveLearningLoop.load(tmp_path / "other.pkl")
    (tmp_path / "text.txt").write_text("hello")
    with pytest.raises(ValueError, match="not a saved ActiveLearningLoop"):
        ActiveLearningLoop.load(tmp_path / "text.txt")


def test_unpicklable_strategy_is_explained(digits, tmp_path):
    loop = ActiveLearningLoop(ActiveLearner(LogisticRegression(), lambda c, X, n_instances=1: (
        np.arange(n_instances), None)), digits[0])
    with pytest.raises(TypeError, match="could not be saved.*lambda"):
        loop.save(tmp_path / "loop.skvaeal")
    assert not (tmp_path / "loop.skvaeal").exists()


def test_autosave_after_every_round(digits, tmp_path):
    X, y, *_ = digits
    path = tmp_path / "auto.skvaeal"
    loop = make_loop(digits, autosave=path)
    loop.step(PoolOracle(y))
    assert ActiveLearningLoop.load(path).round_ == 1
    loop.step(PoolOracle(y))
    saved = ActiveLearningLoop.load(path)
    assert saved.round_ == 2
    np.testing.assert_array_equal(saved.labeled_indices_, loop.labeled_indices_)


def test_dataframe_pool(digits):
    pd = pytest.importorskip("pandas")
    X, y, *_ = digits
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])],
                         index=np.arange(len(X)) + 1000)
    loop = ActiveLearningLoop(ActiveLearner(LogisticRegression(max_iter=300),
                                            entropy_sampling), frame, n_instances=4,
                              random_state=0)
    plain = ActiveLearningLoop(ActiveLearner(LogisticRegression(max_iter=300),
                                             entropy_sampling), X, n_instances=4,
                               random_state=0)
    for a in (loop, plain):
        a.run(PoolOracle(y), n_rounds=3)
    np.testing.assert_array_equal(loop.labeled_indices_, plain.labeled_indices_)
    idx, rows = loop.ask()
    assert isinstance(rows, pd.DataFrame) and rows.index.tolist() == (idx + 1000).tolist()
    assert isinstance(loop.learner.X_training, pd.DataFrame)


RESUME_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from skvaeal import VAETransformer
    from skvaeal.active import ActiveLearner, ActiveLearningLoop
    from skvaeal.oracle import PoolOracle
    from skvaeal.query import random_sampling, uncertainty_sampling

    mode, path = sys.argv[1], sys.argv[2]
    X, y = load_digits(return_X_y=True)
    X, y = X[:200] / 16.0, y[:200]
    if mode == "start":
        # A torch model refitted every round, with uncertainty sampling; and random sampling
        # seeded from the OS, whose picks after resuming depend on the saved seed alone.
        model = make_pipeline(VAETransformer(latent_dim=4, max_epochs=2, random_state=0),
                              LogisticRegression(max_iter=200))
        loops = [ActiveLearningLoop(ActiveLearner(model, uncertainty_sampling), X,
                                    n_instances=4, random_state=3),
                 ActiveLearningLoop(ActiveLearner(LogisticRegression(max_iter=200),
                                                  random_sampling), X, n_instances=4)]
        for i, loop in enumerate(loops):
            loop.run(PoolOracle(y), n_rounds=2)
            loop.save(f"{path}.{i}")
    else:
        loops = [ActiveLearningLoop.load(f"{path}.{i}") for i in range(2)]
    # Two more rounds each: the query right after resuming, then one after a refit.
    for loop in loops:
        for _ in range(2):
            idx, _ = loop.ask()
            print(" ".join(map(str, idx)))
            loop.tell(y[idx])
""")


def test_resume_in_a_fresh_process_asks_the_same(tmp_path):
    script = tmp_path / "resume.py"
    script.write_text(RESUME_SCRIPT)
    path = str(tmp_path / "loop.skvaeal")

    def run(mode):
        out = subprocess.run([sys.executable, str(script), mode, path], capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        return out.stdout.split("\n")[:4]

    without_restart = run("start")  # rounds 1-2, save, then rounds 3-4 in the same process
    resumed = run("resume")  # a fresh process: load, then rounds 3-4
    assert resumed == without_restart
    assert all(len(line.split()) == 4 for line in resumed)


def test_loop_drives_modal_learner(digits, tmp_path):
    """modAL's own ActiveLearner in the loop, saved and resumed (the interop environment)."""
    modal_models = pytest.importorskip("modAL.models")
    from modAL.uncertainty import uncertainty_sampling as modal_uncertainty

    X, y, X_test, y_test = digits
    learner = modal_models.ActiveLearner(LogisticRegression(max_iter=300), modal_uncertainty,
                                         X_training=X[:10], y_training=y[:10])
    loop = ActiveLearningLoop(learner, X[10:], n_instances=3, X_test=X_test, y_test=y_test)
    loop.run(PoolOracle(y[10:]), n_rounds=2)
    assert loop.labeled_indices_.size == 6 and learner.X_training.shape[0] == 16
    assert loop.history_[-1]["scores"] is not None  # modAL 0.4.2's return_metrics
    loop.save(tmp_path / "modal.skvaeal")
    resumed = ActiveLearningLoop.load(tmp_path / "modal.skvaeal")
    np.testing.assert_array_equal(resumed.ask()[0], loop.ask()[0])


def test_no_seed_leaves_the_global_generator_alone(digits):
    X, y, *_ = digits
    state = np.random.get_state()[1].copy()
    loop = ActiveLearningLoop(ActiveLearner(LogisticRegression(max_iter=300), random_sampling),
                              X, n_instances=3)
    loop.run(PoolOracle(y), n_rounds=2)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
