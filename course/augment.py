"""Augmentation pipelines built from Keras preprocessing layers (lecture 07).

Data augmentation trains on randomly transformed copies of the training images so
that the network sees more variety than the data set holds: mirror images, other
crops and zooms, other viewpoints, other lighting, partly hidden objects.

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

The module imports only ``keras`` and ``numpy`` (matplotlib inside
:func:`show_augmentations`), so it runs on every Keras backend. Some of the Keras
layers used here are recent: ``RandomHue``, ``RandomSaturation`` and
``RandomShear`` appeared in Keras 3.8 and ``RandomPerspective`` in Keras 3.9.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import keras
import numpy as np
from keras import ops

from course import _validate

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

#: The images every colour layer expects: float values in [0, 1].
VALUE_RANGE = (0.0, 1.0)

#: Candidate boxes drawn per image before giving up. Torchvision draws candidates
#: one after the other until one fits; drawing a fixed number at once keeps the
#: layers vectorised (one graph for the whole batch) and misses almost never.
_ATTEMPTS = 10
#: Uniform numbers per image: area and aspect ratio of every candidate, then three
#: for the chosen box (its position and, for erasing, whether to erase at all).
_DRAWS = 2 * _ATTEMPTS + 3

_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")
_INTERPOLATIONS = ("bilinear", "nearest")
_FILL_MODES = ("reflect", "wrap", "nearest", "constant")

# --------------------------------------------------------------------------------------
# Argument checks (message shape of course._validate: "Expected ... Received: x=v")
# --------------------------------------------------------------------------------------


def _number(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"Expected {name} to be a number. Received: {name}={value!r}")
    if not math.isfinite(value):
        raise ValueError(
            f"Expected {name} to be a finite number. Received: {name}={value!r}"
        )
    return float(value)


def _bounded(name, value, low, high) -> float:
    """``value`` as a float in the closed interval ``[low, high]``."""
    value = _number(name, value)
    if not low <= value <= high:
        raise ValueError(
            f"Expected {name} to be in [{low:g}, {high:g}]. Received: {name}={value!r}"
        )
    return value


def _interval(name, value, bound=None) -> tuple[float, float]:
    """``value`` as a pair ``(low, high)`` with ``0 < low <= high`` (and
    ``high <= bound`` when a bound is given)."""
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, (Sequence, np.ndarray))
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, Real) for v in value)
    ):
        raise TypeError(
            f"Expected {name} to be a pair (low, high) of numbers. "
            f"Received: {name}={value!r}"
        )
    low, high = float(value[0]), float(value[1])
    if not (
        math.isfinite(low)
        and math.isfinite(high)
        and 0 < low <= high
        and (bound is None or high <= bound)
    ):
        upper = "" if bound is None else f" <= {bound:g}"
        raise ValueError(
            f"Expected {name} to be a pair (low, high) with 0 < low <= high{upper}. "
            f"Received: {name}={tuple(value)!r}"
        )
    return low, high


def _seed(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)):
        raise TypeError(
            f"Expected seed to be an integer or None. Received: seed={value!r}"
        )
    if value < 0:
        raise ValueError(f"Expected seed to be >= 0. Received: seed={value!r}")
    return int(value)


def _fill_value(value) -> str | float:
    if isinstance(value, str):
        return _validate.choice("fill_value", value, ("random",))
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            "Expected fill_value to be 'random' or a number in [0, 1]. "
            f"Received: fill_value={value!r}"
        )
    return _bounded("fill_value", value, 0.0, 1.0)


def _image_shape(input_shape, rgb=False, why="") -> tuple[int, int, int]:
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    if rgb and input_shape[-1] != 3:
        raise ValueError(
            f"Expected input_shape to have 3 channels (RGB){why}. "
            f"Received: input_shape={input_shape!r}"
        )
    return input_shape


def _name(value) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(
            f"Expected name to be a non-empty string. Received: name={value!r}"
        )
    return value


class _Seeds:
    """Hands out ``seed, seed + 1, ...`` (or ``None``) to the layers of a pipeline,
    so that every layer draws its own stream yet the whole pipeline is reproducible.
    """

    def __init__(self, seed):
        self._next = seed

    def __call__(self):
        if self._next is None:
            return None
        self._next += 1
        return self._next - 1


# --------------------------------------------------------------------------------------
# Random boxes shared by the two custom layers
# --------------------------------------------------------------------------------------


def _draw(generator, images):
    """Uniform numbers in [0, 1) for the random boxes, ``(batch, _DRAWS)``.

    One draw per call (sliced by the caller) rather than one per quantity: on JAX
    every new random-number shape is compiled separately, and both layers use this
    same shape.
    """
    _check_rank(images)
    return keras.random.uniform((ops.shape(images)[0], _DRAWS), seed=generator)


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
        raise ValueError(
            "Expected images of shape (batch, height, width, channels). "
            f"Received: inputs.shape={tuple(images.shape)}"
        )


# --------------------------------------------------------------------------------------
# Custom layers
# --------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="course")
class RandomResizedCrop(keras.layers.Layer):
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
        super().__init__(**kwargs)
        self.scale = _interval("scale", scale, bound=1.0)
        self.ratio = _interval("ratio", ratio)
        self.interpolation = _validate.choice(
            "interpolation", interpolation, _INTERPOLATIONS
        )
        self.seed = _seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs, training=True):
        if not training:
            return inputs
        draws = _draw(self.seed_generator, inputs)
        shape = ops.shape(inputs)
        height = ops.cast(shape[1], "float32")
        width = ops.cast(shape[2], "float32")

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

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            scale=self.scale,
            ratio=self.ratio,
            interpolation=self.interpolation,
            seed=self.seed,
        )
        return config


@keras.saving.register_keras_serializable(package="course")
class RandomErasing(keras.layers.Layer):
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
        super().__init__(**kwargs)
        self.probability = _bounded("probability", probability, 0.0, 1.0)
        self.scale = _interval("scale", scale, bound=1.0)
        self.ratio = _interval("ratio", ratio)
        self.fill_value = _fill_value(fill_value)
        self.seed = _seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs, training=True):
        if not training or self.probability == 0.0:
            return inputs
        draws = _draw(self.seed_generator, inputs)
        shape = ops.shape(inputs)
        height = ops.cast(shape[1], "float32")
        width = ops.cast(shape[2], "float32")
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

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            probability=self.probability,
            scale=self.scale,
            ratio=self.ratio,
            fill_value=self.fill_value,
            seed=self.seed,
        )
        return config


# --------------------------------------------------------------------------------------
# Layer lists, one per family; the builders and image_augmentation share them
# --------------------------------------------------------------------------------------


def _flip_layers(name, seeds, mode="horizontal"):
    mode = _validate.choice("mode", mode, _FLIP_MODES)
    return [keras.layers.RandomFlip(mode, seed=seeds(), name=f"{name}_flip")]


def _crop_layers(name, seeds, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    return [RandomResizedCrop(scale, ratio, seed=seeds(), name=f"{name}_crop")]


def _perspective_layers(
    name,
    seeds,
    distortion=0.3,
    rotation=0.05,
    shear=0.1,
    translation=0.1,
    fill_mode="reflect",
):
    distortion = _bounded("distortion", distortion, 0.0, 1.0)
    rotation = _bounded("rotation", rotation, 0.0, 0.5)
    shear = _bounded("shear", shear, 0.0, 1.0)
    translation = _validate.fraction("translation", translation)
    fill_mode = _validate.choice("fill_mode", fill_mode, _FILL_MODES)
    layers = []
    if distortion > 0:
        # factor=(1, 1): every image is warped (a single float would be the upper
        # end of a range the probability is drawn from). RandomPerspective fills
        # with a constant only.
        layers.append(
            keras.layers.RandomPerspective(
                factor=(1.0, 1.0),
                scale=distortion,
                seed=seeds(),
                name=f"{name}_perspective",
            )
        )
    if rotation > 0:
        layers.append(
            keras.layers.RandomRotation(
                rotation, fill_mode=fill_mode, seed=seeds(), name=f"{name}_rotation"
            )
        )
    if shear > 0:
        # RandomShear flips the sign at random, so (0, shear) gives shears in
        # [-shear, shear]. A plain float would too, but its saved config (-s, s)
        # fails RandomShear's own check on loading (Keras 3.15).
        layers.append(
            keras.layers.RandomShear(
                (0.0, shear),
                (0.0, shear),
                fill_mode=fill_mode,
                seed=seeds(),
                name=f"{name}_shear",
            )
        )
    if translation > 0:
        layers.append(
            keras.layers.RandomTranslation(
                translation,
                translation,
                fill_mode=fill_mode,
                seed=seeds(),
                name=f"{name}_translation",
            )
        )
    return layers


def _color_layers(
    name, seeds, input_shape, brightness=0.2, contrast=0.2, saturation=0.2, hue=0.05
):
    brightness = _bounded("brightness", brightness, 0.0, 1.0)
    contrast = _bounded("contrast", contrast, 0.0, 1.0)
    saturation = _bounded("saturation", saturation, 0.0, 1.0)
    hue = _bounded("hue", hue, 0.0, 0.5)
    if saturation > 0 or hue > 0:
        _image_shape(input_shape, rgb=True, why=" for saturation and hue jitter")
    layers = []
    if brightness > 0:
        # Adds one offset in [-brightness, brightness] to a whole image, then clips.
        layers.append(
            keras.layers.RandomBrightness(
                brightness,
                value_range=VALUE_RANGE,
                seed=seeds(),
                name=f"{name}_brightness",
            )
        )
    if contrast > 0:
        # (x - channel mean) * c + channel mean with c in [1 - contrast, 1 + contrast].
        # The pair is needed: RandomContrast turns a single float f into the range
        # (0, f), i.e. c in [1, 1 + f], which only ever raises the contrast.
        layers.append(
            keras.layers.RandomContrast(
                (contrast, contrast),
                value_range=VALUE_RANGE,
                seed=seeds(),
                name=f"{name}_contrast",
            )
        )
    if saturation > 0:
        # Keras multiplies the HSV saturation by f / (1 - f) for f drawn from
        # ``factor``; these bounds give multipliers in [1 - s, 1 + s] (torchvision's
        # ColorJitter convention). RandomSaturation expects values in [0, 1].
        factor = (
            (1 - saturation) / (2 - saturation),
            (1 + saturation) / (2 + saturation),
        )
        layers.append(
            keras.layers.RandomSaturation(
                factor,
                value_range=VALUE_RANGE,
                seed=seeds(),
                name=f"{name}_saturation",
            )
        )
    if hue > 0:
        # Keras shifts the hue by +-factor / 2 of a full turn: a factor range of
        # (0, 2 * hue) gives shifts in [-hue, hue], as torchvision's ColorJitter.
        layers.append(
            keras.layers.RandomHue(
                (0.0, 2 * hue),
                value_range=VALUE_RANGE,
                seed=seeds(),
                name=f"{name}_hue",
            )
        )
    return layers


def _erasing_layers(
    name,
    seeds,
    probability=0.5,
    scale=(0.02, 0.4),
    ratio=(0.3, 1 / 0.3),
    fill_value="random",
):
    return [
        RandomErasing(
            probability, scale, ratio, fill_value, seed=seeds(), name=f"{name}_erasing"
        )
    ]


def _pipeline(input_shape, layers, name):
    """A Functional model applying ``layers`` in order (``{name}_identity`` if none)."""
    inputs = keras.Input(shape=input_shape, name=f"{name}_inputs")
    if not layers:
        layers = [keras.layers.Identity(name=f"{name}_identity")]
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name=name)


# --------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------


def digit_augmentation(
    input_shape=(28, 28, 1),
    rotation=0.05,
    translation=0.08,
    zoom=0.08,
    name="augmentation",
    *,
    erasing=0.0,
    seed=None,
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
        erasing: probability of random erasing (Zhong et al., 2017; see
            :class:`RandomErasing`) after the jitter, in [0, 1]; 0 (the default)
            adds no erasing layer.
        seed: optional integer making the pipeline reproducible.

    Returns:
        A Functional model with layers ``{name}_rotation``, ``{name}_translation``
        and ``{name}_zoom`` (and ``{name}_erasing`` when ``erasing > 0``); empty
        space is filled with zeros (the background).
    """
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    rotation = _validate.fraction("rotation", rotation)
    translation = _validate.fraction("translation", translation)
    zoom = _validate.fraction("zoom", zoom)
    erasing = _bounded("erasing", erasing, 0.0, 1.0)
    seeds = _Seeds(_seed(seed))
    layers = [
        keras.layers.RandomRotation(
            rotation, fill_mode="constant", seed=seeds(), name=f"{name}_rotation"
        ),
        keras.layers.RandomTranslation(
            translation,
            translation,
            fill_mode="constant",
            seed=seeds(),
            name=f"{name}_translation",
        ),
        keras.layers.RandomZoom(
            zoom, fill_mode="constant", seed=seeds(), name=f"{name}_zoom"
        ),
    ]
    if erasing > 0:
        layers += _erasing_layers(name, seeds, probability=erasing)
    return _pipeline(input_shape, layers, name)


def flip(input_shape, mode="horizontal", seed=None, name="flip"):
    """Random mirror images.

    A mirrored photo shows the same kind of object, so a horizontal flip doubles
    the data for free; Krizhevsky et al. (2012) trained AlexNet on random crops and
    their horizontal reflections. Vertical flips suit only images without an up
    (aerial, microscopy).

    Args:
        input_shape: ``(height, width, channels)`` of one image.
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``;
            each direction is flipped with probability 1/2, per image.
        seed: optional integer making the pipeline reproducible.
        name: model name.

    Returns:
        A Functional model with layer ``{name}_flip``, mapping float32 images
        ``(batch, height, width, channels)`` to the same shape; identity when
        called with ``training=False``.
    """
    input_shape = _image_shape(input_shape)
    name = _name(name)
    return _pipeline(input_shape, _flip_layers(name, _Seeds(_seed(seed)), mode), name)


def random_erasing(
    input_shape,
    probability=0.5,
    scale=(0.02, 0.4),
    ratio=(0.3, 1 / 0.3),
    fill_value="random",
    seed=None,
    name="random_erasing",
):
    """Random erasing (Zhong et al., 2017, arXiv:1708.04896).

    See :class:`RandomErasing` for the algorithm; the defaults are the paper's.

    Args:
        input_shape: ``(height, width, channels)`` of one image.
        probability: chance that an image is erased, in [0, 1].
        scale: range of the erased area as a fraction of the image,
            ``0 < low <= high <= 1``.
        ratio: range of the rectangle's aspect ratio, ``0 < low <= high``.
        fill_value: ``"random"`` (uniform noise in [0, 1]) or a constant in [0, 1].
        seed: optional integer making the pipeline reproducible.
        name: model name.

    Returns:
        A Functional model with layer ``{name}_erasing``, mapping float32 images in
        [0, 1] of shape ``(batch, height, width, channels)`` to the same shape and
        range; identity when called with ``training=False``.
    """
    input_shape = _image_shape(input_shape)
    name = _name(name)
    layers = _erasing_layers(
        name, _Seeds(_seed(seed)), probability, scale, ratio, fill_value
    )
    return _pipeline(input_shape, layers, name)


def random_resized_crop(
    input_shape,
    scale=(0.08, 1.0),
    ratio=(3 / 4, 4 / 3),
    seed=None,
    name="random_resized_crop",
):
    """Inception-style random sized crop (Szegedy et al., 2015), see
    :class:`RandomResizedCrop`.

    The defaults are the paper's (8% to 100% of the area, aspect ratio 3/4 to 4/3).
    On small images such as CIFAR-10 a milder ``scale=(0.35, 1.0)`` keeps more of
    the object.

    Args:
        input_shape: ``(height, width, channels)`` of one image.
        scale: range of the crop's area as a fraction of the image's,
            ``0 < low <= high <= 1``.
        ratio: range of the crop's aspect ratio width / height, ``0 < low <= high``.
        seed: optional integer making the pipeline reproducible.
        name: model name.

    Returns:
        A Functional model with layer ``{name}_crop``, mapping float32 images
        ``(batch, height, width, channels)`` to crops of the same shape; identity
        when called with ``training=False``.
    """
    input_shape = _image_shape(input_shape)
    name = _name(name)
    return _pipeline(
        input_shape, _crop_layers(name, _Seeds(_seed(seed)), scale, ratio), name
    )


def perspective(
    input_shape,
    distortion=0.3,
    rotation=0.05,
    shear=0.1,
    translation=0.1,
    fill_mode="reflect",
    seed=None,
    name="perspective",
):
    """Random viewpoint changes: a perspective warp, rotation, shear and shift.

    A photo of the same object from a slightly different position is a projective
    transform of the original; its affine parts (rotation, shear, translation)
    are applied as separate layers so each can be switched off (strength 0 skips
    the layer).

    ``keras.layers.RandomPerspective`` and ``keras.layers.RandomShear`` declare
    ``supports_jit = False``, so a model that contains them is not XLA-compiled:
    on the JAX backend ``fit`` then runs op by op, several times slower. Set
    ``distortion=0`` and ``shear=0`` to keep the model compiled, or apply the
    pipeline to the data (``dataset.map``) instead of inside the model.

    Args:
        input_shape: ``(height, width, channels)`` of one image.
        distortion: perspective strength in [0, 1]: image corners move by up to
            ``distortion / 2`` of the image size (``keras.layers.RandomPerspective``
            ``scale``); the uncovered border is filled with 0.
        rotation: maximum rotation as a fraction of a full turn, in [0, 0.5]
            (0.05 is 18 degrees).
        shear: maximum shear in [0, 1] along each axis, as a fraction of the image.
        translation: maximum shift as a fraction of height and width, in [0, 1).
        fill_mode: how rotation, shear and translation fill uncovered pixels:
            ``"reflect"``, ``"wrap"``, ``"nearest"`` or ``"constant"`` (zeros).
        seed: optional integer making the pipeline reproducible.
        name: model name.

    Returns:
        A Functional model with layers ``{name}_perspective``, ``{name}_rotation``,
        ``{name}_shear`` and ``{name}_translation`` (those with a non-zero
        strength; ``{name}_identity`` if none), mapping float32 images
        ``(batch, height, width, channels)`` to the same shape; identity when
        called with ``training=False``.
    """
    input_shape = _image_shape(input_shape)
    name = _name(name)
    layers = _perspective_layers(
        name, _Seeds(_seed(seed)), distortion, rotation, shear, translation, fill_mode
    )
    return _pipeline(input_shape, layers, name)


def color_jitter(
    input_shape,
    brightness=0.2,
    contrast=0.2,
    saturation=0.2,
    hue=0.05,
    seed=None,
    name="color_jitter",
):
    """Random changes of lighting and colour, per image.

    Photos of one object differ in exposure, white balance and colour; jittering
    them during training makes a network less sensitive to it (Krizhevsky et al.
    (2012) altered RGB intensities along their principal components; Szegedy et al.
    (2015) used "photometric distortions"). The parameters follow torchvision's
    ``ColorJitter``; a strength of 0 skips the layer.

    Args:
        input_shape: ``(height, width, channels)`` of one image; 3 channels (RGB)
            when ``saturation`` or ``hue`` is non-zero.
        brightness: adds one random offset in ``[-brightness, brightness]`` to the
            whole image; in [0, 1].
        contrast: scales each channel's deviation from its mean by a factor in
            ``[1 - contrast, 1 + contrast]``; in [0, 1].
        saturation: multiplies the HSV saturation by a factor in
            ``[1 - saturation, 1 + saturation]``; in [0, 1].
        hue: rotates the hue by up to ``hue`` of a full turn either way; in
            [0, 0.5].
        seed: optional integer making the pipeline reproducible.
        name: model name.

    Returns:
        A Functional model with layers ``{name}_brightness``, ``{name}_contrast``,
        ``{name}_saturation`` and ``{name}_hue`` (those with a non-zero strength;
        ``{name}_identity`` if none), mapping float32 images in [0, 1] of shape
        ``(batch, height, width, channels)`` to the same shape, clipped to
        [0, 1]; identity when called with ``training=False``.
    """
    input_shape = _image_shape(input_shape)
    name = _name(name)
    layers = _color_layers(
        name, _Seeds(_seed(seed)), input_shape, brightness, contrast, saturation, hue
    )
    return _pipeline(input_shape, layers, name)


_PARTS = {
    # part: (its layer list, the keyword arguments a dict may set)
    "crop": (_crop_layers, ("scale", "ratio")),
    "flip": (_flip_layers, ("mode",)),
    "perspective": (
        _perspective_layers,
        ("distortion", "rotation", "shear", "translation", "fill_mode"),
    ),
    "color": (_color_layers, ("brightness", "contrast", "saturation", "hue")),
    "erasing": (_erasing_layers, ("probability", "scale", "ratio", "fill_value")),
}


def image_augmentation(
    input_shape,
    flip=True,
    crop=True,
    perspective=True,
    color=True,
    erasing=True,
    seed=None,
    name="augmentation",
):
    """The natural-image pipeline: crop, flip, warp, colour, erase.

    The order matters: the crop comes first so the later layers work on the final
    framing; the geometric layers come before the colour layers, which then see no
    filled borders; erasing comes last so the erased rectangle stays a clean
    rectangle of noise (Zhong et al. apply it after flips and crops too).

    The default warp contains layers that stop XLA compilation of the model they
    sit in (see :func:`perspective`); ``perspective={"distortion": 0.0, "shear":
    0.0}`` keeps rotation and translation, which compile.

    Every part is ``True`` (use the defaults of :func:`random_resized_crop`,
    :func:`flip`, :func:`perspective`, :func:`color_jitter` and
    :func:`random_erasing`), ``False`` (leave it out) or a dict of that builder's
    strength arguments, e.g. ``crop={"scale": (0.35, 1.0)}`` or
    ``color={"hue": 0.0}``.

    Args:
        input_shape: ``(height, width, channels)`` of one image; 3 channels (RGB)
            when the colour part jitters saturation or hue.
        flip: the flip part (keys ``mode``).
        crop: the random resized crop (keys ``scale``, ``ratio``).
        perspective: the warp (keys ``distortion``, ``rotation``, ``shear``,
            ``translation``, ``fill_mode``).
        color: the colour jitter (keys ``brightness``, ``contrast``,
            ``saturation``, ``hue``).
        erasing: random erasing (keys ``probability``, ``scale``, ``ratio``,
            ``fill_value``).
        seed: optional integer making the pipeline reproducible.
        name: model name.

    Returns:
        A Functional model whose layers are named ``{name}_crop``, ``{name}_flip``,
        ``{name}_perspective``, ``{name}_rotation``, ``{name}_shear``,
        ``{name}_translation``, ``{name}_brightness``, ``{name}_contrast``,
        ``{name}_saturation``, ``{name}_hue`` and ``{name}_erasing`` (those
        switched on), mapping float32 images in [0, 1] of shape
        ``(batch, height, width, channels)`` to the same shape and range; identity
        when called with ``training=False``.
    """
    input_shape = _image_shape(input_shape)
    name = _name(name)
    seeds = _Seeds(_seed(seed))
    chosen = {
        "crop": crop,
        "flip": flip,
        "perspective": perspective,
        "color": color,
        "erasing": erasing,
    }
    # Check every part before building any layer.
    options = {part: _part_options(part, value) for part, value in chosen.items()}
    layers = []
    for part, (make_layers, _) in _PARTS.items():
        if options[part] is None:
            continue
        if part == "color":
            layers += make_layers(name, seeds, input_shape, **options[part])
        else:
            layers += make_layers(name, seeds, **options[part])
    return _pipeline(input_shape, layers, name)


def _part_options(part, value) -> dict | None:
    """The keyword arguments of one part of image_augmentation (None: left out)."""
    allowed = _PARTS[part][1]
    if isinstance(value, (bool, np.bool_)):
        return {} if value else None
    if not isinstance(value, Mapping):
        raise TypeError(
            f"Expected {part} to be a bool or a dict with keys from {allowed!r}. "
            f"Received: {part}={value!r}"
        )
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValueError(
            f"Expected {part} to have keys from {allowed!r}, not {unknown!r}. "
            f"Received: {part}={dict(value)!r}"
        )
    return dict(value)


# --------------------------------------------------------------------------------------
# Looking at augmentations
# --------------------------------------------------------------------------------------


def _seed_states(pipeline):
    """The state variables of the pipeline's random number generators."""
    return [v for v in pipeline.variables if v.name == "seed_generator_state"]


def _check_pipeline(pipeline):
    if not isinstance(pipeline, keras.layers.Layer):
        raise TypeError(
            "Expected pipeline to be a Keras layer or model. "
            f"Received: pipeline={pipeline!r}"
        )


def _check_image(image) -> np.ndarray:
    try:
        array = np.asarray(keras.ops.convert_to_numpy(image))
    except Exception as exc:
        raise TypeError(
            f"Expected image to be an array. Received: image={image!r}"
        ) from exc
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            "Expected image to be one numeric image of shape (height, width, "
            f"channels). Received: image.shape={array.shape}"
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
    if seed is None:
        raise TypeError("Expected seed to be an integer. Received: seed=None")
    seed = _seed(seed)

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
        raise ValueError(
            "Expected image to have 1 or 3 channels. "
            f"Received: image.shape={original.shape}"
        )
    count = _validate.positive_int("n", n) + 1
    ncols = min(count, 9) if ncols is None else _validate.positive_int("ncols", ncols)
    if title is not None and not isinstance(title, str):
        raise TypeError(
            f"Expected title to be a string or None. Received: title={title!r}"
        )
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
