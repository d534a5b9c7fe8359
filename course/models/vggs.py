"""VGG networks, configurations A, B, D and E, and a small VGG (lectures 05, 07, 11).

Lecture 05 counts the parameters of :func:`vgg` (the "138 million" of VGG-16)
and trains a narrow one on CIFAR-10. :func:`small_vgg`, the same design rules at
laptop size with batch norm, is the network of lecture 07 (augmentation and
transfer learning) and lecture 11 (saliency maps). Both are stacks of
:func:`vgg_block`.

Used in lectures 05, 07, 11 and 13.
"""

from __future__ import annotations

import keras

from course import _validate
from course.models import _common

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
    batch_norm = _validate.boolean("batch_norm", batch_norm)
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


def _build(top, blocks, name, batch_norm, momentum=0.99, augmentation=None, **head):
    """The generic VGG: ``blocks`` of (filters, convolutions), then the head.

    Args:
        top: the checked shared arguments (:func:`course.models._common.check_top`).
        blocks: ``(filters, convolutions)`` of each :func:`vgg_block`.
        name: model name.
        batch_norm: batch norm after every convolution.
        momentum: its momentum (Keras' default 0.99 for :func:`vgg`).
        augmentation: a model applied to the inputs first, or ``None``.
        **head: options of the head (:func:`course.models._common.classifier`).
    """
    inputs = top.inputs()
    x = augmentation(inputs) if augmentation is not None else inputs
    for index, (filters, count) in enumerate(blocks, start=1):
        x = vgg_block(x, filters, count, batch_norm, f"block{index}", momentum)
    return keras.Model(inputs, top.head(x, **head), name=name)


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
    batch_norm = _validate.boolean("batch_norm", batch_norm)
    widths = _common.positive_ints(
        "widths", widths, "to be 5 positive integers (block1 ... block5)", length=5
    )
    fc_units = _validate.positive_int("fc_units", fc_units)
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    top.require_size(MIN_SIZE, "five 2x2 max poolings")
    if name is None:
        name = f"vgg{depth}_bn" if batch_norm else f"vgg{depth}"
    blocks = zip(widths, CONFIGURATIONS[depth], strict=True)
    # fc1 and fc2 with dropout 0.5 after each (Simonyan & Zisserman, section 3.1).
    return _build(
        top,
        blocks,
        name,
        batch_norm,
        pooling="flatten",
        hidden=("fc1", "fc2"),
        hidden_units=fc_units,
        dropout=0.5,
    )


def _check_augmentation(augmentation, input_shape):
    """Checks that ``augmentation`` is ``None`` or a model keeping ``input_shape``."""
    if augmentation is None:
        return None
    if not isinstance(augmentation, keras.Model):
        raise _validate.error(
            "augmentation", augmentation, "to be a keras.Model or None", TypeError
        )
    shapes = (augmentation.input_shape[1:], augmentation.output_shape[1:])
    if any(tuple(shape) != input_shape for shape in shapes):
        raise _validate.error(
            "augmentation",
            augmentation.name,
            f"to map {input_shape} to {input_shape} (it has input shape "
            f"{shapes[0]} and output shape {shapes[1]})",
        )
    return augmentation


def small_vgg(
    input_shape=(28, 28, 1),
    num_classes=10,
    widths=(16, 32, 64),
    convs_per_block=2,
    include_top=True,
    augmentation=None,
    batch_norm_momentum=0.9,
    pooling="avg",
    dropout=0.0,
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
        pooling: how the top turns the last map into a vector: ``"avg"``
            (global average pooling: the classifier cannot tell where in the
            image a feature was) or ``"flatten"`` (every position has its own
            weights, as in VGG's dense layers: lecture 13's net can then read a
            mark's position, the shortcut it is meant to fall for).
        dropout: rate of a dropout layer between the pooling and the
            classifier (Srivastava et al., JMLR 2014), in [0, 1); 0 adds none.
            Lecture 13 tunes it and samples it at test time (Monte Carlo
            dropout).
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
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    widths = _validate.positive_ints("widths", widths)
    convs_per_block = _validate.positive_int("convs_per_block", convs_per_block)
    momentum = _validate.fraction("batch_norm_momentum", batch_norm_momentum)
    _validate.choice("pooling", pooling, ("avg", "flatten"))
    dropout = _validate.fraction("dropout", dropout)
    minimum = 2 ** len(widths)
    top.require_size(minimum, f"{len(widths)} 2x2 max poolings")
    augmentation = _check_augmentation(augmentation, top.input_shape)
    blocks = [(filters, convs_per_block) for filters in widths]
    head = {"pooling": pooling}
    if dropout:
        head.update(dropout=dropout, dropout_names=("dropout",))
    return _build(top, blocks, name, True, momentum, augmentation, **head)
