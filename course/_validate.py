"""Argument checks shared by the builders, with one message shape everywhere.

Every message says what was expected and ends with ``Received: name=value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np


def _is_int(value) -> bool:
    return isinstance(value, (Integral, np.integer)) and not isinstance(value, bool)


def positive_int(name: str, value, minimum: int = 1) -> int:
    """Returns ``value`` as an int, raising if it is not an integer >= ``minimum``."""
    if not _is_int(value):
        raise TypeError(f"Expected {name} to be an integer. Received: {name}={value!r}")
    if value < minimum:
        raise ValueError(
            f"Expected {name} to be an integer >= {minimum}. Received: {name}={value!r}"
        )
    return int(value)


def fraction(name: str, value, *, inclusive_one: bool = False) -> float:
    """Returns ``value`` as a float in [0, 1) (or [0, 1] when ``inclusive_one``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"Expected {name} to be a number. Received: {name}={value!r}")
    upper_ok = value <= 1 if inclusive_one else value < 1
    if not (value >= 0 and upper_ok):
        interval = "[0, 1]" if inclusive_one else "[0, 1)"
        raise ValueError(
            f"Expected {name} to be in {interval}. Received: {name}={value!r}"
        )
    return float(value)


def non_negative(name: str, value) -> float:
    """Returns ``value`` as a float, raising unless it is a number >= 0."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"Expected {name} to be a number. Received: {name}={value!r}")
    if not value >= 0:
        raise ValueError(f"Expected {name} to be >= 0. Received: {name}={value!r}")
    return float(value)


def shape(name: str, value, rank: int | None = None) -> tuple[int, ...]:
    """Returns ``value`` as a tuple of positive ints of the given rank."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(
            f"Expected {name} to be a tuple of positive integers. "
            f"Received: {name}={value!r}"
        )
    if rank is not None and len(value) != rank:
        what = " (height, width, channels)" if rank == 3 else ""
        raise ValueError(
            f"Expected {name} to have {rank} entries{what}. "
            f"Received: {name}={tuple(value)!r}"
        )
    if not value or not all(_is_int(v) and v > 0 for v in value):
        raise ValueError(
            f"Expected {name} to be a tuple of positive integers. "
            f"Received: {name}={tuple(value)!r}"
        )
    return tuple(int(v) for v in value)


def positive_ints(name: str, value) -> tuple[int, ...]:
    """Returns ``value`` as a tuple of one or more positive ints (filters, widths)."""
    if (
        isinstance(value, str)
        or not hasattr(value, "__len__")
        or len(value) < 1
        or not all(_is_int(v) and v > 0 for v in value)
    ):
        raise ValueError(
            f"Expected {name} to be one or more positive integers. "
            f"Received: {name}={value!r}"
        )
    return tuple(int(v) for v in value)


def choice(name: str, value, options: Sequence) -> object:
    """Returns ``value`` if it is one of ``options``."""
    if value not in options:
        raise ValueError(
            f"Expected {name} to be one of {tuple(options)!r}. "
            f"Received: {name}={value!r}"
        )
    return value
