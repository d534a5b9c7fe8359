"""Looking at augmentations: one image, many augmented versions (lecture 07).

:func:`augmented_versions` runs a pipeline in training mode on copies of one image
from a seed of its own, without moving the random stream training draws from;
:func:`show_augmentations` draws the original beside the versions. Lecture 07
shows every augmentation of :mod:`course.augment.pipelines` on a real photo with
it.

Matplotlib is imported only when drawing; nothing here imports TensorFlow.

Used in lecture 07.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from course import _validate
from course.augment import _checks

__all__ = ["augmented_versions", "show_augmentations"]


def _seed_states(pipeline):
    """The state variables of the pipeline's random number generators."""
    return [v for v in pipeline.variables if v.name == "seed_generator_state"]


def _check_pipeline(pipeline):
    if not isinstance(pipeline, keras.layers.Layer):
        raise _validate.error(
            "pipeline", pipeline, "to be a Keras layer or model", TypeError
        )


def _check_image(image) -> np.ndarray:
    """One image as a float32 ``(height, width, channels)`` array."""
    try:
        array = np.asarray(ops.convert_to_numpy(image))
    except Exception as exc:
        raise _validate.error("image", image, "to be an array", TypeError) from exc
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3 or not np.issubdtype(array.dtype, np.number):
        raise _validate.error(
            "image", array, "to be one numeric image of shape (height, width, channels)"
        )
    return array.astype("float32")


def augmented_versions(pipeline, image, n=8, seed=0) -> np.ndarray:
    """Runs ``pipeline`` in training mode on ``n`` copies of one image.

    The copies go through as one batch: every layer of this module (and every
    Keras preprocessing layer) draws its random parameters per image, so each copy
    is augmented independently, as if the pipeline ran ``n`` times. The pipeline's
    random generators start from states derived from ``seed`` for this call only
    (``Layer.stateless_call``), so the result depends on ``seed`` alone and the
    pipeline's own random stream, the one training draws from, stays where it was.

    Args:
        pipeline: a Keras layer or model, e.g. from :func:`image_augmentation`.
        image: one image ``(height, width, channels)`` (or ``(1, height, width,
            channels)``), float values in [0, 1].
        n: number of augmented versions, >= 1.
        seed: integer >= 0.

    Returns:
        A float32 NumPy array ``(n, height, width, channels)``.
    """
    _check_pipeline(pipeline)
    array = _check_image(image)
    n = _validate.positive_int("n", n)
    seed = _checks.seed(seed, allow_none=False)

    states = {id(v) for v in _seed_states(pipeline)}
    starts = iter(np.random.default_rng(seed).integers(1, 2**30, size=len(states)))
    trainable = [v.value for v in pipeline.trainable_variables]
    non_trainable = [
        ops.convert_to_tensor([next(starts), 0], dtype=v.dtype)
        if id(v) in states
        else v.value
        for v in pipeline.non_trainable_variables
    ]
    copies = ops.convert_to_tensor(np.repeat(array[None], n, axis=0))
    outputs, _ = pipeline.stateless_call(
        trainable, non_trainable, copies, training=True
    )
    return np.asarray(ops.convert_to_numpy(outputs), dtype="float32")


def show_augmentations(pipeline, image, n=8, seed=0, ncols=None, title=None):
    """Shows one image and ``n`` augmented versions of it.

    Args:
        pipeline: a Keras layer or model, e.g. from :func:`image_augmentation`.
        image: one image ``(height, width, channels)`` with 1 or 3 channels,
            float values in [0, 1] (shown as they are, clipped to [0, 1], so
            brightness changes stay visible).
        n: number of augmented versions, >= 1.
        seed: integer >= 0 (see :func:`augmented_versions`).
        ncols: images per row; default all in one row up to 9.
        title: optional figure title.

    Returns:
        A matplotlib ``Figure`` with ``n + 1`` axes: the original (titled
        "original") followed by the versions.
    """
    import matplotlib.pyplot as plt  # imported here: the layers need no matplotlib

    _check_pipeline(pipeline)
    original = _check_image(image)
    if original.shape[-1] not in (1, 3):
        raise _validate.error("image", original, "to have 1 or 3 channels")
    count = _validate.positive_int("n", n) + 1
    ncols = min(count, 9) if ncols is None else _validate.positive_int("ncols", ncols)
    if title is not None and not isinstance(title, str):  # "" is no title
        raise _validate.error("title", title, "to be a string or None", TypeError)
    versions = augmented_versions(pipeline, original, n=n, seed=seed)
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, squeeze=False, figsize=(1.6 * ncols, 1.9 * nrows + 0.3)
    )
    flat = list(axes.ravel())
    for ax in flat[count:]:
        fig.delaxes(ax)
    images = [original, *versions]
    for i, (ax, shown) in enumerate(zip(flat, images, strict=False)):
        shown = np.clip(shown, 0.0, 1.0)
        if shown.shape[-1] == 1:
            ax.imshow(shown[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
        else:
            ax.imshow(shown)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("original" if i == 0 else f"version {i}", fontsize=8)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
