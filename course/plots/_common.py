"""What every figure of ``course.plots`` shares: array checks, scaling, the grid.

Argument checks go through ``course._validate`` (one message shape,
``Expected <what>. Received: <name>=<value>``, arrays summarised by their shape);
what is here is specific to figures: reading arrays, labels and images, rescaling
an image for display and laying out a grid of axes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from course import _validate


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if keras.ops.is_tensor(value) or isinstance(value, keras.Variable):
        return np.asarray(keras.ops.convert_to_numpy(value))
    return np.asarray(value)


def _as_array(name: str, value: Any) -> np.ndarray:
    """``value`` (array, list or backend tensor) as a numeric NumPy array."""
    if value is None or isinstance(value, (str, bytes, Mapping)):
        raise _validate.error(name, value, "to be an array", TypeError)
    try:
        array = _to_numpy(value)
    except Exception as exc:
        raise _validate.error(name, value, "to be an array", TypeError) from exc
    if not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise _validate.error(
            name, value, f"to be a numeric array, got dtype {array.dtype}", TypeError
        )
    return array


def _title(value: Any, name: str = "title") -> str | None:
    """A figure title: a string (an empty one draws nothing) or ``None``."""
    if isinstance(value, str) and not value.strip():
        return value  # _validate.string refuses it, but a computed title may be ""
    return _validate.string(name, value, allow_none=True)


def _colormap(cmap: Any, name: str = "cmap") -> Colormap:
    """A matplotlib colormap from its name or itself."""
    if isinstance(cmap, Colormap):
        return cmap
    if not isinstance(cmap, str):
        raise _validate.error(
            name, cmap, "to be a colormap name or Colormap", TypeError
        )
    if cmap not in matplotlib.colormaps:
        raise _validate.error(name, cmap, "to be a matplotlib colormap name")
    return matplotlib.colormaps[cmap]


def _check_class_names(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise _validate.error(
            "class_names",
            value,
            "to be a sequence of strings or None",
            TypeError,
        )
    names = [str(name) for name in value]
    if not names:
        raise _validate.error("class_names", value, "to be non-empty")
    return names


def _as_labels(name: str, value: Any, length: int | None = None) -> np.ndarray:
    """Integer class ids of shape ``(N,)``; a 2-D array is reduced by ``argmax``."""
    original = _as_array(name, value)
    array = original
    if array.ndim == 2 and array.shape[1] >= 1:
        array = np.argmax(array, axis=1)
    if array.ndim != 1:
        raise _validate.error(
            name, original, "to be 1-D integer labels or 2-D one-hot/probabilities"
        )
    if length is not None and array.shape[0] != length:
        raise _validate.error(name, original, f"to have {length} entries")
    if not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise _validate.error(name, original, "to hold integer class ids")
    array = array.astype(np.int64)
    if array.size and array.min() < 0:
        raise _validate.error(
            name, original, f"to hold class ids >= 0, found {array.min()}"
        )
    return array


def _check_labels_below(name: str, labels: np.ndarray, limit: int, what: str) -> None:
    """Raises unless every id in ``labels`` is below ``limit`` (``what``)."""
    if labels.size and labels.max() >= limit:
        raise _validate.error(
            name, labels, f"to be < {what}={limit}, found {labels.max()}"
        )


def _check_labels_fit(name: str, labels: np.ndarray, names: list[str] | None) -> None:
    if names is not None:
        _check_labels_below(name, labels, len(names), "len(class_names)")


def _as_images(value: Any, name: str = "images") -> np.ndarray:
    """A batch of channels-last images: ``(N, H, W)``, ``(N, H, W, 1 or 3)``."""
    array = _as_array(name, value)
    if array.ndim == 4 and array.shape[-1] in (1, 3):
        pass
    elif array.ndim != 3:
        raise _validate.error(
            name, array, "to have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3)"
        )
    if array.shape[0] < 1 or array.shape[1] < 1 or array.shape[2] < 1:
        raise _validate.error(name, array, "to hold at least one non-empty image")
    return array


def _rescale(image: np.ndarray) -> np.ndarray:
    """Maps one image linearly to ``[0, 1]`` (a constant image becomes zeros)."""
    image = image.astype(np.float64)
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return np.zeros_like(image)
    low, high = finite.min(), finite.max()
    if high <= low:
        return np.zeros_like(image)
    return np.clip(np.nan_to_num((image - low) / (high - low)), 0.0, 1.0)


def _show(ax: Any, image: np.ndarray, cmap: str | Colormap = "gray") -> None:
    """Draws one image scaled to [0, 1]: one channel through ``cmap``, RGB as is."""
    shown = _rescale(image)
    if shown.ndim == 3 and shown.shape[-1] == 1:
        shown = shown[..., 0]
    ax.imshow(shown, cmap=cmap if shown.ndim == 2 else None, vmin=0.0, vmax=1.0)


def _grid(
    count: int, ncols: int, cell: float = 1.6, title_lines: int = 1
) -> tuple[Figure, list[Any]]:
    """A figure with exactly ``count`` axes laid out in rows of ``ncols``."""
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    row_height = cell + 0.15 + 0.18 * title_lines
    fig, axes = plt.subplots(
        nrows, ncols, squeeze=False, figsize=(cell * ncols, row_height * nrows + 0.3)
    )
    flat = list(axes.ravel())
    for ax in flat[count:]:
        fig.delaxes(ax)
    for ax in flat[:count]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, flat[:count]
