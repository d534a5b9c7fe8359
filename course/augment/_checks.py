"""The argument rules that only augmentation has, on top of ``course._validate``.

A seed is a non-negative integer (or ``None``); a range of areas or aspect ratios
is a pair ``(low, high)`` with ``0 < low <= high``; a pipeline's input is one
channels-last image shape. The layers, the builders and the viewing functions
all check through these, so each rule has one copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from course import _validate


def seed(value, *, allow_none: bool = True) -> int | None:
    """``value`` as an int >= 0 (``None`` lets the layers draw fresh seeds)."""
    return _validate.integer("seed", value, minimum=0, allow_none=allow_none)


def interval(name: str, value, bound: float | None = None) -> tuple[float, float]:
    """``value`` as a pair ``(low, high)`` with ``0 < low <= high`` (and
    ``high <= bound`` when a bound is given)."""
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, (Sequence, np.ndarray))
        or len(value) != 2
        or not all(_validate.is_number(v) for v in value)
    ):
        raise _validate.error(
            name, value, "to be a pair (low, high) of numbers", TypeError
        )
    low, high = float(value[0]), float(value[1])
    if not (
        math.isfinite(low)
        and math.isfinite(high)
        and 0 < low <= high
        and (bound is None or high <= bound)
    ):
        upper = "" if bound is None else f" <= {bound:g}"
        raise _validate.error(
            name, tuple(value), f"to be a pair (low, high) with 0 < low <= high{upper}"
        )
    return low, high


def image_shape(input_shape, rgb: bool = False, why: str = "") -> tuple[int, ...]:
    """``input_shape`` as ``(height, width, channels)``; 3 channels if ``rgb``."""
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    if rgb and input_shape[-1] != 3:
        raise _validate.error(
            "input_shape", input_shape, f"to have 3 channels (RGB){why}"
        )
    return input_shape
