"""A scanner's mark that gives the label away: the data for shortcut learning.

Seed 001 warns that deep nets "can spot subtle clues (image acquisition artifacts)
that should not be taken into account". Geirhos et al. ("Shortcut learning in deep
neural networks", Nature Machine Intelligence, 2020) collect the real cases: a
pneumonia detector that learnt which hospital's scanner made the X-ray from a
token in the corner (Zech et al., PLoS Medicine, 2018). :func:`tag_images` builds
that situation on any image set: a small bright square in the border, at one of
``num_classes`` places, whose place matches the label with a chosen probability.

Used in lecture 13.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course import _validate

__all__ = ["TaggedImages", "tag_images", "tag_slots"]


@dataclass(frozen=True)
class TaggedImages:
    """Images with a mark, and where the mark is.

    Attributes:
        images: the marked copies, same shape and dtype as the input.
        slots: ``int64 (n,)``: the slot each image's mark is in.
        masks: ``bool (n, height, width)``: the mark's pixels, for measuring how
            much of a saliency map falls on it.
    """

    images: np.ndarray
    slots: np.ndarray
    masks: np.ndarray


def tag_slots(height, width, num_slots, size=3):
    """Top-left corners of ``num_slots`` non-overlapping marks in the image border.

    The slots run along the top rows, then along the bottom rows, evenly spaced,
    so that on centred digits (MNIST's 20x20 box inside 28x28) no mark covers
    the digit.

    Args:
        height: image height in pixels.
        width: image width in pixels.
        num_slots: how many places, >= 1.
        size: side of the square mark in pixels, >= 1.

    Returns:
        ``int64 (num_slots, 2)``: ``(row, column)`` of each slot's corner.

    Raises:
        ValueError: if the slots do not fit in two rows of marks.
    """
    height = _validate.positive_int("height", height)
    width = _validate.positive_int("width", width)
    num_slots = _validate.positive_int("num_slots", num_slots)
    size = _validate.positive_int("size", size)
    per_row = -(-num_slots // 2)
    # One pixel of background between marks and at the ends, so marks never touch.
    if per_row * (size + 1) + 1 > width or 2 * size + 2 > height:
        raise _validate.relation(
            "num_slots marks of side size to fit in the top and bottom rows "
            "(ceil(num_slots / 2) * (size + 1) + 1 <= width, 2 * size + 2 <= height)",
            num_slots=num_slots,
            size=size,
            height=height,
            width=width,
        )
    columns = np.linspace(1, width - size - 1, per_row).round().astype(np.int64)
    rows = (1, height - size - 1)
    corners = [(rows[i // per_row], columns[i % per_row]) for i in range(num_slots)]
    return np.array(corners, dtype=np.int64)


def tag_images(
    images, labels, num_classes, *, agreement=1.0, size=3, value=None, seed=0
):
    """Marks each image with a small square whose place may give its label away.

    With probability ``agreement`` the mark sits in the slot of the image's own
    class (:func:`tag_slots`); otherwise in a slot drawn uniformly among all. So
    ``agreement=1`` is a perfect shortcut, and ``agreement=0`` puts the same
    marks at random, independent of the label - the control in which the mark
    carries no information.

    Args:
        images: ``(n, height, width)`` or ``(n, height, width, channels)``.
        labels: integer labels ``(n,)`` in ``[0, num_classes)``.
        num_classes: number of classes (one slot each), >= 2.
        agreement: probability that the mark's slot is the label's, in [0, 1].
        size: side of the square mark in pixels.
        value: the mark's grey level; ``None`` takes the images' maximum.
        seed: seed of which images disagree and where their marks go.

    Returns:
        :class:`TaggedImages`; the input is not changed.

    Raises:
        ValueError: for labels outside the classes, a label count that differs
            from the image count, or an agreement outside [0, 1].
    """
    images = np.asarray(images)
    if images.ndim not in (3, 4) or not len(images):
        raise _validate.error(
            "images.shape", images.shape, "to be (n, height, width[, channels])"
        )
    labels = np.asarray(labels)
    num_classes = _validate.positive_int("num_classes", num_classes, minimum=2)
    if labels.shape != (len(images),):
        raise _validate.relation(
            "one label per image",
            **{"len(images)": len(images), "labels.shape": labels.shape},
        )
    if not np.issubdtype(labels.dtype, np.integer) or (
        labels.min() < 0 or labels.max() >= num_classes
    ):
        raise _validate.error(
            "labels",
            f"{labels.dtype} in [{labels.min()}, {labels.max()}]",
            f"to be integers in [0, {num_classes})",
        )
    agreement = _validate.fraction("agreement", agreement, inclusive_one=True)
    seed = _validate.positive_int("seed", seed, minimum=0)
    corners = tag_slots(images.shape[1], images.shape[2], num_classes, size)
    if value is None:
        value = images.max()
    value = _validate.number("value", value)
    rng = np.random.default_rng(seed)
    keep = rng.random(len(labels)) < agreement
    slots = np.where(keep, labels, rng.integers(0, num_classes, len(labels)))
    masks = np.zeros(images.shape[:3], dtype=bool)
    for i, (row, column) in enumerate(corners[slots]):
        masks[i, row : row + size, column : column + size] = True
    tagged = images.copy()
    tagged[masks] = np.asarray(value).astype(images.dtype)
    return TaggedImages(tagged, slots.astype(np.int64), masks)
