"""LeNet-5 (lecture 04).

Lecture 04 trains it on MNIST and reads its 61,706 parameters layer by layer;
lecture 03 counts its weights and MACs, lecture 05 sets it beside AlexNet and
VGG, lecture 11 draws its saliency maps and lecture 12 profiles its training.

Used in lectures 03, 04, 05, 11 and 12.
"""

from __future__ import annotations

import keras

from course import _validate
from course.models import _common

#: Spatial size of LeNet-5's input plane in the paper (MNIST's 28x28 digits sit in
#: a 32x32 field so that stroke ends fall inside C3's receptive fields).
PAPER_SIZE = 32
#: Smallest input accepted: smaller images are not padded up, they are rejected.
MIN_SIZE = 28


def lenet5(
    input_shape=(32, 32, 1),
    num_classes=10,
    activation="tanh",
    pooling="average",
    classifier_activation="softmax",
    name="lenet5",
):
    """LeNet-5: C1-S2-C3-S4-C5-F6-output.

    LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to document
    recognition" (Proc. IEEE, 1998). The paper's network has about 60,000 trainable
    parameters; this is the common modern reading of it, which the lecture's figure
    of **61,706** parameters refers to (at 32x32x1, 10 classes):

    - C3 connects every S2 map to every C3 map (the paper's sparse connection table
      gives 1,516 weights instead of 2,416);
    - S2 and S4 are plain pooling layers (the paper's subsampling units had a
      trainable coefficient and bias each);
    - the output layer is a dense softmax (the paper used Euclidean RBF units).

    Layers: ``c1_conv`` 6@5x5 (156), ``s2_pool``, ``c3_conv`` 16@5x5 (2,416),
    ``s4_pool``, ``c5_conv`` 120@5x5 (48,120), ``flatten``, ``f6_dense`` 84
    (10,164), ``predictions`` (850).

    Args:
        input_shape: ``(height, width, channels)``. Sizes from 28 to 31 are
            zero-padded to 32 by a layer named ``pad`` (so 28x28 MNIST keeps the
            61,706 parameters); larger sizes are used as they are (C5 then sees
            more than 5x5, and F6 grows).
        num_classes: number of classes.
        activation: activation of C1, C3, C5 and F6 (the paper: a scaled tanh).
        pooling: ``"average"`` (the paper's subsampling) or ``"max"``.
        classifier_activation: activation of ``predictions`` (``None`` for logits).
        name: model name.

    Returns:
        A Functional ``keras.Model`` mapping ``(batch, *input_shape)`` to
        ``(batch, num_classes)``.

    Raises:
        ValueError: if ``input_shape`` is not rank 3, smaller than 28x28, or
            ``num_classes`` < 1.
    """
    top = _common.check_top(
        input_shape, num_classes, classifier_activation=classifier_activation
    )
    activation = _common.activation("activation", activation)
    _validate.choice("pooling", pooling, ("average", "max"))
    top.require_size(
        MIN_SIZE,
        "the image must survive two 5x5 convolutions and two 2x2 poolings before "
        f"the 5x5 C5 layer; sizes {MIN_SIZE}-{PAPER_SIZE - 1} are padded to "
        f"{PAPER_SIZE}",
    )
    height, width, _ = top.input_shape
    pool = (
        keras.layers.AveragePooling2D
        if pooling == "average"
        else keras.layers.MaxPooling2D
    )

    inputs = top.inputs()
    x = inputs
    pad_h, pad_w = max(0, PAPER_SIZE - height), max(0, PAPER_SIZE - width)
    if pad_h or pad_w:
        x = keras.layers.ZeroPadding2D(
            ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)),
            name="pad",
        )(x)
    x = keras.layers.Conv2D(6, 5, activation=activation, name="c1_conv")(x)
    x = pool(2, name="s2_pool")(x)
    x = keras.layers.Conv2D(16, 5, activation=activation, name="c3_conv")(x)
    x = pool(2, name="s4_pool")(x)
    x = keras.layers.Conv2D(120, 5, activation=activation, name="c5_conv")(x)
    # F6 and the classifier: the shared head with one hidden layer of 84 units.
    outputs = top.head(
        x,
        pooling="flatten",
        hidden=("f6_dense",),
        hidden_units=84,
        hidden_activation=activation,
    )
    return keras.Model(inputs, outputs, name=name)
