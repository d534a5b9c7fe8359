"""Multiply-accumulates of one forward pass (lectures 03, 05, 06, 10, 12).

:func:`count_macs` counts the multiply-adds of every layer call of a Keras model
from the shapes Keras knows, by the convention of He et al.'s ResNet paper and
torchvision's ``GFLOPS`` tables. Lecture 03 introduces it, lectures 05 and 06 set
it beside the published figures, lecture 10 compares atrous nets and lecture 12
turns it into FLOPs per second (``course.bench``).

Used in lectures 03, 05, 06, 10 and 12.
"""

from __future__ import annotations

import math

from course import _validate
from course.arithmetic import _graph

__all__ = ["count_macs"]


def _layer_macs(layer, node, name) -> int | None:
    """MACs of one call, or ``None`` for layers that do no multiply-adds."""
    import keras

    L = keras.layers
    if not layer.weights:
        return None
    fmt = _graph.data_format(layer)
    in_shape = (None, *_graph.known_dims(node.input_tensors[0].shape, "input", name))
    out_shape = (None, *_graph.known_dims(node.output_tensors[0].shape, "output", name))
    c_in, c_out = _graph.channels(in_shape, fmt), _graph.channels(out_shape, fmt)
    positions = math.prod(_graph.spatial(out_shape, fmt))
    if isinstance(layer, (L.SeparableConv1D, L.SeparableConv2D)):
        area = math.prod(layer.kernel_size)
        middle = c_in * layer.depth_multiplier
        return area * middle * positions + middle * c_out * positions
    if isinstance(layer, (L.DepthwiseConv1D, L.DepthwiseConv2D)):
        return math.prod(layer.kernel_size) * c_out * positions
    if isinstance(layer, (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)):
        inputs = math.prod(_graph.spatial(in_shape, fmt))
        return math.prod(layer.kernel_size) * c_in * c_out * inputs
    if isinstance(layer, (L.Conv1D, L.Conv2D, L.Conv3D)):
        per_output = math.prod(layer.kernel_size) * (c_in // layer.groups)
        return per_output * c_out * positions
    zero_macs = (
        L.BatchNormalization,
        L.LayerNormalization,
        L.GroupNormalization,
        L.Embedding,
        L.PReLU,
        L.Normalization,
    )
    if isinstance(layer, zero_macs):
        return None
    kernel = getattr(layer, "kernel", None)
    if isinstance(layer, L.Dense) or (kernel is not None and len(kernel.shape) == 2):
        # A matrix applied to the last axis at every other position.
        return math.prod(kernel.shape) * math.prod(in_shape[1:-1])
    raise ValueError(
        "Expected layers whose multiply-accumulates are known (convolutions, "
        "Dense-like layers, normalisations). Received: layer="
        f"{name!r} ({type(layer).__name__})"
    )


def count_macs(model, per_layer=False):
    """Multiply-accumulates (MACs) of one forward pass of ONE input example.

    Biases, activations, normalisation and pooling are not counted: these are
    the multiply-adds of He et al.'s ResNet paper and of torchvision's
    ``GFLOPS`` tables (where one FLOP means one multiply-add). Per layer call,
    with ``K`` the product of the kernel sizes::

        Conv{1,2,3}D        K * (c_in / groups) * c_out * (output positions)
        DepthwiseConv{1,2}D K * c_out * (output positions)   # c_out = c_in * m
        SeparableConv{1,2}D K * c_in * m * P + c_in * m * c_out * P   # P positions
        Conv{1,2,3}DTranspose K * c_in * c_out * (input positions)
        Dense               c_in * units * (positions, if the input has more axes)

    The transposed convolution counts every input unit times the whole kernel,
    the convention of torchvision-style counters (fvcore, ptflops), not the
    multiplications of its zero-stretched equivalent. Any other layer with a
    2-D ``kernel`` (e.g. ``course.layers.Maxout``) counts as a Dense layer.
    Nested models are walked into.

    Args:
        model: a built Functional or Sequential ``keras.Model`` whose layer
            shapes are all known (no ``None`` spatial sizes).
        per_layer: if True, return ``{layer name: MACs}`` for the layers that
            do multiply-adds (nested layers named ``"outer/inner"``).

    Returns:
        The total number of MACs (an int), or the per-layer dict.

    Raises:
        TypeError: if ``model`` is not a ``keras.Model`` or ``per_layer`` not a
            bool.
        ValueError: for an unbuilt model, unknown shapes, or a layer with
            weights whose MACs are not known.
    """
    _validate.model("model", model)
    per_layer = _validate.boolean("per_layer", per_layer)
    totals = _graph.per_layer_totals(model, _layer_macs)
    return totals if per_layer else sum(totals.values())
