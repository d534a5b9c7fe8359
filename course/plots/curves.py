"""Training curves: loss and metrics per epoch, one or several runs overlaid.

``training_curves`` is drawn after nearly every ``fit`` of the course. It reads
histories through ``course.training.history``, the parser
``training.summarize_history`` uses too.

``learning_curve`` and ``lr_range`` draw lecture 13's learning curves and
learning-rate range test.

Used in lectures 00, 01, 02, 04, 05, 07, 08, 10 and 13.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course import _validate
from course.plots._common import _as_array, _title
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


def learning_curve(
    sizes: Any,
    scores: Any,
    ylabel: str = "held-out accuracy",
    xlabel: str = "training images",
    title: str | None = None,
) -> Figure:
    """A score against training-set size, log scale, with its spread over seeds.

    Lecture 13's learning curve (and its fine-tuning-versus-scratch curves): each
    curve is the mean over seeds, with the band between the lowest and highest
    seed, so the student sees both how much more data buys and how much of a
    small-data result is luck.

    Args:
        sizes: increasing positive sizes, one per point.
        scores: an array ``(len(sizes), seeds)``, or a dict mapping a curve's
            label to one.
        ylabel: the score's name.
        xlabel: what the sizes count.
        title: optional figure title.

    Returns:
        The ``Figure``, its x axis logarithmic.

    Raises:
        ValueError: for sizes that are not positive and increasing, or scores
            of another shape.
        TypeError: for arguments of the wrong type.
    """
    sizes = _as_array("sizes", sizes).astype(float)
    if (
        sizes.ndim != 1
        or not len(sizes)
        or sizes.min() <= 0
        or np.any(np.diff(sizes) <= 0)
    ):
        raise _validate.error(
            "sizes", sizes.tolist(), "to be positive and increasing", ValueError
        )
    curves = scores if isinstance(scores, dict) else {None: scores}
    if not curves:
        raise _validate.error("scores", scores, "to hold at least one curve")
    ylabel = _validate.string("ylabel", ylabel)
    xlabel = _validate.string("xlabel", xlabel)
    title = _title(title)
    arrays = {}
    for label, values in curves.items():
        array = _as_array("scores", values).astype(float)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or array.shape[0] != len(sizes):
            raise _validate.error(
                "scores.shape",
                array.shape,
                f"to be (len(sizes), seeds) = ({len(sizes)}, seeds)",
            )
        arrays[label] = array
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for label, array in arrays.items():
        mean = array.mean(axis=1)
        (line,) = ax.plot(sizes, mean, marker="o", label=label)
        if array.shape[1] > 1:
            ax.fill_between(
                sizes,
                array.min(axis=1),
                array.max(axis=1),
                alpha=0.2,
                color=line.get_color(),
            )
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    if any(label is not None for label in arrays):
        ax.legend()
    if title is not None:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def lr_range(result: Any, title: str | None = None) -> Figure:
    """The loss of a learning-rate range test against the rate, log scale.

    Args:
        result: a :class:`course.training.LearningRateRange`.
        title: optional figure title.

    Returns:
        The ``Figure``: raw and smoothed loss, the suggested rate marked.

    Raises:
        TypeError: if ``result`` is not a range test's result.
    """
    needed = ("learning_rates", "losses", "smoothed", "suggestion")
    if not all(hasattr(result, name) for name in needed):
        raise _validate.error(
            "result", type(result).__name__, "to be a LearningRateRange", TypeError
        )
    title = _title(title)
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    ax.plot(result.learning_rates, result.losses, alpha=0.35, label="loss per step")
    ax.plot(result.learning_rates, result.smoothed, label="smoothed")
    ax.axvline(result.suggestion, color="k", linestyle="--", label="suggestion")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.legend()
    if title is not None:
        ax.set_title(title)
    fig.tight_layout()
    return fig
