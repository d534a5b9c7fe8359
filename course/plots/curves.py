"""Training curves: loss and metrics per epoch, one or several runs overlaid.

``training_curves`` is drawn after nearly every ``fit`` of the course. It reads
histories through ``course.training.history``, the parser
``training.summarize_history`` uses too.

Used in lectures 00, 01, 02, 04, 05, 07, 08 and 10.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course import _validate
from course.plots._common import _title
from course.training import history as _history


def _check_metrics(metrics: Any, runs: dict[str | None, dict]) -> tuple[str, ...]:
    """``metrics`` as a tuple of names, each a key of every run."""
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, Sequence) or not all(
        isinstance(m, str) for m in metrics
    ):
        raise _validate.error(
            "metrics",
            metrics,
            "to be a string or a sequence of strings",
            TypeError,
        )
    if not metrics:
        raise _validate.error("metrics", metrics, "to name at least one metric")
    for label, logs in runs.items():
        missing = [m for m in metrics if m not in logs]
        if missing:
            where = "history" if label is None else f"history[{label!r}]"
            raise _validate.error(
                "metrics",
                tuple(metrics),
                f"to be keys of {where}; missing {missing}, "
                f"available keys {sorted(logs)}",
            )
    return tuple(metrics)


def _read_curves(
    runs: dict[str | None, dict], metrics: tuple[str, ...]
) -> dict[str | None, dict[str, np.ndarray]]:
    """Each run's training and (where logged) validation curve of each metric."""
    return {
        label: _history.curves(
            logs,
            [key for m in metrics for key in (m, f"val_{m}") if key in logs],
            name="history" if label is None else f"history[{label!r}]",
        )
        for label, logs in runs.items()
    }


def _draw_metric(
    ax: Any, metric: str, series: dict[str | None, dict[str, np.ndarray]]
) -> None:
    """One panel: every run's curves of ``metric``, train solid, validation dashed."""
    for i, (label, curves) in enumerate(series.items()):
        color = f"C{i % 10}"
        for key, style, part, short in (
            (metric, "-", "train", "train"),
            (f"val_{metric}", "--", "validation", "val"),
        ):
            values = curves.get(key)
            if values is None:
                continue
            ax.plot(
                np.arange(1, len(values) + 1),
                values,
                color=color,
                linestyle=style,
                label=part if label is None else f"{label} ({short})",
            )
    ax.set_title(metric)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def training_curves(
    history: Any,
    metrics: str | Sequence[str] = ("loss", "accuracy"),
    title: str | None = None,
) -> Figure:
    """Plots training and validation curves, one panel per metric.

    Args:
        history: The ``keras.callbacks.History`` returned by ``model.fit``, its
            ``history`` dict (``{"loss": [...], "val_loss": [...], ...}``, one value
            per epoch), or a dict mapping a run label (e.g. ``"dropout"``) to such a
            History or dict to overlay several runs.
        metrics: A metric name or a sequence of names; each must be a key of every
            run. The validation curve ``"val_" + name`` is drawn when present.
        title: Optional figure title.

    Returns:
        The ``Figure``, with one axes per metric. Each run has its own colour;
        training is solid, validation dashed. The x-axis counts epochs from 1.

    Raises:
        TypeError: If ``history`` is not a History or dict of lists, or ``metrics``
            is not a string or a sequence of strings.
        ValueError: If ``history`` is empty or a metric is missing (the message
            lists the available keys).
    """
    runs = _history.runs(history)
    metrics = _check_metrics(metrics, runs)
    title = _title(title)
    series = _read_curves(runs, metrics)

    fig, axes = plt.subplots(
        1, len(metrics), squeeze=False, figsize=(5.0 * len(metrics), 3.6)
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        _draw_metric(ax, metric, series)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
