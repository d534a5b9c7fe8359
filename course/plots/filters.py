"""Inside a CNN: the kernels of a convolution and the feature maps it produces.

Lecture 04 opens a trained LeNet-5 with ``conv_filters`` (what the first layer
looks for) and ``feature_maps`` (what each layer answers on one digit).

Used in lecture 04.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from matplotlib.figure import Figure

from course import _validate
from course.plots._common import _as_array, _grid, _rescale, _to_numpy


def conv_filters(layer_or_kernel: Any, max_filters: int = 32, ncols: int = 8) -> Figure:
    """Shows the kernels of a Conv2D layer, one small image per output filter.

    With 3 input channels (a first layer on RGB images) each filter is drawn in
    colour. Otherwise the filter is averaged over its input channels (for a
    single input channel that is channel 0 itself) and drawn with a diverging
    colormap. Both use a colour scale symmetric around zero, shared by all shown
    filters: zero is mid-grey (RGB) or white (``"RdBu_r"``).

    Args:
        layer_or_kernel: A built ``keras.layers.Conv2D`` (any layer with a 4-D
            ``kernel``) or an array of shape ``(kh, kw, c_in, c_out)``.
        max_filters: Show the first ``min(max_filters, c_out)`` filters.
        ncols: Filters per row.

    Returns:
        The ``Figure``: one axes per shown filter, plus a colorbar axes when
        ``c_in != 3``.

    Raises:
        TypeError: If ``layer_or_kernel`` is neither a layer nor an array.
        ValueError: If the layer is not built or the kernel is not 4-D.
    """
    name = "layer_or_kernel"
    label = "kernel"
    if isinstance(layer_or_kernel, keras.layers.Layer):
        layer = layer_or_kernel
        if not layer.built:
            raise _validate.error(
                name,
                layer_or_kernel,
                "to be a built layer (call it on data or build the model first)",
            )
        if not isinstance(getattr(layer, "kernel", None), keras.Variable):
            raise _validate.error(
                name, layer_or_kernel, "to be a Conv2D layer with a kernel", TypeError
            )
        kernel = np.asarray(layer.kernel.numpy())
        label = layer.name
    else:
        kernel = _as_array(name, layer_or_kernel)
    if kernel.ndim != 4 or 0 in kernel.shape:
        raise _validate.error(
            name, kernel, "to be a 4-D kernel of shape (kh, kw, c_in, c_out)"
        )
    max_filters = _validate.integer("max_filters", max_filters, minimum=1)
    ncols = _validate.integer("ncols", ncols, minimum=1)

    kh, kw, c_in, c_out = kernel.shape
    count = min(max_filters, c_out)
    shown = kernel[..., :count].astype(np.float64)
    scale = float(np.max(np.abs(shown))) or 1.0
    fig, axes = _grid(count, ncols, cell=1.0)
    image = None
    for i, ax in enumerate(axes):
        if c_in == 3:
            ax.imshow(np.clip(0.5 + shown[..., i] / (2.0 * scale), 0.0, 1.0))
        else:
            image = ax.imshow(
                shown[..., i].mean(axis=-1), cmap="RdBu_r", vmin=-scale, vmax=scale
            )
        ax.set_title(str(i), fontsize=7)
    note = "RGB" if c_in == 3 else ("channel 0" if c_in == 1 else "mean over inputs")
    fig.suptitle(
        f"{label}: {count} of {c_out} filters, {kh}x{kw}x{c_in} ({note})", fontsize=10
    )
    fig.tight_layout()
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8)
    return fig


def feature_maps(
    model: keras.Model,
    layer_name: str,
    image: Any,
    max_maps: int = 16,
    ncols: int = 8,
) -> Figure:
    """Shows the activations (feature maps) of one layer for one image.

    Builds ``keras.Model(model.inputs, model.get_layer(layer_name).output)`` and
    runs it on the image (inference mode).

    Args:
        model: A built single-input Keras model (Functional or Sequential).
        layer_name: Name of a layer with channels-last 4-D output
            ``(1, H', W', C')``, e.g. a ``Conv2D`` or pooling layer.
        image: One image of shape ``(H, W, C)`` or ``(1, H, W, C)`` matching the
            model's input.
        max_maps: Show the first ``min(max_maps, C')`` channels.
        ncols: Maps per row.

    Returns:
        The ``Figure``, with one axes per shown channel, each scaled to its own
        min..max (``"viridis"``).

    Raises:
        TypeError: If ``model`` is not a Keras model or ``layer_name`` not a string.
        ValueError: If the layer does not exist (the message lists the model's
            layer names), its output is not 4-D, or the image has the wrong shape.
    """
    _validate.model("model", model)
    _validate.string("layer_name", layer_name)
    _validate.choice("layer_name", layer_name, [layer.name for layer in model.layers])
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs or len(inputs) != 1:
        raise _validate.error(
            "model",
            model,
            "to be built with exactly one input (e.g. start it with keras.Input)",
        )
    original = _as_array("image", image)
    array = original[None] if original.ndim == 3 else original
    if array.ndim != 4 or array.shape[0] != 1:
        raise _validate.error(
            "image", original, "to have shape (H, W, C) or (1, H, W, C)"
        )
    max_maps = _validate.integer("max_maps", max_maps, minimum=1)
    ncols = _validate.integer("ncols", ncols, minimum=1)

    layer = model.get_layer(layer_name)
    output = layer.output
    if len(output.shape) != 4:
        raise _validate.error(
            "layer_name",
            layer_name,
            "to name a layer with 4-D output (batch, height, width, channels), "
            f"not {tuple(output.shape)}",
        )
    extractor = keras.Model(inputs, output)
    maps = _to_numpy(extractor([array.astype("float32")], training=False))[0]
    height, width, channels = maps.shape
    count = min(max_maps, channels)
    fig, axes = _grid(count, ncols, cell=1.4)
    for i, ax in enumerate(axes):
        ax.imshow(_rescale(maps[..., i]), cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_title(f"ch {i}", fontsize=7)
    fig.suptitle(
        f"{layer_name}: {count} of {channels} maps, {height}x{width}", fontsize=10
    )
    fig.tight_layout()
    return fig
