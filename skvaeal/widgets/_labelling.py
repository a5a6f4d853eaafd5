"""A notebook widget through which a person answers an active-learning loop's queries."""

import io
import math
import numbers

import numpy as np

try:
    import ipywidgets as W
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(
        "skvaeal.widgets needs ipywidgets: pip install 'skvaeal[widgets]' (or ipywidgets>=8)."
    ) from exc

from ..active import ActiveLearner, ActiveLearningLoop
from ..clusterlabel import CentreLabellingStep
from ..utils import n_rows, take_rows

__all__ = ["LabellingWidget", "SKIP"]

#: The button that answers "skip" (a loop) or "not a valid sample" (a cluster centre).
SKIP = "skip"
#: Largest side, in screen pixels, of a row drawn as an image.
IMAGE_PIXELS = 96


class _LoopSource:
    """A loop as the widget sees it: questions with pool positions, and a status line."""

    def __init__(self, loop):
        self.loop = loop

    @property
    def done(self):
        return self.loop.should_stop

    def ask(self):
        indices, rows = self.loop.ask()
        return rows, indices

    def tell(self, labels, confidences):
        self.loop.tell(labels, confidences)

    def status(self):
        loop = self.loop
        parts = [f"round {loop.round_ + 1}", f"{len(loop.labeled_indices_)} labels so far",
                 f"{len(loop.remaining_indices_)} rows left"]
        if loop.history_ and loop.history_[-1]["score"] is not None:
            parts.append(f"held-out score {loop.history_[-1]['score']:.3f}")
        if loop.stopped_by_:
            parts.append("stopped by " + ", ".join(loop.stopped_by_))
        return " · ".join(parts)


class _StepSource:
    """A cluster-centre labelling step: centres to answer, level by level."""

    def __init__(self, step):
        self.step = step

    @property
    def done(self):
        return self.step.done

    def ask(self):
        return self.step.ask()

    def tell(self, labels, confidences):
        self.step.tell(labels, confidences)

    def status(self):
        result = self.step.result()
        labelled = int(np.sum([label is not None for label in result.labels]))
        return (f"level {self.step.depth} · {result.n_queries} centres answered · "
                f"{labelled} pool rows labelled by propagation")


def _image_side(shape):
    """``(height, width)`` when rows of this shape are images, else None."""
    if len(shape) == 2:
        return shape
    if len(shape) == 3 and (shape[0] in (1, 3) or shape[-1] in (1, 3)):
        return shape[1:] if shape[0] in (1, 3) else shape[:2]
    if len(shape) == 1:
        side = math.isqrt(int(shape[0]))
        if side >= 4 and side * side == shape[0]:
            return side, side
    return None


def _png(image, vmin, vmax):
    """PNG bytes of a 2-D (or colour) image, enlarged so that small digits stay visible."""
    from matplotlib.image import imsave

    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[0] in (1, 3):
        image = np.moveaxis(image, 0, -1)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    # Nearest-neighbour enlargement here, since a browser smooths a small PNG it scales up.
    scale = max(1, IMAGE_PIXELS // max(image.shape[:2]))
    image = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
    buffer = io.BytesIO()
    if image.ndim == 2:
        imsave(buffer, image, cmap="gray_r", vmin=vmin, vmax=vmax, format="png")
    else:
        span = (vmax - vmin) or 1.0
        imsave(buffer, np.clip((image - vmin) / span, 0, 1), format="png")
    return buffer.getvalue()


def _row_table(row, columns):
    """A small HTML table of one non-image row."""
    from html import escape

    values = list(np.asarray(row).reshape(-1)) if not hasattr(row, "iloc") else list(row)
    cells = "".join(
        f"<tr><td>{escape(str(name))}</td><td>{escape(_short(value))}</td></tr>"
        for name, value in zip(columns, values[:20]))
    more = f"<tr><td colspan=2>… {len(values) - 20} more</td></tr>" if len(values) > 20 else ""
    return f"<table class='skvaeal-table'>{cells}{more}</table>"


def _short(value):
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return f"{float(value):.4g}"
    return str(value)


class _RowCard:
    """The controls of one row: the row, a button per class, a new label, a confidence."""

    def __init__(self, widget, i, index, display):
        self.index = index
        self.buttons = W.ToggleButtons(options=[*map(str, widget.classes), SKIP], value=None,
                                       style={"button_width": "auto"})
        self.buttons.add_class("skvaeal-label-buttons")
        self.text = W.Text(placeholder="new label", layout=W.Layout(width="110px"))
        self.text.add_class("skvaeal-new-label")
        self.confidence = W.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05,
                                        description="confidence", readout_format=".2f")
        caption = "synthetic row" if index is None else f"pool row {int(index)}"
        data = "" if index is None else int(index)
        title = W.HTML(f"<b class='skvaeal-caption' data-index='{data}'>{caption}</b>")
        parts = [title, display, self.buttons]
        if widget.allow_new_labels:
            parts.append(self.text)
        if widget.confidence:
            parts.append(self.confidence)
        self.box = W.VBox(parts, layout=W.Layout(border="1px solid #ccc", padding="4px",
                                                 margin="2px"))
        self.box.add_class("skvaeal-row")
        self.box.add_class(f"skvaeal-row-{i}")


class LabellingWidget(W.VBox):
    """Label an active-learning loop's queries by clicking, in a notebook.

    Shows the rows a loop asks about (as images when they are images, else as
    tables), takes one answer per row (a button per known class, a box for a
    new label, "skip", and optionally a confidence), and on **Submit** teaches
    the learner and shows the next query, with the round, the labels so far
    and the held-out score. It answers through the oracle protocol of
    :mod:`skvaeal.oracle` (a label or ``None`` per row, and a confidence), so
    it drives any :class:`~skvaeal.active.ActiveLearningLoop` (any contract
    strategy) and the cluster-centre method's labelling step
    (:class:`~skvaeal.clusterlabel.CentreLabellingStep`) alike.

    Parameters
    ----------
    source : ActiveLearningLoop, CentreLabellingStep or ActiveLearner
        What asks the questions. A learner is wrapped in a new
        :class:`~skvaeal.active.ActiveLearningLoop` over ``X_pool`` with
        ``loop_params``.
    X_pool : array-like, default=None
        The pool, when ``source`` is a learner.
    classes : sequence, default=None
        The labels offered as buttons. None: the learner's known classes
        (``classes_`` of its estimator, or the labels so far); a new label
        typed in is added for the next rounds.
    image_shape : tuple of int, "auto" or None, default="auto"
        How to draw a row as an image; "auto" draws rows of shape (h, w),
        (c, h, w) or a square number of features (64, 784) as images, and
        anything else as a table. None always draws tables.
    confidence : bool, default=False
        Show a confidence slider per row (for methods that weigh labels,
        such as the cluster-centre method); otherwise every answer has
        confidence 1.
    allow_new_labels : bool, default=True
        Show a box for a label that is not among the buttons.
    on_done : callable, default=None
        Called with the widget when the source is done (a stopping rule
        fired, the pool is spent, or the labelling step is over).
    **loop_params
        Passed to :class:`~skvaeal.active.ActiveLearningLoop` when
        ``source`` is a learner (e.g. ``n_instances``, ``X_test``,
        ``y_test``, ``stopping``, ``autosave``, ``random_state``).

    Attributes
    ----------
    loop : ActiveLearningLoop or None
        The loop answered (None for a labelling step).
    rows : list
        The cards on screen, one per row asked.
    message : str
        The last error or notice shown (e.g. a row left without an answer).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvaeal.active import ActiveLearner
    >>> from skvaeal.widgets import LabellingWidget
    >>> X, y = load_digits(return_X_y=True)
    >>> widget = LabellingWidget(ActiveLearner(LogisticRegression(max_iter=300)), X_pool=X,
    ...                          classes=range(10), n_instances=4, random_state=0)
    >>> shown = widget.shown_indices
    >>> widget.answer(y[shown])     # what clicking the labels and Submit does
    >>> widget.loop.labeled_indices_.tolist() == shown.tolist()
    True
    """

    def __init__(self, source, X_pool=None, *, classes=None, image_shape="auto",
                 confidence=False, allow_new_labels=True, on_done=None, **loop_params):
        super().__init__()
        if isinstance(source, ActiveLearner) or (
                not isinstance(source, (ActiveLearningLoop, CentreLabellingStep))
                and hasattr(source, "query") and hasattr(source, "teach")):
            if X_pool is None:
                raise ValueError("X_pool is required when source is a learner: the pool "
                                 "its queries pick from.")
            source = ActiveLearningLoop(source, X_pool, **loop_params)
        elif X_pool is not None or loop_params:
            raise ValueError("X_pool and loop parameters are only for a learner source; a "
                             "loop or labelling step holds its own.")
        if isinstance(source, ActiveLearningLoop):
            self.loop, self._source = source, _LoopSource(source)
        elif isinstance(source, CentreLabellingStep):
            self.loop, self._source = None, _StepSource(source)
        else:
            raise TypeError(
                "source must be an ActiveLearningLoop, a CentreLabellingStep or an active "
                f"learner; got {type(source).__name__}.")
        if on_done is not None and not callable(on_done):
            raise TypeError(f"on_done must be callable; got {on_done!r}.")
        if image_shape not in ("auto", None) and not (
                isinstance(image_shape, tuple)
                and all(isinstance(s, numbers.Integral) and s > 0 for s in image_shape)):
            raise ValueError(
                f"image_shape must be 'auto', None or a tuple of positive ints; got "
                f"{image_shape!r}.")
        self.image_shape = image_shape
        self.confidence = bool(confidence)
        self.allow_new_labels = bool(allow_new_labels)
        self.on_done = on_done
        self.classes = self._initial_classes(classes)
        self.rows = []
        self.message = ""
        self._status = W.HTML()
        self._status.add_class("skvaeal-status")
        self._message = W.HTML()
        self._message.add_class("skvaeal-message")
        self._grid = W.Box(layout=W.Layout(flex_flow="row wrap"))
        self._submit = W.Button(description="Submit", button_style="primary",
                                icon="check")
        self._submit.add_class("skvaeal-submit")
        self._submit.on_click(lambda _: self.submit())
        self.children = [self._status, self._grid, W.HBox([self._submit, self._message])]
        self._show()

    # ---------------------------------------------------------------- display
    def _initial_classes(self, classes):
        if classes is not None:
            classes = list(classes)
        elif self.loop is not None:
            estimator = getattr(self.loop.learner, "estimator", None)
            known = getattr(estimator, "classes_", None)
            if known is None:
                known = getattr(self.loop.learner, "y_training", None)
            classes = [] if known is None else list(np.unique(np.asarray(known)))
        else:
            classes = []
        return [c.item() if hasattr(c, "item") else c for c in classes]

    def _draw(self, rows):
        """One ipywidget per row: an image, or a table of the row's values."""
        X = rows
        shape = getattr(X, "shape", None)
        side = None
        if self.image_shape == "auto" and shape is not None and not hasattr(X, "iloc"):
            side = _image_side(tuple(shape[1:]))
        elif isinstance(self.image_shape, tuple):
            side = self.image_shape
        if side is not None:
            values = np.asarray(X, dtype=np.float64)
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            images = []
            for row in values:
                image = row.reshape(side) if row.ndim == 1 else row
                png = _png(image, lo, hi)
                widget = W.Image(value=png, format="png")
                widget.add_class("skvaeal-image")
                images.append(widget)
            return images
        columns = list(getattr(X, "columns", range(int(np.prod(shape[1:])) if shape else 0)))
        out = []
        for i in range(n_rows(X)):
            row = X.iloc[i] if hasattr(X, "iloc") else take_rows(X, [i])[0]
            if not columns:
                columns = range(len(np.asarray(row).reshape(-1)))
            out.append(W.HTML(_row_table(row, columns)))
        return out

    def _show(self):
        """Ask the source and lay out the cards of its question."""
        if self._source.done:
            self.rows = []
            self._grid.children = []
            self._submit.disabled = True
            self._status.value = f"<b>Done</b> · {self._source.status()}"
            if self.on_done is not None:
                self.on_done(self)
            return
        rows, indices = self._source.ask()
        displays = self._draw(rows)
        self.rows = [_RowCard(self, i, None if indices is None else indices[i], d)
                     for i, d in enumerate(displays)]
        self._grid.children = [card.box for card in self.rows]
        self._submit.disabled = False
        self._status.value = self._source.status()

    # ---------------------------------------------------------------- answers
    @property
    def shown_indices(self):
        """Pool positions of the rows on screen (None for synthetic rows)."""
        if not self.rows or self.rows[0].index is None:
            return None
        return np.array([card.index for card in self.rows], dtype=np.intp)

    def _parse(self, text):
        """A typed label, as a number when the known classes are numbers."""
        text = text.strip()
        numeric = self.classes and all(isinstance(c, numbers.Number) for c in self.classes)
        if numeric:
            for kind in (int, float):
                try:
                    return kind(text)
                except ValueError:
                    pass
            raise ValueError(
                f"the new label {text!r} is not a number, but the known classes are "
                f"{self.classes}; type a number.")
        return text

    def _answers(self):
        labels, confidences, missing = [], [], []
        by_name = {str(c): c for c in self.classes}
        for i, card in enumerate(self.rows):
            if self.allow_new_labels and card.text.value.strip():
                labels.append(self._parse(card.text.value))
            elif card.buttons.value == SKIP:
                labels.append(None)
            elif card.buttons.value is not None:
                labels.append(by_name[card.buttons.value])
            else:
                missing.append(i)
                labels.append(None)
            confidences.append(float(card.confidence.value) if self.confidence else 1.0)
        return labels, confidences, missing

    def _notify(self, text):
        self.message = text
        self._message.value = f"<span style='color:#b00'>{text}</span>" if text else ""

    def submit(self):
        """Send the answers on screen (what the Submit button does).

        Every row needs a class, a new label or "skip"; otherwise nothing is
        sent and the message says which rows lack one. An answer the source
        refuses (e.g. a label of another type) is shown as the message and
        changes nothing.
        """
        if not self.rows:
            return
        try:
            labels, confidences, missing = self._answers()
        except ValueError as exc:
            self._notify(str(exc))
            return
        if missing:
            self._notify(f"answer every row (a class, a new label or {SKIP!r}); rows "
                         f"{[i + 1 for i in missing]} have none.")
            return
        try:
            self._source.tell(labels, confidences)
        except (ValueError, TypeError) as exc:
            self._notify(str(exc))
            return
        for label in labels:
            if label is not None and label not in self.classes:
                self.classes.append(label)
        self._notify("")
        self._show()

    def answer(self, labels, confidences=None):
        """Set the answers of the rows on screen and submit them, as clicks would.

        Parameters
        ----------
        labels : sequence
            One per row shown: a known class (its button), another label (the
            new-label box) or None ("skip").
        confidences : sequence of float, default=None
            The sliders' values (with ``confidence=True``).
        """
        labels = list(labels)
        if len(labels) != len(self.rows):
            raise ValueError(f"{len(labels)} labels for the {len(self.rows)} rows shown.")
        if confidences is not None and len(confidences) != len(self.rows):
            raise ValueError(
                f"{len(confidences)} confidences for the {len(self.rows)} rows shown.")
        names = [str(c) for c in self.classes]
        for i, (card, label) in enumerate(zip(self.rows, labels)):
            label = label.item() if hasattr(label, "item") else label
            card.text.value = ""
            if label is None:
                card.buttons.value = SKIP
            elif label in self.classes:
                card.buttons.value = names[self.classes.index(label)]
            else:
                card.buttons.value = None
                card.text.value = str(label)
            if confidences is not None:
                card.confidence.value = float(confidences[i])
        self.submit()
