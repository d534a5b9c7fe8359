"""Activation memory of a training step (lectures 05 and 10).

:func:`activation_memory` adds up the maps backpropagation keeps: the model's
input and every layer call's output, from the shapes Keras knows, times the batch
size, by the convention of lecture 05's "forward memory" of AlexNet and VGG.
Lecture 10 shows with it that an atrous (dilated) net, which keeps full
resolution, pays for its receptive field in memory.

Used in lectures 05 and 10.
"""

from __future__ import annotations

import functools
import math

from course import _validate
from course.arithmetic import _graph

__all__ = ["activation_memory"]

_DTYPE_BYTES = {
    "float16": 2,
    "bfloat16": 2,
    "float32": 4,
    "float64": 8,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "int32": 4,
    "int64": 8,
    "bool": 1,
}


def _tensor_bytes(tensor, name: str, bytes_per_value) -> int:
    """Bytes of one example of ``tensor`` (the batch axis left out)."""
    dims = _graph.known_dims(tensor.shape, "output", name)
    if bytes_per_value is None:
        dtype = str(getattr(tensor, "dtype", "float32"))
        if dtype not in _DTYPE_BYTES:
            raise _validate.relation(
                "tensors of a known dtype, or bytes_per_value", layer=name, dtype=dtype
            )
        return math.prod(dims) * _DTYPE_BYTES[dtype]
    return math.prod(dims) * bytes_per_value


def _call_bytes(layer, node, name: str, bytes_per_value) -> int:
    """Bytes of the outputs of one layer call."""
    return sum(_tensor_bytes(t, name, bytes_per_value) for t in node.output_tensors)


def activation_memory(model, batch_size=1, bytes_per_value=None, per_layer=False):
    """Bytes of the activations a training step keeps for the backward pass.

    Counts the model's input and the output of every layer call - the maps
    backpropagation reads again (the convention of lecture 05's "forward
    memory") - from the shapes Keras knows, times ``batch_size``. A
    convolution with a fused activation keeps one map; separate activation,
    normalisation, pooling, upsampling and concatenation layers each keep
    their own. Weights, gradients, optimizer slots and the framework's
    workspace come on top, and a framework may free or fuse some maps, so this
    is the textbook estimate, not a measurement. For a fully convolutional net
    it grows linearly with the number of pixels: a net without pooling, such as
    an atrous (dilated) net, keeps every map at full resolution (Yu & Koltun,
    2016; the course's seed 000).

    Args:
        model: a built Functional or Sequential ``keras.Model`` with known
            shapes (no ``None`` besides the batch axis).
        batch_size: images per step, >= 1.
        bytes_per_value: bytes of one value; ``None`` reads each tensor's dtype
            (4 for float32, 2 for float16 and bfloat16).
        per_layer: if True, return ``{layer name: bytes}`` (the inputs under
            their own names, nested layers as ``"outer/inner"``).

    Returns:
        The number of bytes (an int), or the per-layer dict.

    Raises:
        TypeError: if ``model`` is not a ``keras.Model`` or an argument has the
            wrong type.
        ValueError: for an unbuilt model, unknown shapes, ``batch_size < 1`` or
            ``bytes_per_value < 1``.
    """
    _validate.model("model", model)
    batch_size = _validate.positive_int("batch_size", batch_size)
    if bytes_per_value is not None:
        bytes_per_value = _validate.positive_int("bytes_per_value", bytes_per_value)
    per_layer = _validate.boolean("per_layer", per_layer)
    totals = {}
    for tensor in _graph.graph(model)[0]:  # the inputs, under their own names
        name = tensor._keras_history.operation.name
        totals[name] = _tensor_bytes(tensor, name, bytes_per_value)
    measure = functools.partial(_call_bytes, bytes_per_value=bytes_per_value)
    totals = _graph.per_layer_totals(model, measure, totals)
    totals = {name: size * batch_size for name, size in totals.items()}
    return totals if per_layer else sum(totals.values())
