"""Confusion counts and the annotated confusion matrix of a classifier.

A classifier's mistakes are read off ``confusion_matrix``; the counts themselves
come from ``confusion_counts``.

Used in lectures 04 and 05.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course import _validate
from course.plots._common import (
    _as_array,
    _as_labels,
    _check_class_names,
    _check_labels_below,
    _title,
)

_MAX_ANNOTATED_CLASSES = 30


def confusion_counts(
    y_true: Any, y_pred: Any, num_classes: int | None = None
) -> np.ndarray:
    """Counts (true, predicted) pairs.

    Args:
        y_true: True class ids of shape ``(N,)`` (or one-hot ``(N, K)``).
        y_pred: Predicted class ids of shape ``(N,)`` or probabilities/logits of
            shape ``(N, K)`` (reduced by argmax).
        num_classes: Number of classes ``K``; default: the largest id seen + 1
            (or the width of a 2-D input, if larger).

    Returns:
        Integer array of shape ``(K, K)``: entry ``[i, j]`` counts samples of true
        class ``i`` predicted as ``j`` (rows: true, columns: predicted).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If lengths differ, ids are negative or not integers, or an id
            is ``>= num_classes``.
    """
    true_array = _as_array("y_true", y_true)
    pred_array = _as_array("y_pred", y_pred)
    true = _as_labels("y_true", true_array)
    pred = _as_labels("y_pred", pred_array, len(true))
    if num_classes is None:
        if true.size == 0:
            raise _validate.error(
                "num_classes", num_classes, "to be given when there are no labels"
            )
        widths = [a.shape[1] for a in (true_array, pred_array) if a.ndim == 2]
        num_classes = max([int(true.max()) + 1, int(pred.max()) + 1, *widths])
    num_classes = _validate.integer("num_classes", num_classes, minimum=1)
    for name, labels in (("y_true", true), ("y_pred", pred)):
        _check_labels_below(name, labels, num_classes, "num_classes")
    flat = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    title: str | None = None,
) -> Figure:
    """Plots the annotated confusion matrix (rows: true, columns: predicted).

    Args:
        y_true: True class ids of shape ``(N,)`` (or one-hot ``(N, K)``).
        y_pred: Predicted class ids of shape ``(N,)`` or probabilities/logits of
            shape ``(N, K)`` (reduced by argmax).
        class_names: Optional names; their number fixes ``K``.
        normalize: If True, divide each row by its total, so the diagonal is the
            recall of each class (rows without samples stay 0).
        title: Optional title (default ``"Confusion matrix"``).

    Returns:
        The ``Figure``, with the matrix axes and a colorbar axes. Cells are
        annotated with counts (or fractions with 2 decimals) when
        ``K <= 30``.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If lengths differ or ids do not fit ``class_names``.
    """
    names = _check_class_names(class_names)
    normalize = _validate.boolean("normalize", normalize)
    title = _title(title)
    counts = confusion_counts(
        y_true, y_pred, num_classes=None if names is None else len(names)
    )
    k = counts.shape[0]
    if names is None:
        names = [str(i) for i in range(k)]
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(
            counts,
            totals,
            out=np.zeros(counts.shape, dtype=np.float64),
            where=totals > 0,
        )
    else:
        values = counts

    size = min(14.0, max(4.0, 0.45 * k + 2.5))
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(
        values, cmap="Blues", vmin=0, vmax=1 if normalize else max(1, values.max())
    )
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    if not normalize:
        colorbar.locator = MaxNLocator(integer=True)
        colorbar.update_ticks()
    ticks = np.arange(k)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    rotate = max(len(n) for n in names) > 3
    ax.set_xticklabels(
        names, rotation=45 if rotate else 0, ha="right" if rotate else "center"
    )
    ax.set_yticklabels(names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= _MAX_ANNOTATED_CLASSES:
        threshold = (1.0 if normalize else max(1, values.max())) / 2.0
        for i in range(k):
            for j in range(k):
                value = values[i, j]
                text = f"{value:.2f}" if normalize else str(int(value))
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > threshold else "black",
                )
    if title is None:
        title = "Confusion matrix" + (
            " (normalized by true class)" if normalize else ""
        )
    ax.set_title(title)
    fig.tight_layout()
    return fig
