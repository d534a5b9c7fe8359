"""Worked examples of convolution arithmetic: sliding kernels and small arrays.

``kernel_sliding`` steps a kernel over its input (padding, stride, dilation) and
``number_grids`` writes small arrays cell by cell (a pooling window, the partial
sums of a transposed convolution, a dilated kernel).

Used in lectures 03 and 10.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from course import _validate
from course.plots._common import _as_array


def kernel_sliding(i: int, k: int, s: int = 1, p: int = 0, d: int = 1, frames: int = 4):
    """Stepped frames of a ``k x k`` kernel sliding over an ``i x i`` input.

    Each frame shows the zero-padded input (padding grey, input white), the
    kernel's taps for one output position (blue; spread out by the dilation ``d``)
    and the output grid with that position highlighted (orange). The output size
    is ``arithmetic.conv_output_size(i, k, s, p, d)`` (Dumoulin & Visin, 2016).

    Args:
        i: input size. k: kernel size. s: stride. p: padding on each side.
        d: dilation. frames: number of output positions shown, spread evenly.

    Returns:
        The figure, one axes per frame.
    """
    from matplotlib.colors import ListedColormap

    from course import arithmetic

    o = arithmetic.conv_output_size(i, k, s, p, d)  # validates i, k, s, p, d
    frames = _validate.integer("frames", frames, minimum=1)
    cells = ListedColormap(["#c8c8c8", "white", "#4c72b0", "#fbe3cc", "#dd8452"])
    n = i + 2 * p
    fig, axes = plt.subplots(1, frames, figsize=(3.0 * frames, 2.2), squeeze=False)
    positions = np.linspace(0, o * o - 1, frames).astype(int)
    for ax, index in zip(axes[0], positions, strict=True):
        row, col = divmod(int(index), o)
        # Codes: 0 padding, 1 input, 2 kernel taps, 3 output, 4 current output;
        # NaN leaves the gap between the input and the output grid empty.
        canvas = np.full((max(n, o), n + 1 + o), np.nan)
        canvas[:n, :n] = 0
        canvas[p : p + i, p : p + i] = 1
        taps = d * np.arange(k)
        canvas[np.ix_(row * s + taps, col * s + taps)] = 2
        canvas[:o, n + 1 :] = 3
        canvas[row, n + 1 + col] = 4
        mesh = ax.pcolormesh(
            np.ma.masked_invalid(canvas),
            cmap=cells,
            vmin=-0.5,
            vmax=4.5,
            edgecolors="black",
            linewidth=0.5,
        )
        mesh.set_clip_on(False)
        ax.set(aspect="equal", title=f"output ({row}, {col})")
        ax.invert_yaxis()
        ax.axis("off")
    fig.suptitle(f"i={i}, k={k}, s={s}, p={p}, d={d}: {o}x{o} output")
    fig.tight_layout()
    return fig


def number_grids(panels: Mapping[str, Any], cmap: str = "Blues") -> Figure:
    """Small 2-D arrays side by side with every value written in its cell.

    For worked examples: a pooling window, the partial sums of a transposed
    convolution, a kernel. All panels share one colour scale.

    Args:
        panels: title -> 2-D array.
        cmap: matplotlib colormap name.

    Returns:
        The figure, one axes per panel.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise _validate.error(
            "panels", panels, "to be a non-empty dict title -> 2-D array", TypeError
        )
    arrays = {str(t): _as_array("panels", v) for t, v in panels.items()}
    for array in arrays.values():
        if array.ndim != 2:
            raise _validate.error("panels", array, "to hold 2-D arrays")
    low = min(float(a.min()) for a in arrays.values())
    high = max(float(a.max()) for a in arrays.values())
    fig, axes = plt.subplots(
        1, len(arrays), figsize=(2.4 * len(arrays), 2.6), squeeze=False
    )
    for ax, (title, array) in zip(axes[0], arrays.items(), strict=True):
        ax.imshow(array, cmap=cmap, vmin=low, vmax=high if high > low else low + 1)
        for (r, c), value in np.ndenumerate(array):
            ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=8)
        ax.set(title=title, xticks=[], yticks=[])
    fig.tight_layout()
    return fig
