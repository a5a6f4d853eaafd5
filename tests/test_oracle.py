"""The oracle protocol: its validation, the simulated annotators, the console oracle."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skvaeal.active import ActiveLearner
from skvaeal.oracle import ClassifierOracle, ConsoleOracle, PoolOracle, check_oracle_answer


def test_check_oracle_answer_labels_alone_mean_confidence_one():
    labels, conf, valid = check_oracle_answer([1, None, "a"], 3)
    assert labels.tolist() == [1, None, "a"]
    assert conf.tolist() == [1.0, 0.0, 1.0]
    assert valid.tolist() == [True, False, True]


@pytest.mark.parametrize("answer, n, error, match", [
    (([1, 2], [1.0, 1.0]), 3, ValueError, "2 labels for the 3 rows"),
    (([1, 2], [1.0]), 2, ValueError, "1 confidences for the 2 rows"),
    (([1, 2], [1.0, 1.5]), 2, ValueError, r"lie in \[0, 1\]"),
    (([1, 2], [1.0, "high"]), 2, TypeError, "must be numbers"),
])
def test_check_oracle_answer_refuses_malformed_answers(answer, n, error, match):
    with pytest.raises(error, match=match):
        check_oracle_answer(answer, n)


def test_pool_oracle_reads_the_pool_labels_and_needs_indices():
    oracle = PoolOracle(np.array([5, 6, 7]))
    labels, conf = oracle(np.zeros((2, 1)), indices=np.array([2, 1]))
    assert labels.tolist() == [7, 6] and conf.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="needs the indices"):
        oracle(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="must lie in"):
        oracle(np.zeros((1, 1)), indices=[3])


def test_classifier_oracle_rejects_below_its_threshold():
    X, y = load_digits(return_X_y=True)
    reference = LogisticRegression(max_iter=500).fit(X[:400], y[:400])
    proba = reference.predict_proba(X[400:460]).max(axis=1)
    threshold = float(np.median(proba))
    labels, conf = ClassifierOracle(reference, threshold=threshold)(X[400:460])
    rejected = np.array([v is None for v in labels])
    np.testing.assert_array_equal(rejected, proba < threshold)
    np.testing.assert_allclose(conf[~rejected], proba[~rejected])
    assert np.all(conf[rejected] == 0)
    kept = ~rejected
    assert labels[kept].tolist() == reference.predict(X[400:460])[kept].tolist()


def test_classifier_oracle_needs_predict_proba():
    from sklearn.svm import LinearSVC

    with pytest.raises(TypeError, match="predict_proba"):
        ClassifierOracle(LinearSVC())(np.zeros((1, 2)))


def _scripted(lines):
    lines = iter(lines)
    printed = []
    oracle_kw = dict(input=lambda prompt: next(lines), output=printed.append)
    return oracle_kw, printed


def test_console_oracle_reads_labels_confidences_and_not_valid():
    kw, printed = _scripted(["7", "3 0.6", "x"])
    labels, conf = ConsoleOracle(**kw)(np.random.RandomState(0).rand(3, 64), indices=[4, 5, 6])
    assert labels.tolist() == [7, 3, None]
    assert conf.tolist() == [1.0, 0.6, 0.0]
    # 8x8 rows are drawn as images in characters, and the pool row is named.
    assert any("pool row 5" in text for text in printed)
    assert sum(text.count("\n") == 7 for text in printed) == 3


def test_console_oracle_asks_again_after_a_bad_line_and_stops_on_q():
    kw, printed = _scripted(["eleven", "1 2.0", "", "1", "q"])
    labels, conf = ConsoleOracle(classes=[0, 1], **kw)(np.zeros((3, 4)))
    assert labels.tolist() == [1, None, None]
    assert conf.tolist() == [1.0, 0.0, 0.0]
    assert any("must be one of" in text for text in printed)
    assert any("confidence must lie in [0, 1]" in text for text in printed)
    # Rows that are not images are printed as values.
    assert any(text.startswith("[0. 0. 0. 0.]") for text in printed)


def test_console_oracle_text_labels_without_classes():
    kw, _ = _scripted(["cat", "12"])
    labels, _ = ConsoleOracle(**kw)(np.zeros((2, 3)))
    assert labels.tolist() == ["cat", 12]


def test_learner_teach_from_teaches_only_valid_answers():
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(LogisticRegression(max_iter=300), X_training=X[:20],
                            y_training=y[:20])
    kw, _ = _scripted([str(y[30]), "x", f"{y[32]} 0.5"])
    taught, labels, conf = learner.teach_from(ConsoleOracle(**kw), X, [30, 31, 32])
    assert taught.tolist() == [30, 32]
    assert len(learner.y_training) == 22
    assert learner.y_training[-2:].tolist() == [y[30], y[32]]
    assert conf.tolist() == [1.0, 0.0, 0.5]


def test_learner_teach_from_leaves_the_labelled_set_alone_on_a_bad_answer():
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(LogisticRegression(max_iter=300), X_training=X[:20],
                            y_training=y[:20])
    with pytest.raises(ValueError, match="1 labels for the 2 rows"):
        learner.teach_from(lambda rows, indices=None: [1], X, [30, 31])
    assert len(learner.y_training) == 20
