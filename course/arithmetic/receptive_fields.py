"""Receptive fields, jumps and starts of a network's layers (lectures 03, 05, 10).

:func:`receptive_field` walks a Keras model (or a list of ``(kernel, stride[,
dilation])``) front to back and returns one :class:`RFRow` per layer call;
:func:`receptive_field_size` is the last row's size. The recursion is the one of
Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
Networks" (Distill, 2019), read front to back, with the dilated kernel size
``k_eff`` of Dumoulin & Visin (2016). Lecture 03 builds the tables, lecture 05
sets AlexNet's and VGG's receptive fields beside the papers', lecture 10 shows
how atrous convolutions widen them without pooling.

Sizes, jumps and starts are kept as exact fractions while walking (a transposed
convolution or an upsampling divides the jump); every layer kind has a small
step function, dispatched by :func:`_layer_step`.

Used in lectures 03, 05 and 10.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from fractions import Fraction

from course import _validate
from course.arithmetic import _graph
from course.arithmetic._common import effective_kernel

__all__ = ["RFRow", "receptive_field", "receptive_field_size"]


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


def _plain(value: Fraction) -> int | float:
    """An exact fraction as an int when it is whole, else as a float."""
    return int(value) if value.denominator == 1 else float(value)


def _row(name, kernel, stride, dilation, state: _RF) -> RFRow:
    return RFRow(
        name=name,
        kernel=int(kernel),
        stride=int(stride),
        dilation=int(dilation),
        size=math.ceil(state.size),
        jump=_plain(state.jump),
        start=None if state.start is None else float(state.start),
    )


def _slide(state: _RF, k: int, s: int, d: int, pad_start) -> _RF:
    """A window of ``k`` taps (dilation ``d``) sliding with stride ``s``.

    Front to back: ``r_out = r_in + (k_eff - 1) j_in``, ``j_out = j_in s`` and
    ``start_out = start_in + ((k_eff - 1) / 2 - pad_start) j_in``.
    """
    k_eff = effective_kernel(k, d)
    start = None
    if state.start is not None and pad_start is not None:
        start = state.start + (Fraction(k_eff - 1, 2) - pad_start) * state.jump
    return _RF(state.size + (k_eff - 1) * state.jump, state.jump * s, start)


def _same_pad_start(i, k: int, s: int, d: int):
    """Zeros Keras puts *before* the input for ``padding="same"``: half of
    ``max((ceil(i / s) - 1) s + k_eff - i, 0)``, the odd one going after."""
    k_eff = effective_kernel(k, d)
    if s == 1:
        return (k_eff - 1) // 2
    if i is None:
        return None
    return max((-(-i // s) - 1) * s + k_eff - i, 0) // 2


def _pad_start(padding: str, i, k: int, s: int, d: int):
    if padding == "valid":
        return 0
    if padding == "causal":
        return effective_kernel(k, d) - 1
    return _same_pad_start(i, k, s, d)


def _transposed_pad_start(k, s, d, padding, output_padding) -> int:
    """Zeros before the stretched input in Keras' transposed convolution.

    Mirrors ``_convert_conv_transpose_padding_args_from_keras_to_jax`` in
    ``keras/src/backend/common/backend_utils.py`` (the left padding that
    reproduces TensorFlow's output layout).
    """
    k_eff = effective_kernel(k, d)
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
            offset = (Fraction(effective_kernel(k, d) - 1, 2) - pad_start) / s
        else:
            offset = Fraction(first[0] + first[1], 2)
        start = state.start + offset * state.jump
    return _RF(state.size + widest * state.jump, state.jump / s, start)


def _check_axis(axis: int, count: int, name: str) -> None:
    if axis >= count:
        raise _validate.error(
            "axis", axis, f"< {count}, the number of spatial axes of layer {name!r}"
        )


def _axis_value(layer, attribute: str, axis: int) -> int:
    """A layer's ``kernel_size``, ``strides``, ... along ``axis``."""
    values = getattr(layer, attribute)
    values = (values,) if _validate.is_int(values) else tuple(values)
    _check_axis(axis, len(values), layer.name)
    return int(values[axis])


def _pair(value, axis: int, name: str):
    """``(before, after)`` along ``axis`` from a ZeroPadding/Cropping argument."""
    value = tuple(value)
    if value and _validate.is_int(value[0]):  # 1-D layers: (before, after).
        value = (value,)
    _check_axis(axis, len(value), name)
    return tuple(value[axis])


# --------------------------------------------------------------------------
# One step per kind of layer
# --------------------------------------------------------------------------

#: ``(kernel, stride, dilation)`` of a row for a layer that slides no window.
_UNIT = (1, 1, 1)


@functools.cache
def _layer_kinds() -> dict[str, tuple[type, ...]]:
    """The Keras layer classes the walk knows, by kind (Keras imported on first
    use, so that the package imports without it)."""
    import keras

    L = keras.layers
    return {
        "conv": (L.Conv1D, L.Conv2D, L.Conv3D, L.DepthwiseConv1D, L.DepthwiseConv2D)
        + (L.SeparableConv1D, L.SeparableConv2D),
        "pool": (L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D)
        + (L.AveragePooling1D, L.AveragePooling2D, L.AveragePooling3D),
        "transposed": (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose),
        "global_pool": (
            L.GlobalMaxPooling1D,
            L.GlobalMaxPooling2D,
            L.GlobalMaxPooling3D,
            L.GlobalAveragePooling1D,
            L.GlobalAveragePooling2D,
            L.GlobalAveragePooling3D,
        ),
        "padding": (L.ZeroPadding1D, L.ZeroPadding2D, L.ZeroPadding3D),
        "cropping": (L.Cropping1D, L.Cropping2D, L.Cropping3D),
        "upsampling": (L.UpSampling1D, L.UpSampling2D, L.UpSampling3D),
    }


def _window_step(layer, state: _RF, i, axis: int, is_conv: bool):
    """A convolution or pooling: a window sliding over the (padded) input."""
    kernel = _axis_value(layer, "kernel_size" if is_conv else "pool_size", axis)
    stride = _axis_value(layer, "strides", axis)
    dilation = _axis_value(layer, "dilation_rate", axis) if is_conv else 1
    pad = _pad_start(layer.padding, i, kernel, stride, dilation)
    return _slide(state, kernel, stride, dilation, pad), (kernel, stride, dilation)


def _transposed_step(layer, state: _RF, axis: int):
    """A transposed convolution (see :func:`_transposed`)."""
    kernel = _axis_value(layer, "kernel_size", axis)
    stride = _axis_value(layer, "strides", axis)
    dilation = _axis_value(layer, "dilation_rate", axis)
    extra = layer.output_padding
    extra = None if extra is None else int(tuple(extra)[axis])
    pad = _transposed_pad_start(kernel, stride, dilation, layer.padding, extra)
    return _transposed(state, kernel, stride, dilation, pad), (kernel, stride, dilation)


def _shift(state: _RF, units) -> _RF:
    """Moves ``start`` by ``units`` input units (padding: back, cropping: forward)."""
    if state.start is None:
        return state
    return dataclasses.replace(state, start=state.start + units * state.jump)


def _upsampling_step(layer, state: _RF, axis: int) -> _RF:
    if getattr(layer, "interpolation", "nearest") != "nearest":
        raise ValueError(
            "Expected nearest-neighbour upsampling (the receptive field of an "
            f"interpolating upsampling is not a window). Received: layer="
            f"{layer.name!r}, interpolation={layer.interpolation!r}"
        )
    # Output unit t copies input unit floor(t / u): same r, jump / u.
    return dataclasses.replace(
        state, jump=state.jump / _axis_value(layer, "size", axis)
    )


def _pointwise_step(layer, node, state: _RF, name: str):
    """A layer that keeps the spatial size passes the state on; one that lowers
    the rank (``Flatten``, a reshape to vectors) ends the spatial axes (None)."""
    in_shape = tuple(node.input_tensors[0].shape)
    out_shape = tuple(node.output_tensors[0].shape)
    if len(out_shape) < len(in_shape):
        return None
    if len(out_shape) != len(in_shape) or (
        in_shape[1:-1] != out_shape[1:-1] and in_shape[2:] != out_shape[2:]
    ):
        raise ValueError(
            "Expected layers that keep the spatial size or are convolutions, "
            "poolings, paddings, croppings or upsamplings. Received: layer="
            f"{name!r} ({type(layer).__name__}) mapping {in_shape} to "
            f"{out_shape}"
        )
    return state, _UNIT


def _layer_step(layer, node, state: _RF, i, axis: int, name: str):
    """``(state after, (kernel, stride, dilation))`` for one layer call that is
    not a global pooling, or ``None`` where the spatial axes end."""
    kinds = _layer_kinds()
    if isinstance(layer, kinds["conv"] + kinds["pool"]):
        return _window_step(layer, state, i, axis, isinstance(layer, kinds["conv"]))
    if isinstance(layer, kinds["transposed"]):
        return _transposed_step(layer, state, axis)
    if isinstance(layer, kinds["padding"]):
        return _shift(state, -_pair(layer.padding, axis, name)[0]), _UNIT
    if isinstance(layer, kinds["cropping"]):
        return _shift(state, _pair(layer.cropping, axis, name)[0]), _UNIT
    if isinstance(layer, kinds["upsampling"]):
        return _upsampling_step(layer, state, axis), _UNIT
    return _pointwise_step(layer, node, state, name)


# --------------------------------------------------------------------------
# The walk
# --------------------------------------------------------------------------


def _nested(model, states, axis: int, name: str, rows) -> list:
    """Walks a nested model from the states of its inputs (rows ``outer/inner``)."""
    inner_inputs, inner_outputs, inner_nodes = _graph.graph(model)
    inner = {id(t): s for t, s in zip(inner_inputs, states, strict=True)}
    _walk(inner, inner_nodes, axis, name + "/", rows)
    return [inner.get(id(t)) for t in inner_outputs]


def _rf_layer(layer, node, states, axis: int, prefix: str, rows) -> list:
    """Returns the states of ``node``'s outputs (``None``: no spatial axes) and
    appends the layer's row to ``rows``."""
    import keras

    name = prefix + layer.name
    if isinstance(layer, keras.Model):
        return _nested(layer, states, axis, name, rows)
    outputs = len(node.output_tensors)
    spatial = [s for s in states if s is not None]
    if len(spatial) < len(states) or not spatial:
        return [None] * outputs
    # Merge layers (Add, Concatenate, ...) and any other multi-input layer take
    # the input branch with the largest receptive field: the largest path.
    state = max(spatial, key=lambda st: st.size)
    in_spatial = _graph.spatial(node.input_tensors[0].shape, _graph.data_format(layer))
    i = in_spatial[axis] if axis < len(in_spatial) else None
    if isinstance(layer, _layer_kinds()["global_pool"]):
        # A window of the whole input; ends the spatial axes unless keepdims.
        if i is None:
            return [None]
        state = _slide(state, i, i, 1, 0)
        rows.append(_row(name, i, i, 1, state))
        return [state if layer.keepdims else None]
    step = _layer_step(layer, node, state, i, axis, name)
    if step is None:
        return [None] * outputs
    state, (kernel, stride, dilation) = step
    rows.append(_row(name, kernel, stride, dilation, state))
    return [state] * outputs


def _walk(states, nodes, axis: int, prefix: str, rows) -> None:
    """Carries ``states`` (tensor id -> :class:`_RF`) through ``nodes``."""
    for node in nodes:
        ins = [states[id(t)] for t in node.input_tensors]
        outs = _rf_layer(node.operation, node, ins, axis, prefix, rows)
        for tensor, state in zip(node.output_tensors, outs, strict=True):
            states[id(tensor)] = state


def _rf_from_tuples(layers) -> list[RFRow]:
    """Rows for a list of ``(kernel, stride[, dilation])`` of unpadded layers."""
    rows, state = [], _ORIGIN
    for index, entry in enumerate(layers, start=1):
        name = f"layers[{index - 1}]"
        if not isinstance(entry, (tuple, list)) or len(entry) not in (2, 3):
            raise _validate.error(
                name,
                entry,
                "to be a (kernel, stride) or (kernel, stride, dilation) tuple",
                TypeError,
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
    axis = _validate.integer("axis", axis, minimum=0)
    if isinstance(model_or_layers, (list, tuple)):
        return _rf_from_tuples(model_or_layers)
    import keras  # only a model needs Keras

    if not isinstance(model_or_layers, keras.Model):
        raise _validate.error(
            "model_or_layers",
            model_or_layers,
            "to be a keras.Model or a list of (kernel, stride[, dilation]) tuples",
            TypeError,
        )
    inputs, _, nodes = _graph.graph(model_or_layers)
    states = {id(t): _ORIGIN for t in inputs}
    rows = [_row(t._keras_history.operation.name, 1, 1, 1, _ORIGIN) for t in inputs]
    _walk(states, nodes, axis, "", rows)
    return rows


def receptive_field_size(model_or_layers, axis=0) -> int:
    """The receptive field of the last row: ``receptive_field(...)[-1].size``."""
    return receptive_field(model_or_layers, axis=axis)[-1].size
