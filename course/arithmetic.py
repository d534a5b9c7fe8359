"""Convolution arithmetic: output sizes, parameters, receptive fields, MACs.

The size formulas follow Dumoulin & Visin, "A guide to convolution arithmetic for
deep learning" (arXiv:1603.07285, 2016); each function names the guide's
relationship it implements. The notation is the guide's, along one spatial axis
(the axes do not interact, so a 2-D layer is two independent 1-D problems):

- ``i``: input size, ``k``: kernel size, ``s``: stride, ``p``: zero padding on
  each side, ``d``: dilation rate, ``o``: output size;
- ``k_eff = k + (k - 1)(d - 1)``: the size a kernel dilated by ``d`` spans;
- primes (``i'``, ``o'``) belong to a transposed convolution.

:func:`conv_output_size`, :func:`pool_output_size` and
:func:`transposed_conv_output_size` are the guide's formulas with explicit,
symmetric padding ``p``; :func:`keras_output_size` is what Keras layers produce
with ``padding="valid" | "same" | "causal"``. :func:`conv_params` counts weights
(the lecture's ``(k^2 m + 1) n``), :func:`receptive_field` walks a Keras model (or
a list of ``(kernel, stride[, dilation])``) front to back, and :func:`count_macs`
counts multiply-accumulates.

This module imports only NumPy at import time; :func:`receptive_field` and
:func:`count_macs` import ``keras`` (never TensorFlow) when called, so it works on
every Keras backend.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

from course import _validate

__all__ = [
    "RFRow",
    "activation_memory",
    "conv_output_size",
    "conv_params",
    "count_macs",
    "keras_output_padding",
    "keras_output_size",
    "pool_output_size",
    "receptive_field",
    "receptive_field_size",
    "transposed_conv_output_size",
]

_PADDINGS = ("valid", "same", "causal")


# --------------------------------------------------------------------------
# Argument checks (message shape: "Expected <what>. Received: <name>=<value!r>")
# --------------------------------------------------------------------------


def _non_negative_int(name: str, value) -> int:
    if not _validate._is_int(value):
        raise TypeError(f"Expected {name} to be an integer. Received: {name}={value!r}")
    if value < 0:
        raise ValueError(
            f"Expected {name} to be an integer >= 0. Received: {name}={value!r}"
        )
    return int(value)


def _boolean(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(
            f"Expected {name} to be True or False. Received: {name}={value!r}"
        )
    return value


def _effective_kernel(k: int, d: int) -> int:
    """``k_eff = k + (k - 1)(d - 1)``: the span of a kernel dilated by ``d``."""
    return k + (k - 1) * (d - 1)


def _check_kernel_fits(i: int, k: int, p: int, d: int) -> int:
    k_eff = _effective_kernel(k, d)
    if k_eff > i + 2 * p:
        if d == 1:
            raise ValueError(
                "Expected k <= i + 2p (the kernel must fit in the padded input). "
                f"Received: k={k}, i={i}, p={p}"
            )
        raise ValueError(
            "Expected k + (k - 1)(d - 1) <= i + 2p (the dilated kernel must fit in "
            f"the padded input). Received: k={k}, d={d}, i={i}, p={p}"
        )
    return k_eff


# --------------------------------------------------------------------------
# Output sizes
# --------------------------------------------------------------------------


def conv_output_size(i, k, s=1, p=0, d=1) -> int:
    """Output size of a convolution along one axis.

    Implements the guide's general case, relationship 6, with dilation
    (relationship 15)::

        o = floor((i + 2p - k_eff) / s) + 1,   k_eff = k + (k - 1)(d - 1)

    which contains the special cases:

    - relationship 1 (no padding, unit stride): ``o = i - k + 1``;
    - relationship 2 (padding ``p``, unit stride): ``o = i - k + 2p + 1``;
    - relationship 3 (half or "same" padding, odd ``k``, ``p = floor(k / 2)``,
      unit stride): ``o = i``;
    - relationship 4 (full padding, ``p = k - 1``, unit stride): ``o = i + k - 1``;
    - relationship 5 (no padding, stride ``s``): ``o = floor((i - k) / s) + 1``.

    Args:
        i: input size, >= 1.
        k: kernel size, >= 1.
        s: stride, >= 1.
        p: zero padding added to *each* side, >= 0.
        d: dilation rate, >= 1 (``d - 1`` zeros between kernel taps).

    Returns:
        The output size ``o`` (>= 1).

    Raises:
        TypeError: if an argument is not an integer (floats and bools included).
        ValueError: if ``i, k, s, d < 1``, ``p < 0`` or the (dilated) kernel does
            not fit in the padded input, ``k_eff > i + 2p``.
    """
    i = _validate.positive_int("i", i)
    k = _validate.positive_int("k", k)
    s = _validate.positive_int("s", s)
    p = _non_negative_int("p", p)
    d = _validate.positive_int("d", d)
    k_eff = _check_kernel_fits(i, k, p, d)
    return (i + 2 * p - k_eff) // s + 1


def pool_output_size(i, k, s=None, p=0) -> int:
    """Output size of a pooling layer along one axis.

    Implements the guide's relationship 7, ``o = floor((i - k) / s) + 1`` for any
    kind of pooling (max, average, ...); the window slides exactly like a
    convolution kernel, so padding enters as for a convolution::

        o = floor((i + 2p - k) / s) + 1

    Args:
        i: input size, >= 1.
        k: pooling window size, >= 1.
        s: stride, >= 1; ``None`` (the default, as in Keras) means ``s = k``,
            non-overlapping windows.
        p: zero padding on each side, >= 0.

    Returns:
        The output size ``o`` (>= 1).

    Raises:
        TypeError: if an argument is not an integer.
        ValueError: if ``i, k, s < 1``, ``p < 0`` or ``k > i + 2p``.
    """
    i = _validate.positive_int("i", i)
    k = _validate.positive_int("k", k)
    s = k if s is None else _validate.positive_int("s", s)
    p = _non_negative_int("p", p)
    _check_kernel_fits(i, k, p, 1)
    return (i + 2 * p - k) // s + 1


def transposed_conv_output_size(i, k, s=1, p=0, a=0, d=1) -> int:
    """Output size of a transposed convolution along one axis.

    The transposed convolution of the direct convolution ``(k, s, p)`` maps an
    input of size ``i'`` back to the size the direct convolution started from.
    Implements the guide's relationship 14 (with ``k`` replaced by ``k_eff`` for
    a dilated kernel)::

        o' = s (i' - 1) + a + k_eff - 2p

    where ``a = (i + 2p - k) mod s`` is the number of input rows the direct
    convolution's stride skipped at the bottom/right edge; ``a`` picks one of the
    ``s`` input sizes that a strided convolution maps to the same output size.
    The special cases are:

    - relationship 8 (``s = 1, p = 0``): ``o' = i' + (k - 1)`` (a full-padded
      direct convolution, ``p' = k - 1``);
    - relationship 9 (``s = 1``): ``o' = i' + (k - 1) - 2p`` (``p' = k - p - 1``);
    - relationship 10 (half padding): ``o' = i'``;
    - relationship 11 (full padding, ``p = k - 1``): ``o' = i' - (k - 1)``;
    - relationship 12 (``p = 0``, ``i - k`` a multiple of ``s``):
      ``o' = s (i' - 1) + k``;
    - relationship 13 (``i + 2p - k`` a multiple of ``s``, so ``a = 0``):
      ``o' = s (i' - 1) + k - 2p``.

    ``a`` plays the role of Keras' and PyTorch's ``output_padding``.

    Args:
        i: input size ``i'`` of the transposed convolution, >= 1.
        k: kernel size, >= 1.
        s: stride of the direct convolution (zeros inserted between inputs:
            ``s - 1``), >= 1.
        p: padding of the direct convolution, >= 0.
        a: extra rows at the bottom/right edge, ``0 <= a < s``.
        d: dilation rate, >= 1.

    Returns:
        The output size ``o'`` (>= 1).

    Raises:
        TypeError: if an argument is not an integer.
        ValueError: if ``i, k, s, d < 1``, ``p < 0``, ``a`` is outside
            ``[0, s - 1]``, or the padding ``p`` would crop everything
            (``o' < 1``).
    """
    i = _validate.positive_int("i", i)
    k = _validate.positive_int("k", k)
    s = _validate.positive_int("s", s)
    p = _non_negative_int("p", p)
    a = _non_negative_int("a", a)
    d = _validate.positive_int("d", d)
    if a >= s:
        raise ValueError(
            "Expected 0 <= a < s (a counts the input rows that the direct "
            f"convolution's stride skipped). Received: a={a}, s={s}"
        )
    size = s * (i - 1) + a + _effective_kernel(k, d) - 2 * p
    if size < 1:
        raise ValueError(
            "Expected p small enough to leave an output, s (i - 1) + a + k_eff - "
            f"2p >= 1. Received: p={p}, i={i}, k={k}, s={s}, a={a}, d={d}"
        )
    return size


def keras_output_size(
    i, k, s=1, padding="valid", d=1, transposed=False, output_padding=None
) -> int:
    """Output size of a Keras convolution or pooling layer along one axis.

    Keras does not take an explicit padding ``p`` but a mode; with
    ``k_eff = k + (k - 1)(d - 1)``:

    - ``"valid"`` (no padding): ``o = floor((i - k_eff) / s) + 1
      = ceil((i - k_eff + 1) / s)``, relationship 15 with ``p = 0``;
    - ``"same"``: ``o = ceil(i / s)``; Keras pads ``max((o - 1) s + k_eff - i, 0)``
      zeros in total, the odd one at the end (so ``p`` is not always symmetric);
    - ``"causal"`` (``Conv1D`` only): ``k_eff - 1`` zeros at the start, so again
      ``o = ceil(i / s)``.

    Pooling layers (``MaxPooling*``, ``AveragePooling*``) follow the same two
    formulas with ``d = 1``; pass ``s = k`` for their default strides.

    With ``transposed=True`` (``Conv*DTranspose``), the rule Keras 3 applies is
    ``_get_output_shape_given_tf_padding`` in
    ``keras/src/backend/common/backend_utils.py`` (used by
    ``compute_conv_transpose_output_shape``):

    - ``"valid"``: ``o' = (i - 1) s + k_eff + output_padding``, where
      ``output_padding=None`` means ``max(k_eff, s) - k_eff``, i.e.
      ``o' = (i - 1) s + max(k_eff, s)``; this is relationship 12 (``a`` being
      ``output_padding``, relationship 14 with ``p = 0``);
    - ``"same"``: ``o' = i s`` when ``output_padding`` is ``None``, otherwise
      ``o' = (i - 1) s + (k_eff mod 2) + output_padding``.

    Like Keras, this rejects ``s > 1`` together with ``d > 1``, ``"causal"``
    outside plain convolutions, and ``output_padding >= s``.

    Args:
        i: input size, >= 1.
        k: kernel (or pooling window) size, >= 1.
        s: stride, >= 1.
        padding: ``"valid"``, ``"same"`` or ``"causal"``.
        d: dilation rate, >= 1.
        transposed: whether the layer is a transposed convolution.
        output_padding: ``None`` or an integer in ``[0, s - 1]`` (transposed
            layers only).

    Returns:
        The size Keras gives the output along this axis (>= 1).

    Raises:
        TypeError: if a size is not an integer or ``transposed`` not a bool.
        ValueError: for sizes < 1, an unknown padding, a combination Keras
            rejects, or a kernel that does not fit a ``"valid"`` input.
    """
    i = _validate.positive_int("i", i)
    k = _validate.positive_int("k", k)
    s = _validate.positive_int("s", s)
    d = _validate.positive_int("d", d)
    _boolean("transposed", transposed)
    if not isinstance(padding, str):
        raise TypeError(
            f"Expected padding to be a string. Received: padding={padding!r}"
        )
    _validate.choice("padding", padding, _PADDINGS)
    if s > 1 and d > 1:
        raise ValueError(
            "Expected s == 1 or d == 1 (Keras does not support strides > 1 "
            f"together with dilation_rate > 1). Received: s={s}, d={d}"
        )
    k_eff = _effective_kernel(k, d)
    if not transposed:
        if output_padding is not None:
            raise ValueError(
                "Expected output_padding=None unless transposed=True. "
                f"Received: output_padding={output_padding!r}"
            )
        if padding == "valid":
            _check_kernel_fits(i, k, 0, d)
            return (i - k_eff) // s + 1
        return -(-i // s)
    if padding == "causal":
        raise ValueError(
            "Expected padding 'valid' or 'same' for a transposed convolution "
            "(Keras allows 'causal' only in Conv1D). Received: padding='causal'"
        )
    if output_padding is not None:
        output_padding = _non_negative_int("output_padding", output_padding)
        if output_padding >= s:
            raise ValueError(
                "Expected output_padding < s (Keras' rule). "
                f"Received: output_padding={output_padding}, s={s}"
            )
    if padding == "valid":
        extra = max(k_eff, s) - k_eff if output_padding is None else output_padding
        return (i - 1) * s + k_eff + extra
    if output_padding is None:
        return i * s
    size = (i - 1) * s + k_eff % 2 + output_padding
    if size < 1:
        raise ValueError(
            "Expected a positive output size, (i - 1) s + (k_eff mod 2) + "
            f"output_padding >= 1. Received: i={i}, k={k}, s={s}, d={d}, "
            f"output_padding={output_padding}"
        )
    return size


def keras_output_padding(k, s=1, a=0, d=1) -> int | None:
    """The ``output_padding`` to give a ``"valid"`` Keras transposed convolution.

    A ``"valid"`` ``Conv2DTranspose`` with ``output_padding=a`` followed by
    cropping ``p`` on each side is the guide's relationship 14,
    ``o' = s (i' - 1) + a + k_eff - 2p``. Keras' default ``output_padding=None``
    adds ``max(k_eff, s) - k_eff`` instead of ``a`` (see
    :func:`keras_output_size`), which is ``0`` whenever ``k_eff >= s``. This
    returns ``None`` wherever that default gives the same size and ``a``
    otherwise: Keras before 3.11 rejects an explicit ``output_padding=0``, and
    the default works on every version.

    Args:
        k: kernel size, >= 1.
        s: stride, >= 1.
        a: the extra rows wanted, ``0 <= a < s``.
        d: dilation rate, >= 1.

    Returns:
        ``None`` or ``a``; either gives a layer whose output has size
        ``keras_output_size(i, k, s, "valid", d, True, a)`` for every ``i``.

    Raises:
        TypeError: if an argument is not an integer.
        ValueError: if ``k, s, d < 1`` or ``a`` is outside ``[0, s - 1]``.
    """
    k = _validate.positive_int("k", k)
    s = _validate.positive_int("s", s)
    a = _non_negative_int("a", a)
    d = _validate.positive_int("d", d)
    if a >= s:
        raise ValueError(
            f"Expected 0 <= a < s (Keras' rule for output_padding). Received: a={a}, "
            f"s={s}"
        )
    k_eff = _effective_kernel(k, d)
    return None if a == max(k_eff, s) - k_eff else a


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------


def _kernel_area(k) -> int:
    if _validate._is_int(k):  # A square 2-D kernel, k x k.
        return _validate.positive_int("k", k) ** 2
    if isinstance(k, (tuple, list)) and k:
        if not all(_validate._is_int(v) for v in k):
            raise TypeError(
                f"Expected k to be an integer or a tuple of integers. Received: k={k!r}"
            )
        return math.prod(_validate.shape("k", tuple(k)))
    raise TypeError(
        f"Expected k to be an integer or a tuple of integers. Received: k={k!r}"
    )


def conv_params(k, c_in, c_out, bias=True, groups=1, depthwise=False) -> int:
    """Number of parameters of a convolutional layer.

    The lecture's formula: a ``k x k`` kernel from ``m = c_in`` to ``n = c_out``
    channels has ``(k^2 m + 1) n`` parameters, e.g. ``(3^2 * 16 + 1) * 32 = 4640``.
    In general, with ``K`` the product of the kernel sizes::

        K * (c_in / groups) * c_out + (c_out if bias else 0)

    Grouped convolutions (``groups = g``) connect each output channel to
    ``c_in / g`` input channels only. A depthwise convolution is the extreme case
    ``groups = c_in``: with ``depthwise=True`` every input channel gets
    ``c_out / c_in`` filters of its own (Keras' ``depth_multiplier``), so
    ``c_out`` must be a multiple of ``c_in`` and the count is
    ``K * c_out + (c_out if bias else 0)``.

    Args:
        k: kernel size: an integer for a square 2-D ``k x k`` kernel, or a tuple,
            ``(kh, kw)`` (2-D), ``(k,)`` (1-D) or ``(kd, kh, kw)`` (3-D).
        c_in: input channels ``m``.
        c_out: output channels ``n`` (filters; for depthwise, ``c_in`` times the
            depth multiplier).
        bias: whether each output channel has a bias.
        groups: number of groups; must divide ``c_in`` and ``c_out``.
        depthwise: count a depthwise convolution (then ``groups`` must be 1).

    Returns:
        The number of trainable parameters.

    Raises:
        TypeError: for non-integer sizes or non-bool flags.
        ValueError: for sizes < 1, ``groups`` not dividing the channels, or
            ``c_out`` not a multiple of ``c_in`` with ``depthwise=True``.
    """
    area = _kernel_area(k)
    c_in = _validate.positive_int("c_in", c_in)
    c_out = _validate.positive_int("c_out", c_out)
    bias = _boolean("bias", bias)
    groups = _validate.positive_int("groups", groups)
    depthwise = _boolean("depthwise", depthwise)
    biases = c_out if bias else 0
    if depthwise:
        if groups != 1:
            raise ValueError(
                "Expected groups=1 with depthwise=True (a depthwise convolution "
                f"already has groups=c_in). Received: groups={groups}"
            )
        if c_out % c_in:
            raise ValueError(
                "Expected c_out to be a multiple of c_in for a depthwise "
                "convolution (c_out = c_in * depth_multiplier). "
                f"Received: c_out={c_out}, c_in={c_in}"
            )
        return area * c_out + biases
    for name, value in (("c_in", c_in), ("c_out", c_out)):
        if value % groups:
            raise ValueError(
                f"Expected {name} to be divisible by groups. "
                f"Received: {name}={value}, groups={groups}"
            )
    return area * (c_in // groups) * c_out + biases


# --------------------------------------------------------------------------
# Walking Keras graphs (shared by receptive_field and count_macs)
# --------------------------------------------------------------------------


def _graph(model):
    """Returns ``(inputs, outputs, nodes)`` of a built Functional/Sequential model.

    ``nodes`` are the Keras ``Node`` objects (one per layer call) between the
    inputs and the outputs, in topological order (every node after the nodes
    producing its inputs). The walk is iterative, so deep models do not hit
    Python's recursion limit.
    """
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError, TypeError):
        inputs = outputs = None
    if not inputs or not outputs:
        raise ValueError(
            "Expected a built Functional or Sequential keras.Model (one with "
            f"symbolic inputs and outputs). Received: model={model.name!r}"
        )
    input_ids = {id(t) for t in inputs}

    def producer(tensor):
        operation, node_index, _ = tensor._keras_history
        return operation._inbound_nodes[node_index]

    order, seen = [], set()
    stack = [(producer(t), False) for t in reversed(outputs) if id(t) not in input_ids]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for tensor in reversed(node.input_tensors):
            if id(tensor) not in input_ids:
                stack.append((producer(tensor), False))
    return inputs, outputs, [n for n in order if not n.is_input]


def _check_model(model, name: str, what: str = "a keras.Model"):
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"Expected {name} to be {what}. Received: {name}={model!r}")
    return keras


def _spatial(shape, data_format: str) -> tuple:
    shape = tuple(shape)
    return shape[2:] if data_format == "channels_first" else shape[1:-1]


def _channels(shape, data_format: str):
    shape = tuple(shape)
    return shape[1] if data_format == "channels_first" else shape[-1]


# --------------------------------------------------------------------------
# Receptive fields
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RFRow:
    """One row of a receptive-field table: the state *after* a layer.

    Attributes:
        name: layer name (``"outer/inner"`` inside a nested model, ``"layer1"``,
            ``"layer2"``, ... for a list of tuples).
        kernel: the layer's kernel (window) size along the axis, 1 for layers
            that do not slide a window.
        stride: the layer's stride along the axis.
        dilation: the layer's dilation rate along the axis.
        size: receptive field ``r`` of one output unit, in input pixels.
        jump: effective stride ``j`` (product of the strides so far): the input
            distance between two neighbouring output units; a fraction after a
            transposed convolution or upsampling.
        start: input coordinate of the centre of the first output unit's
            receptive field (pixel centres at 0, 1, ...; negative when it lies in
            the padding); ``None`` where it depends on an unknown input size.
            Unit ``t`` is centred at ``start + t * jump``.
    """

    name: str
    kernel: int
    stride: int
    dilation: int
    size: int
    jump: int | float
    start: float | None


@dataclasses.dataclass(frozen=True)
class _RF:
    size: Fraction
    jump: Fraction
    start: Fraction | None


_ORIGIN = _RF(Fraction(1), Fraction(1), Fraction(0))


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _row(name, kernel, stride, dilation, state: _RF) -> RFRow:
    return RFRow(
        name=name,
        kernel=int(kernel),
        stride=int(stride),
        dilation=int(dilation),
        size=math.ceil(state.size),
        jump=_number(state.jump),
        start=None if state.start is None else float(state.start),
    )


def _slide(state: _RF, k: int, s: int, d: int, pad_start) -> _RF:
    """A window of ``k`` taps (dilation ``d``) sliding with stride ``s``.

    Front to back: ``r_out = r_in + (k_eff - 1) j_in``, ``j_out = j_in s`` and
    ``start_out = start_in + ((k_eff - 1) / 2 - pad_start) j_in``.
    """
    k_eff = _effective_kernel(k, d)
    start = None
    if state.start is not None and pad_start is not None:
        start = state.start + (Fraction(k_eff - 1, 2) - pad_start) * state.jump
    return _RF(state.size + (k_eff - 1) * state.jump, state.jump * s, start)


def _same_pad_start(i, k: int, s: int, d: int):
    """Zeros Keras puts *before* the input for ``padding="same"``: half of
    ``max((ceil(i / s) - 1) s + k_eff - i, 0)``, the odd one going after."""
    k_eff = _effective_kernel(k, d)
    if s == 1:
        return (k_eff - 1) // 2
    if i is None:
        return None
    return max((-(-i // s) - 1) * s + k_eff - i, 0) // 2


def _pad_start(padding: str, i, k: int, s: int, d: int):
    if padding == "valid":
        return 0
    if padding == "causal":
        return _effective_kernel(k, d) - 1
    return _same_pad_start(i, k, s, d)


def _transposed_pad_start(k, s, d, padding, output_padding) -> int:
    """Zeros before the stretched input in Keras' transposed convolution.

    Mirrors ``_convert_conv_transpose_padding_args_from_keras_to_jax`` in
    ``keras/src/backend/common/backend_utils.py`` (the left padding that
    reproduces TensorFlow's output layout).
    """
    k_eff = _effective_kernel(k, d)
    if padding == "valid":
        return k_eff - 1
    if output_padding is None:
        total = s + k_eff - 2
    else:
        total = k_eff + k_eff % 2 - 2 + output_padding
    return min(total // 2 + total % 2, k_eff - 1)


def _transposed(state: _RF, k: int, s: int, d: int, pad_start: int) -> _RF:
    """A transposed convolution seen as a unit-stride convolution over the input
    stretched by ``s - 1`` zeros between units (the guide's relationship 12-14).

    The jump is *divided* by ``s``. An output unit sees the real input units
    whose stretched position ``m d - offset`` (tap ``m``) is a multiple of ``s``;
    ``r`` grows by the widest such span over the ``s`` possible offsets (for
    ``d = 1``: ``(ceil(k / s) - 1) j_in``), and ``start`` is the centre of the
    span seen by output 0 (offset ``pad_start``).
    """

    def span(offset):
        units = [(m * d - offset) // s for m in range(k) if (m * d - offset) % s == 0]
        return (min(units), max(units)) if units else None

    widest = max(hi - lo for lo, hi in filter(None, map(span, range(s))))
    start = None
    if state.start is not None:
        first = span(pad_start)
        if first is None:  # output 0 sees only inserted zeros: use the window.
            offset = (Fraction(_effective_kernel(k, d) - 1, 2) - pad_start) / s
        else:
            offset = Fraction(first[0] + first[1], 2)
        start = state.start + offset * state.jump
    return _RF(state.size + widest * state.jump, state.jump / s, start)


def _axis_value(layer, attribute: str, axis: int) -> int:
    values = getattr(layer, attribute)
    values = (values,) if _validate._is_int(values) else tuple(values)
    if axis >= len(values):
        raise ValueError(
            f"Expected axis < {len(values)}, the number of spatial axes of layer "
            f"{layer.name!r}. Received: axis={axis}"
        )
    return int(values[axis])


def _pair(value, axis: int, name: str):
    """``(before, after)`` along ``axis`` from a ZeroPadding/Cropping argument."""
    value = tuple(value)
    if value and _validate._is_int(value[0]):  # 1-D layers: (before, after).
        value = (value,)
    if axis >= len(value):
        raise ValueError(
            f"Expected axis < {len(value)}, the number of spatial axes of layer "
            f"{name!r}. Received: axis={axis}"
        )
    return tuple(value[axis])


def _rf_layer(keras, layer, node, states, axis, prefix, rows):
    """Returns the states of ``node``'s outputs (``None``: no spatial axes)."""
    name = prefix + layer.name
    if isinstance(layer, keras.Model):
        inner_inputs, inner_outputs, inner_nodes = _graph(layer)
        inner = {id(t): s for t, s in zip(inner_inputs, states, strict=True)}
        _rf_walk(keras, inner, inner_nodes, axis, name + "/", rows)
        return [inner.get(id(t)) for t in inner_outputs]

    spatial = [s for s in states if s is not None]
    if len(spatial) < len(states) or not spatial:
        return [None] * len(node.output_tensors)
    # Merge layers (Add, Concatenate, ...) and any other multi-input layer take
    # the input branch with the largest receptive field: the largest path.
    state = max(spatial, key=lambda st: st.size)
    in_shape = tuple(node.input_tensors[0].shape)
    out_shape = tuple(node.output_tensors[0].shape)
    data_format = getattr(layer, "data_format", None) or "channels_last"
    in_spatial = _spatial(in_shape, data_format)
    i = in_spatial[axis] if axis < len(in_spatial) else None
    L = keras.layers
    kernel = stride = dilation = 1

    convs = (L.Conv1D, L.Conv2D, L.Conv3D, L.DepthwiseConv1D, L.DepthwiseConv2D)
    convs += (L.SeparableConv1D, L.SeparableConv2D)
    transposed = (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)
    pools = (L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D)
    pools += (L.AveragePooling1D, L.AveragePooling2D, L.AveragePooling3D)
    global_pools = (L.GlobalMaxPooling1D, L.GlobalMaxPooling2D, L.GlobalMaxPooling3D)
    global_pools += (
        L.GlobalAveragePooling1D,
        L.GlobalAveragePooling2D,
        L.GlobalAveragePooling3D,
    )
    if isinstance(layer, convs + pools):
        is_conv = isinstance(layer, convs)
        kernel = _axis_value(layer, "kernel_size" if is_conv else "pool_size", axis)
        stride = _axis_value(layer, "strides", axis)
        dilation = _axis_value(layer, "dilation_rate", axis) if is_conv else 1
        pad = _pad_start(layer.padding, i, kernel, stride, dilation)
        state = _slide(state, kernel, stride, dilation, pad)
    elif isinstance(layer, transposed):
        kernel = _axis_value(layer, "kernel_size", axis)
        stride = _axis_value(layer, "strides", axis)
        dilation = _axis_value(layer, "dilation_rate", axis)
        extra = layer.output_padding
        extra = None if extra is None else int(tuple(extra)[axis])
        pad = _transposed_pad_start(kernel, stride, dilation, layer.padding, extra)
        state = _transposed(state, kernel, stride, dilation, pad)
    elif isinstance(layer, global_pools):
        if i is None:
            return [None]
        kernel = stride = i
        state = _slide(state, i, i, 1, 0)
        rows.append(_row(name, kernel, stride, dilation, state))
        return [state if layer.keepdims else None]
    elif isinstance(layer, (L.ZeroPadding1D, L.ZeroPadding2D, L.ZeroPadding3D)):
        before = _pair(layer.padding, axis, name)[0]
        state = dataclasses.replace(
            state,
            start=None if state.start is None else state.start - before * state.jump,
        )
    elif isinstance(layer, (L.Cropping1D, L.Cropping2D, L.Cropping3D)):
        before = _pair(layer.cropping, axis, name)[0]
        state = dataclasses.replace(
            state,
            start=None if state.start is None else state.start + before * state.jump,
        )
    elif isinstance(layer, (L.UpSampling1D, L.UpSampling2D, L.UpSampling3D)):
        if getattr(layer, "interpolation", "nearest") != "nearest":
            raise ValueError(
                "Expected nearest-neighbour upsampling (the receptive field of an "
                f"interpolating upsampling is not a window). Received: layer="
                f"{layer.name!r}, interpolation={layer.interpolation!r}"
            )
        # Output unit t copies input unit floor(t / u): same r, jump / u.
        state = dataclasses.replace(
            state, jump=state.jump / _axis_value(layer, "size", axis)
        )
    elif len(out_shape) < len(in_shape):
        return [None] * len(node.output_tensors)  # Flatten, Reshape to vectors...
    elif len(out_shape) != len(in_shape) or (
        in_shape[1:-1] != out_shape[1:-1] and in_shape[2:] != out_shape[2:]
    ):
        raise ValueError(
            "Expected layers that keep the spatial size or are convolutions, "
            "poolings, paddings, croppings or upsamplings. Received: layer="
            f"{layer.name!r} ({type(layer).__name__}) mapping {in_shape} to "
            f"{out_shape}"
        )
    rows.append(_row(name, kernel, stride, dilation, state))
    return [state] * len(node.output_tensors)


def _rf_walk(keras, states, nodes, axis, prefix, rows):
    for node in nodes:
        ins = [states[id(t)] for t in node.input_tensors]
        outs = _rf_layer(keras, node.operation, node, ins, axis, prefix, rows)
        for tensor, state in zip(node.output_tensors, outs, strict=True):
            states[id(tensor)] = state


def _rf_from_tuples(layers) -> list[RFRow]:
    rows, state = [], _ORIGIN
    for index, entry in enumerate(layers, start=1):
        name = f"layers[{index - 1}]"
        if not isinstance(entry, (tuple, list)) or len(entry) not in (2, 3):
            raise TypeError(
                "Expected each layer to be a (kernel, stride) or (kernel, stride, "
                f"dilation) tuple. Received: {name}={entry!r}"
            )
        kernel = _validate.positive_int(f"{name}[0]", entry[0])
        stride = _validate.positive_int(f"{name}[1]", entry[1])
        dilation = 1
        if len(entry) == 3:
            dilation = _validate.positive_int(f"{name}[2]", entry[2])
        state = _slide(state, kernel, stride, dilation, 0)
        rows.append(_row(f"layer{index}", kernel, stride, dilation, state))
    return rows


def receptive_field(model_or_layers, axis=0) -> list[RFRow]:
    """Receptive field, jump and start of every layer, front to back.

    For a layer with kernel ``k``, dilation ``d`` (``k_eff = k + (k - 1)(d - 1)``,
    the guide's dilated kernel size), stride ``s`` and ``p_start`` zeros padded
    before the input, starting from ``r = 1, j = 1, start = 0`` at the input::

        r_out = r_in + (k_eff - 1) j_in
        j_out = j_in s
        start_out = start_in + ((k_eff - 1) / 2 - p_start) j_in

    The first line is the back-to-front recursion ``r_{l-1} = s_l r_l +
    (k_l - s_l)`` read the other way. Two 3x3 convolutions see 5x5, like one
    5x5 convolution (with 20 instead of 26 weights per channel pair, see
    :func:`conv_params`); a 2x2 pooling between them widens it to 8.

    Layers of a Keras model:

    - ``Conv1D/2D/3D``, ``DepthwiseConv1D/2D``, ``SeparableConv1D/2D`` (the
      pointwise part is 1x1), ``MaxPooling*``, ``AveragePooling*``: as above,
      ``p_start`` being 0 (``"valid"``), ``k_eff - 1`` (``"causal"``) or Keras'
      ``"same"`` padding before the input (the odd zero goes after it);
    - ``Conv1D/2D/3DTranspose``: a unit-stride convolution over the input
      stretched by ``s - 1`` zeros, so the stride *divides* the jump, and ``r``
      grows by ``(ceil(k / s) - 1) j_in``: the most input units one output unit
      sees (units repeat with period ``s``, so ``start + t * jump`` is exact for
      unit 0 only: for the others it can be off by up to ``(s - 1) / s`` of an
      input unit);
    - ``ZeroPadding*`` moves ``start`` back by the padding, ``Cropping*`` forward;
      ``UpSampling*`` (nearest) divides the jump.

    Known limit: a single fractional jump cannot describe a stretched layer, whose
    units repeat with a phase. After a transposed convolution or an upsampling, a
    windowed layer's ``size`` is therefore a lower bound (e.g. ``Conv1D(2,
    strides=2)``, ``Conv1DTranspose(3, strides=3)``, ``Conv1D(5)`` gives 5 where
    some units see 6 inputs). Stacks of convolutions, poolings and dilations -
    every classic classifier - are exact (checked against impulse responses).
    Further layers:

    - ``GlobalMaxPooling*``/``GlobalAveragePooling*`` see their whole input (a
      window of the input size; skipped if that size is unknown) and end the
      spatial axes, like ``Flatten`` or any layer that lowers the rank: later
      layers (``Dense`` ...) get no row;
    - layers that keep the spatial size (activations, normalisation, dropout,
      ``Dense`` applied per position, ...) pass the state through with a row of
      kernel 1; layers with several inputs (``Add``, ``Concatenate``,
      ``Multiply``, ``Average``, ``Maximum``, ...) take the input branch with the
      largest receptive field, "the largest path";
    - a nested ``keras.Model`` is walked with its rows named ``"outer/inner"``.

    Other layers that change the spatial size raise ``ValueError``.

    Args:
        model_or_layers: a built Functional or Sequential ``keras.Model``, or a
            list of ``(kernel, stride)`` / ``(kernel, stride, dilation)`` tuples
            of unpadded layers.
        axis: the spatial axis to follow, 0 (height, or time for 1-D layers) by
            default; pass ``axis=1`` for the width of a model whose kernels or
            strides differ between the axes.

    Returns:
        A list of :class:`RFRow`, one per layer call in topological order (the
        model inputs first, with ``r = 1``). ``rows[-1].size`` is the receptive
        field of a single-output model; :func:`receptive_field_size` returns it.

    Raises:
        TypeError: if ``model_or_layers`` is neither a Keras model nor a list of
            tuples, or a tuple holds non-integers.
        ValueError: for an unbuilt or subclassed model, an ``axis`` the layers do
            not have, or a layer whose effect on the receptive field is unknown.
    """
    axis = _non_negative_int("axis", axis)
    if isinstance(model_or_layers, (list, tuple)):
        return _rf_from_tuples(model_or_layers)
    keras = _check_model(
        model_or_layers,
        "model_or_layers",
        "a keras.Model or a list of (kernel, stride[, dilation]) tuples",
    )
    inputs, _, nodes = _graph(model_or_layers)
    states = {id(t): _ORIGIN for t in inputs}
    rows = [_row(t._keras_history.operation.name, 1, 1, 1, _ORIGIN) for t in inputs]
    _rf_walk(keras, states, nodes, axis, "", rows)
    return rows


def receptive_field_size(model_or_layers, axis=0) -> int:
    """The receptive field of the last row: ``receptive_field(...)[-1].size``."""
    return receptive_field(model_or_layers, axis=axis)[-1].size


# --------------------------------------------------------------------------
# Multiply-accumulates
# --------------------------------------------------------------------------


def _known(shape, what: str, name: str) -> tuple[int, ...]:
    dims = tuple(shape)[1:]
    if any(v is None for v in dims):
        raise ValueError(
            f"Expected a known {what} shape to count multiply-accumulates. "
            f"Received: layer={name!r}, shape={tuple(shape)}"
        )
    return dims


def _layer_macs(keras, layer, node, name) -> int | None:
    """MACs of one call, or ``None`` for layers that do no multiply-adds."""
    L = keras.layers
    if not layer.weights:
        return None
    fmt = getattr(layer, "data_format", None) or "channels_last"
    in_shape = (None, *_known(node.input_tensors[0].shape, "input", name))
    out_shape = (None, *_known(node.output_tensors[0].shape, "output", name))
    c_in, c_out = _channels(in_shape, fmt), _channels(out_shape, fmt)
    positions = math.prod(_spatial(out_shape, fmt))
    if isinstance(layer, (L.SeparableConv1D, L.SeparableConv2D)):
        area = math.prod(layer.kernel_size)
        middle = c_in * layer.depth_multiplier
        return area * middle * positions + middle * c_out * positions
    if isinstance(layer, (L.DepthwiseConv1D, L.DepthwiseConv2D)):
        return math.prod(layer.kernel_size) * c_out * positions
    if isinstance(layer, (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)):
        inputs = math.prod(_spatial(in_shape, fmt))
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


def _macs_walk(keras, model, prefix, totals) -> None:
    _, _, nodes = _graph(model)
    for node in nodes:
        layer = node.operation
        name = prefix + layer.name
        if isinstance(layer, keras.Model):
            _macs_walk(keras, layer, name + "/", totals)
            continue
        macs = _layer_macs(keras, layer, node, name)
        if macs is not None:
            totals[name] = totals.get(name, 0) + macs


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
    keras = _check_model(model, "model")
    per_layer = _boolean("per_layer", per_layer)
    totals: dict[str, int] = {}
    _macs_walk(keras, model, "", totals)
    return totals if per_layer else sum(totals.values())


# --------------------------------------------------------------------------
# Activation memory
# --------------------------------------------------------------------------

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
    dims = _known(tensor.shape, "output", name)
    if bytes_per_value is None:
        dtype = str(getattr(tensor, "dtype", "float32"))
        if dtype not in _DTYPE_BYTES:
            raise ValueError(
                "Expected tensors of a known dtype, or bytes_per_value. "
                f"Received: layer={name!r}, dtype={dtype!r}"
            )
        return math.prod(dims) * _DTYPE_BYTES[dtype]
    return math.prod(dims) * bytes_per_value


def _memory_walk(keras, model, prefix, totals, bytes_per_value) -> None:
    _, _, nodes = _graph(model)
    for node in nodes:
        layer = node.operation
        name = prefix + layer.name
        if isinstance(layer, keras.Model):
            _memory_walk(keras, layer, name + "/", totals, bytes_per_value)
            continue
        size = sum(_tensor_bytes(t, name, bytes_per_value) for t in node.output_tensors)
        totals[name] = totals.get(name, 0) + size


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
    keras = _check_model(model, "model")
    batch_size = _validate.positive_int("batch_size", batch_size)
    if bytes_per_value is not None:
        bytes_per_value = _validate.positive_int("bytes_per_value", bytes_per_value)
    per_layer = _boolean("per_layer", per_layer)
    inputs, _, _ = _graph(model)
    totals: dict[str, int] = {}
    for tensor in inputs:
        name = tensor._keras_history.operation.name
        totals[name] = _tensor_bytes(tensor, name, bytes_per_value)
    _memory_walk(keras, model, "", totals, bytes_per_value)
    totals = {name: size * batch_size for name, size in totals.items()}
    return totals if per_layer else sum(totals.values())
