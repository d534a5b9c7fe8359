"""Augmentation pipelines built from Keras preprocessing layers (lecture 07).

Data augmentation trains on randomly transformed copies of the training images so
that the network sees more variety than the data set holds: mirror images, other
crops and zooms, other viewpoints, other lighting, partly hidden objects. Lecture
07 shows every augmentation on a real photo and measures the overfitting gap with
and without; lecture 04 trains LeNet-5 with :func:`digit_augmentation`.

Every builder returns a Functional ``keras.Model`` whose layers are random only in
training and pass images through unchanged at inference, so a pipeline can sit
inside a classifier as its first block and ``model.predict`` / ``model.evaluate``
see the original images. As with Keras' own preprocessing layers, calling a
pipeline or one of the layers below directly (``pipeline(x)``, no ``training``
argument) augments; ``pipeline(x, training=False)`` does not.

Images are channels-last ``(batch, height, width, channels)`` float32 tensors with
values in [0, 1]; the colour operations need RGB (three channels). Every layer
returns float32 images of the input's shape with values in [0, 1]: the colour
layers clip, the geometric ones interpolate between input pixels and fill
uncovered pixels with reflected pixels or zeros.

One module per concern:

- :mod:`~course.augment.layers`: the two custom layers,
  :class:`RandomResizedCrop` (Szegedy et al., 2015) and :class:`RandomErasing`
  (Zhong et al., 2017), with the random boxes they share;
- :mod:`~course.augment.pipelines`: the builders :func:`digit_augmentation`,
  :func:`flip`, :func:`random_resized_crop`, :func:`perspective`,
  :func:`color_jitter`, :func:`random_erasing` and :func:`image_augmentation`;
- :mod:`~course.augment.viewing`: :func:`augmented_versions` and
  :func:`show_augmentations`;
- ``_checks``: the argument rules only augmentation has (seeds, ``(low, high)``
  ranges, image shapes).

The package imports only ``keras`` and ``numpy`` (matplotlib inside
:func:`show_augmentations`), so it runs on every Keras backend. Some of the Keras
layers used are recent: ``RandomHue``, ``RandomSaturation`` and ``RandomShear``
appeared in Keras 3.8 and ``RandomPerspective`` in Keras 3.9.
"""

from __future__ import annotations

from course.augment.layers import RandomErasing, RandomResizedCrop
from course.augment.pipelines import (
    color_jitter,
    digit_augmentation,
    flip,
    image_augmentation,
    perspective,
    random_erasing,
    random_resized_crop,
)
from course.augment.viewing import augmented_versions, show_augmentations

__all__ = [
    "RandomErasing",
    "RandomResizedCrop",
    "augmented_versions",
    "color_jitter",
    "digit_augmentation",
    "flip",
    "image_augmentation",
    "perspective",
    "random_erasing",
    "random_resized_crop",
    "show_augmentations",
]
