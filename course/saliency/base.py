"""What every saliency method of lecture 11 shares: its checks and its call.

A method is a small class in the manner of tf-keras-vis (one technique per class):
its constructor takes the model and only that technique's own options, and calling
it with images and class indices returns one map per image, the size of the image.
:class:`SaliencyMethod` holds what they all check and do around the technique -
the model (built, one input, one ``(batch, classes)`` output), the images (one or
a batch, of the model's input shape, finite), the class indices (``None``: the
predicted classes) and the final scaling of each map to [0, 1] - so that a
subclass writes only :meth:`SaliencyMethod.compute`.

The checks of the options that several methods share (``reduce``, ``seed``,
``percentile``, ...) are here once, in :data:`OPTION_CHECKS`, for the methods and
for ``saliency_map``, which checks them all before it delegates.

Used in lecture 11.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import keras
import numpy as np

from course import _validate
from course.saliency import surgery

__all__ = ["BACKPROP_RULES", "REDUCTIONS", "SaliencyMethod"]

#: How the per-channel maps of a colour image become one map (seed 004).
REDUCTIONS = ("max", "mean")
#: Grad-CAM's backward rules through the ReLUs above its layer (seed 004's
#: keras-vis ``backprop_modifier``: None, ``"guided"`` and ``"relu"``, which is
#: the deconvnet's rule).
BACKPROP_RULES = (None, "guided", "deconvnet")


def _percentile(value) -> float:
    _validate.number("percentile", value, finite=False)
    if not 0 <= value < 100:
        raise _validate.error("percentile", value, "to be in [0, 100)")
    return float(value)


#: The check of every option that ``saliency_map`` passes on to a method.
OPTION_CHECKS = {
    "reduce": lambda value: _validate.choice("reduce", value, REDUCTIONS),
    "smooth_samples": lambda value: _validate.positive_int("smooth_samples", value),
    "smooth_noise": lambda value: _validate.non_negative("smooth_noise", value),
    "percentile": _percentile,
    "max_channels": lambda value: _validate.positive_int("max_channels", value),
    "batch_size": lambda value: _validate.positive_int("batch_size", value),
    "seed": lambda value: _validate.integer("seed", value, minimum=0),
    "backprop": lambda value: _validate.choice("backprop", value, BACKPROP_RULES),
}


def check_option(name: str, value):
    """Returns ``value`` checked (and converted) by ``OPTION_CHECKS[name]``."""
    return OPTION_CHECKS[name](value)


def check_layer(model, layer) -> str | None:
    """Returns ``layer``: ``None`` or the name of a layer of ``model``."""
    if layer is not None:
        layer = _validate.string("layer", layer)
        surgery.find_layer(model, layer)
    return layer


def check_images(model, images) -> np.ndarray:
    """Returns ``images`` as a float32 batch ``(N, *input_shape)``, N >= 1, finite."""
    if isinstance(images, (str, bytes)) or images is None:
        raise _validate.error("images", images, "to be an array", TypeError)
    array = np.asarray(keras.ops.convert_to_numpy(images), dtype=np.float32)
    expected = tuple(model.inputs[0].shape[1:])
    if array.ndim == len(expected):
        array = array[None]
    if array.ndim != len(expected) + 1 or any(
        want is not None and have != want
        for have, want in zip(array.shape[1:], expected, strict=True)
    ):
        raise _validate.error(
            "images",
            array,
            f"of shape (N, {', '.join(map(str, expected))}) or one image of shape "
            f"{expected}",
        )
    if len(array) == 0 or not np.all(np.isfinite(array)):
        raise _validate.error(
            "images", array, "to hold at least one image, with finite values"
        )
    return array


def _num_classes(model) -> int:
    shape = model.outputs[0].shape
    if len(shape) != 2 or shape[-1] is None:
        raise _validate.error(
            "model",
            model.name,
            "to be a classifier with outputs of shape (batch, classes), not "
            f"{tuple(shape)}",
        )
    return int(shape[-1])


def _check_class_index(class_index, count: int, classes: int) -> list[int]:
    values = [class_index] * count if np.ndim(class_index) == 0 else class_index
    allowed = f"an integer in [0, {classes - 1}] (the model has {classes} classes)"
    if isinstance(values, (str, bytes)) or len(values) != count:
        raise _validate.error(
            "class_index",
            class_index,
            f"to be {allowed} or {count} such integers, one per image",
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise _validate.error(
                "class_index", class_index, f"to be {allowed}", TypeError
            )
        if not 0 <= value < classes:
            raise _validate.error("class_index", class_index, f"to be {allowed}")
    return [int(v) for v in values]


def predicted_classes(model, images) -> list[int]:
    """The class ``model`` predicts for each image."""
    # An eager call: predict() would trace a new function for every model. A
    # model built on a list of one input warns that it got a bare array; both
    # mean the same to it.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        outputs = keras.ops.convert_to_numpy(model(images, training=False))
    return [int(c) for c in np.argmax(outputs, axis=-1)]


def normalize_maps(maps: np.ndarray) -> np.ndarray:
    """Each map to [0, 1]; a constant map becomes zeros."""
    maps = np.nan_to_num(maps.astype(np.float64))
    axes = tuple(range(1, maps.ndim))
    low = maps.min(axis=axes, keepdims=True)
    span = maps.max(axis=axes, keepdims=True) - low
    scaled = np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0.0)
    return scaled.astype(np.float32)


class SaliencyMethod:
    """One saliency method on one classifier; call it to get maps.

    Subclasses set :attr:`name` (the key ``saliency_map`` knows them by),
    :attr:`description`, :attr:`options` (the keywords of their constructor, each
    checked by :data:`OPTION_CHECKS` or, for ``layer``, :func:`check_layer`) and
    implement :meth:`compute`.

    Args:
        model: a built Sequential, Functional or nested classifier with one input
            and one ``(batch, classes)`` output; it is never changed.

    Raises:
        TypeError: ``model`` is not a ``keras.Model``.
        ValueError: it is not built or has several inputs or outputs.
    """

    #: The method's key in ``METHODS``.
    name: ClassVar[str] = ""
    #: What the method computes, with its paper.
    description: ClassVar[str] = ""
    #: The keyword options of the constructor (the ``saliency_map`` keywords).
    options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, model):
        self.model = surgery.check_model(model)

    def __call__(self, images, class_index=None, *, normalize=True) -> np.ndarray:
        """Maps of ``images`` for one class each.

        Args:
            images: a batch ``(N, *input_shape)`` or one image ``input_shape``.
            class_index: the class whose score is explained, one for all images
                or one per image; ``None`` takes each image's predicted class.
            normalize: scale each map to [0, 1] (a constant map becomes zeros).

        Returns:
            float32 maps of shape ``(N, height, width)``, finite.
        """
        normalize = _validate.boolean("normalize", normalize)
        images = check_images(self.model, images)
        count = _num_classes(self.model)
        if class_index is None:
            class_index = predicted_classes(self.model, images)
        classes = _check_class_index(class_index, len(images), count)
        maps = self.compute(images, classes)
        maps = np.nan_to_num(np.asarray(maps, dtype=np.float32))
        return normalize_maps(maps) if normalize else maps

    def compute(self, images: np.ndarray, classes: list[int]) -> np.ndarray:
        """Raw maps ``(N, height, width)`` of checked images and class indices."""
        raise NotImplementedError
