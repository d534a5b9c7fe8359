"""AlexNet and ZFNet (lecture 05)."""

from __future__ import annotations

import keras

from course import _validate
from course.arithmetic import keras_output_size

#: Filters of conv1 ... conv5 in Krizhevsky et al. (2012), Figure 2 (both GPUs).
PAPER_FILTERS = (96, 256, 384, 384, 256)
#: torchvision's AlexNet, after Krizhevsky's "One weird trick for parallelizing
#: convolutional neural networks" (arXiv:1404.5997, 2014).
TORCHVISION_FILTERS = (64, 192, 384, 256, 256)
STEMS = ("imagenet", "cifar")

# (kernel, stride, padding, zeros added on both sides) of the spatial layers, to
# find the smallest input each network accepts.
_ALEXNET_TAIL = [(3, 2, "valid", 0), (5, 1, "same", 0), (3, 2, "valid", 0)]
_ALEXNET_TAIL += [(3, 1, "same", 0)] * 3 + [(3, 2, "valid", 0)]
_ALEXNET = {
    "imagenet": [(11, 4, "valid", 0)] + _ALEXNET_TAIL,
    "cifar": [(3, 1, "same", 0)] + _ALEXNET_TAIL,
}
_ZFNET_TAIL = [(3, 2, "same", 0), (5, 2, "valid", 0), (3, 2, "same", 0)]
_ZFNET_TAIL += [(3, 1, "same", 0)] * 3 + [(3, 2, "valid", 0)]
_ZFNET = {
    "imagenet": [(7, 2, "valid", 2)] + _ZFNET_TAIL,
    "cifar": [(3, 1, "same", 0)] + _ZFNET_TAIL,
}


def _smallest_size(layers) -> int:
    """The smallest input side that every layer of ``layers`` accepts."""
    for size in range(1, 4096):
        side = size
        try:
            for kernel, stride, padding, zeros in layers:
                side = keras_output_size(side + zeros, kernel, stride, padding)
        except ValueError:
            continue
        return size
    raise AssertionError("unreachable")  # pragma: no cover


def _check_common(input_shape, num_classes, include_top, stem, table, network):
    _validate.choice("stem", stem, STEMS)
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    num_classes = _validate.positive_int("num_classes", num_classes)
    if not isinstance(include_top, bool):
        raise TypeError(
            f"Expected include_top to be a bool. Received: include_top={include_top!r}"
        )
    minimum = _smallest_size(table[stem])
    if min(input_shape[:2]) < minimum:
        hint = "; stem='cifar' accepts smaller images" if stem == "imagenet" else ""
        raise ValueError(
            f"Expected input_shape of at least {minimum}x{minimum} for {network} "
            f"with stem={stem!r} (smaller maps vanish before pool5{hint}). "
            f"Received: input_shape={input_shape!r}"
        )
    return input_shape, num_classes


def _classifier(x, num_classes, classifier_activation, fc_units=4096):
    """FC-4096, FC-4096 (``fc_units``) with dropout 0.5 after each, the classifier."""
    x = keras.layers.Flatten(name="flatten")(x)
    for fc in ("fc6", "fc7"):
        x = keras.layers.Dense(fc_units, activation="relu", name=fc)(x)
        x = keras.layers.Dropout(0.5, name=f"{fc}_dropout")(x)
    return keras.layers.Dense(
        num_classes, activation=classifier_activation, name="predictions"
    )(x)


def alexnet(
    grouped=False,
    filters=PAPER_FILTERS,
    lrn=None,
    stem="imagenet",
    fc_units=4096,
    input_shape=(227, 227, 3),
    num_classes=1000,
    include_top=True,
    classifier_activation="softmax",
    name="alexnet",
):
    """AlexNet: five convolutions (ReLU), three max pools, three dense layers.

    Krizhevsky, Sutskever & Hinton, "ImageNet classification with deep
    convolutional neural networks" (NIPS 2012), section 3 and Figure 2:
    ``conv1`` 11x11/4 (valid, 227 -> 55), overlapping 3x3/2 max pools after
    conv1, conv2 and conv5, ``conv2`` 5x5 and ``conv3``-``conv5`` 3x3 ("same"),
    FC-4096, FC-4096 (dropout 0.5 after each, section 4.2) and the softmax.

    Parameters at 227x227x3, 1000 classes (the lecture's "60 million"):

    - ``filters=PAPER_FILTERS`` (96, 256, 384, 384, 256), ``grouped=True``: the
      paper's two-GPU network, 60,965,224;
    - the same widths in one stream (``grouped=False``, the default): 62,378,344;
    - ``filters=TORCHVISION_FILTERS`` (64, 192, 384, 256, 256): torchvision's
      single-stream "one weird trick" AlexNet, 61,100,840 (torchvision pads
      conv1 by 2 and feeds 224x224 images; at 227 without padding the sizes,
      55-27-13-6, and the count are the same).

    The builder follows the paper's widths by default. Of the 60,965,224
    weights, 58,631,144 sit in the three dense layers.

    Args:
        grouped: the paper's two-GPU layout: ``conv2``, ``conv4`` and ``conv5``
            see only the half of their input channels on "their" GPU
            (``Conv2D(groups=2)``); ``conv3`` and the dense layers see all.
            Every entry of ``filters`` must then be even.
        filters: filters of ``conv1`` ... ``conv5``.
        lrn: local response normalisation (``conv1_norm``, ``conv2_norm``,
            :class:`course.layers.LocalResponseNormalization` with the paper's
            k=2, n=5, alpha=1e-4, beta=0.75) after the ReLUs of conv1 and
            conv2, before pooling (section 3.5); ``None`` (default): the same
            as ``grouped``, so ``grouped=True`` is the paper's network.
        stem: ``"imagenet"`` (the paper's ``conv1``, 11x11 stride 4, needs at
            least 67x67 inputs) or ``"cifar"``: ``conv1`` becomes 3x3 stride 1
            "same", the rest is unchanged, so 32x32 images reach pool5 at 3x3
            (at least 15x15).
        fc_units: units of ``fc6`` and ``fc7`` (the paper: 4096); with
            ``filters`` this scales the whole network down, e.g. for CIFAR.
        input_shape: ``(height, width, channels)``; other sizes than 227 change
            the inputs of ``fc6`` (``flatten`` keeps the pool5 grid).
        num_classes: number of classes.
        include_top: whether to end with ``flatten``, ``fc6``, ``fc7`` and
            ``predictions``; False returns the ``pool5`` map.
        classifier_activation: activation of ``predictions`` (None for logits).
        name: model name.

    Returns:
        A Functional ``keras.Model`` with layers ``conv1`` (``conv1_norm``),
        ``pool1``, ``conv2`` (``conv2_norm``), ``pool2``, ``conv3``, ``conv4``,
        ``conv5``, ``pool5``, ``flatten``, ``fc6``, ``fc6_dropout``, ``fc7``,
        ``fc7_dropout``, ``predictions``.

    Raises:
        ValueError: for a bad stem, widths, ``num_classes`` < 1, odd widths with
            ``grouped=True``, or too small an input (the message says the
            smallest size).
        TypeError: for arguments of the wrong type.
    """
    from course.layers import LocalResponseNormalization

    if not isinstance(grouped, bool):
        raise TypeError(f"Expected grouped to be a bool. Received: grouped={grouped!r}")
    lrn = grouped if lrn is None else lrn
    if not isinstance(lrn, bool):
        raise TypeError(f"Expected lrn to be a bool or None. Received: lrn={lrn!r}")
    if (
        isinstance(filters, str)
        or not hasattr(filters, "__len__")
        or len(filters) != 5
        or not all(_validate._is_int(f) and f > 0 for f in filters)
    ):
        raise ValueError(
            "Expected filters to be 5 positive integers (conv1 ... conv5). "
            f"Received: filters={filters!r}"
        )
    if grouped and any(f % 2 for f in filters):
        raise ValueError(
            "Expected even filters with grouped=True (two groups of channels). "
            f"Received: filters={tuple(filters)!r}"
        )
    input_shape, num_classes = _check_common(
        input_shape, num_classes, include_top, stem, _ALEXNET, "AlexNet"
    )
    fc_units = _validate.positive_int("fc_units", fc_units)
    groups = 2 if grouped else 1
    conv = keras.layers.Conv2D

    inputs = keras.Input(shape=input_shape, name="inputs")
    if stem == "imagenet":
        x = conv(filters[0], 11, strides=4, activation="relu", name="conv1")(inputs)
    else:
        x = conv(filters[0], 3, padding="same", activation="relu", name="conv1")(inputs)
    if lrn:
        x = LocalResponseNormalization(name="conv1_norm")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = conv(
        filters[1], 5, padding="same", groups=groups, activation="relu", name="conv2"
    )(x)
    if lrn:
        x = LocalResponseNormalization(name="conv2_norm")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    # conv3 takes input from both GPUs, conv4 and conv5 from their own only.
    x = conv(filters[2], 3, padding="same", activation="relu", name="conv3")(x)
    for index in (4, 5):
        x = conv(
            filters[index - 1],
            3,
            padding="same",
            groups=groups,
            activation="relu",
            name=f"conv{index}",
        )(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    if include_top:
        x = _classifier(x, num_classes, classifier_activation, fc_units)
    return keras.Model(inputs, x, name=name)


def zfnet(
    stem="imagenet",
    fc_units=4096,
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    classifier_activation="softmax",
    name="zfnet",
):
    """ZFNet: AlexNet with a finer first layer, after visualising its features.

    Zeiler & Fergus, "Visualizing and understanding convolutional networks"
    (ECCV 2014; arXiv:1311.2901), Figure 3: ``conv1`` 96 filters 7x7 stride 2
    (224 -> 110; AlexNet's 11x11 stride 4 left aliasing and dead filters,
    section 4.1), 3x3/2 max pool (55) and contrast normalisation across feature
    maps, ``conv2`` 256 5x5 stride 2 (26), pool (13) and normalisation,
    ``conv3``/``conv4`` 384 and ``conv5`` 256 3x3 (dense, single stream),
    pool (6), FC-4096, FC-4096 and the classifier. 62,357,608 parameters at
    224x224x3, 1000 classes.

    Paddings that give the figure's sizes: 1 pixel around the input of conv1
    (``conv1_pad``), "same" for pool1 and pool2 and conv3-conv5. The paper does
    not give its normalisation's constants; ``pool1_norm`` and ``pool2_norm``
    use AlexNet's LRN (k=2, n=5, alpha=1e-4, beta=0.75).

    Args:
        stem: ``"imagenet"`` (needs at least 53x53 inputs) or ``"cifar"``:
            ``conv1`` becomes 3x3 stride 1 "same" and ``conv1_pad`` is dropped,
            so a 32x32 image reaches pool5 at 1x1 (at least 25x25).
        fc_units: units of ``fc6`` and ``fc7`` (the paper: 4096).
        input_shape: ``(height, width, channels)``.
        num_classes: number of classes.
        include_top: whether to end with the dense layers.
        classifier_activation: activation of ``predictions``.
        name: model name.

    Returns:
        A Functional ``keras.Model``; layer names as in :func:`alexnet`.
    """
    from course.layers import LocalResponseNormalization

    input_shape, num_classes = _check_common(
        input_shape, num_classes, include_top, stem, _ZFNET, "ZFNet"
    )
    fc_units = _validate.positive_int("fc_units", fc_units)
    conv = keras.layers.Conv2D
    inputs = keras.Input(shape=input_shape, name="inputs")
    if stem == "imagenet":
        x = keras.layers.ZeroPadding2D(1, name="conv1_pad")(inputs)
        x = conv(96, 7, strides=2, activation="relu", name="conv1")(x)
    else:
        x = conv(96, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    x = LocalResponseNormalization(name="pool1_norm")(x)
    x = conv(256, 5, strides=2, activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)
    x = LocalResponseNormalization(name="pool2_norm")(x)
    for index, width in ((3, 384), (4, 384), (5, 256)):
        x = conv(width, 3, padding="same", activation="relu", name=f"conv{index}")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool5")(x)
    if include_top:
        x = _classifier(x, num_classes, classifier_activation, fc_units)
    return keras.Model(inputs, x, name=name)
