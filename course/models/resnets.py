"""Residual networks and their plain counterparts (lecture 06).

Lecture 06 rebuilds He et al.'s Table 1 from :func:`resnet`, compares plain and
residual networks of growing depth (the degradation problem) with
:func:`cifar_plain_net` and :func:`cifar_resnet`, and measures their gradient
norms per layer; lecture 12 profiles and scales the training of ResNet-18.
One generic builder, after Keras Applications' ``resnet.py``, serves the four
public ones: the stem, stages of :func:`residual_block` or
:func:`bottleneck_block`, and the shared classification head.

Used in lectures 06 and 12.
"""

from __future__ import annotations

import functools

import keras

from course import _validate
from course.layers import ChannelPadding
from course.models import _common

#: Blocks per stage (conv2_x ... conv5_x) and the block kind, He et al. Table 1.
STAGES = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
#: Filters of the 3x3 convolutions of conv2_x ... conv5_x (bottlenecks output 4x).
WIDTHS = (64, 128, 256, 512)
#: Output channels of a bottleneck block per 3x3 filter.
EXPANSION = 4
SHORTCUTS = ("A", "B", "C")
STEMS = _common.STEMS
#: Smallest input side per stem: the total downsampling of the network, so that
#: every stride-2 layer still halves a real map (the last one ends at 1x1).
MIN_SIZE = {"imagenet": 32, "cifar": 8}
#: The CIFAR-10 networks of He et al., section 4.2 and Table 6: 6n + 2 layers.
CIFAR_DEPTHS = (20, 32, 44, 56, 110)
CIFAR_WIDTHS = (16, 32, 64)


def _shortcut(x, channels, stride, shortcut, name):
    """The shortcut branch of a block: identity, option A, or a projection."""
    in_channels = x.shape[-1]
    changes = stride != 1 or in_channels != channels
    if shortcut == "C" or (shortcut == "B" and changes):
        # W_s x: a 1x1 convolution (with the stride) and batch norm.
        x = keras.layers.Conv2D(
            channels, 1, strides=stride, use_bias=False, name=f"{name}_0_conv"
        )(x)
        return keras.layers.BatchNormalization(name=f"{name}_0_bn")(x)
    if shortcut == "A" and changes:
        # Identity with zero entries padded for the new channels: parameter-free.
        if stride != 1:  # A 1x1 "pooling" with stride s keeps every s-th pixel.
            x = keras.layers.MaxPooling2D(1, strides=stride, name=f"{name}_0_pool")(x)
        if channels > in_channels:
            x = ChannelPadding(channels - in_channels, name=f"{name}_0_pad")(x)
    return x


def _check_block_args(filters, stride, shortcut, skip, activation="relu"):
    """Checks the arguments both blocks share; returns filters and stride."""
    _common.activation("activation", activation, names_only=True)
    filters = _validate.positive_int("filters", filters)
    stride = _validate.positive_int("stride", stride)
    _validate.choice("shortcut", shortcut, SHORTCUTS)
    _validate.boolean("skip", skip)
    return filters, stride


def _conv_bn(x, filters, kernel, name, stride=1, activation=None):
    """Convolution without bias, batch norm, and the activation if given."""
    padding = "same" if kernel > 1 else "valid"
    x = keras.layers.Conv2D(
        filters,
        kernel,
        strides=stride,
        padding=padding,
        use_bias=False,  # batch norm's beta plays the bias' role
        name=f"{name}_conv",
    )(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    if activation is None:
        return x
    # The layer keeps its historical name "_relu" whatever the activation, so
    # that lookups by name work across the activations compared in lecture 06.
    return keras.layers.Activation(activation, name=f"{name}_relu")(x)


def _merge(x, residual, skip, name, activation="relu"):
    """The block's end: ``activation(F(x) + shortcut(x))``, or without the sum."""
    if skip:
        x = keras.layers.Add(name=f"{name}_add")([residual, x])
    return keras.layers.Activation(activation, name=f"{name}_out")(x)


def residual_block(
    x, filters, stride=1, shortcut="B", skip=True, name="block", activation="relu"
):
    """The basic residual block of ResNet-18/34: two 3x3 convolutions.

    He, Zhang, Ren & Sun, "Deep residual learning for image recognition" (CVPR
    2016), Figure 2 and Figure 5 (left)::

        y = relu(F(x) + shortcut(x)),
        F = conv3x3(stride) - BN - relu - conv3x3 - BN

    Batch norm follows every convolution (the paper's section 3.4), so the
    convolutions have no bias.

    Args:
        x: input tensor, ``(batch, height, width, channels)``.
        filters: output channels of both convolutions.
        stride: stride of the first convolution (2 halves the map).
        shortcut: ``"A"`` zero-padded identity when the shape changes
            (parameter-free), ``"B"`` a 1x1 projection only when the shape
            changes, ``"C"`` a projection in every block.
        skip: False drops the shortcut: a block of the paper's *plain* nets.
        name: prefix of the layer names (``{name}_1_conv``, ``{name}_2_bn``,
            ``{name}_0_conv`` for a projection, ``{name}_add``, ``{name}_out``).
        activation: the nonlinearity after the first batch norm and after the
            addition; the paper's is ``"relu"``; ``"sigmoid"`` or ``"tanh"`` show
            how saturating units make deep plain nets worse.

    Returns:
        Tensor ``(batch, ceil(height / stride), ceil(width / stride), filters)``.
    """
    filters, stride = _check_block_args(filters, stride, shortcut, skip, activation)
    residual = _shortcut(x, filters, stride, shortcut, name) if skip else None
    y = _conv_bn(x, filters, 3, f"{name}_1", stride, activation)
    y = _conv_bn(y, filters, 3, f"{name}_2")
    return _merge(y, residual, skip, name, activation)


def bottleneck_block(x, filters, stride=1, shortcut="B", skip=True, name="block"):
    """The bottleneck block of ResNet-50/101/152: 1x1, 3x3, 1x1 convolutions.

    He et al. (CVPR 2016), Figure 5 (right): a 1x1 convolution reduces the
    channels to ``filters``, a 3x3 convolution works at that width, and a 1x1
    convolution restores ``4 * filters`` channels::

        y = relu(F(x) + shortcut(x)),
        F = conv1x1(stride) - BN - relu - conv3x3 - BN - relu - conv1x1 - BN

    The stride sits on the FIRST 1x1 convolution, as in the paper ("conv3_1,
    conv4_1, and conv5_1 with a stride of 2"). torchvision's ResNets (and the
    "ResNet v1.5" of NVIDIA's recipes) put it on the 3x3 convolution instead,
    which costs more multiply-adds (ResNet-50: 4.1 instead of 3.9 billion) and
    is slightly more accurate; the parameters are the same.

    Args:
        x: input tensor, ``(batch, height, width, channels)``.
        filters: channels of the 1x1-reduce and 3x3 convolutions; the block
            outputs ``4 * filters``.
        stride: stride of the first 1x1 convolution.
        shortcut: ``"A"``, ``"B"`` or ``"C"``, as in :func:`residual_block`.
        skip: False drops the shortcut (a plain block).
        name: prefix of the layer names (``{name}_1_conv`` ... ``{name}_3_bn``,
            ``{name}_0_conv``, ``{name}_add``, ``{name}_out``).

    Returns:
        Tensor ``(batch, ceil(height / stride), ceil(width / stride),
        4 * filters)``.
    """
    filters, stride = _check_block_args(filters, stride, shortcut, skip)
    out = EXPANSION * filters
    residual = _shortcut(x, out, stride, shortcut, name) if skip else None
    y = _conv_bn(x, filters, 1, f"{name}_1", stride, "relu")
    y = _conv_bn(y, filters, 3, f"{name}_2", activation="relu")
    y = _conv_bn(y, out, 1, f"{name}_3")
    return _merge(y, residual, skip, name)


def _stack(x, block, filters, blocks, stride, shortcut, skip, name):
    """``blocks`` blocks ``{name}_block{i}``; the first has the ``stride``."""
    for index in range(1, blocks + 1):
        block_stride = stride if index == 1 else 1
        x = block(x, filters, block_stride, shortcut, skip, f"{name}_block{index}")
    return x


def _build(top, stem, width, stages, block, shortcut, skip, name, activation="relu"):
    """The generic residual (or plain) network, Keras Applications' ``ResNet``.

    Args:
        top: the checked shared arguments (:func:`course.models._common.check_top`).
        stem: ``"imagenet"`` or ``"cifar"``.
        width: filters of ``conv1``.
        stages: ``(filters, blocks)`` of the stages ``conv2`` ...; every stage
            but the first halves the map in its first block.
        block: the block function, :func:`residual_block` or
            :func:`bottleneck_block`.
        shortcut: ``"A"``, ``"B"`` or ``"C"``.
        skip: False builds the plain network.
        name: model name.
        activation: the stem's nonlinearity.
    """
    inputs = top.inputs()
    x = _common.stem(inputs, width, stem, activation)
    for stage, (filters, blocks) in enumerate(stages, start=2):
        stride = 1 if stage == 2 else 2
        x = _stack(x, block, filters, blocks, stride, shortcut, skip, f"conv{stage}")
    return keras.Model(inputs, top.head(x, pooling="avg"), name=name)


def _table_net(depth, shortcut, stem, skip, top, name):
    """:func:`resnet` or :func:`plain_net` of a depth of :data:`STAGES`."""
    _validate.choice("depth", depth, tuple(STAGES))
    _validate.choice("shortcut", shortcut, SHORTCUTS)
    _validate.choice("stem", stem, STEMS)
    why = f"the {stem!r} stem and the stages downsample by {MIN_SIZE[stem]}"
    top.require_size(MIN_SIZE[stem], why, stem)
    kind, blocks = STAGES[depth]
    block = residual_block if kind == "basic" else bottleneck_block
    stages = zip(WIDTHS, blocks, strict=True)
    return _build(top, stem, 64, stages, block, shortcut, skip, name)


def resnet(
    depth=50,
    shortcut="B",
    stem="imagenet",
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    classifier_activation="softmax",
    name=None,
):
    """ResNet-18/34/50/101/152, the configurations of He et al.'s Table 1.

    He, Zhang, Ren & Sun, "Deep residual learning for image recognition" (CVPR
    2016; arXiv:1512.03385). One builder for the whole family, driven by
    :data:`STAGES`: ``conv1`` (7x7, 64, stride 2), a 3x3 max pool (stride 2),
    four stages ``conv2_x`` ... ``conv5_x`` of :func:`residual_block` (18, 34)
    or :func:`bottleneck_block` (50, 101, 152) with 64, 128, 256, 512 filters,
    the first block of conv3_x ... conv5_x halving the map, then global average
    pooling and a 1000-way softmax. Batch norm follows every convolution;
    convolutions have no bias.

    At 224x224x3 with 1000 classes the learnable parameters (``trainable_weights``,
    i.e. without batch norm's moving statistics, which ``count_params()``
    includes) are torchvision's: 11,689,512 / 21,797,672 / 25,557,032 /
    44,549,160 / 60,192,808 with shortcut ``"B"``.

    Args:
        depth: 18, 34, 50, 101 or 152.
        shortcut: how a block's input joins its output (section 3.3 and Table 3):
            ``"A"`` identity, zero-padding the new channels (and subsampling)
            where the shape changes, no parameters; ``"B"`` (the default, used
            for the paper's ResNet-50/101/152) a 1x1 projection only where the
            shape changes; ``"C"`` projections in every block.
        stem: ``"imagenet"``, the paper's ``conv1`` + max pool (downsampling by
            4); or ``"cifar"`` for small images: ``conv1`` becomes 3x3, 64,
            stride 1 and the max pool is dropped (layers ``conv1_pad``,
            ``pool1_pad`` and ``pool1_pool`` disappear), so a 32x32 image
            enters conv2_x at 32x32 and ends at 4x4. The paper's own CIFAR-10
            ResNets (20 ... 110 layers, 16/32/64 filters) are a different family.
        input_shape: ``(height, width, channels)``, at least 32x32 (imagenet
            stem) or 8x8 (cifar stem).
        num_classes: number of classes.
        include_top: whether to end with ``avg_pool`` and ``predictions``;
            False returns the conv5_x feature map.
        classifier_activation: activation of ``predictions`` (None for logits).
        name: model name, ``"resnet{depth}"`` by default.

    Returns:
        A Functional ``keras.Model``, ``(batch, *input_shape)`` to
        ``(batch, num_classes)``; layers are named as in Keras Applications
        (``conv1_conv``, ``conv2_block1_1_conv``, ``conv2_block1_0_conv``,
        ``conv2_block1_add``, ``conv5_block3_out``, ``avg_pool``, ``predictions``).

    Raises:
        ValueError: for an unknown depth, shortcut or stem, ``num_classes`` < 1,
            or an input smaller than the stem's minimum (the message says it).
        TypeError: for arguments of the wrong type.
    """
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    name = f"resnet{depth}" if name is None else name
    return _table_net(depth, shortcut, stem, True, top, name)


def plain_net(
    depth=34,
    stem="imagenet",
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    classifier_activation="softmax",
    name=None,
):
    """The paper's plain network: :func:`resnet` without the shortcuts.

    He et al. (CVPR 2016), section 4.1 and Figure 3 (middle): the same layers
    as the residual network of the same depth, the blocks ending in a ReLU
    without an addition. The paper compares plain-18 and plain-34 with
    ResNet-18/34 (Figure 4: the deeper plain net has the higher training
    error, the degradation problem); 50, 101 and 152 give plain bottleneck nets.
    It has exactly the parameters of shortcut option ``"A"``.

    Args:
        depth: 18, 34, 50, 101 or 152.
        stem: ``"imagenet"`` or ``"cifar"``, as in :func:`resnet`.
        input_shape: ``(height, width, channels)``.
        num_classes: number of classes.
        include_top: whether to end with ``avg_pool`` and ``predictions``.
        classifier_activation: activation of ``predictions``.
        name: model name, ``"plain{depth}"`` by default.

    Returns:
        A Functional ``keras.Model``; layer names as in :func:`resnet`, with no
        ``_add`` or ``_0_`` layers.
    """
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    name = f"plain{depth}" if name is None else name
    return _table_net(depth, "A", stem, False, top, name)


def _cifar_net(depth, shortcut, skip, width, activation, top, name):
    """:func:`cifar_resnet` or :func:`cifar_plain_net`: 6n + 2 layers."""
    depth = _validate.positive_int("depth", depth, minimum=8)
    if (depth - 2) % 6:
        raise _validate.error("depth", depth, "to be 6n + 2 (e.g. 20, 32, 44, 56, 110)")
    _validate.choice("shortcut", shortcut, SHORTCUTS)
    width = _validate.positive_int("width", width)
    _check_block_args(width, 1, shortcut, skip, activation)
    top.require_size(4, "the two stride-2 stages halve the map twice")
    stages = [(factor * width, (depth - 2) // 6) for factor in (1, 2, 4)]
    block = functools.partial(residual_block, activation=activation)
    return _build(top, "cifar", width, stages, block, shortcut, skip, name, activation)


def cifar_resnet(
    depth=20,
    shortcut="A",
    width=16,
    activation="relu",
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    classifier_activation="softmax",
    name=None,
):
    """The ResNets He et al. trained on CIFAR-10: 6n + 2 layers, 16-32-64 filters.

    He, Zhang, Ren & Sun, "Deep residual learning for image recognition" (CVPR
    2016), section 4.2: a 3x3 convolution with 16 filters on the 32x32 image,
    then three stages of ``n`` :func:`residual_block` (``2n`` 3x3 convolutions
    each) with 16, 32 and 64 filters on 32x32, 16x16 and 8x8 maps (the first
    block of stages 2 and 3 has stride 2), global average pooling and a 10-way
    softmax: ``6n + 2`` weighted layers. The paper uses option A shortcuts
    (zero padding) throughout, so this network has exactly the parameters of
    :func:`cifar_plain_net`: 0.27M / 0.46M / 0.66M / 0.85M / 1.7M for depth
    20 / 32 / 44 / 56 / 110 (Table 6). These small, deep networks are the ones
    to use for the degradation experiment on a CPU.

    Args:
        depth: ``6n + 2`` layers, ``n >= 1`` (the paper: 20, 32, 44, 56, 110,
            1202).
        shortcut: ``"A"`` (the paper's choice here), ``"B"`` or ``"C"``.
        width: filters of the first stage (16 in the paper); the stages have
            ``width``, ``2 * width`` and ``4 * width``.
        activation: the blocks' nonlinearity (the paper: ``"relu"``).
        input_shape: ``(height, width, channels)``, at least 4x4.
        num_classes: number of classes.
        include_top: whether to end with ``avg_pool`` and ``predictions``.
        classifier_activation: activation of ``predictions`` (None for logits).
        name: model name, ``"cifar_resnet{depth}"`` by default.

    Returns:
        A Functional ``keras.Model`` with layers named as in :func:`resnet`
        (``conv1_conv``, ``conv2_block1_1_conv`` ... ``conv4_block{n}_out``).

    Raises:
        ValueError: for a depth that is not ``6n + 2``, an unknown shortcut or
            activation, or an input smaller than 4x4.
        TypeError: for arguments of the wrong type.
    """
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    name = f"cifar_resnet{depth}" if name is None else name
    return _cifar_net(depth, shortcut, True, width, activation, top, name)


def cifar_plain_net(
    depth=20,
    width=16,
    activation="relu",
    input_shape=(32, 32, 3),
    num_classes=10,
    include_top=True,
    classifier_activation="softmax",
    name=None,
):
    """:func:`cifar_resnet` without its shortcuts: the paper's plain CIFAR nets.

    He et al. (CVPR 2016), section 4.2 and Figure 6 (left): on CIFAR-10 the
    plain nets of 20, 32, 44 and 56 layers train to *higher* training error the
    deeper they are (the degradation problem), while the residual nets of the
    same depth train to lower error the deeper they are.

    Args:
        depth: ``6n + 2`` layers, ``n >= 1``.
        width: filters of the first stage (16 in the paper).
        activation: the nonlinearity after every batch norm (``"relu"``).
        input_shape: ``(height, width, channels)``, at least 4x4.
        num_classes: number of classes.
        include_top: whether to end with ``avg_pool`` and ``predictions``.
        classifier_activation: activation of ``predictions``.
        name: model name, ``"cifar_plain{depth}"`` by default.

    Returns:
        A Functional ``keras.Model``; layer names as in :func:`cifar_resnet`,
        with no ``_add`` or ``_0_`` layers.
    """
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    name = f"cifar_plain{depth}" if name is None else name
    return _cifar_net(depth, "A", False, width, activation, top, name)
