"""Codes in TensorBoard's embedding projector, with a sprite of the images.

An autoencoder's codes (lecture 08) are points in a space of 2 or 16 dimensions.
The PROJECTOR tab shows them in 3-D (PCA, t-SNE or UMAP, computed in the
browser), coloured by a label the network never saw, each point drawn as its
own digit. The files are plain text and one PNG, which the projector reads
directly (no TensorFlow checkpoint):

    <log_dir>/projector_config.pbtxt   what to show
    <log_dir>/<name>_vectors.tsv       one code per line
    <log_dir>/<name>_metadata.tsv      its label
    <log_dir>/<name>_sprite.png        all images in one grid

Used in lecture 08.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from course import _validate
from course.tensorboard.writer import _png, to_uint8_images

__all__ = ["CONFIG_NAME", "write_embeddings"]

#: The file the projector plugin looks for in a run folder.
CONFIG_NAME = "projector_config.pbtxt"


def _write_atomic(path, data):
    """Writes bytes or text to ``path`` through a temporary file and a rename."""
    temporary = path.with_name(path.name + ".tmp")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(temporary, mode) as handle:
        handle.write(data)
    os.replace(temporary, path)


def _sprite(images):
    """One square grid image of all ``images`` (uint8), as the projector wants it."""
    array = to_uint8_images(images)
    count, height, width, channels = array.shape
    side = math.ceil(math.sqrt(count))
    grid = np.zeros((side * height, side * width, channels), dtype=np.uint8)
    for index, image in enumerate(array):
        row, column = divmod(index, side)
        grid[
            row * height : (row + 1) * height, column * width : (column + 1) * width
        ] = image
    return grid


def write_embeddings(log_dir, vectors, labels, images=None, name="codes"):
    """Writes vectors, labels and (optionally) a sprite for the PROJECTOR tab.

    Args:
        log_dir: the run folder.
        vectors: ``(n, d)`` codes, d >= 2.
        labels: ``n`` labels (numbers or strings), shown and used for colour.
        images: ``n`` images (as for ``to_uint8_images``) to draw the points
            with, or ``None``. The sprite is limited to 8192 x 8192 pixels.
        name: the tensor's name in the projector.

    Returns:
        The path of ``projector_config.pbtxt``.
    """
    log_dir = Path(_validate.path("log_dir", log_dir))
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] < 2 or not len(vectors):
        raise _validate.error(
            "vectors", vectors, "to have shape (n, d), n >= 1, d >= 2"
        )
    labels = [str(label) for label in np.asarray(labels).ravel()]
    if len(labels) != len(vectors):
        raise _validate.relation(
            "one label per vector", labels=len(labels), vectors=len(vectors)
        )
    name = _validate.string("name", name)
    log_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "vectors": f"{name}_vectors.tsv",
        "metadata": f"{name}_metadata.tsv",
        "sprite": f"{name}_sprite.png",
    }
    _write_atomic(
        log_dir / files["vectors"],
        "".join("\t".join(f"{v:.6g}" for v in row) + "\n" for row in vectors),
    )
    # One column: no header line (the projector's rule for single-column metadata).
    _write_atomic(
        log_dir / files["metadata"], "".join(label + "\n" for label in labels)
    )
    lines = [
        "embeddings {",
        f'  tensor_name: "{name}"',
        f'  tensor_path: "{files["vectors"]}"',
        f'  metadata_path: "{files["metadata"]}"',
    ]
    if images is not None:
        array = to_uint8_images(images)
        if len(array) != len(vectors):
            raise _validate.relation(
                "one image per vector", images=len(array), vectors=len(vectors)
            )
        sprite = _sprite(array)
        if max(sprite.shape[:2]) > 8192:
            raise _validate.error(
                "images", array, "to fit a sprite of at most 8192 x 8192 pixels"
            )
        _write_atomic(log_dir / files["sprite"], _png(sprite))
        height, width = array.shape[1:3]
        lines += [
            "  sprite {",
            f'    image_path: "{files["sprite"]}"',
            f"    single_image_dim: {width}",
            f"    single_image_dim: {height}",
            "  }",
        ]
    lines.append("}")
    config_path = log_dir / CONFIG_NAME
    _write_atomic(config_path, "\n".join(lines) + "\n")
    return config_path
