"""VGG networks, configurations A, B, D and E (lecture 05)."""

from __future__ import annotations

import keras

from course import _validate

#: Convolutions per block (block1 ... block5) of the configurations in Simonyan &
#: Zisserman's Table 1: A (11 weight layers), B (13), D (16) and E (19).
CONFIGURATIONS = {
    11: (1, 1, 2, 2, 2),  # A
    13: (2, 2, 2, 2, 2),  # B
    16: (2, 2, 3, 3, 3),  # D
    19: (2, 2, 4, 4, 4),  # E
}
#: Filters of every convolution in block1 ... block5 ("conv3-64" ... "conv3-512").
WIDTHS = (64, 128, 256, 512, 512)
#: Five 2x2 max pools halve the map five times: a 32x32 image ends at 1x1.
MIN_SIZE = 32


def vgg_block(x, filters, num_convs, batch_norm=False, name="block1", momentum=0.99):
    """``num_convs`` 3x3 convolutions (stride 1, "same") and a 2x2 max pool.

    Simonyan & Zisserman (ICLR 2015), section 2.1: "a stack of two 3x3 conv.
    layers (without spatial pooling in between) has an effective receptive field
    of 5x5; three such layers have a 7x7 effective receptive field", with fewer
    weights and more non-linearities than one large filter.

    Args:
        x: input tensor ``(batch, height, width, channels)``.
        filters: filters of every convolution.
        num_convs: number of convolutions.
        batch_norm: add batch norm between each convolution and its ReLU (not in
            the paper; the convolutions then have no bias).
        name: prefix: layers ``{name}_conv{i}`` (with ``{name}_bn{i}`` and
            ``{name}_relu{i}`` when ``batch_norm``) and ``{name}_pool``.
        momentum: momentum of the batch-norm moving statistics (Keras' default
            0.99 needs several hundred steps to settle; 0.9 suits short runs).

    Returns:
        Tensor ``(batch, height // 2, width // 2, filters)``.
    """
    filters = _validate.positive_int("filters", filters)
    num_convs = _validate.positive_int("num_convs", num_convs)
    for i in range(1, num_convs + 1):
        x = keras.layers.Conv2D(
            filters,
            3,
            padding="same",
            activation=None if batch_norm else "relu",
            use_bias=not batch_norm,  # batch norm's beta plays the bias' role
            name=f"{name}_conv{i}",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(
                momentum=momentum, name=f"{name}_bn{i}"
            )(x)
            x = keras.layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return keras.layers.MaxPooling2D(2, strides=2, name=f"{name}_pool")(x)


def vgg(
    depth=16,
    batch_norm=False,
    widths=WIDTHS,
    fc_units=4096,
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    classifier_activation="softmax",
    name=None,
):
    """VGG-11/13/16/19: configurations A, B, D and E.

    Simonyan & Zisserman, "Very deep convolutional networks for large-scale
    image recognition" (ICLR 2015; arXiv:1409.1556), Table 1: five
    :func:`vgg_block` s of 3x3 convolutions (64, 128, 256, 512, 512 filters,
    counts from :data:`CONFIGURATIONS`), each ending in a 2x2 max pool, then
    FC-4096, FC-4096 (ReLU, dropout 0.5, section 3.1) and the classifier. The
    configurations with 1x1 convolutions (C) and LRN (A-LRN) are not built.

    At 224x224x3 and 1000 classes the parameters are torchvision's:
    132,863,336 / 133,047,848 / 138,357,544 / 143,667,240 (the "138 million"
    of VGG-16); ``fc1`` alone holds 102,764,544 of them.

    Args:
        depth: 11, 13, 16 or 19 weight layers.
        batch_norm: batch norm after every convolution (torchvision's
            ``vgg16_bn``; it keeps the convolution biases, which this builder
            drops as redundant).
        widths: filters of the convolutions of block1 ... block5 (the paper:
            :data:`WIDTHS`, 64 ... 512); narrower widths scale VGG down.
        fc_units: units of ``fc1`` and ``fc2`` (the paper: 4096).
        input_shape: ``(height, width, channels)``, at least 32x32 (five 2x2
            poolings). Small images need no other change: ``fc1`` then sees
            ``(h // 32) * (w // 32) * 512`` inputs instead of 7 * 7 * 512.
        num_classes: number of classes.
        include_top: whether to end with ``flatten``, ``fc1``, ``fc2`` and
            ``predictions``; False returns the ``block5_pool`` map.
        classifier_activation: activation of ``predictions`` (None for logits).
        name: model name, ``"vgg{depth}"`` (``"vgg{depth}_bn"``) by default.

    Returns:
        A Functional ``keras.Model`` with layers named as in Keras Applications
        (``block1_conv1`` ... ``block5_pool``, ``flatten``, ``fc1``,
        ``fc1_dropout``, ``fc2``, ``fc2_dropout``, ``predictions``).

    Raises:
        ValueError: for an unknown depth, ``num_classes`` < 1 or an input
            smaller than 32x32.
        TypeError: for arguments of the wrong type.
    """
    _validate.choice("depth", depth, tuple(CONFIGURATIONS))
    if not isinstance(batch_norm, bool):
        raise TypeError(
            f"Expected batch_norm to be a bool. Received: batch_norm={batch_norm!r}"
        )
    if (
        isinstance(widths, str)
        or not hasattr(widths, "__len__")
        or len(widths) != 5
        or not all(_validate._is_int(w) and w > 0 for w in widths)
    ):
        raise ValueError(
            "Expected widths to be 5 positive integers (block1 ... block5). "
            f"Received: widths={widths!r}"
        )
    fc_units = _validate.positive_int("fc_units", fc_units)
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    num_classes = _validate.positive_int("num_classes", num_classes)
    if not isinstance(include_top, bool):
        raise TypeError(
            f"Expected include_top to be a bool. Received: include_top={include_top!r}"
        )
    if min(input_shape[:2]) < MIN_SIZE:
        raise ValueError(
            f"Expected input_shape of at least {MIN_SIZE}x{MIN_SIZE} (five 2x2 max "
            f"poolings). Received: input_shape={input_shape!r}"
        )
    if name is None:
        name = f"vgg{depth}_bn" if batch_norm else f"vgg{depth}"

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    for block, (filters, count) in enumerate(
        zip(widths, CONFIGURATIONS[depth], strict=True), start=1
    ):
        x = vgg_block(x, filters, count, batch_norm, f"block{block}")
    if include_top:
        x = keras.layers.Flatten(name="flatten")(x)
        for fc in ("fc1", "fc2"):
            x = keras.layers.Dense(fc_units, activation="relu", name=fc)(x)
            x = keras.layers.Dropout(0.5, name=f"{fc}_dropout")(x)
        x = keras.layers.Dense(
            num_classes, activation=classifier_activation, name="predictions"
        )(x)
    return keras.Model(inputs, x, name=name)


def small_vgg(
    input_shape=(28, 28, 1),
    num_classes=10,
    widths=(16, 32, 64),
    convs_per_block=2,
    include_top=True,
    augmentation=None,
    batch_norm_momentum=0.9,
    classifier_activation="softmax",
    name="small_vgg",
):
    """A VGG-style network scaled down for small images, with batch norm.

    The design rules of Simonyan & Zisserman (ICLR 2015) - stacks of 3x3
    convolutions, a 2x2 max pool after each stack, width doubling from block to
    block - at a size that trains in seconds on a laptop CPU. Batch norm (Ioffe &
    Szegedy, 2015) follows every convolution, which makes it a realistic base for
    transfer learning, where batch-norm statistics are the classic pitfall.

    Layers: ``inputs``, the ``augmentation`` model if given, then per block ``i``
    ``block{i}_conv{j}``, ``block{i}_bn{j}``, ``block{i}_relu{j}`` and
    ``block{i}_pool``; with ``include_top``, ``avg_pool`` (global average pooling)
    and ``predictions``.

    Args:
        input_shape: ``(height, width, channels)``, each side at least
            ``2 ** len(widths)`` (one halving per block).
        num_classes: number of classes (used with ``include_top``).
        widths: filters of the convolutions of each block.
        convs_per_block: 3x3 convolutions per block.
        include_top: add global average pooling and the classifier. Without it
            the model ends at the last ``block{i}_pool``, which is what
            :func:`course.transfer.feature_extractor` builds a head on.
        augmentation: optional ``keras.Model`` applied to the inputs first
            (e.g. from :mod:`course.augment`); it must keep the input shape.
            Augmentation layers are random in training and the identity at
            inference.
        batch_norm_momentum: momentum of the moving statistics, in [0, 1). The
            default 0.9 (rather than Keras' 0.99) lets them settle within the
            hundred or so steps of a short run on a small training set, so the
            model is as good in inference mode as in training.
        classifier_activation: activation of ``predictions`` (``None`` for logits).
        name: model name.

    Returns:
        A Functional ``keras.Model``: ``(batch, *input_shape)`` to
        ``(batch, num_classes)``, or to the last pool's feature map without the
        top.

    Raises:
        ValueError: for an input smaller than ``2 ** len(widths)``, empty or
            non-positive widths, or an augmentation that changes the shape.
        TypeError: for arguments of the wrong type.
    """
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    num_classes = _validate.positive_int("num_classes", num_classes)
    widths = _validate.positive_ints("widths", widths)
    convs_per_block = _validate.positive_int("convs_per_block", convs_per_block)
    batch_norm_momentum = _validate.fraction("batch_norm_momentum", batch_norm_momentum)
    if not isinstance(include_top, bool):
        raise TypeError(
            f"Expected include_top to be a bool. Received: include_top={include_top!r}"
        )
    minimum = 2 ** len(widths)
    if min(input_shape[:2]) < minimum:
        raise ValueError(
            f"Expected input_shape of at least {minimum}x{minimum} ({len(widths)} "
            f"2x2 max poolings). Received: input_shape={input_shape!r}"
        )
    if augmentation is not None:
        if not isinstance(augmentation, keras.Model):
            raise TypeError(
                "Expected augmentation to be a keras.Model or None. "
                f"Received: augmentation={augmentation!r}"
            )
        if (
            tuple(augmentation.input_shape[1:]) != input_shape
            or tuple(augmentation.output_shape[1:]) != input_shape
        ):
            raise ValueError(
                f"Expected augmentation to map {input_shape} to {input_shape}. "
                f"Received: augmentation={augmentation.name!r} with input shape "
                f"{augmentation.input_shape[1:]} and output shape "
                f"{augmentation.output_shape[1:]}"
            )

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = augmentation(inputs) if augmentation is not None else inputs
    for block, filters in enumerate(widths, start=1):
        x = vgg_block(
            x, filters, convs_per_block, True, f"block{block}", batch_norm_momentum
        )
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dense(
            num_classes, activation=classifier_activation, name="predictions"
        )(x)
    return keras.Model(inputs, x, name=name)
