"""Real photographs that ship inside scikit-image, for lectures that need one image.

Lecture 03 convolves them (edges, blur), lecture 07 augments one and lecture 11
explains a classifier's prediction on one. Nothing is downloaded.

Used in lectures 03, 07 and 11.
"""

from __future__ import annotations

import numpy as np

from course import _validate
from course.data.common import announce

__all__ = ["SAMPLE_IMAGES", "sample_image"]

#: Real images that ship inside scikit-image (no download), with what they show.
SAMPLE_IMAGES = {
    "camera": "a photographer with a tripod, 512x512 grayscale",
    "coins": "Greek coins from Pompeii, 303x384 grayscale",
    "astronaut": "astronaut Eileen Collins, 512x512 RGB",
    "cell": "a cell imaged by phase-contrast microscopy, 660x550 grayscale",
    "moon": "the surface of the moon, 512x512 grayscale",
    "text": "handwritten text on a whiteboard, 172x448 grayscale",
    "retina": "a human retina with its blood vessels, 1411x1411 RGB",
    "brick": "a brick wall texture, 512x512 grayscale",
    "grass": "a grass texture, 512x512 grayscale",
    "immunohistochemistry": "stained tissue (immunohistochemistry), 512x512 RGB",
    "hubble_deep_field": "the Hubble eXtreme Deep Field, 872x1000 RGB",
    "page": "a scanned page of text, 191x384 grayscale",
}


def sample_image(name="camera", verbose=True):
    """Loads one of the real photographs that ship inside scikit-image.

    Args:
        name: one of :data:`SAMPLE_IMAGES` (all are stored in the installed package,
            so they load offline).
        verbose: print the one-line provenance.

    Returns:
        The image as ``uint8``, shape ``(H, W)`` for grayscale or ``(H, W, 3)``.
    """
    _validate.choice("name", name, tuple(SAMPLE_IMAGES))
    import skimage.data

    image = np.asarray(getattr(skimage.data, name)(), dtype=np.uint8)
    announce(
        f"Image: skimage.data.{name}() - {SAMPLE_IMAGES[name]}, shipped with "
        "scikit-image.",
        verbose,
    )
    return image
