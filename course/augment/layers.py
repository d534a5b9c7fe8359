"""The two custom preprocessing layers: random resized crop and random erasing
(lecture 07).

:class:`RandomResizedCrop` is the Inception crop of Szegedy et al., "Going deeper
with convolutions" (CVPR 2015); :class:`RandomErasing` is Algorithm 1 of Zhong et
al., "Random Erasing Data Augmentation" (AAAI 2020, arXiv:1708.04896). Keras has
layers of these names whose arguments mean other things, so these follow the
papers. Both draw a random box per image from the same numbers (an area fraction
and a log-uniform aspect ratio, :func:`_candidate_sizes`), act only in training,
and are registered for saving (``course>RandomResizedCrop``,
``course>RandomErasing``).

The module imports only ``keras`` (never TensorFlow), so the layers run on every
Keras backend.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from course import _validate
from course.augment import _checks

__all__ = ["RandomErasing", "RandomResizedCrop"]

#: Candidate boxes drawn per image before giving up. Torchvision draws candidates
#: one after the other until one fits; drawing a fixed number at once keeps the
#: layers vectorised (one graph for the whole batch) and misses almost never.
_ATTEMPTS = 10
#: Uniform numbers per image: area and aspect ratio of every candidate, then three
#: for the chosen box (its position and, for erasing, whether to erase at all).
_DRAWS = 2 * _ATTEMPTS + 3

_INTERPOLATIONS = ("bilinear", "nearest")

# --------------------------------------------------------------------------------------
# Random boxes shared by the two layers
# --------------------------------------------------------------------------------------


def _candidate_sizes(draws, area, scale, ratio):
    """``_ATTEMPTS`` random box sizes per image: ``(heights, widths)``, ``(B, A)``.

    The box covers a fraction of ``area`` drawn uniformly from ``scale``; its aspect
    ratio width / height is drawn log-uniformly from ``ratio``, so that a ratio and
    its inverse (a wide and a tall box) are equally likely.
    """
    fraction = scale[0] + (scale[1] - scale[0]) * draws[:, :_ATTEMPTS]
    low, high = math.log(ratio[0]), math.log(ratio[1])
    aspect = ops.exp(low + (high - low) * draws[:, _ATTEMPTS : 2 * _ATTEMPTS])
    box_area = area * fraction
    return ops.sqrt(box_area / aspect), ops.sqrt(box_area * aspect)


def _first_fit(fits, heights, widths):
    """Per image, whether any candidate fits and the height and width of the first
    one that does (shape ``(B,)`` each; meaningless where none fits)."""
    first = ops.one_hot(ops.argmax(ops.cast(fits, "int32"), axis=1), _ATTEMPTS)
    return (
        ops.any(fits, axis=1),
        ops.sum(first * heights, axis=1),
        ops.sum(first * widths, axis=1),
    )


def _check_rank(images):
    if len(images.shape) != 4:
        raise _validate.error(
            "inputs", images, "to have shape (batch, height, width, channels)"
        )


def _fill_value(value) -> str | float:
    """``"random"`` or a number in [0, 1], the value erased pixels get."""
    if isinstance(value, str):
        return _validate.choice("fill_value", value, ("random",))
    if not _validate.is_number(value):
        raise _validate.error(
            "fill_value", value, "to be 'random' or a number in [0, 1]", TypeError
        )
    return _validate.number("fill_value", value, minimum=0, maximum=1)


class _RandomBoxLayer(keras.layers.Layer):
    """What both layers share: a random box per image whose area is a fraction of
    the image drawn from ``scale`` and whose aspect ratio is drawn from ``ratio``,
    a seed, and the input's shape and dtype out.

    Subclasses check their own arguments, call :meth:`_draw` in ``call`` and add
    their own entries to :meth:`get_config`.
    """

    def __init__(self, scale, ratio, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.scale = _checks.interval("scale", scale, bound=1.0)
        self.ratio = _checks.interval("ratio", ratio)
        self.seed = _checks.seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def _draw(self, images):
        """Uniform numbers in [0, 1) for the boxes, ``(batch, _DRAWS)``, and the
        image's height and width as floats.

        One draw per call (sliced by the caller) rather than one per quantity: on
        JAX every new random-number shape is compiled separately, and both layers
        use this same shape.
        """
        _check_rank(images)
        shape = ops.shape(images)
        draws = keras.random.uniform((shape[0], _DRAWS), seed=self.seed_generator)
        return draws, ops.cast(shape[1], "float32"), ops.cast(shape[2], "float32")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(scale=self.scale, ratio=self.ratio, seed=self.seed)
        return config


# --------------------------------------------------------------------------------------
# The layers
# --------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="course")
class RandomResizedCrop(_RandomBoxLayer):
    """Inception-style random sized crop, resized back to the input size.

    Szegedy et al., "Going deeper with convolutions" (CVPR 2015), section 6: crops
    "whose size is distributed evenly between 8% and 100% of the image area and
    whose aspect ratio is chosen randomly between 3/4 and 4/3". Every image of a
    batch gets its own crop: its area is a fraction of the image drawn uniformly
    from ``scale``, its aspect ratio (width / height) is drawn log-uniformly from
    ``ratio`` and its position uniformly among the positions where it fits. When
    none of 10 candidates fits (possible for wide ratios or large scales) the image
    gets the largest central crop whose aspect ratio lies in ``ratio``, as in
    torchvision. The crop is then stretched to the input size by sampling it on an
    evenly spaced grid (``keras.ops.image.affine_transform``), so a crop of a
    quarter of the area is a 2x zoom.

    The layer acts only in training: called with ``training=False`` (as
    ``Model.predict`` and ``Model.evaluate`` do) it returns its input unchanged.
    Called without ``training`` it crops, like Keras' own preprocessing layers.

    Args:
        scale: ``(low, high)`` range of the crop's area as a fraction of the
            image's, ``0 < low <= high <= 1``.
        ratio: ``(low, high)`` range of the crop's aspect ratio width / height,
            ``0 < low <= high``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: optional integer; two layers with the same seed crop the same way.
        **kwargs: standard layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, height, width, channels)``, float, typically float32 in [0, 1].
    Output shape:
        Same as the input, same dtype; values stay within the input's range.
    """

    def __init__(
        self,
        scale=(0.08, 1.0),
        ratio=(3 / 4, 4 / 3),
        interpolation="bilinear",
        seed=None,
        **kwargs,
    ):
        super().__init__(scale, ratio, seed, **kwargs)
        self.interpolation = _validate.choice(
            "interpolation", interpolation, _INTERPOLATIONS
        )

    def call(self, inputs, training=True):
        if not training:
            return inputs
        draws, height, width = self._draw(inputs)

        crop_h, crop_w = _candidate_sizes(draws, height * width, self.scale, self.ratio)
        found, crop_h, crop_w = _first_fit(
            (crop_h <= height) & (crop_w <= width), crop_h, crop_w
        )
        # Fallback: the whole image if its own aspect ratio is allowed, else the
        # largest central crop with the nearest allowed ratio.
        crop_h = ops.where(found, crop_h, ops.minimum(height, width / self.ratio[0]))
        crop_w = ops.where(found, crop_w, ops.minimum(width, height * self.ratio[1]))
        offset = ops.where(found[:, None], draws[:, -2:], 0.5)
        top = offset[:, 0] * (height - crop_h)
        left = offset[:, 1] * (width - crop_w)

        # Output pixel (i, j) samples the input at the centre of cell (i, j) of the
        # crop divided into height x width cells: y = top + (i + 0.5) * sy - 0.5.
        # With the whole image (sy = sx = 1) this is y = i, exactly the input.
        sy, sx = crop_h / height, crop_w / width
        zero = ops.zeros_like(sy)
        transform = ops.stack(
            [
                sx,
                zero,
                left + 0.5 * sx - 0.5,
                zero,
                sy,
                top + 0.5 * sy - 0.5,
                zero,
                zero,
            ],
            axis=1,
        )
        # The outermost samples lie up to half a pixel beyond the last pixel centre;
        # "nearest" repeats the edge there instead of blending in a fill colour.
        outputs = ops.image.affine_transform(
            ops.cast(inputs, "float32"),
            transform,
            interpolation=self.interpolation,
            fill_mode="nearest",
            data_format="channels_last",
        )
        return ops.cast(outputs, inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(interpolation=self.interpolation)
        return config


@keras.saving.register_keras_serializable(package="course")
class RandomErasing(_RandomBoxLayer):
    """Random erasing: replaces a random rectangle of some images with noise.

    Zhong et al., "Random Erasing Data Augmentation" (AAAI 2020,
    arXiv:1708.04896), Algorithm 1: with probability ``probability`` an image gets
    a rectangle whose area is a fraction of the image drawn uniformly from
    ``scale`` and whose aspect ratio (height / width) lies in ``ratio``; its pixels
    are replaced by random values (or a constant). Hiding parts of objects makes a
    network rely on more than one discriminative part and on context, which helps
    against occlusion. The paper's defaults are p = 0.5, s_l = 0.02, s_h = 0.4 and
    r_1 = 0.3, i.e. ``ratio=(0.3, 1 / 0.3)``.

    Unlike ``keras.layers.RandomErasing`` (whose ``factor`` is a range the
    probability is drawn from and whose ``scale`` bounds each side rather than the
    area), the arguments here are the paper's. The rectangle's sides are whole
    pixels; candidates whose rounded area leaves ``scale`` or that do not fit are
    rejected, and an image for which none of 10 candidates fits stays unchanged
    (the paper keeps drawing until one fits).

    The layer acts only in training: called with ``training=False`` (as
    ``Model.predict`` and ``Model.evaluate`` do) it returns its input unchanged.
    Called without ``training`` it erases, like Keras' own preprocessing layers.

    Args:
        probability: chance that an image is erased, in [0, 1].
        scale: ``(low, high)`` range of the erased area as a fraction of the image,
            ``0 < low <= high <= 1``.
        ratio: ``(low, high)`` range of the rectangle's aspect ratio,
            ``0 < low <= high``; drawn log-uniformly.
        fill_value: ``"random"`` (uniform noise in [0, 1], the paper's best
            variant) or a constant in [0, 1] (e.g. 0.0 or the data set's mean).
        seed: optional integer; two layers with the same seed erase the same way.
        **kwargs: standard layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, height, width, channels)``, float, typically float32 in [0, 1].
    Output shape:
        Same as the input, same dtype; values stay in [0, 1] if they were.
    """

    def __init__(
        self,
        probability=0.5,
        scale=(0.02, 0.4),
        ratio=(0.3, 1 / 0.3),
        fill_value="random",
        seed=None,
        **kwargs,
    ):
        super().__init__(scale, ratio, seed, **kwargs)
        self.probability = _validate.number(
            "probability", probability, minimum=0, maximum=1
        )
        self.fill_value = _fill_value(fill_value)

    def call(self, inputs, training=True):
        if not training or self.probability == 0.0:
            return inputs
        draws, height, width = self._draw(inputs)
        shape = ops.shape(inputs)
        area = height * width

        # The paper's aspect ratio is height / width (the crop's is width / height).
        box_w, box_h = _candidate_sizes(draws, area, self.scale, self.ratio)
        box_h, box_w = ops.round(box_h), ops.round(box_w)
        # Checking the rounded box keeps the erased area inside ``scale`` exactly.
        box_area = box_h * box_w
        fits = (
            (box_h >= 1)
            & (box_w >= 1)
            & (box_h <= height)
            & (box_w <= width)
            & (box_area >= self.scale[0] * area)
            & (box_area <= self.scale[1] * area)
        )
        found, box_h, box_w = _first_fit(fits, box_h, box_w)
        erase = found & (draws[:, -3] < self.probability)
        # Whole-pixel corner, uniform over the positions where the box fits.
        top = ops.minimum(
            ops.floor(draws[:, -2] * (height - box_h + 1)), height - box_h
        )
        left = ops.minimum(ops.floor(draws[:, -1] * (width - box_w + 1)), width - box_w)

        rows = ops.arange(shape[1], dtype="float32")[None, :, None, None]
        cols = ops.arange(shape[2], dtype="float32")[None, None, :, None]

        def per_image(v):
            return v[:, None, None, None]

        inside = (
            per_image(erase)
            & (rows >= per_image(top))
            & (rows < per_image(top + box_h))
            & (cols >= per_image(left))
            & (cols < per_image(left + box_w))
        )
        if self.fill_value == "random":
            fill = keras.random.uniform(
                shape, dtype=inputs.dtype, seed=self.seed_generator
            )
        else:
            fill = ops.cast(self.fill_value, inputs.dtype)
        return ops.where(inside, fill, inputs)

    def get_config(self):
        config = super().get_config()
        config.update(probability=self.probability, fill_value=self.fill_value)
        return config
