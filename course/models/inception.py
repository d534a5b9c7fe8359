"""GoogLeNet (Inception v1), built from the rows of its Table 1 (lecture 06).

Lecture 06 rebuilds Szegedy et al.'s Table 1 from :func:`googlenet` (output
sizes, parameters and operations per row) and shows why the 1x1 reductions of
:func:`inception_module` keep the 3x3 and 5x5 branches cheap.

Used in lecture 06.
"""

from __future__ import annotations

import keras

from course import _validate
from course.layers import LocalResponseNormalization
from course.models import _common

#: The inception rows of Szegedy et al.'s Table 1: name, #1x1, #3x3 reduce, #3x3,
#: #5x5 reduce, #5x5, pool proj; ``"pool"`` is a 3x3/2 max pool between groups.
TABLE1 = (
    ("3a", 64, 96, 128, 16, 32, 32),
    ("3b", 128, 128, 192, 32, 96, 64),
    "pool",
    ("4a", 192, 96, 208, 16, 48, 64),
    ("4b", 160, 112, 224, 24, 64, 64),
    ("4c", 128, 128, 256, 24, 64, 64),
    ("4d", 112, 144, 288, 32, 64, 64),
    ("4e", 256, 160, 320, 32, 128, 128),
    "pool",
    ("5a", 256, 160, 320, 32, 128, 128),
    ("5b", 384, 192, 384, 48, 128, 128),
)
#: The auxiliary classifiers sit on the outputs of these modules (section 5).
AUX_AFTER = ("4a", "4d")
STEMS = _common.STEMS
#: Downsampling before 4a and in all, per stem.
_STRIDE_4A = {"imagenet": 16, "cifar": 4}
_STRIDE_ALL = {"imagenet": 32, "cifar": 8}


def _conv(x, filters, kernel, name, strides=1):
    """A "same" convolution with ReLU: every convolution of GoogLeNet (section 5)."""
    return keras.layers.Conv2D(
        filters, kernel, strides=strides, padding="same", activation="relu", name=name
    )(x)


def _max_pool(x, name):
    """The 3x3/2 max pool between the stem's and the inception groups' stages."""
    return keras.layers.MaxPooling2D(3, strides=2, padding="same", name=name)(x)


def inception_module(
    x, filters_1x1, reduce_3x3, filters_3x3, reduce_5x5, filters_5x5, pool_proj, name
):
    """An inception module with dimension reductions (Szegedy et al., Figure 2b).

    Four parallel branches, concatenated along the channels: a 1x1 convolution;
    1x1 reduce then 3x3; 1x1 reduce then 5x5; 3x3 max pool (stride 1) then a 1x1
    projection. Every convolution is followed by a ReLU ("All the convolutions,
    including those inside the Inception modules, use rectified linear
    activation", section 5). The 1x1 reductions keep the 3x3 and 5x5
    convolutions cheap.

    Args:
        x: input tensor ``(batch, height, width, channels)``.
        filters_1x1: "#1x1" of Table 1.
        reduce_3x3: "#3x3 reduce".
        filters_3x3: "#3x3".
        reduce_5x5: "#5x5 reduce".
        filters_5x5: "#5x5".
        pool_proj: "pool proj".
        name: prefix, e.g. ``"inception_3a"``: layers ``{name}_1x1``,
            ``{name}_3x3_reduce``, ``{name}_3x3``, ``{name}_5x5_reduce``,
            ``{name}_5x5``, ``{name}_pool``, ``{name}_pool_proj``,
            ``{name}_output``.

    Returns:
        Tensor ``(batch, height, width, filters_1x1 + filters_3x3 + filters_5x5
        + pool_proj)``.
    """
    sizes = {
        "filters_1x1": filters_1x1,
        "reduce_3x3": reduce_3x3,
        "filters_3x3": filters_3x3,
        "reduce_5x5": reduce_5x5,
        "filters_5x5": filters_5x5,
        "pool_proj": pool_proj,
    }
    for key, value in sizes.items():
        _validate.positive_int(key, value)
    branch1 = _conv(x, filters_1x1, 1, f"{name}_1x1")
    branch3 = _conv(x, reduce_3x3, 1, f"{name}_3x3_reduce")
    branch3 = _conv(branch3, filters_3x3, 3, f"{name}_3x3")
    branch5 = _conv(x, reduce_5x5, 1, f"{name}_5x5_reduce")
    branch5 = _conv(branch5, filters_5x5, 5, f"{name}_5x5")
    pooled = keras.layers.MaxPooling2D(
        3, strides=1, padding="same", name=f"{name}_pool"
    )(x)
    branch_pool = _conv(pooled, pool_proj, 1, f"{name}_pool_proj")
    return keras.layers.Concatenate(name=f"{name}_output")(
        [branch1, branch3, branch5, branch_pool]
    )


def _scaled(filters, width):
    """``filters * width`` rounded, at least 1: the narrowed layer's size."""
    return max(1, round(filters * width))


def _stem(x, stem, lrn, width=1.0):
    """Table 1's rows up to 3a: conv1, pool1, (LRN), conv2, (LRN), pool2."""
    if stem == "imagenet":
        x = _conv(x, _scaled(64, width), 7, "conv1_7x7_s2", strides=2)
        x = _max_pool(x, "pool1_3x3_s2")
    else:
        x = _conv(x, _scaled(64, width), 3, "conv1_3x3")
    if lrn:
        x = LocalResponseNormalization(name="pool1_norm")(x)
    x = _conv(x, _scaled(64, width), 1, "conv2_3x3_reduce")
    x = _conv(x, _scaled(192, width), 3, "conv2_3x3")
    if lrn:
        x = LocalResponseNormalization(name="conv2_norm")(x)
    if stem == "imagenet":
        x = _max_pool(x, "pool2_3x3_s2")
    return x


def _auxiliary(x, top, name, width=1.0):
    """Section 5: 5x5/3 average pool, 1x1 conv 128, FC 1024, dropout 0.7, FC."""
    x = keras.layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)
    x = keras.layers.Conv2D(
        _scaled(128, width), 1, activation="relu", name=f"{name}_conv"
    )(x)
    return top.head(
        x,
        pooling="flatten",
        pool_name=f"{name}_flatten",
        hidden=(f"{name}_fc",),
        hidden_units=_scaled(1024, width),
        dropout=0.7,
        dropout_names=(f"{name}_dropout",),
        name=f"{name}_predictions",
    )


def _check(aux_classifiers, lrn, stem, top):
    """Checks the flags, the stem and the input size."""
    aux_classifiers = _validate.boolean("aux_classifiers", aux_classifiers)
    _validate.boolean("lrn", lrn)
    _validate.choice("stem", stem, STEMS)
    if aux_classifiers and not top.include_top:
        raise _validate.error(
            "aux_classifiers",
            aux_classifiers,
            "to be False with include_top=False (the auxiliary classifiers are "
            "part of the top)",
        )
    if aux_classifiers:
        minimum = 4 * _STRIDE_4A[stem] + 1  # ceil(size / stride) >= 5 at 4a
        why = "the auxiliary classifiers' 5x5 pooling needs 4a at least 5x5"
    else:
        minimum = _STRIDE_ALL[stem]
        why = f"the network downsamples by {minimum}"
    top.require_size(minimum, f"with stem={stem!r}, {why}")


def googlenet(
    aux_classifiers=True,
    lrn=True,
    stem="imagenet",
    input_shape=(224, 224, 3),
    num_classes=1000,
    include_top=True,
    classifier_activation="softmax",
    width=1.0,
    name="googlenet",
):
    """GoogLeNet, the 22-layer Inception network of ILSVRC 2014.

    Szegedy et al., "Going deeper with convolutions" (CVPR 2015;
    arXiv:1409.4842), Table 1 and Figure 3: ``conv1_7x7_s2`` (64), 3x3/2 max
    pool, ``conv2_3x3_reduce`` (64) and ``conv2_3x3`` (192), 3x3/2 max pool,
    then the :func:`inception_module` rows of :data:`TABLE1` with 3x3/2 max
    pools between 3b/4a and 4e/5a, a 7x7 average pool (here global average
    pooling, the same at 224x224), dropout 40% and a linear softmax layer.
    Local response normalisation follows pool1 and conv2 (Figure 3;
    ``pool1_norm``, ``conv2_norm``). Layer names follow the paper's Caffe model
    (``inception_4d_5x5_reduce`` for ``inception_4d/5x5_reduce``).

    There is no batch norm: the network predates it. At 224x224x3 and 1000
    classes it has 6,998,552 parameters without the auxiliary heads (convolution
    and dense biases included); torchvision's ``googlenet`` (6,624,904) differs
    because it adds batch norm after every convolution (and drops the biases)
    and keeps a 3x3 kernel in the "5x5" branches (a known bug kept for its
    ported weights).

    Args:
        aux_classifiers: add the two auxiliary classifiers of section 5 on
            4a and 4d (5x5/3 average pool, 1x1 conv 128, FC 1024, dropout 0.7,
            FC classes); the model then has three outputs ``[predictions,
            aux1_predictions, aux2_predictions]``, whose losses the paper
            weights 1, 0.3, 0.3 in training and drops at inference. Needs
            ``include_top``.
        lrn: the two local response normalisations of Figure 3.
        stem: ``"imagenet"`` (the paper's, downsampling by 8 before 3a) or
            ``"cifar"``: ``conv1_7x7_s2`` becomes ``conv1_3x3``, a 3x3
            stride-1 convolution, and both stem max pools (``pool1_3x3_s2``,
            ``pool2_3x3_s2``) are dropped, so 32x32 images reach 3a at 32x32,
            4a at 16x16 and 5b at 8x8.
        input_shape: ``(height, width, channels)``. The smallest input is the
            one that leaves 5b a real map (32x32 for the imagenet stem, 8x8 for
            cifar), and with auxiliary classifiers one that leaves 4a at least
            5x5 for their 5x5 pool (65x65, or 17x17 for cifar).
        num_classes: number of classes.
        include_top: whether to end with pooling, dropout and ``predictions``;
            False returns the ``inception_5b_output`` map.
        classifier_activation: activation of every classifier.
        width: positive multiplier of every layer's filters and of the auxiliary
            heads' 128 filters and 1024 units, each rounded and at least 1
            (``width=0.125``: conv1 8 filters, 3a 32 channels out). Not in the
            paper; it lets a CPU train the same 22-layer topology, as in lecture
            06's auxiliary-classifier experiment.
        name: model name.

    Returns:
        A Functional ``keras.Model``.

    Raises:
        ValueError: for a bad stem, ``num_classes`` < 1, too small an input
            (the message says the smallest), or auxiliary classifiers without
            ``include_top``.
    """
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation
    )
    _check(aux_classifiers, lrn, stem, top)
    width = _validate.number("width", width, minimum=0, exclusive_minimum=True)

    inputs = top.inputs()
    x = _stem(inputs, stem, lrn, width)
    aux_outputs = []
    pools = iter((3, 4))
    for row in TABLE1:
        if row == "pool":
            x = _max_pool(x, f"pool{next(pools)}_3x3_s2")
            continue
        module, *filters = row
        filters = [_scaled(f, width) for f in filters]
        x = inception_module(x, *filters, name=f"inception_{module}")
        if aux_classifiers and module in AUX_AFTER:
            index = AUX_AFTER.index(module) + 1
            aux_outputs.append(_auxiliary(x, top, f"aux{index}", width))
    # Table 1's 7x7 average pool (global here: the same at 224x224) and 40%
    # dropout before the classifier.
    x = top.head(
        x,
        pooling="avg",
        pool_name="pool5_7x7_s1",
        dropout=0.4,
        dropout_names=("pool5_dropout",),
    )
    outputs = [x, *aux_outputs] if aux_outputs else x
    return keras.Model(inputs, outputs, name=name)
