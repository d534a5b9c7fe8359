"""The two small classification sets that need no download: digits and shapes.

- :func:`digits`: the 1,797 8x8 handwritten digits that ship inside
  scikit-learn (lectures 00 and 01: the perceptron and the first networks);
- :func:`shapes`: synthetic circles, squares, triangles and crosses, drawn
  deterministically from a seed (lectures 00, 07 and 11: a task unlike MNIST for
  transfer learning, and shapes whose saliency is easy to judge).

Used in lectures 00, 01 and 11.
"""

from __future__ import annotations

import numpy as np

from course import _validate
from course.data.common import DataSplits, announced, open_fraction, split_seeds
from course.data.mnist_digits import DIGIT_NAMES

__all__ = ["SHAPE_CLASSES", "digits", "shapes"]

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")


def digits(test_size=0.25, seed=0, verbose=True):
    """Loads the 8x8 handwritten digits shipped in scikit-learn.

    Alpaydin & Kaynak's optical recognition of handwritten digits (UCI, 1998):
    1,797 images, 32x32 bitmaps of 43 writers reduced to 8x8 counts of set pixels.

    Args:
        test_size: fraction held out for testing, stratified, in (0, 1).
        seed: seed of the split.
        verbose: print the one-line provenance.

    Returns:
        :class:`DataSplits` with ``x_*`` as ``uint8`` in [0, 16] of shape
        ``(n, 8, 8)`` and ``y_*`` as ``int64``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = open_fraction("test_size", test_size)
    seed = _validate.positive_int("seed", seed, minimum=0)
    bunch = load_digits()
    images = bunch.images.astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    # scikit-learn's stratified split, not course.data.splits: lectures 00 and 01
    # state their digit results on exactly this split.
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    message = (
        f"Digits: 1,797 8x8 digits shipped in scikit-learn (UCI optdigits): "
        f"{len(y_train):,} train / {len(y_test):,} test."
    )
    return announced(
        DataSplits(
            x_train, y_train, x_test, y_test, DIGIT_NAMES, "sklearn-digits", message
        ),
        verbose,
    )


def _draw_shape(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Rasterises one shape of random position, size and rotation into a mask."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    radius = rng.uniform(0.18, 0.32) * size
    cy, cx = rng.uniform(radius + 1, size - radius - 1, size=2)
    angle = rng.uniform(0, 2 * np.pi)
    # Coordinates in the shape's own rotated frame.
    u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
    v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
    if kind == "circle":
        return u**2 + v**2 <= radius**2
    if kind == "square":
        half = radius / np.sqrt(2) * 1.15
        return (np.abs(u) <= half) & (np.abs(v) <= half)
    if kind == "triangle":
        # Intersection of three half-planes whose normals are 120 degrees apart.
        inside = np.ones_like(u, dtype=bool)
        for k in range(3):
            theta = np.pi / 2 + 2 * np.pi * k / 3
            inside &= u * np.cos(theta) + v * np.sin(theta) <= radius / 2
        return inside
    bar = radius * 0.3
    return ((np.abs(u) <= radius) & (np.abs(v) <= bar)) | (
        (np.abs(v) <= radius) & (np.abs(u) <= bar)
    )


def _shape_images(count: int, size: int, noise: float, seed: int):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPE_CLASSES), size=count).astype(np.int64)
    images = np.empty((count, size, size, 1), dtype=np.float32)
    for index, label in enumerate(labels):
        mask = _draw_shape(SHAPE_CLASSES[label], size, rng)
        background = rng.uniform(0.0, 0.3)
        foreground = rng.uniform(0.6, 1.0)
        image = np.where(mask, foreground, background)
        image = image + rng.normal(0.0, noise, size=image.shape)
        images[index, ..., 0] = np.clip(image, 0.0, 1.0)
    return images, labels


def shapes(
    num_train=800, num_test=200, image_size=32, noise=0.05, seed=0, verbose=True
):
    """Draws a synthetic dataset of geometric shapes with exact labels.

    Circles, squares, equilateral triangles and crosses of random size, position,
    rotation, brightness and background, plus Gaussian pixel noise. The same seed
    always gives the same arrays; train and test come from separate streams.

    Args:
        num_train: training images, >= 1.
        num_test: test images, >= 1.
        image_size: side of the square images, >= 16.
        noise: standard deviation of the Gaussian pixel noise, >= 0.
        seed: seed of the generator.
        verbose: print the one-line provenance.

    Returns:
        :class:`DataSplits` with ``x_*`` as ``float32`` in [0, 1] of shape
        ``(n, image_size, image_size, 1)`` and ``y_*`` as ``int64`` indices into
        ``("circle", "square", "triangle", "cross")``.
    """
    num_train = _validate.positive_int("num_train", num_train)
    num_test = _validate.positive_int("num_test", num_test)
    image_size = _validate.positive_int("image_size", image_size, minimum=16)
    noise = _validate.non_negative("noise", noise)
    seed = _validate.positive_int("seed", seed, minimum=0)
    train_seed, test_seed = split_seeds(seed)
    x_train, y_train = _shape_images(num_train, image_size, noise, train_seed)
    x_test, y_test = _shape_images(num_test, image_size, noise, test_seed)
    message = (
        f"Shapes: synthetic {image_size}x{image_size} circles, squares, triangles "
        f"and crosses (seed {seed}): {num_train:,} train / {num_test:,} test."
    )
    return announced(
        DataSplits(
            x_train, y_train, x_test, y_test, SHAPE_CLASSES, "synthetic-shapes", message
        ),
        verbose,
    )
