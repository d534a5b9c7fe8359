"""Functions of one or two inputs: activation curves and decision regions.

Lecture 01 draws activation functions with their derivatives
(``activation_curves``) and what a perceptron or a small network answers over the
plane of two inputs (``decision_regions``, the logic gates).

Used in lecture 01.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from course import _validate
from course.plots._common import _as_array, _to_numpy


def activation_curves(
    functions: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any] | None]],
    x: Any = None,
) -> Figure:
    """Plots activation functions and their derivatives side by side.

    Args:
        functions: Dict mapping a name (e.g. ``"relu"``) to a pair ``(f, df)`` of
            callables taking and returning arrays shaped like ``x`` (NumPy or
            ``keras.ops``; a scalar result is broadcast). ``df`` may be None to
            skip the derivative.
        x: 1-D array of at least 2 points; default ``np.linspace(-5, 5, 401)``.

    Returns:
        The ``Figure`` with two axes: ``f(x)`` (left) and ``f'(x)`` (right), one
        colour and legend entry per function.

    Raises:
        TypeError: If ``functions`` is not a dict of ``(f, df)`` callables.
        ValueError: If ``functions`` is empty, ``x`` is not 1-D with >= 2 finite
            points, or a function returns the wrong shape.
    """
    if not isinstance(functions, Mapping):
        raise _validate.error(
            "functions", functions, "to be a dict name -> (f, df)", TypeError
        )
    if not functions:
        raise _validate.error("functions", functions, "to be non-empty")
    for name, pair in functions.items():
        if (
            not isinstance(pair, tuple | list)
            or len(pair) != 2
            or not callable(pair[0])
            or not (pair[1] is None or callable(pair[1]))
        ):
            raise _validate.error(
                f"functions[{name!r}]",
                pair,
                "to be a pair (f, df) of callables (df may be None)",
                TypeError,
            )
    if x is None:
        grid = np.linspace(-5.0, 5.0, 401)
    else:
        grid = _as_array("x", x).astype(np.float64)
        if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
            raise _validate.error("x", grid, "to be 1-D with at least 2 finite points")

    curves: list[tuple[str, np.ndarray, np.ndarray | None]] = []
    for name, (f, df) in functions.items():
        evaluated = []
        for which, fn in (("f", f), ("df", df)):
            if fn is None:
                evaluated.append(None)
                continue
            result = np.asarray(_to_numpy(fn(grid)), dtype=np.float64)
            try:
                result = np.broadcast_to(result, grid.shape)
            except ValueError as exc:
                raise ValueError(
                    f"Expected {which} of functions[{name!r}] to return an array of "
                    f"shape {grid.shape}. Received: {which}(x).shape={result.shape}"
                ) from exc
            evaluated.append(result)
        curves.append((str(name), evaluated[0], evaluated[1]))

    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8))
    for i, (name, values, derivative) in enumerate(curves):
        color = f"C{i % 10}"
        axes[0].plot(grid, values, color=color, label=name)
        if derivative is not None:
            axes[1].plot(grid, derivative, color=color, label=name)
    for ax, heading in zip(axes, ("f(x)", "f'(x)"), strict=True):
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.axvline(0.0, color="0.6", linewidth=0.8)
        ax.set_title(heading)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def decision_regions(
    panels: Mapping[str, tuple[Any, Any]],
    x: Any,
    resolution: int = 161,
    margin: float = 0.5,
) -> Figure:
    """Shows what a 2-input binary classifier answers over the whole plane.

    One panel per model: its output probability as colour, the 0.5 contour (the
    decision line, omitted when the output is constant) and the data points
    coloured by their target. Used for the logic gates of lecture 01, where one
    perceptron draws one straight line and XOR needs two.

    Args:
        panels: title -> ``(model, y)``; ``model`` maps ``(n, 2)`` float32 inputs to
            ``(n, 1)`` probabilities, ``y`` holds the targets of ``x``, shape ``(n,)``.
        x: points of shape ``(n, 2)``.
        resolution: grid points per axis, >= 2.
        margin: how far the grid extends beyond the points, >= 0.

    Returns:
        The figure, one axes per panel.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise _validate.error(
            "panels", panels, "to be a non-empty dict title -> (model, y)", TypeError
        )
    points = _as_array("x", x).astype("float32")
    if points.ndim != 2 or points.shape[1] != 2:
        raise _validate.error("x", points, "to have shape (n, 2)")
    resolution = _validate.integer("resolution", resolution, minimum=2)
    margin = _validate.non_negative("margin", margin)
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    g1, g2 = np.meshgrid(
        np.linspace(low[0], high[0], resolution),
        np.linspace(low[1], high[1], resolution),
    )
    plane = np.stack([g1.ravel(), g2.ravel()], axis=1).astype("float32")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.6))
    for ax, (title, (model, y)) in zip(
        np.atleast_1d(axes), panels.items(), strict=True
    ):
        targets = _as_array("y", y).reshape(-1)
        if targets.shape[0] != points.shape[0]:
            raise _validate.error("y", targets, f"to have length {points.shape[0]}")
        output = _to_numpy(model(plane)).reshape(g1.shape)
        ax.contourf(g1, g2, output, levels=np.linspace(0, 1, 11), cmap="coolwarm")
        if np.ptp(output) > 1e-3:  # a constant output has no 0.5 line to draw
            ax.contour(g1, g2, output, levels=[0.5], colors="black")
        ax.scatter(
            *points.T,
            c=targets,
            cmap="coolwarm",
            s=120,
            edgecolors="black",
            vmin=0,
            vmax=1,
        )
        ax.set(title=str(title), xlabel="x1", ylabel="x2")
    fig.tight_layout()
    return fig
