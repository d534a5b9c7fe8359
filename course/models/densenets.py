"""DenseNet-BC (lecture 06).

Lecture 06 counts the parameters of :func:`densenet` against torchvision's and
shows dense connectivity with :func:`dense_block`: every layer sees the
concatenated maps of all layers before it. The stem is ResNet's (the shared
:func:`course.models._common.stem`), as in Huang et al.'s Table 1.

Used in lecture 06.
"""

from __future__ import annotations

import keras

from course import _validate
from course.models import _common

#: Layers per dense block of the ImageNet DenseNet-BCs, Huang et al. Table 1.
BLOCKS = {
    121: (6, 12, 24, 16),
    169: (6, 12, 32, 32),
    201: (6, 12, 48, 32),
}
#: DenseNet-BC's compression: a transition keeps half of its input channels.
COMPRESSION = 0.5
#: DenseNet-B's bottleneck: each 1x1 convolution produces 4k feature maps.
BOTTLENECK_WIDTH = 4
STEMS = _common.STEMS
#: Total downsampling per stem (stem, then three transitions).
MIN_SIZE = {"imagenet": 32, "cifar": 8}


def dense_layer(x, growth_rate, name):
    """One layer of a dense block: BN-ReLU-Conv(1x1, 4k)-BN-ReLU-Conv(3x3, k).

    Huang, Liu, van der Maaten & Weinberger (CVPR 2017), section 3,
    "Bottleneck layers": the 1x1 convolution cuts the growing input to ``4k``
    maps before the 3x3 convolution adds ``k`` new ones, which are concatenated
    to the input (the layer's "collective knowledge").

    Args:
        x: input tensor ``(batch, height, width, channels)``.
        growth_rate: ``k``, the new feature maps.
        name: prefix: ``{name}_0_bn``, ``{name}_0_relu``, ``{name}_1_conv``,
            ``{name}_1_bn``, ``{name}_1_relu``, ``{name}_2_conv``,
            ``{name}_concat``.

    Returns:
        Tensor ``(batch, height, width, channels + growth_rate)``.
    """
    growth_rate = _validate.positive_int("growth_rate", growth_rate)
    y = keras.layers.BatchNormalization(name=f"{name}_0_bn")(x)
    y = keras.layers.Activation("relu", name=f"{name}_0_relu")(y)
    y = keras.layers.Conv2D(
        BOTTLENECK_WIDTH * growth_rate, 1, use_bias=False, name=f"{name}_1_conv"
    )(y)
    y = keras.layers.BatchNormalization(name=f"{name}_1_bn")(y)
    y = keras.layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = keras.layers.Conv2D(
        growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv"
    )(y)
    return keras.layers.Concatenate(name=f"{name}_concat")([x, y])


def dense_block(x, num_layers, growth_rate, name):
    """``num_layers`` :func:`dense_layer` s, each seeing all maps before it.

    Huang et al. (CVPR 2017), equation 2: ``x_l = H_l([x_0, x_1, ..., x_{l-1}])``,
    the concatenation (not the sum, as in ResNets) of all preceding outputs.

    Args:
        x: input tensor with ``c`` channels.
        num_layers: number of layers.
        growth_rate: ``k``.
        name: prefix; layer ``i`` is named ``{name}_block{i}``.

    Returns:
        Tensor with ``c + num_layers * growth_rate`` channels, same size.
    """
    num_layers = _validate.positive_int("num_layers", num_layers)
    for index in range(1, num_layers + 1):
        x = dense_layer(x, growth_rate, f"{name}_block{index}")
    return x


def transition_block(x, compression, name):
    """BN-ReLU-Conv(1x1) to ``floor(compression * c)`` channels, 2x2 avg pool.

    Huang et al. (CVPR 2017), section 3, "Transition layers" and "Compression"
    (DenseNet-BC: ``compression = 0.5``).

    Args:
        x: input tensor with ``c`` channels.
        compression: ``theta`` in (0, 1].
        name: prefix: ``{name}_bn``, ``{name}_relu``, ``{name}_conv``,
            ``{name}_pool``.

    Returns:
        Tensor ``(batch, height // 2, width // 2, floor(compression * c))``.
    """
    compression = _validate.fraction("compression", compression, inclusive_one=True)
    if compression == 0:
        raise _validate.error("compression", compression, "to be in (0, 1]")
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.Activation("relu", name=f"{name}_relu")(x)
    channels = int(x.shape[-1] * compression)
    x = keras.layers.Conv2D(channels, 1, use_bias=False, name=f"{name}_conv")(x)
    return keras.layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def densenet(
    depth=121,
    growth_rate=32,
    stem="imagenet",
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    classifier_activation="softmax",
    name=None,
):
    """DenseNet-BC-121/169/201, the ImageNet networks of Huang et al.'s Table 1.

    Huang, Liu, van der Maaten & Weinberger, "Densely connected convolutional
    networks" (CVPR 2017; arXiv:1608.06993): a 7x7/2 convolution with ``2k``
    filters and a 3x3/2 max pool, four :func:`dense_block` s with the sizes of
    :data:`BLOCKS` separated by three :func:`transition_block` s (compression
    0.5), a final BN-ReLU, global average pooling and the classifier. Every
    convolution is preceded by BN-ReLU and has no bias.

    At 224x224x3 and 1000 classes (k = 32) the learnable parameters
    (``trainable_weights``, without batch norm's moving statistics) are
    torchvision's: 7,978,856 / 14,149,480 / 20,013,928.

    Args:
        depth: 121, 169 or 201.
        growth_rate: ``k``, the feature maps each dense layer adds.
        stem: ``"imagenet"`` or ``"cifar"``, after the paper's CIFAR networks:
            ``conv1_conv`` becomes a 3x3 stride-1 convolution (still ``2k``
            filters) and ``conv1_pad``, ``pool1_pad`` and ``pool1_pool`` are
            dropped, so a 32x32 image enters the first block at 32x32 and ends
            at 4x4.
        input_shape: ``(height, width, channels)``, at least 32x32 (imagenet
            stem) or 8x8 (cifar stem).
        num_classes: number of classes.
        include_top: whether to end with ``avg_pool`` and ``predictions``;
            False returns the final ``relu`` map.
        classifier_activation: activation of ``predictions``.
        name: model name, ``"densenet{depth}"`` by default.

    Returns:
        A Functional ``keras.Model`` with layers named as in Keras Applications
        (``conv1_conv``, ``conv2_block1_1_conv``, ``conv2_block1_concat``,
        ``pool2_conv``, ``bn``, ``relu``, ``avg_pool``, ``predictions``).

    Raises:
        ValueError: for an unknown depth or stem, ``growth_rate`` or
            ``num_classes`` < 1, or too small an input.
    """
    _validate.choice("depth", depth, tuple(BLOCKS))
    growth_rate = _validate.positive_int("growth_rate", growth_rate)
    _validate.choice("stem", stem, STEMS)
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    factor = MIN_SIZE[stem]
    top.require_size(factor, f"the network downsamples by {factor}", stem)

    inputs = top.inputs()
    x = _common.stem(inputs, 2 * growth_rate, stem)
    blocks = BLOCKS[depth]
    for index, size in enumerate(blocks, start=2):
        x = dense_block(x, size, growth_rate, f"conv{index}")
        if index < len(blocks) + 1:
            x = transition_block(x, COMPRESSION, f"pool{index}")
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Activation("relu", name="relu")(x)
    x = top.head(x, pooling="avg")
    return keras.Model(inputs, x, name=f"densenet{depth}" if name is None else name)
