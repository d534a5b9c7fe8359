"""The one vocabulary of argument checks, with one message shape everywhere.

Every message says what was expected and ends with ``Received: name=value`` (arrays
are summarised by their shape, so a message never prints a whole image). Every
module of ``course`` checks its arguments through these functions; none defines its
own ``_received``. The module imports no Keras at import time, so ``course.fetch``
and ``course.config`` can use it; only :func:`model` imports Keras, when called.

Each check returns the value it accepted, converted to the plain Python type the
caller should use (``int``, ``float``, ``tuple``, ``pathlib.Path``), so a caller
writes ``depth = _validate.positive_int("depth", depth)`` and moves on.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np


def received(name: str, value) -> str:
    """Returns ``"Received: name=value"``, or ``name.shape=...`` for an array."""
    if isinstance(value, np.dtype):  # "labels.dtype=bool", not "dtype('bool')"
        return f"Received: {name}={value}"
    array_shape = getattr(value, "shape", None)
    if array_shape is not None and not isinstance(value, (str, bytes)):
        try:
            array_shape = tuple(array_shape)
        except TypeError:  # a symbolic shape that cannot be listed
            array_shape = None
        if array_shape:  # a scalar (shape ()) is short enough to print itself
            return f"Received: {name}.shape={array_shape}"
    return f"Received: {name}={value!r}"


def error(name: str, value, expected: str, exc: type[Exception] = ValueError):
    """Returns (does not raise) ``exc("Expected <name> <expected>. Received: ...")``.

    ``expected`` continues the sentence after the argument's name, e.g.
    ``"to be a bool"`` or ``"> 0"``. Callers write ``raise _validate.error(...)``
    so that the traceback points at the check that failed.
    """
    return exc(f"Expected {name} {expected}. {received(name, value)}")


def relation(expected: str, exc: type[Exception] = ValueError, **values):
    """Returns (does not raise) ``exc("Expected <expected>. Received: a=1, b=2")``.

    For a rule between several arguments (``k <= i + 2p``, one label per image),
    which names them all after ``Received:``, in the order given. Names that are
    not identifiers go through a dict: ``**{"len(x)": 10, "len(y)": 3}``.
    """
    shown = ", ".join(f"{name}={value!r}" for name, value in values.items())
    return exc(f"Expected {expected}. Received: {shown}")


def is_int(value) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), ``bool`` excluded."""
    return isinstance(value, (Integral, np.integer)) and not isinstance(value, bool)


def is_number(value) -> bool:
    """Whether ``value`` is a real number (Python or NumPy), ``bool`` excluded."""
    return isinstance(value, (Real, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def boolean(name: str, value, *, allow_none: bool = False) -> bool | None:
    """Returns ``value`` as a bool (``None`` too when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        what = "a bool or None" if allow_none else "a bool"
        raise error(name, value, f"to be {what}", TypeError)
    return bool(value)


def integer(
    name: str,
    value,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """Returns ``value`` as an int within ``[minimum, maximum]`` (either optional)."""
    if value is None and allow_none:
        return None
    if not is_int(value):
        what = "an integer or None" if allow_none else "an integer"
        raise error(name, value, f"to be {what}", TypeError)
    if minimum is not None and value < minimum:
        raise error(name, value, f"to be an integer >= {minimum}")
    if maximum is not None and value > maximum:
        raise error(name, value, f"to be an integer <= {maximum}")
    return int(value)


def positive_int(name: str, value, minimum: int = 1) -> int:
    """Returns ``value`` as an int, raising if it is not an integer >= ``minimum``."""
    return integer(name, value, minimum=minimum)


def number(
    name: str,
    value,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    finite: bool = True,
    allow_none: bool = False,
) -> float | None:
    """Returns ``value`` as a float within the given bounds (never NaN).

    ``finite=False`` lets infinity through, for limits such as "no time limit".
    """
    if value is None and allow_none:
        return None
    if not is_number(value):
        what = "a number or None" if allow_none else "a number"
        raise error(name, value, f"to be {what}", TypeError)
    if np.isnan(value) or (finite and not np.isfinite(value)):
        raise error(
            name,
            value,
            "to be a finite number" if finite else "to be a number, not NaN",
        )
    if minimum is not None:
        too_small = value <= minimum if exclusive_minimum else value < minimum
        if too_small:
            raise error(
                name, value, f"to be {'>' if exclusive_minimum else '>='} {minimum}"
            )
    if maximum is not None and value > maximum:
        raise error(name, value, f"to be <= {maximum}")
    return float(value)


def positive(name: str, value) -> float:
    """Returns ``value`` as a float, raising unless it is a number > 0."""
    return number(name, value, minimum=0, exclusive_minimum=True, finite=False)


def non_negative(name: str, value) -> float:
    """Returns ``value`` as a float, raising unless it is a number >= 0."""
    return number(name, value, minimum=0, finite=False)


def fraction(name: str, value, *, inclusive_one: bool = False) -> float:
    """Returns ``value`` as a float in [0, 1) (or [0, 1] when ``inclusive_one``)."""
    if not is_number(value):
        raise error(name, value, "to be a number", TypeError)
    upper_ok = value <= 1 if inclusive_one else value < 1
    if not (value >= 0 and upper_ok):
        raise error(name, value, f"to be in {'[0, 1]' if inclusive_one else '[0, 1)'}")
    return float(value)


def shape(name: str, value, rank: int | None = None) -> tuple[int, ...]:
    """Returns ``value`` as a tuple of positive ints of the given rank."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise error(name, value, "to be a tuple of positive integers", TypeError)
    if rank is not None and len(value) != rank:
        what = " (height, width, channels)" if rank == 3 else ""
        raise error(name, tuple(value), f"to have {rank} entries{what}")
    if not value or not all(is_int(v) and v > 0 for v in value):
        raise error(name, tuple(value), "to be a tuple of positive integers")
    return tuple(int(v) for v in value)


def positive_ints(name: str, value) -> tuple[int, ...]:
    """Returns ``value`` as a tuple of one or more positive ints (filters, widths)."""
    if (
        isinstance(value, str)
        or not hasattr(value, "__len__")
        or len(value) < 1
        or not all(is_int(v) and v > 0 for v in value)
    ):
        raise error(name, value, "to be one or more positive integers")
    return tuple(int(v) for v in value)


def choice(name: str, value, options: Sequence) -> object:
    """Returns ``value`` if it is one of ``options``."""
    try:
        known = value in options
    except TypeError:  # an unhashable value asked of a set or dict
        known = False
    if not known:
        raise error(name, value, f"to be one of {tuple(options)!r}")
    return value


def string(name: str, value, *, allow_none: bool = False) -> str | None:
    """Returns ``value`` if it is a non-empty string (``None`` when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        what = "a string or None" if allow_none else "a string"
        raise error(name, value, f"to be {what}", TypeError)
    if not value.strip():
        raise error(name, value, "to be a non-empty string")
    return value


def path(name: str, value, *, allow_none: bool = False) -> pathlib.Path | None:
    """Returns ``value`` (a string or ``os.PathLike``) as a ``pathlib.Path``."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (str, os.PathLike)) or (
        isinstance(value, str) and not value
    ):
        what = "a path (str or os.PathLike)" + (" or None" if allow_none else "")
        raise error(name, value, f"to be {what}", TypeError)
    return pathlib.Path(value)


def function(name: str, value, *, allow_none: bool = False):
    """Returns ``value`` if it is callable (``None`` too when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not callable(value):
        what = "a callable or None" if allow_none else "a callable"
        raise error(name, value, f"to be {what}", TypeError)
    return value


def model(name: str, value, *, functional: bool = False):
    """Returns ``value`` if it is a ``keras.Model`` (built, with inputs, if asked).

    ``functional=True`` asks for a model with symbolic ``inputs`` (a Functional
    model, or a Sequential one that has been built), which is what every rebuild,
    cut or feature extractor in the course needs.
    """
    import keras  # imported here so that fetch and config stay free of Keras

    if not isinstance(value, keras.Model):
        raise error(name, value, "to be a keras.Model", TypeError)
    if functional and not getattr(value, "inputs", None):
        raise error(name, value.name, "to be a built Functional model (with inputs)")
    return value
