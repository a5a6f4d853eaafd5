"""Parameter documentation written once and shared by several estimators."""

import textwrap

__all__ = ["Substitution"]


class Substitution:
    """Fill ``%(name)s`` markers of a docstring with shared text.

    Unlike ``str %`` formatting it leaves every other ``%`` and brace alone,
    so docstrings need no escaping. Each value is dedented, then indented as
    the line holding its marker.

    Parameters
    ----------
    **params : str
        Marker name -> text.

    Examples
    --------
    >>> from skvaeal.utils import Substitution
    >>> @Substitution(seed="random_state : int\\n    Seeds everything.")
    ... def f():
    ...     '''Do it.
    ...
    ...     Parameters
    ...     ----------
    ...     %(seed)s
    ...     '''
    >>> print(f.__doc__.splitlines()[-2].strip())
    Seeds everything.
    """

    def __init__(self, **params):
        self.params = {k: textwrap.dedent(v).strip("\n") for k, v in params.items()}

    def __call__(self, obj):
        doc = obj.__doc__
        if doc is None:
            return obj
        lines = []
        for line in doc.split("\n"):
            stripped = line.strip()
            if stripped.startswith("%(") and stripped.endswith(")s") \
                    and stripped[2:-2] in self.params:
                indent = line[: len(line) - len(line.lstrip())]
                lines.extend(indent + text if text else text
                             for text in self.params[stripped[2:-2]].split("\n"))
            else:
                lines.append(line)
        missing = [m for m in self.params if f"%({m})s" in "\n".join(lines)]
        if missing:  # a marker inside a line, not alone on one
            raise ValueError(f"markers {missing} must stand alone on their lines")
        obj.__doc__ = "\n".join(lines)
        return obj
