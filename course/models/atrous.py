"""Atrous convolutions, the context module and three equal-weight nets (lecture 10).

A 3x3 kernel dilated by ``d`` puts ``d - 1`` holes between its taps: it still has
9 weights per channel pair but spans ``3 + 2(d - 1)`` pixels, so a stack of them
can see far without pooling away the resolution. Yu & Koltun, "Multi-Scale
Context Aggregation by Dilated Convolutions" (ICLR 2016), stack seven 3x3
convolutions with dilations 1, 1, 2, 4, 8, 16, 1 and a 1x1 convolution - the
*context module* - whose receptive field grows 3, 5, 9, 17, 33, 65, 67, 67:
exponentially in depth, at full resolution, with weights growing only linearly.

Lecture 10 reproduces the experiment of the course's seed 000 (a blog post on
deep learning for fluorescence microscopy): three *8-layer* fully
convolutional networks *constrained to the same total number of weights*,
trained as autoencoders on fluorescence images of cell nuclei (672x512 pixels in
the seed, 400 images from Coelho et al., 2009), to see which keeps the fine
detail - bright heterochromatin foci and the boundaries between touching nuclei.
The seed reports that the plain network blurs foci and boundaries, that the
atrous network keeps more of them but pays in activation memory (no pooling:
every feature map has the full image size, which limits image and batch sizes
and slows training), and that the U-Net-style network does best. The three nets,
as built by :func:`equal_weight_net` (``depth=8``), all with "same" padding so
the output has the input's shape:

- ``"plain"``: an encoder-decoder without skips. ``block1_conv`` to
  ``block3_conv`` are 3x3 convolutions with ``w, 2w, 4w`` filters at full, 1/2
  and 1/4 resolution, each followed by a 2x2 max pool ``block{i}_pool``;
  ``block4_conv`` (``8w``) works at 1/8 resolution (the bottleneck);
  ``block5_conv`` to ``block7_conv`` (``4w, 2w, w``) each follow a 2x
  nearest-neighbour upsampling ``block{i}_up`` back to 1/4, 1/2 and full
  resolution; layer 8, ``reconstruction``, is a 1x1 convolution to the image's
  channels. Everything the output shows has passed through the 1/8 map.
- ``"unet"``: the same layers plus U-Net skips (Ronneberger et al., 2015):
  ``block{5,6,7}_concat`` joins each upsampled map with the encoder map of the
  same resolution (``block3_conv``, ``block2_conv``, ``block1_conv``) before the
  decoder convolution, so the full-resolution features reach the output after
  only two more layers.
- ``"atrous"``: no pooling at all. ``block1_conv`` to ``block7_conv`` are 3x3
  convolutions with dilations 1, 1, 2, 4, 8, 16, 1 (the context module's
  schedule) and ``w`` filters each, all at full resolution; layer 8 is the 1x1
  ``reconstruction``. Its receptive field, 67 pixels, is larger than the plain
  net's 52, and every one of its feature maps is full size.

Widths: the plain net and the U-Net double the filters per level (multipliers
1, 2, 4, 8, 4, 2, 1), the atrous net keeps them constant (1, ..., 1), and
:func:`widths_for_budget` scales the multipliers so that the net has the
requested number of weights. Integer widths cannot hit every count, so the
solver then moves single filters into, out of or between layers (a filter or two
per layer in practice) until the count is within ``tolerance`` (1%) of the
budget. Other even depths work alike: ``depth - 1`` 3x3 layers around
``(depth - 2) / 2`` poolings, or ``depth - 1`` dilated 3x3 layers, then the 1x1
output.

Used in lecture 10.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np

from course import _validate
from course.models import _common

KINDS = ("plain", "atrous", "unet")

#: Yu & Koltun (2016), Table 1: dilations of the context module's 3x3 layers.
CONTEXT_DILATIONS = (1, 1, 2, 4, 8, 16, 1)

_SEARCH_STEPS = 200  # bound on the solver's single-filter moves


def _check_kind(kind):
    if not isinstance(kind, str):
        raise _validate.error("kind", kind, f"to be one of {KINDS!r}", TypeError)
    return _validate.choice("kind", kind, KINDS)


def _check_depth(depth):
    depth = _validate.positive_int("depth", depth, minimum=4)
    if depth % 2:
        raise _validate.error(
            "depth",
            depth,
            "to be an even integer >= 4 (the plain net and the U-Net have as many "
            "layers after the bottleneck as before it, plus the bottleneck and the "
            "1x1 output)",
        )
    return depth


def _check_dilations(dilations, count, name="dilations"):
    dilations = _validate.positive_ints(name, dilations)
    if len(dilations) != count:
        raise _validate.error(
            name, dilations, f"to hold {count} dilation rates, one per 3x3 layer"
        )
    return dilations


def default_dilations(count=7):
    """The dilations of ``count`` stacked 3x3 layers, Yu & Koltun style.

    ``1, 1`` first, then doubling, then ``1`` to finish: for ``count=7`` the
    context module's ``1, 1, 2, 4, 8, 16, 1``.

    Args:
        count: number of 3x3 layers, >= 3.

    Returns:
        A tuple of ``count`` dilation rates.
    """
    count = _validate.positive_int("count", count, minimum=3)
    return (1, 1) + tuple(2**i for i in range(1, count - 2)) + (1,)


def multipliers(kind, depth=8):
    """The relative widths of the hidden layers ``block1`` .. ``block{depth-1}``.

    Args:
        kind: ``"plain"``, ``"atrous"`` or ``"unet"``.
        depth: layers with weights, even, >= 4.

    Returns:
        A tuple of ``depth - 1`` ints: ``(1, 2, 4, 8, 4, 2, 1)`` for the plain
        net and the U-Net at depth 8 (doubling per pooling), all ones for the
        atrous net.
    """
    kind = _check_kind(kind)
    depth = _check_depth(depth)
    if kind == "atrous":
        return (1,) * (depth - 1)
    levels = (depth - 2) // 2
    down = tuple(2**i for i in range(levels + 1))
    return down + down[-2::-1]


def weight_count(kind, widths, channels=1):
    """Number of weights (kernels and biases) of a net with these widths.

    The closed form of what :func:`equal_weight_net` builds, with ``w_i`` the
    widths and ``c`` the image channels: a 3x3 layer from ``m`` to ``n``
    channels has ``9 m n + n`` weights (the lecture's ``(k^2 m + 1) n``), the
    1x1 output ``w_last c + c``. In the U-Net each decoder layer also reads the
    channels of the skip it concatenates.

    Args:
        kind: ``"plain"``, ``"atrous"`` or ``"unet"``.
        widths: filters of the ``depth - 1`` hidden layers (an odd number >= 3).
        channels: image channels (input and output).

    Returns:
        The number of weights, an int.
    """
    kind = _check_kind(kind)
    widths = _validate.positive_ints("widths", widths)
    channels = _validate.positive_int("channels", channels)
    if len(widths) < 3 or len(widths) % 2 == 0:
        raise _validate.error(
            "widths",
            widths,
            "to hold depth - 1 >= 3 entries, an odd number (one per hidden layer "
            "of an even-depth net)",
        )
    return _count(kind, widths, channels)


def _count(kind, widths, channels):
    levels = (len(widths) - 1) // 2
    total, previous = 0, channels
    for index, width in enumerate(widths):
        inputs = previous
        if kind == "unet" and index > levels:
            inputs += widths[2 * levels - index]  # the concatenated skip
        total += 9 * inputs * width + width
        previous = width
    return total + previous * channels + channels


def _scaled(scale, mults):
    return tuple(max(1, int(round(scale * m))) for m in mults)


def widths_for_budget(kind, weights, depth=8, channels=1, tolerance=0.01):
    """The hidden-layer widths that give a net ``weights`` weights (within 1%).

    Scales :func:`multipliers` by the largest factor whose rounded widths stay
    closest to the budget (bisection: the count grows with the factor), then
    moves one filter at a time - into or out of a layer, or from one layer to
    another - while that brings the count closer, which lets three quite
    different architectures meet the same budget although integer widths change
    the count in steps of hundreds of weights.

    Args:
        kind: ``"plain"``, ``"atrous"`` or ``"unet"``.
        weights: the budget, total number of weights.
        depth: layers with weights, even, >= 4.
        channels: image channels.
        tolerance: largest accepted relative difference, in ``[0, 1)``.

    Returns:
        A tuple of ``depth - 1`` widths; ``weight_count(kind, widths, channels)``
        lies within ``tolerance`` of ``weights``.

    Raises:
        ValueError: if the budget is too small for the depth (widths of one
            filter already exceed it) or cannot be met within ``tolerance``.
    """
    kind = _check_kind(kind)
    weights = _validate.positive_int("weights", weights)
    depth = _check_depth(depth)
    channels = _validate.positive_int("channels", channels)
    tolerance = _validate.fraction("tolerance", tolerance)
    mults = multipliers(kind, depth)
    smallest = _count(kind, (1,) * len(mults), channels)
    if smallest > weights:
        raise _validate.error(
            "weights",
            weights,
            f">= {smallest:,}, what the {kind} net of {depth} layers has with one "
            "filter per layer",
        )
    low, high = 0.0, 1.0
    while _count(kind, _scaled(high, mults), channels) < weights:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        if _count(kind, _scaled(middle, mults), channels) < weights:
            low = middle
        else:
            high = middle
    candidates = (_scaled(low, mults), _scaled(high, mults))
    best = min(candidates, key=lambda w: abs(_count(kind, w, channels) - weights))
    error = abs(_count(kind, best, channels) - weights)
    layers = range(len(best))
    moves = [{i: step} for i in layers for step in (-1, 1)]
    moves += [{i: 1, j: -1} for i, j in itertools.permutations(layers, 2)]
    # Stop at half the tolerance: close enough, and every move bends the
    # architecture's width profile a little.
    for _ in range(_SEARCH_STEPS):
        if error <= tolerance * weights / 2:
            break
        trials = []
        for move in moves:
            trial = tuple(w + move.get(i, 0) for i, w in enumerate(best))
            if min(trial) >= 1:
                trials.append((abs(_count(kind, trial, channels) - weights), trial))
        trial_error, trial = min(trials)
        if trial_error >= error:
            break
        best, error = trial, trial_error
    if error > tolerance * weights:
        raise _validate.error(
            "weights",
            weights,
            f"to be a budget that the {kind} net of {depth} layers can meet within "
            f"{tolerance:.1%}; the closest it gets is "
            f"{_count(kind, best, channels):,} weights. Use a larger budget",
        )
    return best


def dilated_conv_block(
    x,
    filters,
    dilation_rate=1,
    kernel_size=3,
    activation="relu",
    kernel_initializer="he_normal",
    name="block1",
):
    """One dilated ("atrous", with holes) convolution with "same" padding.

    A ``k x k`` kernel dilated by ``d`` has ``k^2`` taps spread over
    ``k + (k - 1)(d - 1)`` pixels: ``d = 1`` is an ordinary convolution; a 3x3
    kernel with ``d = 2`` spans 5x5, with ``d = 16`` 33x33, for the same 9
    weights per channel pair. Stride 1 and "same" padding keep the resolution,
    which is the point (Yu & Koltun, 2016).

    Args:
        x: input tensor ``(batch, height, width, channels)``.
        filters: output channels.
        dilation_rate: ``d``, >= 1.
        kernel_size: ``k``, >= 1.
        activation: activation fused into the convolution (the layer keeps one
            output map, the one backprop needs); ``None`` for linear.
        kernel_initializer: any Keras initializer.
        name: prefix; the layer is ``{name}_conv``.

    Returns:
        Tensor ``(batch, height, width, filters)``.
    """
    filters = _validate.positive_int("filters", filters)
    dilation_rate = _validate.positive_int("dilation_rate", dilation_rate)
    kernel_size = _validate.positive_int("kernel_size", kernel_size)
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        dilation_rate=dilation_rate,
        activation=activation,
        kernel_initializer=kernel_initializer,
        name=f"{name}_conv",
    )(x)


def _identity_kernel(kernel_shape):
    """A kernel that copies channel ``i`` to channel ``i`` (zero elsewhere)."""
    rows, cols, c_in, c_out = kernel_shape
    kernel = np.zeros(kernel_shape, dtype="float32")
    for channel in range(min(c_in, c_out)):
        kernel[rows // 2, cols // 2, channel, channel] = 1.0
    return kernel


def context_module(
    inputs,
    channels=None,
    dilations=CONTEXT_DILATIONS,
    identity_init=False,
    name="context",
):
    """The basic context module of Yu & Koltun (2016), Table 1.

    Seven 3x3 convolutions with ReLU and dilations ``1, 1, 2, 4, 8, 16, 1``,
    then a 1x1 convolution without activation, all with ``channels`` filters
    ("same" padding, so the output has the input's size). The receptive field of
    one output unit grows 3, 5, 9, 17, 33, 65, 67, 67 pixels along the layers:
    ``r_l = r_(l-1) + 2 d_l``. The paper maps ``C`` class scores to ``C``
    refined scores; any number of channels works here.

    With ``identity_init=True`` every kernel starts as the paper's identity
    initialisation, ``k(t, a) = 1[t = 0] 1[a = b]`` (the centre tap copies each
    channel, biases zero), so the untrained module passes non-negative inputs
    through unchanged; otherwise He-normal.

    Layers: ``{name}_block{1..7}_conv`` (dilated 3x3) and ``{name}_output``
    (1x1).

    Args:
        inputs: a tensor ``(batch, height, width, C)``, or an input shape
            ``(height, width, C)`` to get a stand-alone model.
        channels: filters of every layer; ``None`` means ``C``.
        dilations: dilation of each 3x3 layer (the paper's seven by default).
        identity_init: start from the identity (Yu & Koltun) instead of random.
        name: prefix of the layer names (and the model's name).

    Returns:
        The output tensor ``(batch, height, width, channels)``, or a Functional
        ``keras.Model`` when ``inputs`` is a shape.
    """
    as_model = isinstance(inputs, (tuple, list))
    if as_model:
        shape = _validate.shape("inputs", inputs, rank=3)
        tensor = keras.Input(shape=shape, name=f"{name}_inputs")
    elif isinstance(inputs, keras.KerasTensor):
        tensor = inputs
        if len(tensor.shape) != 4 or tensor.shape[-1] is None:
            raise _validate.error(
                "inputs",
                inputs,
                "to be a tensor (batch, height, width, channels) with known channels",
            )
    else:
        raise _validate.error(
            "inputs",
            inputs,
            "to be a Keras tensor or an input shape (height, width, channels)",
            TypeError,
        )
    if channels is None:
        channels = int(tensor.shape[-1])
    channels = _validate.positive_int("channels", channels)
    dilations = _validate.positive_ints("dilations", dilations)
    identity_init = _validate.boolean("identity_init", identity_init)
    x, layers = tensor, []
    for index, rate in enumerate(dilations, start=1):
        x = dilated_conv_block(x, channels, rate, name=f"{name}_block{index}")
        layers.append(x._keras_history.operation)
    output = keras.layers.Conv2D(channels, 1, name=f"{name}_output")
    x = output(x)
    layers.append(output)
    if identity_init:
        # Set after building: the values are plain weights, so the model saves
        # and loads without a custom initializer.
        for layer in layers:
            layer.kernel.assign(_identity_kernel(tuple(layer.kernel.shape)))
            layer.bias.assign(np.zeros(tuple(layer.bias.shape), dtype="float32"))
    if as_model:
        return keras.Model(tensor, x, name=name)
    return x


def _check_sides(input_shape, depth, kind):
    if kind == "atrous":
        return
    factor = 2 ** ((depth - 2) // 2)
    for side in input_shape[:2]:
        if side % factor:
            below = max(factor, side - side % factor)
            raise _validate.error(
                "input_shape",
                input_shape,
                f"whose height and width are multiples of {factor} (the {kind} net "
                f"pools {(depth - 2) // 2} times); the nearest sides that work are "
                f"{below} and {below + factor}",
            )


def equal_weight_net(
    kind,
    input_shape=(512, 672, 1),
    weights=30_000,
    depth=8,
    dilations=None,
    output_activation=None,
    tolerance=0.01,
    name=None,
):
    """One of seed 000's three nets, sized to a budget of weights.

    ``kind`` picks the architecture described in the module docstring: the
    plain encoder-decoder, the atrous (dilated, pooling-free) net or the
    U-Net-style net with skips. Their widths come from
    :func:`widths_for_budget`, so the three have the same number of weights
    within ``tolerance`` and differ only in how they use them. All are fully
    convolutional autoencoders: the output has the input's shape.

    Layers (depth 8): ``block1_conv`` .. ``block7_conv``, then
    ``reconstruction`` (1x1); plain and U-Net also ``block{1,2,3}_pool`` and
    ``block{5,6,7}_up``, the U-Net ``block{5,6,7}_concat``. The widths are
    those of :func:`widths_for_budget` with the same arguments.

    Args:
        kind: ``"plain"``, ``"atrous"`` or ``"unet"``.
        input_shape: ``(height, width, channels)``; the seed's images are
            512x672x1. Plain and U-Net need sides divisible by
            ``2 ** ((depth - 2) / 2)`` (8 at depth 8).
        weights: budget of weights (kernels and biases).
        depth: layers with weights, even, >= 4 (8 in the seed).
        dilations: dilation rates of the atrous net's ``depth - 1`` 3x3 layers;
            ``None`` means :func:`default_dilations` (the context module's
            ``1, 1, 2, 4, 8, 16, 1`` at depth 8). Only for ``kind="atrous"``.
        output_activation: activation of ``reconstruction``; ``None`` (linear,
            the default) reproduces intensities without squashing them,
            ``"sigmoid"`` keeps the output in [0, 1].
        tolerance: accepted relative difference from ``weights``.
        name: model name; ``None`` means ``f"{kind}_net"``.

    Returns:
        A Functional ``keras.Model`` from ``(batch, *input_shape)`` to the same
        shape.

    Raises:
        ValueError: for unknown kinds, odd depths, sides the poolings cannot
            halve, dilations for a pooling net, or a budget that cannot be met.
    """
    kind = _check_kind(kind)
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    depth = _check_depth(depth)
    _check_sides(input_shape, depth, kind)
    if dilations is None:
        dilations = default_dilations(depth - 1) if kind == "atrous" else None
    elif kind != "atrous":
        raise _validate.error(
            "dilations",
            dilations,
            "to be None for a net that pools (only the atrous net dilates)",
        )
    else:
        dilations = _check_dilations(dilations, depth - 1)
    output_activation = _common.activation("output_activation", output_activation)
    if name is None:
        name = f"{kind}_net"
    if not isinstance(name, str) or not name:
        raise _validate.error("name", name, "to be a non-empty string", TypeError)
    channels = input_shape[-1]
    widths = widths_for_budget(kind, weights, depth, channels, tolerance)

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    if kind == "atrous":
        for index, (width, rate) in enumerate(zip(widths, dilations, strict=True)):
            x = dilated_conv_block(x, width, rate, name=f"block{index + 1}")
    else:
        levels = (depth - 2) // 2
        encoder = []
        for index, width in enumerate(widths, start=1):
            if index > levels + 1:  # decoder: back up one level
                x = keras.layers.UpSampling2D(2, name=f"block{index}_up")(x)
                if kind == "unet":
                    skip = encoder[2 * levels + 1 - index]
                    x = keras.layers.Concatenate(name=f"block{index}_concat")([skip, x])
            x = dilated_conv_block(x, width, 1, name=f"block{index}")
            if index <= levels:
                encoder.append(x)
                x = keras.layers.MaxPooling2D(2, name=f"block{index}_pool")(x)
    outputs = keras.layers.Conv2D(
        channels, 1, activation=output_activation, name="reconstruction"
    )(x)
    return keras.Model(inputs, outputs, name=name)
