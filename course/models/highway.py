"""Fully connected highway networks (lecture 06).

Lecture 06 trains :func:`highway_net` beside a plain MLP of the same depth and
width and reads its transform gates: the carry behaviour that let 100-layer
networks train before residual connections.

Used in lecture 06.
"""

from __future__ import annotations

import keras

from course import _validate
from course.layers import Highway
from course.models import _common


def highway_net(
    input_shape=(784,),
    num_classes=10,
    num_layers=10,
    units=50,
    activation="relu",
    transform_bias=-2.0,
    include_top=True,
    classifier_activation="softmax",
    name="highway_net",
):
    """A fully connected highway network: a plain layer, then highway layers.

    Srivastava, Greff & Schmidhuber, "Training very deep networks" (NIPS 2015;
    "Highway networks", arXiv:1505.00387). Each :class:`course.layers.Highway`
    layer computes ``y = H(x) T(x) + x (1 - T(x))`` with the transform gate
    ``T(x) = sigmoid(x W_T + b_T)``; ``b_T`` starts negative so that the gates
    start nearly closed and each layer first *carries* its input, which is what
    lets networks of 50 or 100 layers train with plain SGD (the paper's Figure 1
    on MNIST). As in the paper, the first layer is a plain fully connected layer
    (``input_dense``) that brings the input to the width ``units`` the highway
    layers keep.

    Args:
        input_shape: shape of one example, e.g. ``(784,)`` or ``(28, 28)``
            (inputs of rank > 1 are flattened by ``flatten``).
        num_classes: number of classes.
        num_layers: number of highway layers (``highway1`` ...).
        units: width of every hidden layer.
        activation: activation of ``input_dense`` and of every ``H``.
        transform_bias: initial ``b_T`` (negative: carry behaviour; the paper
            uses -1 to -3 for fully connected networks, -2 by default here).
        include_top: whether to end with ``predictions``.
        classifier_activation: activation of ``predictions``.
        name: model name.

    Returns:
        A Functional ``keras.Model`` with ``units * (d + 1) + num_layers * 2 *
        units * (units + 1) + (units + 1) * num_classes`` parameters for ``d``
        input features.
    """
    top = _common.check_top(
        input_shape, num_classes, include_top, classifier_activation, rank=None
    )
    num_layers = _validate.positive_int("num_layers", num_layers)
    units = _validate.positive_int("units", units)
    activation = _common.activation("activation", activation)
    # Checked, but passed on as given: an int stays an int in the layer's config.
    _validate.number("transform_bias", transform_bias)
    inputs = top.inputs()
    x = (
        keras.layers.Flatten(name="flatten")(inputs)
        if len(top.input_shape) > 1
        else inputs
    )
    x = keras.layers.Dense(units, activation=activation, name="input_dense")(x)
    for index in range(1, num_layers + 1):
        x = Highway(
            activation=activation,
            transform_bias=transform_bias,
            name=f"highway{index}",
        )(x)
    return keras.Model(inputs, top.head(x), name=name)
