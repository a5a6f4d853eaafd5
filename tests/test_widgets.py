"""LabellingWidget without a browser: its controls set and its Submit clicked in Python."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from sklearn.datasets import load_digits, make_blobs  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from skvaeal.active import ActiveLearner, ActiveLearningLoop  # noqa: E402
from skvaeal.clusterlabel import CentreLabellingStep, label_cluster_centres  # noqa: E402
from skvaeal.oracle import PoolOracle  # noqa: E402
from skvaeal.widgets import SKIP, LabellingWidget  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


def make_widget(digits, **kw):
    X, y = digits
    params = dict(classes=range(10), n_instances=4, random_state=0)
    params.update(kw)
    return LabellingWidget(ActiveLearner(LogisticRegression(max_iter=300)), X_pool=X, **params)


def click(widget, labels):
    """What a person does: a button per row (or the new-label box), then Submit."""
    for card, label in zip(widget.rows, labels):
        if label is None:
            card.buttons.value = SKIP
        elif str(label) in card.buttons.options:
            card.buttons.value = str(label)
        else:
            card.text.value = str(label)
    widget._submit.click()


def test_clicks_teach_the_rows_shown(digits):
    X, y = digits
    widget = make_widget(digits, X_test=X[200:], y_test=y[200:])
    first = widget.shown_indices
    assert len(widget.rows) == 4 and all(
        type(card.box.children[1]).__name__ == "Image" for card in widget.rows)
    click(widget, [1, 2, 1, 2])  # labels unlike the digits': they come from the clicks
    second = widget.shown_indices
    assert not set(first) & set(second)
    click(widget, y[second])
    loop = widget.loop
    assert loop.labeled_indices_.tolist() == [*first, *second]
    assert loop.labels_.tolist() == [1, 2, 1, 2, *y[second]]
    assert "round 3" in widget._status.value and "8 labels" in widget._status.value
    assert "held-out score" in widget._status.value


def test_unanswered_row_is_refused(digits):
    widget = make_widget(digits)
    shown = widget.shown_indices
    widget.rows[0].buttons.value = "3"
    widget._submit.click()
    assert "rows [2, 3, 4] have none" in widget.message
    np.testing.assert_array_equal(widget.shown_indices, shown)
    assert widget.loop.round_ == 0


def test_skip_and_new_label(digits):
    widget = make_widget(digits, classes=[0, 1])
    shown = widget.shown_indices
    click(widget, [0, None, 7, 1])
    loop = widget.loop
    assert loop.skipped_indices_.tolist() == [shown[1]]
    assert loop.labels_.tolist() == [0, 7, 1]
    assert 7 in widget.classes and "7" in widget.rows[0].buttons.options
    widget.rows[0].text.value = "seven"
    widget._submit.click()
    assert "not a number" in widget.message and loop.round_ == 1


def test_answer_drives_the_same_controls(digits):
    X, y = digits
    a, b = make_widget(digits), make_widget(digits)
    for _ in range(2):
        click(a, y[a.shown_indices])
        b.answer(y[b.shown_indices])
    np.testing.assert_array_equal(a.loop.labeled_indices_, b.loop.labeled_indices_)
    with pytest.raises(ValueError, match="3 labels for the 4 rows"):
        b.answer([1, 2, 3])


def test_done_when_a_rule_or_the_pool_ends(digits):
    X, y = digits
    calls = []
    widget = LabellingWidget(ActiveLearner(LogisticRegression()), X_pool=X[:6],
                             classes=range(10), n_instances=4, on_done=calls.append)
    widget.answer(y[widget.shown_indices])
    widget.answer(y[widget.shown_indices])
    assert calls == [widget] and widget.rows == [] and widget._submit.disabled
    assert "Done" in widget._status.value


def test_tables_for_rows_that_are_not_images():
    pd = pytest.importorskip("pandas")
    X, y = make_blobs(40, n_features=3, centers=2, random_state=0)
    frame = pd.DataFrame(X, columns=["height", "weight", "age"])
    widget = LabellingWidget(ActiveLearner(LogisticRegression()), X_pool=frame,
                             classes=[0, 1], n_instances=2, random_state=0)
    html = widget.rows[0].box.children[1].value
    assert "<table" in html and "weight" in html
    widget.answer(y[widget.shown_indices])
    assert widget.loop.round_ == 1


def test_centre_labelling_step_with_confidences():
    X, y = make_blobs(90, centers=3, cluster_std=0.5, random_state=0)
    kw = dict(n_clusters=3, clusterer="kmeans", show="nearest", random_state=0)
    encoder = FunctionTransformer().fit(X)
    step = CentreLabellingStep(encoder, X, **kw)
    widget = LabellingWidget(step, classes=[0, 1, 2], confidence=True)
    shown = widget.shown_indices
    assert len(widget.rows) == 3
    widget.answer(y[shown], confidences=[0.9, 0.8, 0.7])
    assert step.done and widget.rows == []
    # The same answers through the oracle protocol give the same labels and weights.
    oracle = PoolOracle(y)
    expected = label_cluster_centres(
        encoder, X, lambda X_shown, indices: (oracle(X_shown, indices)[0], [0.9, 0.8, 0.7]),
        **kw)
    np.testing.assert_array_equal(step.result().labels, expected.labels)
    np.testing.assert_allclose(step.result().weights, expected.weights)


def test_not_valid_centre_is_split_again():
    X, y = make_blobs(90, centers=3, cluster_std=0.5, random_state=0)
    step = CentreLabellingStep(FunctionTransformer().fit(X), X, n_clusters=3,
                               n_sub_clusters=2, clusterer="kmeans", show="nearest",
                               random_state=0)
    widget = LabellingWidget(step, classes=[0, 1, 2])
    labels = list(y[widget.shown_indices])
    labels[0] = None  # "not a valid sample": its cluster is split in two
    widget.answer(labels)
    assert step.depth == 1 and len(widget.rows) == 2
    assert "level 1" in widget._status.value


def test_bad_sources_are_named(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="X_pool is required"):
        LabellingWidget(ActiveLearner(LogisticRegression()))
    with pytest.raises(TypeError, match="source must be"):
        LabellingWidget(LogisticRegression())
    loop = ActiveLearningLoop(ActiveLearner(LogisticRegression()), X)
    with pytest.raises(ValueError, match="only for a learner source"):
        LabellingWidget(loop, X_pool=X)
    with pytest.raises(ValueError, match="image_shape"):
        LabellingWidget(loop, image_shape=(8, "8"))


def _learner_strategies():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from registry import STRATEGIES

    return STRATEGIES, sorted(s for s, c in STRATEGIES.items()
                              if {"skvaeal_learner", "mc_dropout_learner"} & set(c.classifiers))


@pytest.mark.parametrize("strategy_name", _learner_strategies()[1])
def test_widget_drives_every_learner_strategy(strategy_name):
    """Two rounds answered in the widget, with each registered strategy as the query."""
    from registry import CLASSIFIERS
    from strategy_contract import contract_data

    strategies, _ = _learner_strategies()
    case, data = strategies[strategy_name], contract_data()
    if "mc_dropout_learner" in case.classifiers:
        learner, _ = CLASSIFIERS["mc_dropout_learner"](data)
        learner.query_strategy = case.bound()
    else:
        learner = ActiveLearner(CLASSIFIERS["estimator"](data)[0], case.bound(),
                                X_training=data.X_labeled, y_training=data.y_labeled)
    n_before = len(learner.y_training)
    widget = LabellingWidget(learner, X_pool=data.X_pool, classes=range(10), n_instances=3,
                             random_state=0)
    shown = []
    for _ in range(2):
        idx = widget.shown_indices
        assert len(set(idx)) == 3 and not set(idx) & set(shown)
        shown += idx.tolist()
        widget.answer(data.y_pool[idx])
    assert widget.loop.labeled_indices_.tolist() == shown
    np.testing.assert_array_equal(learner.y_training[n_before:], data.y_pool[shown])
