"""Convolutional autoencoders, plain and denoising (lecture 08).

Lecture 08 trains :func:`autoencoder` with codes of 2 and 16 numbers on MNIST,
plots the code space through :func:`encoder_of`, and denoises synthetic nuclei.

An autoencoder learns the identity through a bottleneck: an *encoder* maps the
image to a small code, a *decoder* maps the code back, and the loss compares the
reconstruction with the input. What the bottleneck cannot pass through, the
network must learn to leave out - the idea behind compression (Hinton &
Salakhutdinov, "Reducing the dimensionality of data with neural networks",
Science 2006) and, with noisy inputs and clean targets, behind denoising (Vincent
et al., "Extracting and composing robust features with denoising autoencoders",
ICML 2008).

Used in lecture 08.
"""

from __future__ import annotations

import keras

from course import _validate
from course.models import _common


def autoencoder(
    input_shape=(28, 28, 1),
    filters=(32, 64),
    latent_dim=None,
    input_noise=0.0,
    output_activation="sigmoid",
    name="autoencoder",
):
    """A convolutional autoencoder, optionally with a dense latent code.

    Encoder: per entry of ``filters`` a block ``enc{i}_conv`` (3x3, stride 2,
    "same", ReLU) that halves the image. With ``latent_dim`` the map is flattened
    into a dense code ``latent`` of that many numbers (linear, so the code can be
    plotted), and ``dec_dense``/``dec_reshape`` restore the map. Decoder: per
    block, in reverse, ``dec{i}_upconv`` (3x3 transposed convolution, stride 2,
    ReLU) doubling the size, then ``reconstruction`` (3x3 convolution to the
    input's channels). Without ``latent_dim`` the network is fully convolutional
    and works on any image whose sides are multiples of ``2 ** len(filters)``.

    Args:
        input_shape: ``(height, width, channels)``, sides multiples of
            ``2 ** len(filters)``.
        filters: filters of the encoder blocks (the decoder mirrors them).
        latent_dim: size of the dense code, or ``None`` for a convolutional
            bottleneck.
        input_noise: standard deviation of Gaussian noise added to the input
            during training only (layer ``input_noise``): the denoising
            autoencoder of Vincent et al. (2008). Use 0 when the data already
            holds noisy inputs and clean targets.
        output_activation: ``"sigmoid"`` for images in [0, 1], ``None`` for
            unbounded values.
        name: model name.

    Returns:
        A Functional ``keras.Model`` mapping ``(batch, *input_shape)`` to the same
        shape. ``model.get_layer("latent")`` (with ``latent_dim``) or
        ``model.get_layer(f"enc{len(filters)}_conv")`` is the code.
    """
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    filters = _validate.positive_ints("filters", filters)
    if latent_dim is not None:
        latent_dim = _validate.positive_int("latent_dim", latent_dim)
    input_noise = _validate.non_negative("input_noise", input_noise)
    output_activation = _common.activation("output_activation", output_activation)
    factor = 2 ** len(filters)
    if any(side % factor for side in input_shape[:2]):
        raise _validate.error(
            "input_shape",
            input_shape,
            f"with height and width multiples of {factor} (one halving per encoder "
            "block)",
        )
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = inputs
    if input_noise:
        x = keras.layers.GaussianNoise(input_noise, name="input_noise")(x)
    for i, count in enumerate(filters, start=1):
        x = keras.layers.Conv2D(
            count, 3, strides=2, padding="same", activation="relu", name=f"enc{i}_conv"
        )(x)
    if latent_dim is not None:
        map_shape = tuple(x.shape[1:])
        x = keras.layers.Flatten(name="enc_flatten")(x)
        x = keras.layers.Dense(latent_dim, name="latent")(x)
        x = keras.layers.Dense(
            map_shape[0] * map_shape[1] * map_shape[2],
            activation="relu",
            name="dec_dense",
        )(x)
        x = keras.layers.Reshape(map_shape, name="dec_reshape")(x)
    for i in range(len(filters), 0, -1):
        x = keras.layers.Conv2DTranspose(
            filters[i - 1],
            3,
            strides=2,
            padding="same",
            activation="relu",
            name=f"dec{i}_upconv",
        )(x)
    outputs = keras.layers.Conv2D(
        input_shape[2],
        3,
        padding="same",
        activation=output_activation,
        name="reconstruction",
    )(x)
    return keras.Model(inputs, outputs, name=name)


def encoder_of(model):
    """The encoder half of an :func:`autoencoder`: inputs to its code.

    Args:
        model: a model built by :func:`autoencoder`.

    Returns:
        A ``keras.Model`` sharing the layers (and weights) of ``model``.
    """
    model = _validate.model("model", model)
    names = [layer.name for layer in model.layers]
    if "latent" in names:
        code = "latent"
    else:
        codes = [n for n in names if n.startswith("enc") and n.endswith("_conv")]
        if not codes:
            raise _validate.error(
                "model",
                model.name,
                "to be built by course.models.autoencoder (layers enc1_conv ...)",
            )
        code = codes[-1]
    return keras.Model(model.inputs, model.get_layer(code).output, name="encoder")
