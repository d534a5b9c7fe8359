"""The two small classification sets that need no download: digits and shapes.

- :func:`digits`: the 1,797 8x8 handwritten digits that ship inside
  scikit-learn (lectures 00 and 01: the perceptron and the first networks);
- :func:`shapes`: synthetic circles, squares, triangles and crosses, drawn
  deterministically from a seed (lectures 00, 07 and 11: a task unlike MNIST for
  transfer learning, and shapes whose saliency is easy to judge).

Used in lectures 00, 01, 11 and 13.
"""

from __future__ import annotations

import numpy as np

from course import _validate
from course.data.common import DataSplits, announced, open_fraction, split_seeds
from course.data.mnist_digits import DIGIT_NAMES

__all__ = ["SHAPE_CLASSES", "digits", "mnist_format", "shapes"]

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")


def digits(test_size=0.25, seed=0, as_mnist=False, verbose=True):
    """Loads the 8x8 handwritten digits shipped in scikit-learn.

    Alpaydin & Kaynak's optical recognition of handwritten digits (UCI, 1998):
    1,797 images, 32x32 bitmaps of 43 writers reduced to 8x8 counts of set pixels.

    With ``as_mnist`` the digits are brought into MNIST's format the way MNIST's
    own digits were (LeCun et al., 1998): scaled to fill a 20x20 box, placed in a
    28x28 image with their centre of mass at the centre, grey levels in [0, 255].
    They are then the same task from another "scanner" - other writers, another
    pen, 8x8 resolution blown up - which lecture 13 uses to measure domain shift.

    Args:
        test_size: fraction held out for testing, stratified, in (0, 1).
        seed: seed of the split.
        as_mnist: resample to MNIST's 28x28 format (see above).
        verbose: print the one-line provenance.

    Returns:
        :class:`DataSplits` with ``y_*`` as ``int64`` and ``x_*`` as ``uint8``:
        in [0, 16] of shape ``(n, 8, 8)``, or with ``as_mnist`` in [0, 255] of
        shape ``(n, 28, 28)``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = open_fraction("test_size", test_size)
    seed = _validate.positive_int("seed", seed, minimum=0)
    as_mnist = _validate.boolean("as_mnist", as_mnist)
    bunch = load_digits()
    images = bunch.images.astype(np.uint8)
    if as_mnist:
        images = mnist_format(images, maximum=16)
    labels = bunch.target.astype(np.int64)
    # scikit-learn's stratified split, not course.data.splits: lectures 00 and 01
    # state their digit results on exactly this split.
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    message = (
        f"Digits: 1,797 8x8 digits shipped in scikit-learn (UCI optdigits)"
        f"{', resampled to 28x28 as MNIST' if as_mnist else ''}: "
        f"{len(y_train):,} train / {len(y_test):,} test."
    )
    return announced(
        DataSplits(
            x_train, y_train, x_test, y_test, DIGIT_NAMES, "sklearn-digits", message
        ),
        verbose,
    )


def mnist_format(images, maximum=16):
    """Small digit images resampled the way MNIST's digits were prepared.

    LeCun et al. (1998) scaled each digit to fit a 20x20 box, keeping its aspect
    ratio, and centred its centre of mass in a 28x28 image. Square inputs fill the
    box; the zoom is linear, so blocks of the low-resolution original stay visible.

    Args:
        images: ``(n, h, w)`` square digit images, values in [0, ``maximum``].
        maximum: the input's largest possible value, > 0.

    Returns:
        ``uint8`` images ``(n, 28, 28)`` in [0, 255].
    """
    from scipy import ndimage

    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or images.shape[1] != images.shape[2] or not len(images):
        raise _validate.error(
            "images.shape",
            images.shape,
            "to be a non-empty batch of square images (n, h, w)",
        )
    maximum = _validate.positive("maximum", maximum)
    zoom = 20 / images.shape[1]
    out = np.zeros((len(images), 28, 28), np.float32)
    for i, image in enumerate(images):
        box = np.clip(ndimage.zoom(image / maximum, zoom, order=1), 0.0, 1.0)
        canvas = np.zeros((28, 28), np.float32)
        canvas[4:24, 4:24] = box[:20, :20]
        if canvas.sum() > 0:
            # Integer shifts: the centre of mass lands within half a pixel of the
            # centre and no grey level is interpolated twice.
            cy, cx = ndimage.center_of_mass(canvas)
            shift = (int(round(13.5 - cy)), int(round(13.5 - cx)))
            canvas = ndimage.shift(canvas, shift, order=0, mode="constant")
        out[i] = canvas
    return np.round(out * 255).astype(np.uint8)


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
