"""Gradient norm per layer, input to output, on a log scale.

The picture behind "vanishing" (and exploding) gradients: the norm of d loss /
d kernel of every layer, as ``course.training.gradient_norms`` measures it, against
the layer's depth. Lecture 06 compares plain and residual nets and activations
with it; lecture 10 asks whether a U-Net's middle layers get a "diluted"
gradient (seed 000).

Used in lectures 06 and 10.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course import _validate
from course.plots._common import _as_array, _title


def _norms(label: str, values: Any) -> np.ndarray:
    """One series: a sequence of norms, or the dict ``gradient_norms`` returns."""
    if isinstance(values, Mapping):
        values = list(values.values())
    array = _as_array(f"panels[...][{label!r}]", values).astype(float)
    if array.ndim != 1 or not len(array) or not np.all(array >= 0):
        raise _validate.error(
            f"panels[...][{label!r}]",
            array.tolist(),
            "to be one norm (>= 0) per layer",
        )
    return array


def gradient_profile(
    panels: Mapping[str, Mapping[str, Any]],
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    shade: tuple[float, float] | None = None,
    layer_names: Sequence[str] | None = None,
    sharey: bool = False,
    title: str | None = None,
) -> Figure:
    """Gradient norm per layer on a log axis, one panel per group of series.

    Args:
        panels: panel title -> {series label -> norms}, where the norms are one
            number >= 0 per layer, input first: a sequence, or the dict that
            ``training.gradient_norms`` returns. Layers are numbered from 1; a
            zero (a layer that gets no gradient) has no point on the log axis.
        styles: optional series label -> matplotlib line settings (``color``,
            ``linestyle``, ``marker``, ...), e.g. dotted before training and
            solid after. A series without one gets the next colour, circles and
            a solid line.
        shade: optional ``(first, last)`` layer numbers to shade in every panel
            (lecture 10: the middle layers).
        layer_names: optional tick label per layer; then every panel's series
            must have that many layers.
        sharey: one y scale for all panels (for figures meant to be compared).
        title: optional figure title.

    Returns:
        The ``Figure``.

    Raises:
        ValueError: for an empty ``panels`` or panel, negative or NaN norms, or
            ``layer_names`` / ``shade`` that do not fit.
        TypeError: for arguments of the wrong type.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise _validate.error("panels", panels, "to be a non-empty dict of panels")
    series = {}
    for name, lines in panels.items():
        if not isinstance(lines, Mapping) or not lines:
            raise _validate.error(
                f"panels[{name!r}]", lines, "to be a non-empty dict of series"
            )
        series[name] = {label: _norms(label, values) for label, values in lines.items()}
    styles = {} if styles is None else styles
    if not isinstance(styles, Mapping) or not all(
        isinstance(style, Mapping) for style in styles.values()
    ):
        raise _validate.error(
            "styles",
            styles,
            "to map series labels to dicts of line settings",
            TypeError,
        )
    if layer_names is not None:
        layer_names = [_validate.string("layer_names[...]", n) for n in layer_names]
        lengths = {len(a) for lines in series.values() for a in lines.values()}
        if lengths != {len(layer_names)}:
            raise _validate.relation(
                "one layer name per layer",
                **{"len(layer_names)": len(layer_names), "layers": sorted(lengths)},
            )
    if shade is not None:
        if len(shade) != 2 or not shade[0] <= shade[1]:
            raise _validate.error("shade", shade, "to be (first, last) layer numbers")
        shade = tuple(_validate.number("shade[...]", s, minimum=1) for s in shade)
    sharey = _validate.boolean("sharey", sharey)
    title = _title(title)
    fig, axes = plt.subplots(
        1, len(series), figsize=(6.2 * len(series), 4.0), sharey=sharey, squeeze=False
    )
    for ax, (name, lines) in zip(axes[0], series.items(), strict=True):
        for label, norms in lines.items():
            style = {"marker": "o", "markersize": 3, **styles.get(label, {})}
            ax.semilogy(np.arange(1, len(norms) + 1), norms, label=label, **style)
        if shade is not None:
            ax.axvspan(shade[0] - 0.5, shade[1] + 0.5, color="grey", alpha=0.12)
        if layer_names is not None:
            ax.set_xticks(np.arange(1, len(layer_names) + 1), layer_names)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(title=str(name), xlabel="layer (input → output)")
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("‖∂loss/∂kernel‖")
    labels = [list(lines) for lines in series.values()]
    bottom = 0.0
    if len(labels) > 1 and all(names == labels[0] for names in labels):
        # the same series in every panel: one legend for the figure, below them
        fig.legend(
            *axes[0][0].get_legend_handles_labels(),
            loc="lower center",
            ncol=min(len(labels[0]), 6),
            fontsize=8,
        )
        bottom = 0.06 + 0.05 * ((len(labels[0]) - 1) // 6)
    else:
        for ax in axes[0]:
            ax.legend(fontsize=8)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    return fig
