"""Image grids: samples with their labels, and the mistakes of a classifier.

``image_grid`` shows data and predictions; ``misclassified`` shows what a trained
classifier gets wrong (lectures 04 and 05). Titles are red where the prediction
differs from the label.

Used in lectures 00, 01, 03, 04, 05, 06, 08, 09, 11 and 13.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from course import _validate
from course.plots._common import (
    _as_images,
    _as_labels,
    _check_class_names,
    _check_labels_fit,
    _colormap,
    _grid,
    _show,
    _title,
)

WRONG_COLOR = "red"
"""Title colour of a wrongly predicted image."""


def _label_text(label: int, names: list[str] | None) -> str:
    return names[label] if names is not None else str(label)


def _draw_images(
    images: np.ndarray,
    titles: Sequence[str] | None,
    colors: Sequence[str | None] | None,
    ncols: int,
    cmap: str | Colormap,
) -> tuple[Figure, list[Any]]:
    lines = max((t.count("\n") + 1 for t in titles), default=0) if titles else 0
    fig, axes = _grid(len(images), ncols, title_lines=lines)
    for i, (ax, image) in enumerate(zip(axes, images, strict=True)):
        _show(ax, image, cmap)
        if titles is not None:
            color = colors[i] if colors is not None else None
            style = {"color": color} if color is not None else {}
            ax.set_title(titles[i], fontsize=8, **style)
    return fig, axes


def image_grid(
    images: Any,
    labels: Any = None,
    predictions: Any = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str | Colormap = "gray",
    title: str | None = None,
) -> Figure:
    """Shows images in a grid, titled with their labels and predictions.

    Args:
        images: Array of shape ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)``
            in any range (float or uint8); each image is rescaled to its own
            min..max for display.
        labels: Optional true class ids of shape ``(N,)`` (or one-hot ``(N, K)``).
        predictions: Optional predicted class ids of shape ``(N,)`` or
            probabilities/logits of shape ``(N, K)`` (reduced by argmax).
        class_names: Optional names indexed by class id.
        ncols: Images per row.
        cmap: Colormap for single-channel images.
        title: Optional figure title.

    Returns:
        The ``Figure``, with one axes per image. With both ``labels`` and
        ``predictions`` the title reads ``"<label>\\npred: <prediction>"`` and is
        red when they differ; with only predictions it reads ``"pred: <p>"``.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If shapes or lengths do not match, or a class id has no name.
    """
    array = _as_images(images)
    n = array.shape[0]
    true = None if labels is None else _as_labels("labels", labels, n)
    pred = None if predictions is None else _as_labels("predictions", predictions, n)
    names = _check_class_names(class_names)
    if true is not None:
        _check_labels_fit("labels", true, names)
    if pred is not None:
        _check_labels_fit("predictions", pred, names)
    ncols = _validate.integer("ncols", ncols, minimum=1)
    cmap = _colormap(cmap)
    title = _title(title)

    titles: list[str] | None = None
    colors: list[str | None] | None = None
    if true is not None or pred is not None:
        titles, colors = [], []
        for i in range(n):
            parts = []
            if true is not None:
                parts.append(_label_text(int(true[i]), names))
            if pred is not None:
                parts.append(f"pred: {_label_text(int(pred[i]), names)}")
            titles.append("\n".join(parts))
            wrong = true is not None and pred is not None and true[i] != pred[i]
            colors.append(WRONG_COLOR if wrong else None)
    fig, _ = _draw_images(array, titles, colors, ncols, cmap)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def misclassified(
    images: Any,
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    max_images: int = 16,
) -> Figure:
    """Shows the first wrongly predicted images, titled ``"true -> predicted"``.

    Args:
        images: Array of shape ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)``.
        y_true: True class ids of shape ``(N,)`` (or one-hot ``(N, K)``).
        y_pred: Predicted class ids of shape ``(N,)`` or probabilities of shape
            ``(N, K)`` (reduced by argmax).
        class_names: Optional names indexed by class id.
        max_images: At most this many mistakes are shown, in dataset order.

    Returns:
        The ``Figure``: one axes per shown mistake (titles in red), or a single
        empty axes with the text ``"no mistakes"`` when every prediction is right.
        The figure title counts the mistakes.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If shapes or lengths do not match, or a class id has no name.
    """
    array = _as_images(images)
    n = array.shape[0]
    true = _as_labels("y_true", y_true, n)
    pred = _as_labels("y_pred", y_pred, n)
    names = _check_class_names(class_names)
    _check_labels_fit("y_true", true, names)
    _check_labels_fit("y_pred", pred, names)
    max_images = _validate.integer("max_images", max_images, minimum=1)

    wrong = np.flatnonzero(true != pred)
    if wrong.size == 0:
        fig, ax = plt.subplots(figsize=(3.0, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center", fontsize=12)
        fig.suptitle(f"0 of {n} misclassified")
        return fig
    shown = wrong[:max_images]
    titles = [
        f"{_label_text(int(true[i]), names)} -> {_label_text(int(pred[i]), names)}"
        for i in shown
    ]
    fig, _ = _draw_images(
        array[shown], titles, [WRONG_COLOR] * len(shown), ncols=8, cmap="gray"
    )
    fig.suptitle(f"{wrong.size} of {n} misclassified (showing {len(shown)})")
    fig.tight_layout()
    return fig
