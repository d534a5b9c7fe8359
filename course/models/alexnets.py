"""AlexNet and ZFNet, built from one table of layers per network (lecture 05).

Lecture 05 counts their parameters, MACs and activation memory next to the
published figures and trains scaled-down versions (``stem="cifar"``) on
CIFAR-10. Each network is a table, :data:`ALEXNET_LAYERS` and
:data:`ZFNET_LAYERS`, that both builds the model and gives the smallest input
it accepts, so the two cannot drift apart.

Used in lecture 05.
"""

from __future__ import annotations

import keras

from course import _validate
from course.arithmetic import keras_output_size
from course.layers import LocalResponseNormalization
from course.models import _common

#: Filters of conv1 ... conv5 in Krizhevsky et al. (2012), Figure 2 (both GPUs).
PAPER_FILTERS = (96, 256, 384, 384, 256)
#: torchvision's AlexNet, after Krizhevsky's "One weird trick for parallelizing
#: convolutional neural networks" (arXiv:1404.5997, 2014).
TORCHVISION_FILTERS = (64, 192, 384, 256, 256)
STEMS = _common.STEMS

# One row per layer, by name: ``conv{i}`` (kernel, stride, padding) is a ReLU
# convolution with ``filters[i - 1]`` filters, ``pool{i}`` (kernel, stride,
# padding) a max pool, ``{name}_pad`` (pixels) a zero padding on every side and
# ``{name}_norm`` local response normalisation (k=2, n=5, alpha=1e-4,
# beta=0.75), which keeps the size.
_ALEXNET_BODY = (
    ("conv1_norm",),
    ("pool1", 3, 2, "valid"),  # overlapping pooling, section 3.4
    ("conv2", 5, 1, "same"),
    ("conv2_norm",),
    ("pool2", 3, 2, "valid"),
    ("conv3", 3, 1, "same"),
    ("conv4", 3, 1, "same"),
    ("conv5", 3, 1, "same"),
    ("pool5", 3, 2, "valid"),
)
#: AlexNet's layers per stem, Krizhevsky et al. (2012) Figure 2: 227 -> 55 (conv1)
#: -> 27 -> 13 -> 6 (pool5); the cifar stem swaps conv1 for a 3x3 "same" one.
ALEXNET_LAYERS = {
    "imagenet": (("conv1", 11, 4, "valid"), *_ALEXNET_BODY),
    "cifar": (("conv1", 3, 1, "same"), *_ALEXNET_BODY),
}
_ZFNET_BODY = (
    ("pool1", 3, 2, "same"),
    ("pool1_norm",),
    ("conv2", 5, 2, "valid"),
    ("pool2", 3, 2, "same"),
    ("pool2_norm",),
    ("conv3", 3, 1, "same"),
    ("conv4", 3, 1, "same"),
    ("conv5", 3, 1, "same"),
    ("pool5", 3, 2, "valid"),
)
#: ZFNet's layers per stem, Zeiler & Fergus (2014) Figure 3: 224 -> 110 (conv1)
#: -> 55 -> 26 -> 13 -> 6 (pool5).
ZFNET_LAYERS = {
    "imagenet": (("conv1_pad", 1), ("conv1", 7, 2, "valid"), *_ZFNET_BODY),
    "cifar": (("conv1", 3, 1, "same"), *_ZFNET_BODY),
}
#: The convolutions that see only their own GPU's half of the input channels in
#: the paper's two-GPU AlexNet (``grouped=True``).
GROUPED = ("conv2", "conv4", "conv5")


def _smallest_size(rows) -> int:
    """The smallest input side that every layer of ``rows`` accepts."""
    for size in range(1, 4096):
        side = size
        try:
            for row in rows:
                if row[0].endswith("_pad"):
                    side += 2 * row[1]
                elif not row[0].endswith("_norm"):
                    side = keras_output_size(side, *row[1:])
        except ValueError:
            continue
        return size
    raise AssertionError("unreachable")  # pragma: no cover


def _layer(x, row, filters, grouped, lrn):
    """The layer of one table row (see :data:`ALEXNET_LAYERS`)."""
    name = row[0]
    if name.endswith("_pad"):
        return keras.layers.ZeroPadding2D(row[1], name=name)(x)
    if name.endswith("_norm"):
        return LocalResponseNormalization(name=name)(x) if lrn else x
    kernel, stride, padding = row[1:]
    if name.startswith("pool"):
        return keras.layers.MaxPooling2D(
            kernel, strides=stride, padding=padding, name=name
        )(x)
    return keras.layers.Conv2D(
        filters[int(name[4]) - 1],
        kernel,
        strides=stride,
        padding=padding,
        groups=2 if grouped and name in GROUPED else 1,
        activation="relu",
        name=name,
    )(x)


def _build(rows, filters, grouped, lrn, top, fc_units, name):
    """The network of ``rows``, then FC-``fc_units`` twice and the classifier."""
    inputs = top.inputs()
    x = inputs
    for row in rows:
        x = _layer(x, row, filters, grouped, lrn)
    # fc6 and fc7 with dropout 0.5 after each (Krizhevsky et al., section 4.2).
    x = top.head(
        x,
        pooling="flatten",
        hidden=("fc6", "fc7"),
        hidden_units=fc_units,
        dropout=0.5,
    )
    return keras.Model(inputs, x, name=name)


def _check(stem, network, table, top, fc_units):
    """Checks the input size ``table`` needs with ``stem``, and ``fc_units``."""
    minimum = _smallest_size(table[stem])
    why = f"with stem={stem!r}, smaller maps vanish before {network}'s pool5"
    top.require_size(minimum, why, stem)
    return _validate.positive_int("fc_units", fc_units)


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
    The layers are the rows of :data:`ALEXNET_LAYERS`.

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
    grouped = _validate.boolean("grouped", grouped)
    lrn = _validate.boolean("lrn", lrn, allow_none=True)
    lrn = grouped if lrn is None else lrn
    filters = _common.positive_ints(
        "filters", filters, "to be 5 positive integers (conv1 ... conv5)", length=5
    )
    if grouped and any(f % 2 for f in filters):
        raise _validate.error(
            "filters", filters, "to be even with grouped=True (two groups of channels)"
        )
    _validate.choice("stem", stem, STEMS)
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    fc_units = _check(stem, "AlexNet", ALEXNET_LAYERS, top, fc_units)
    rows = ALEXNET_LAYERS[stem]
    return _build(rows, filters, grouped, lrn, top, fc_units, name)


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
    224x224x3, 1000 classes. The layers are the rows of :data:`ZFNET_LAYERS`.

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
    _validate.choice("stem", stem, STEMS)
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    fc_units = _check(stem, "ZFNet", ZFNET_LAYERS, top, fc_units)
    rows = ZFNET_LAYERS[stem]
    return _build(rows, PAPER_FILTERS, False, True, top, fc_units, name)
