"""An oracle for a person at a terminal or in a notebook: show each row, read its label."""

import math

import numpy as np

__all__ = ["ConsoleOracle"]

# From light to dark: a row of pixels in [0, 1] printed as characters.
_SHADES = " .:-=+*#%@"


def _ascii_image(row, shape):
    values = np.asarray(row, dtype=np.float64).reshape(shape)
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    index = np.minimum((scaled * len(_SHADES)).astype(int), len(_SHADES) - 1)
    return "\n".join("".join(_SHADES[i] * 2 for i in line) for line in index)


class ConsoleOracle:
    """Ask a person: print each shown row, read a label (and a confidence) per row.

    Each row is printed as an image in characters when it is one (a square
    number of features, or ``image_shape``), else as its values; with
    ``show="plot"`` it is drawn with matplotlib instead (for a notebook). The
    answer is typed on one line:

    * ``7``: label 7, confidence 1;
    * ``7 0.8``: label 7, confidence 0.8;
    * ``x`` (or ``?``): not a valid sample (a centre that shows no class);
    * ``q``: stop, answering "not a valid sample" for this row and the rest.

    A line that is none of these (or, with ``classes``, a label that is not
    one of them) is refused with a message and asked again.

    Parameters
    ----------
    classes : array-like or None, default=None
        The labels a person may give; answers are returned as these values
        (e.g. ints). ``None`` accepts any label: an int where it reads as
        one, else the text.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` of a row seen as an image; ``None`` reads a
        square number of features of at least 16 as a square image.
    show : {"text", "plot"}, default="text"
    input : callable or None, default=None
        Reads one answer, given a prompt; default :func:`input`. A test passes
        a scripted one.
    output : callable or None, default=None
        Prints one string; default :func:`print`.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaeal.oracle import ConsoleOracle
    >>> answers = iter(["3", "5 0.7", "x"])
    >>> oracle = ConsoleOracle(classes=[3, 5], input=lambda prompt: next(answers),
    ...                        output=lambda text: None)
    >>> labels, conf = oracle(np.eye(3, 16))
    >>> labels.tolist(), conf.tolist()
    ([3, 5, None], [1.0, 0.7, 0.0])
    """

    def __init__(self, classes=None, *, image_shape=None, show="text", input=None, output=None):
        self.classes = classes
        self.image_shape = image_shape
        self.show = show
        self.input = input
        self.output = output

    def _shape(self, n_features):
        if self.image_shape is not None:
            return tuple(int(s) for s in self.image_shape)
        side = math.isqrt(n_features)
        return (side, side) if side * side == n_features and side >= 4 else None

    def _parse(self, text):
        """``(label, confidence)``, ``(None, 0.0)`` for "not valid", or an error message."""
        parts = text.strip().split()
        if not parts:
            return "type a label, 'x' for not a valid sample, or 'q' to stop"
        if parts[0].lower() in ("x", "?"):
            return None, 0.0
        if len(parts) > 2:
            return "type a label and at most one confidence"
        confidence = 1.0
        if len(parts) == 2:
            try:
                confidence = float(parts[1])
            except ValueError:
                return f"the confidence must be a number in [0, 1]; got {parts[1]!r}"
            if not 0 <= confidence <= 1:
                return f"the confidence must lie in [0, 1]; got {confidence}"
        if self.classes is not None:
            by_text = {str(c): c for c in list(self.classes)}
            if parts[0] not in by_text:
                return f"the label must be one of {sorted(by_text)}; got {parts[0]!r}"
            label = by_text[parts[0]]
            return (label.item() if hasattr(label, "item") else label), confidence
        try:
            return int(parts[0]), confidence
        except ValueError:
            return parts[0], confidence

    def __call__(self, X_shown, indices=None):
        if self.show not in ("text", "plot"):
            raise ValueError(f"show must be 'text' or 'plot'; got {self.show!r}.")
        read = self.input if self.input is not None else input
        write = self.output if self.output is not None else print
        X_shown = np.asarray(X_shown, dtype=np.float64)
        X_shown = X_shown.reshape(len(X_shown), -1)
        shape = self._shape(X_shown.shape[1])
        labels, confidences = [None] * len(X_shown), [0.0] * len(X_shown)
        for i, row in enumerate(X_shown):
            where = f" (pool row {int(indices[i])})" if indices is not None else ""
            write(f"Row {i + 1} of {len(X_shown)}{where}:")
            if self.show == "plot" and shape is not None:
                import matplotlib.pyplot as plt

                fig, ax = plt.subplots(figsize=(1.5, 1.5))
                ax.imshow(row.reshape(shape), cmap="gray_r")
                ax.set_axis_off()
                plt.show()
            elif shape is not None:
                write(_ascii_image(row, shape))
            else:
                write(np.array2string(row, precision=3, max_line_width=100))
            while True:
                text = read("label [confidence], x = not valid, q = stop: ")
                if text.strip().lower() == "q":
                    return np.array(labels, dtype=object), np.array(confidences)
                parsed = self._parse(text)
                if isinstance(parsed, str):
                    write(parsed)
                    continue
                labels[i], confidences[i] = parsed
                break
        return np.array(labels, dtype=object), np.array(confidences)
