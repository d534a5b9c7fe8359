"""The perceptron and the multilayer perceptron (lectures 01 and 02).

Lecture 01 trains :func:`perceptron` on AND and OR and solves XOR with an
:func:`mlp`; lecture 02 compares the regularisers :func:`mlp` offers on MNIST.
Lecture 00 trains an :func:`mlp` as its first run, and lecture 06 uses deep ones
as the plain baseline of the highway networks.

Used in lectures 00, 01, 02 and 06.
"""

from __future__ import annotations

import keras

from course import _validate
from course.layers import Maxout
from course.models import _common

#: The hidden activations :func:`mlp` accepts (``maxout`` swaps the dense layer).
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "linear", "maxout")


def perceptron(num_inputs=2, activation="sigmoid", name="perceptron"):
    """A single artificial neuron, ``y = f(sum_i x_i w_i + b)``.

    Rosenblatt, "The perceptron: a probabilistic model for information storage and
    organization in the brain" (Psychological Review, 1958). One unit draws one
    straight decision line, so it learns AND and OR but cannot learn XOR (Minsky &
    Papert, "Perceptrons", 1969).

    Args:
        num_inputs: number of inputs ``n``.
        activation: ``f``; ``"sigmoid"`` (trainable with binary cross-entropy) or
            any Keras activation name.
        name: model name.

    Returns:
        A Functional model mapping ``(batch, num_inputs)`` to ``(batch, 1)``.
    """
    num_inputs = _validate.positive_int("num_inputs", num_inputs)
    activation = _validate.string("activation", activation)
    inputs = keras.Input(shape=(num_inputs,), name="inputs")
    outputs = keras.layers.Dense(1, activation=activation, name="neuron")(inputs)
    return keras.Model(inputs, outputs, name=name)


def _hidden_layer(x, units, activation, options, name):
    """One hidden layer: Dense (or Maxout), batch norm, activation."""
    num_pieces, batch_norm, regularizer, initializer = options
    if activation == "maxout":
        return Maxout(units, num_pieces=num_pieces, name=f"{name}_maxout")(x)
    x = keras.layers.Dense(
        units,
        use_bias=not batch_norm,  # batch norm's beta plays the bias' role
        kernel_initializer=initializer,
        kernel_regularizer=regularizer,
        name=f"{name}_dense",
    )(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation(activation, name=f"{name}_act")(x)


def mlp(
    input_shape,
    num_classes,
    hidden_units=(64,),
    activation="relu",
    classifier_activation="softmax",
    dropout=0.0,
    l2=0.0,
    batch_norm=False,
    num_pieces=2,
    kernel_initializer="glorot_uniform",
    name="mlp",
):
    """A multilayer perceptron with the regularisers the lectures compare.

    Rumelhart, Hinton & Williams, "Learning representations by back-propagating
    errors" (Nature, 1986); dropout after Srivastava et al. (JMLR 2014), batch
    normalisation after Ioffe & Szegedy (ICML 2015), placed before the activation
    as in that paper; maxout after Goodfellow et al. (ICML 2013).

    Args:
        input_shape: shape of one example, e.g. ``(64,)`` or ``(28, 28)``; inputs
            of rank > 1 are flattened by a layer named ``flatten``.
        num_classes: number of outputs.
        hidden_units: sizes of the hidden layers, e.g. ``(128, 64)``; ``()`` gives
            a linear classifier.
        activation: hidden activation: one of ``sigmoid``, ``tanh``, ``relu``,
            ``leaky_relu``, ``elu``, ``linear`` or ``maxout`` (a ``Maxout`` layer
            with ``num_pieces`` pieces replaces the dense layer).
        classifier_activation: activation of the output layer (``None`` for
            logits).
        dropout: dropout rate after each hidden layer, in [0, 1).
        l2: L2 weight penalty on every kernel, >= 0.
        batch_norm: whether to normalise each hidden layer's pre-activations.
        num_pieces: pieces per Maxout unit (only used with ``maxout``).
        kernel_initializer: initializer of the hidden dense layers' kernels, a
            Keras name or object: Keras' default ``"glorot_uniform"`` (Glorot &
            Bengio, AISTATS 2010), or ``"he_normal"`` (He et al., ICCV 2015),
            whose variance of 2 / fan-in keeps a deep ReLU stack's signal from
            halving at every layer.
        name: model name.

    Returns:
        A Functional model; hidden layers are named ``hidden{i}_dense``,
        ``hidden{i}_bn``, ``hidden{i}_act``, ``hidden{i}_dropout`` and the output
        layer ``predictions``.
    """
    top = _common.check_top(
        input_shape, num_classes, classifier_activation=classifier_activation, rank=None
    )
    hidden_units = _common.positive_ints(
        "hidden_units",
        hidden_units,
        "to be a sequence of positive integers",
        allow_empty=True,
    )
    _validate.choice("activation", activation, ACTIVATIONS)
    dropout = _validate.fraction("dropout", dropout)
    l2 = _validate.non_negative("l2", l2)
    batch_norm = _validate.boolean("batch_norm", batch_norm)
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    try:
        initializer = keras.initializers.get(kernel_initializer)
    except (ValueError, TypeError):
        raise _validate.error(
            "kernel_initializer", kernel_initializer, "to name a Keras initializer"
        ) from None

    inputs = top.inputs()
    x = (
        keras.layers.Flatten(name="flatten")(inputs)
        if len(top.input_shape) > 1
        else inputs
    )
    for i, units in enumerate(hidden_units, start=1):
        options = (num_pieces, batch_norm, regularizer, initializer)
        x = _hidden_layer(x, units, activation, options, f"hidden{i}")
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"hidden{i}_dropout")(x)
    return keras.Model(inputs, top.head(x, kernel_regularizer=regularizer), name=name)
