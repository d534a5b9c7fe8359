"""The perceptron and the multilayer perceptron (lecture 01 and 02)."""

from __future__ import annotations

import keras

from course import _validate

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "linear", "maxout")


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
    if not isinstance(activation, str):
        raise TypeError(
            f"Expected activation to be a string. Received: activation={activation!r}"
        )
    inputs = keras.Input(shape=(num_inputs,), name="inputs")
    outputs = keras.layers.Dense(1, activation=activation, name="neuron")(inputs)
    return keras.Model(inputs, outputs, name=name)


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
    name="mlp",
):
    """A multilayer perceptron with the regularisers the lectures compare.

    Rumelhart, Hinton & Williams, "Learning representations by back-propagating
    errors" (Nature, 1986); dropout after Srivastava et al. (JMLR 2014), batch
    normalisation after Ioffe & Szegedy (ICML 2015), placed before the activation
    as in that paper.

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
        name: model name.

    Returns:
        A Functional model; hidden layers are named ``hidden{i}_dense``,
        ``hidden{i}_bn``, ``hidden{i}_act``, ``hidden{i}_dropout`` and the output
        layer ``predictions``.
    """
    from course.layers import Maxout

    input_shape = _validate.shape("input_shape", input_shape)
    num_classes = _validate.positive_int("num_classes", num_classes)
    if isinstance(hidden_units, int) or not all(
        isinstance(u, int) and not isinstance(u, bool) and u > 0 for u in hidden_units
    ):
        raise ValueError(
            "Expected hidden_units to be a sequence of positive integers. "
            f"Received: hidden_units={hidden_units!r}"
        )
    _validate.choice("activation", activation, _ACTIVATIONS)
    dropout = _validate.fraction("dropout", dropout)
    l2 = _validate.non_negative("l2", l2)
    if not isinstance(batch_norm, bool):
        raise TypeError(
            f"Expected batch_norm to be a bool. Received: batch_norm={batch_norm!r}"
        )
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for i, units in enumerate(hidden_units, start=1):
        prefix = f"hidden{i}"
        if activation == "maxout":
            x = Maxout(units, num_pieces=num_pieces, name=f"{prefix}_maxout")(x)
        else:
            x = keras.layers.Dense(
                units,
                use_bias=not batch_norm,  # batch norm's beta plays the bias' role
                kernel_regularizer=regularizer,
                name=f"{prefix}_dense",
            )(x)
            if batch_norm:
                x = keras.layers.BatchNormalization(name=f"{prefix}_bn")(x)
            x = keras.layers.Activation(activation, name=f"{prefix}_act")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"{prefix}_dropout")(x)
    outputs = keras.layers.Dense(
        num_classes,
        activation=classifier_activation,
        kernel_regularizer=regularizer,
        name="predictions",
    )(x)
    return keras.Model(inputs, outputs, name=name)
