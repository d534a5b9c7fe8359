"""Augmentation pipelines built from Keras preprocessing layers (lectures 04, 07).

One builder per family of augmentation, each returning a Functional
``keras.Model`` whose layers are named ``{name}_<part>``:
:func:`digit_augmentation` (lecture 04's LeNet-5 on MNIST, lecture 07),
:func:`flip`, :func:`random_resized_crop` (Szegedy et al., 2015),
:func:`perspective`, :func:`color_jitter`, :func:`random_erasing` (Zhong et al.,
2017) and :func:`image_augmentation`, which chains them. Each family's layers come
from one private ``_<family>_layers(name, seeds, input_shape, ...)`` function that
checks its strengths before building anything, so a builder and the matching part
of :func:`image_augmentation` are the same layers by construction; the default
strengths are written once, in the builders' signatures (:func:`_strengths`).

The module imports only ``keras`` (never TensorFlow). ``RandomHue``,
``RandomSaturation`` and ``RandomShear`` appeared in Keras 3.8 and
``RandomPerspective`` in Keras 3.9.

Used in lectures 04 and 07.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import keras
import numpy as np

from course import _validate
from course.augment import _checks
from course.augment.layers import RandomErasing, RandomResizedCrop

__all__ = [
    "color_jitter",
    "digit_augmentation",
    "flip",
    "image_augmentation",
    "perspective",
    "random_erasing",
    "random_resized_crop",
]

#: The images every colour layer expects: float values in [0, 1].
VALUE_RANGE = (0.0, 1.0)

_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")
_FILL_MODES = ("reflect", "wrap", "nearest", "constant")


class _Seeds:
    """Hands out ``seed, seed + 1, ...`` (or ``None``) to the layers of a pipeline,
    so that every layer draws its own stream yet the whole pipeline is reproducible.
    """

    def __init__(self, seed):
        self._next = _checks.seed(seed)

    def __call__(self):
        if self._next is None:
            return None
        self._next += 1
        return self._next - 1


def _strength(name: str, value, maximum: float = 1) -> float:
    """A strength in ``[0, maximum]``; 0 leaves the layer out."""
    return _validate.number(name, value, minimum=0, maximum=maximum)


# --------------------------------------------------------------------------------------
# Layer lists, one per family; the builders and image_augmentation share them
# --------------------------------------------------------------------------------------


def _random_layers(name, seeds, parts, *, keep_zero=False) -> list:
    """One Keras layer per ``(part, strength, layer_class, args, kwargs)`` of
    ``parts``, in order: ``layer_class(*args, **kwargs, seed=..., name=
    f"{name}_{part}")``, each with the next seed. Parts of strength 0 are left
    out unless ``keep_zero``."""
    return [
        layer_class(*args, **kwargs, seed=seeds(), name=f"{name}_{part}")
        for part, strength, layer_class, args, kwargs in parts
        if keep_zero or strength > 0
    ]


def _flip_layers(name, seeds, input_shape, mode):
    mode = _validate.choice("mode", mode, _FLIP_MODES)
    return [keras.layers.RandomFlip(mode, seed=seeds(), name=f"{name}_flip")]


def _crop_layers(name, seeds, input_shape, scale, ratio):
    return [RandomResizedCrop(scale, ratio, seed=seeds(), name=f"{name}_crop")]


def _erasing_layers(name, seeds, input_shape, probability, scale, ratio, fill_value):
    return [
        RandomErasing(
            probability, scale, ratio, fill_value, seed=seeds(), name=f"{name}_erasing"
        )
    ]


def _perspective_layers(
    name, seeds, input_shape, distortion, rotation, shear, translation, fill_mode
):
    """Perspective warp, rotation, shear and shift (see :func:`perspective`)."""
    distortion = _strength("distortion", distortion)
    rotation = _strength("rotation", rotation, 0.5)
    shear = _strength("shear", shear)
    translation = _validate.fraction("translation", translation)
    fill_mode = _validate.choice("fill_mode", fill_mode, _FILL_MODES)
    L, filled = keras.layers, {"fill_mode": fill_mode}
    parts = [
        # factor=(1, 1): every image is warped (a single float would be the upper
        # end of a range the probability is drawn from). RandomPerspective fills
        # with a constant only.
        ("perspective", distortion, L.RandomPerspective, ((1.0, 1.0), distortion), {}),
        ("rotation", rotation, L.RandomRotation, (rotation,), filled),
        # RandomShear flips the sign at random, so (0, shear) gives shears in
        # [-shear, shear]. A plain float would too, but its saved config (-s, s)
        # fails RandomShear's own check on loading (Keras 3.15).
        ("shear", shear, L.RandomShear, ((0.0, shear), (0.0, shear)), filled),
        ("translation", translation, L.RandomTranslation, (translation,) * 2, filled),
    ]
    return _random_layers(name, seeds, parts)


def _saturation(saturation):
    """Keras multiplies the HSV saturation by ``f / (1 - f)`` for ``f`` drawn from
    ``factor``; these bounds give multipliers in ``[1 - s, 1 + s]`` (torchvision's
    ``ColorJitter`` convention). RandomSaturation expects values in [0, 1]."""
    return (1 - saturation) / (2 - saturation), (1 + saturation) / (2 + saturation)


def _color_layers(name, seeds, input_shape, brightness, contrast, saturation, hue):
    """Brightness, contrast, saturation and hue jitter (see :func:`color_jitter`)."""
    brightness = _strength("brightness", brightness)
    contrast = _strength("contrast", contrast)
    saturation = _strength("saturation", saturation)
    hue = _strength("hue", hue, 0.5)
    if saturation > 0 or hue > 0:
        _checks.image_shape(input_shape, rgb=True, why=" for saturation and hue jitter")
    L, scaled = keras.layers, {"value_range": VALUE_RANGE}
    saturated = _saturation(saturation)
    parts = [
        # Adds one offset in [-brightness, brightness] to a whole image, then clips.
        ("brightness", brightness, L.RandomBrightness, (brightness,), scaled),
        # (x - channel mean) * c + channel mean with c in [1 - contrast, 1 + contrast].
        # The pair is needed: RandomContrast turns a single float f into the range
        # (0, f), i.e. c in [1, 1 + f], which only ever raises the contrast.
        ("contrast", contrast, L.RandomContrast, ((contrast, contrast),), scaled),
        ("saturation", saturation, L.RandomSaturation, (saturated,), scaled),
        # Keras shifts the hue by +-factor / 2 of a full turn: a factor range of
        # (0, 2 * hue) gives shifts in [-hue, hue], as torchvision's ColorJitter.
        ("hue", hue, L.RandomHue, ((0.0, 2 * hue),), scaled),
    ]
    return _random_layers(name, seeds, parts)


def _digit_layers(name, seeds, input_shape, rotation, translation, zoom, erasing):
    """Rotation, shift and zoom, then erasing (see :func:`digit_augmentation`)."""
    rotation = _validate.fraction("rotation", rotation)
    translation = _validate.fraction("translation", translation)
    zoom = _validate.fraction("zoom", zoom)
    erasing = _strength("erasing", erasing)
    # Empty space is filled with zeros, the background of a digit.
    L, zeros = keras.layers, {"fill_mode": "constant"}
    parts = [
        ("rotation", rotation, L.RandomRotation, (rotation,), zeros),
        ("translation", translation, L.RandomTranslation, (translation,) * 2, zeros),
        ("zoom", zoom, L.RandomZoom, (zoom,), zeros),
    ]
    # The three jitters stay even at strength 0: the layers digit models had.
    layers = _random_layers(name, seeds, parts, keep_zero=True)
    if erasing > 0:
        options = {**_strengths(random_erasing), "probability": erasing}
        layers += _erasing_layers(name, seeds, input_shape, **options)
    return layers


def _pipeline(input_shape, layers, name):
    """A Functional model applying ``layers`` in order (``{name}_identity`` if none)."""
    inputs = keras.Input(shape=input_shape, name=f"{name}_inputs")
    outputs = inputs
    for layer in layers or [keras.layers.Identity(name=f"{name}_identity")]:
        outputs = layer(outputs)
    return keras.Model(inputs, outputs, name=name)


def _build(input_shape, name, seed, make_layers, *strengths):
    """Checks what every builder takes, then builds the pipeline of
    ``make_layers(name, seeds, input_shape, *strengths)``."""
    input_shape = _checks.image_shape(input_shape)
    name = _validate.string("name", name)
    seeds = _Seeds(seed)
    return _pipeline(
        input_shape, make_layers(name, seeds, input_shape, *strengths), name
    )


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
    return _build(
        input_shape, name, seed, _digit_layers, rotation, translation, zoom, erasing
    )


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
    return _build(input_shape, name, seed, _flip_layers, mode)


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
    return _build(
        input_shape, name, seed, _erasing_layers, probability, scale, ratio, fill_value
    )


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
    return _build(input_shape, name, seed, _crop_layers, scale, ratio)


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
    return _build(
        input_shape,
        name,
        seed,
        _perspective_layers,
        distortion,
        rotation,
        shear,
        translation,
        fill_mode,
    )


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
    return _build(
        input_shape, name, seed, _color_layers, brightness, contrast, saturation, hue
    )


#: The parts of image_augmentation, in order: (the builder whose strength
#: arguments and defaults the part takes, its layer list).
_PARTS = {
    "crop": (random_resized_crop, _crop_layers),
    "flip": (flip, _flip_layers),
    "perspective": (perspective, _perspective_layers),
    "color": (color_jitter, _color_layers),
    "erasing": (random_erasing, _erasing_layers),
}


def _strengths(builder) -> dict:
    """``{argument: default}`` for a builder's strength arguments (all but
    ``input_shape``, ``seed`` and ``name``): the one copy of the defaults, which
    :func:`image_augmentation` and :func:`digit_augmentation` read from here."""
    return {
        argument: parameter.default
        for argument, parameter in inspect.signature(builder).parameters.items()
        if argument not in ("input_shape", "seed", "name")
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
    chosen = {
        "crop": crop,
        "flip": flip,
        "perspective": perspective,
        "color": color,
        "erasing": erasing,
    }
    return _build(input_shape, name, seed, _image_layers, chosen)


def _image_layers(name, seeds, input_shape, chosen):
    """The layers of the parts of :func:`image_augmentation` switched on."""
    # Check every part before building any layer.
    options = {part: _part_options(part, value) for part, value in chosen.items()}
    layers = []
    for part, (builder, make_layers) in _PARTS.items():
        if options[part] is not None:
            strengths = {**_strengths(builder), **options[part]}
            layers += make_layers(name, seeds, input_shape, **strengths)
    return layers


def _part_options(part, value) -> dict | None:
    """The keyword arguments of one part of image_augmentation (None: left out)."""
    allowed = tuple(_strengths(_PARTS[part][0]))
    if isinstance(value, (bool, np.bool_)):
        return {} if value else None
    if not isinstance(value, Mapping):
        raise _validate.error(
            part, value, f"to be a bool or a dict with keys from {allowed!r}", TypeError
        )
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise _validate.error(
            part, dict(value), f"to have keys from {allowed!r}, not {unknown!r}"
        )
    return dict(value)
