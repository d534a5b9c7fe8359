"""Convolution arithmetic: output sizes, parameters, receptive fields, MACs, memory.

Lecture 03 builds on every part; lectures 05 and 06 set parameters, MACs and
receptive fields beside the published tables, lecture 10 measures what atrous
convolutions cost in memory, lecture 12 turns MACs into FLOPs per second.

The size formulas follow Dumoulin & Visin, "A guide to convolution arithmetic for
deep learning" (arXiv:1603.07285, 2016); each function names the guide's
relationship it implements. The notation is the guide's, along one spatial axis
(the axes do not interact, so a 2-D layer is two independent 1-D problems):

- ``i``: input size, ``k``: kernel size, ``s``: stride, ``p``: zero padding on
  each side, ``d``: dilation rate, ``o``: output size;
- ``k_eff = k + (k - 1)(d - 1)``: the size a kernel dilated by ``d`` spans;
- primes (``i'``, ``o'``) belong to a transposed convolution.

One module per concern:

- :mod:`~course.arithmetic.sizes`: :func:`conv_output_size`,
  :func:`pool_output_size`, :func:`transposed_conv_output_size` (the guide's
  formulas with explicit, symmetric padding ``p``), :func:`keras_output_size`
  (what Keras layers produce with ``padding="valid" | "same" | "causal"``) and
  :func:`keras_output_padding`;
- :mod:`~course.arithmetic.parameters`: :func:`conv_params`, the lecture's
  ``(k^2 m + 1) n``, and :func:`count_params` (trainable and frozen totals);
- :mod:`~course.arithmetic.receptive_fields`: :func:`receptive_field` walks a
  Keras model (or a list of ``(kernel, stride[, dilation])``) front to back
  (Araujo et al., 2019), :func:`receptive_field_size`, :class:`RFRow`;
- :mod:`~course.arithmetic.macs`: :func:`count_macs`, multiply-accumulates;
- :mod:`~course.arithmetic.memory`: :func:`activation_memory`, the activations
  a training step keeps;
- ``_graph`` (the model-graph walk the last three share) and ``_common`` (the
  dilated kernel size and the message of a rule between several arguments).

The package imports only the standard library and NumPy (through
``course._validate``) at import time; the model walks import ``keras`` (never
TensorFlow) when called, so it works on every Keras backend.
"""

from __future__ import annotations

from course.arithmetic.macs import count_macs
from course.arithmetic.memory import activation_memory
from course.arithmetic.parameters import conv_params, count_params
from course.arithmetic.receptive_fields import (
    RFRow,
    receptive_field,
    receptive_field_size,
)
from course.arithmetic.sizes import (
    conv_output_size,
    keras_output_padding,
    keras_output_size,
    pool_output_size,
    transposed_conv_output_size,
)

__all__ = [
    "RFRow",
    "activation_memory",
    "conv_output_size",
    "conv_params",
    "count_params",
    "count_macs",
    "keras_output_padding",
    "keras_output_size",
    "pool_output_size",
    "receptive_field",
    "receptive_field_size",
    "transposed_conv_output_size",
]
