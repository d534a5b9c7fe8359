"""Augmentation pipelines built from Keras preprocessing layers.

The layers are random only in training (``training=True``) and pass images
through unchanged at inference, so a pipeline can sit inside a model.
"""

from __future__ import annotations

import keras

from course import _validate


def digit_augmentation(
    input_shape=(28, 28, 1),
    rotation=0.05,
    translation=0.08,
    zoom=0.08,
    name="augmentation",
):
    """Light geometric jitter for handwritten digits.

    Small rotations, shifts and zooms keep a digit's identity (unlike flips, which
    turn a 2 into something else) and are the distortions LeCun et al. (1998) added
    to MNIST to reduce LeNet-5's test error.

    Args:
        input_shape: ``(height, width, channels)`` of one image.
        rotation: maximum rotation as a fraction of a full turn, in [0, 1).
        translation: maximum shift as a fraction of height and width, in [0, 1).
        zoom: maximum zoom in or out as a fraction, in [0, 1).
        name: model name.

    Returns:
        A Functional model with layers ``{name}_rotation``, ``{name}_translation``
        and ``{name}_zoom``; empty space is filled with zeros (the background).
    """
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    rotation = _validate.fraction("rotation", rotation)
    translation = _validate.fraction("translation", translation)
    zoom = _validate.fraction("zoom", zoom)
    inputs = keras.Input(shape=input_shape, name=f"{name}_inputs")
    x = keras.layers.RandomRotation(
        rotation, fill_mode="constant", name=f"{name}_rotation"
    )(inputs)
    x = keras.layers.RandomTranslation(
        translation, translation, fill_mode="constant", name=f"{name}_translation"
    )(x)
    x = keras.layers.RandomZoom(zoom, fill_mode="constant", name=f"{name}_zoom")(x)
    return keras.Model(inputs, x, name=name)
