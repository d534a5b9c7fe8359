"""Synthetic fluorescence microscopy of cell nuclei, with exact ground truth.

Used by lectures 08 (denoising: the noise-free scene is known), 09 (U-Net
segmentation: exact semantic, instance and foci masks) and 10 (atrous
convolutions), and by ``course.bench``. :func:`nuclei` draws the images;
:class:`NucleiImages` holds them, and the real DSB2018 images of
:mod:`course.data.nuclei_dsb2018` too.

Used in lectures 08 and 10.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from course import _validate, config
from course.data.common import announce, announced, split_seeds

__all__ = [
    "NUCLEI_NOISE",
    "NucleiImages",
    "nuclei",
    "nuclei_image_size",
    "reacquire",
    "synthetic_splits",
]

NUCLEI_NOISE = ("poisson", "gaussian", "none")
#: Semi-minor over semi-major axis of the nuclei: from clearly oval to round.
_NUCLEI_ASPECT = (0.65, 1.0)
#: Tries before a nucleus that does not fit is given up (keeps the time bounded).
_NUCLEI_TRIES = 30
#: Free nuclei keep this many pixels of background between them and any other.
_NUCLEI_GAP = 2
#: A nucleus partly covered by a touching neighbour keeps at least this fraction.
_NUCLEI_KEEP = 0.6
#: 8-connectivity, for the gap around a nucleus and for "in one piece".
_SQUARE = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class NucleiImages:
    """Fluorescence images of cell nuclei with their ground truth.

    Synthetic ones come with exact truth (:func:`nuclei`); real ones (the DSB2018
    benchmark, :func:`nuclei_splits`) with hand-made instance masks only.

    Attributes:
        images: the microscope images (blurred, noisy), ``float32`` in [0, 1],
            shape ``(n, H, W, 1)``.
        clean: the same scenes before blur and noise, ``float32`` in [0, 1],
            shape ``(n, H, W, 1)``: the ground truth for denoising. ``None`` for
            real microscope images, whose noise-free scene nobody knows.
        masks: semantic masks, ``uint8`` (1 = nucleus), shape ``(n, H, W)``.
        labels: instance labels, ``int32``, shape ``(n, H, W)``: 0 is background
            and the nuclei of each image are numbered 1..k without gaps.
        foci: masks of the bright chromatin foci, ``uint8``, shape ``(n, H, W)``;
            always inside a nucleus. ``None`` for real images (not annotated).
        counts: number of nuclei in each image, ``int64``, shape ``(n,)``.
        source: ``"synthetic-nuclei"``, or ``"dsb2018"`` for the real benchmark.
        description: the one-line provenance the loader printed.
    """

    images: np.ndarray
    clean: np.ndarray | None
    masks: np.ndarray
    labels: np.ndarray
    foci: np.ndarray | None
    counts: np.ndarray
    source: str
    description: str = field(default="")

    def __post_init__(self) -> None:
        # Every run started afterwards names this source in its provenance.
        config.note_data(self.source)

    @classmethod
    def from_labels(
        cls, images, labels, *, source, description="", clean=None, foci=None
    ) -> NucleiImages:
        """Builds one from instance labels: its masks and counts follow from them."""
        return cls(
            images=images,
            clean=clean,
            masks=(labels > 0).astype(np.uint8),
            labels=labels,
            foci=foci,
            # Instances are numbered 1..k without gaps, so the largest is the count.
            counts=labels.reshape(len(labels), -1).max(axis=1).astype(np.int64),
            source=source,
            description=description,
        )

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        return (
            f"NucleiImages(source={self.source!r}, images={self.images.shape} "
            f"{self.images.dtype}, nuclei={int(self.counts.sum())})"
        )


def nuclei_image_size(value) -> tuple[int, int]:
    """Checks ``image_size``: ``(height, width)`` both >= 32, or one int (square)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        value = (int(value), int(value))
    size = _validate.shape("image_size", value, rank=2)
    if min(size) < 32:
        raise _validate.error(
            "image_size", size, "to be (height, width) with both >= 32"
        )
    return size


def _range_pair(name: str, value, *, integer: bool, minimum: float) -> tuple:
    """Checks a ``(low, high)`` pair with ``minimum <= low <= high``."""
    kind = "integers" if integer else "numbers"
    wanted = Integral if integer else Real
    if not (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, wanted) and not isinstance(v, bool) for v in value)
    ):
        raise _validate.error(
            name, value, f"to be a pair (low, high) of {kind}", TypeError
        )
    low, high = value
    if not minimum <= low <= high:
        raise _validate.error(
            name,
            tuple(value),
            f"to be a pair (low, high) with {minimum} <= low <= high",
        )
    cast = int if integer else float
    return cast(low), cast(high)


def _ellipse(center, axes, angle, shape, pad=0):
    """Rasterises an ellipse into the smallest crop of an image that holds it.

    Returns:
        ``(window, inside, rho2)``: the crop as a pair of slices, the boolean
        pixels inside the ellipse and the squared normalised radius (0 at the
        centre, 1 on the rim), used for the brightness profile.
    """
    cy, cx = center
    major, minor = axes
    # The semi-major axis bounds the ellipse in every direction.
    reach = int(np.ceil(major)) + 1 + pad
    y0, y1 = max(int(cy) - reach, 0), min(int(cy) + reach + 1, shape[0])
    x0, x1 = max(int(cx) - reach, 0), min(int(cx) + reach + 1, shape[1])
    # Pixel centres sit at half-integers, as in `_draw_shape`.
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5 - cx
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = -dx * np.sin(angle) + dy * np.cos(angle)
    rho2 = (u / major) ** 2 + (v / minor) ** 2
    return (slice(y0, y1), slice(x0, x1)), rho2 <= 1.0, rho2


def _ellipse_extent(axes, angle, direction) -> float:
    """Distance from an ellipse's centre to its rim along ``direction`` (radians)."""
    major, minor = axes
    psi = direction - angle
    return major * minor / np.hypot(minor * np.cos(psi), major * np.sin(psi))


def _touching_center(placed, axes, angle, rng):
    """A centre that pushes the new nucleus into a random placed neighbour.

    Along a random direction from the neighbour, closer than the sum of both rims:
    the ellipses (convex) must overlap. Returns ``(neighbour index, centre)``.
    """
    other = int(rng.integers(len(placed)))
    o_axes, o_angle, o_center, _ = placed[other]
    direction = rng.uniform(0.0, 2 * np.pi)
    distance = rng.uniform(0.7, 0.95) * (
        _ellipse_extent(o_axes, o_angle, direction)
        + _ellipse_extent(axes, angle, direction + np.pi)
    )
    center = (
        o_center[0] + distance * np.sin(direction),
        o_center[1] + distance * np.cos(direction),
    )
    return other, center


def _neighbour_survives(labels, window, inside, o_window, label, first_area):
    """Whether nucleus ``label``, partly covered by ``inside``, stays whole enough.

    It must still be covered at all, keep at least ``_NUCLEI_KEEP`` of its first
    area and stay in one piece, so that no instance is cut in two or swallowed.
    """
    from scipy import ndimage

    if not np.count_nonzero(labels[window][inside] == label):
        return False
    ys = slice(
        min(window[0].start, o_window[0].start), max(window[0].stop, o_window[0].stop)
    )
    xs = slice(
        min(window[1].start, o_window[1].start), max(window[1].stop, o_window[1].stop)
    )
    region = labels[ys, xs].copy()
    sub = (
        slice(window[0].start - ys.start, window[0].stop - ys.start),
        slice(window[1].start - xs.start, window[1].stop - xs.start),
    )
    region[sub][inside] = -1
    kept = region == label
    if np.count_nonzero(kept) < _NUCLEI_KEEP * first_area:
        return False
    return ndimage.label(kept, _SQUARE)[1] == 1


def _place_nuclei(shape, count, radius, touching, rng):
    """Places up to ``count`` non-overlapping instances; returns labels and rho2.

    Free nuclei keep a gap of background to every other nucleus. A touching
    nucleus is pushed into one chosen neighbour so that the two overlap (the new
    one, drawn on top, owns the shared pixels) while staying clear of all others;
    the covered neighbour must keep most of its area in one piece
    (:func:`_neighbour_survives`). A nucleus that finds no place within
    ``_NUCLEI_TRIES`` tries (a touching one first falls back to a free place) is
    left out, so crowded images can hold fewer than ``count`` nuclei.
    """
    from scipy import ndimage

    height, width = shape
    labels = np.zeros(shape, dtype=np.int32)
    rho2_map = np.ones(shape, dtype=np.float32)
    placed = []  # (axes, angle, center, window) per instance, index = label - 1
    first_area = []
    for _ in range(count):
        major = rng.uniform(*radius)
        axes = (major, major * rng.uniform(*_NUCLEI_ASPECT))
        angle = rng.uniform(0.0, np.pi)
        wants_touch = bool(placed) and rng.random() < touching
        found = None
        # A touching nucleus gets _NUCLEI_TRIES tries against a neighbour, then
        # as many for a free place; a free one gets both rounds for a free place.
        for attempt in range(2 * _NUCLEI_TRIES):
            touch = wants_touch and attempt < _NUCLEI_TRIES
            if touch:
                other, center = _touching_center(placed, axes, angle, rng)
            else:
                other = -1
                center = (
                    rng.uniform(major + 1, height - major - 1),
                    rng.uniform(major + 1, width - major - 1),
                )
            # Whole nuclei only: a nucleus cut by the border would be a different
            # (harder) lesson.
            if not (
                major + 1 <= center[0] <= height - major - 1
                and major + 1 <= center[1] <= width - major - 1
            ):
                continue
            window, inside, rho2 = _ellipse(center, axes, angle, shape)
            # The gap is checked on the dilated candidate: its neighbourhood must
            # hold no other instance (the touched neighbour excepted).
            near = ndimage.binary_dilation(inside, _SQUARE, iterations=_NUCLEI_GAP)
            under = labels[window][near]
            if np.any((under != 0) & (under != other + 1)):
                continue
            if touch and not _neighbour_survives(
                labels, window, inside, placed[other][3], other + 1, first_area[other]
            ):
                continue
            found = (center, window, inside, rho2)
            break
        if found is None:
            continue
        center, window, inside, rho2 = found
        labels[window][inside] = len(placed) + 1
        rho2_map[window][inside] = rho2[inside]
        placed.append((axes, angle, center, window))
        first_area.append(int(np.count_nonzero(inside)))
    return labels, rho2_map


def _nucleus_image(shape, options, seed):
    """Draws one scene: returns ``(image, clean, labels, foci)`` as 2-D arrays."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    count = int(rng.integers(options["num_nuclei"][0], options["num_nuclei"][1] + 1))
    labels, rho2 = _place_nuclei(
        shape, count, options["radius"], options["touching"], rng
    )
    found = int(labels.max())
    # Chromatin texture: smoothed white noise, one field for the whole image
    # (the nuclei are disjoint, so each still gets its own pattern). Its grain
    # grows with the nuclei so that small and large ones look alike.
    grain = max(1.0, options["radius"][0] / 5)
    texture = ndimage.gaussian_filter(rng.normal(size=shape), grain)
    texture /= texture.std() + 1e-12
    brightness = np.concatenate([[0.0], rng.uniform(0.35, 0.75, size=found)])
    # Nuclei are thicker in the middle, so they shine more there than at the rim.
    profile = 0.7 + 0.3 * np.sqrt(np.clip(1.0 - rho2, 0.0, 1.0))
    signal = brightness[labels] * profile * np.clip(1.0 + 0.25 * texture, 0.3, None)
    foci = np.zeros(shape, dtype=bool)
    if options["foci"] and found:
        objects = ndimage.find_objects(labels)
        for index, window in enumerate(objects, start=1):
            own = labels[window] == index
            ys, xs = np.nonzero(own)
            for _ in range(int(rng.integers(1, 4))):
                # A pixel of this nucleus as centre; the spot is masked by the
                # nucleus so neither its light nor its mask leaks outside.
                pick = int(rng.integers(len(ys)))
                sigma = rng.uniform(0.7, 1.2)
                amplitude = rng.uniform(0.25, 0.5)
                dy = np.arange(own.shape[0])[:, None] - ys[pick]
                dx = np.arange(own.shape[1])[None, :] - xs[pick]
                dist2 = dy**2 + dx**2
                spot = amplitude * np.exp(-dist2 / (2 * sigma**2)) * own
                signal[window] += spot
                # The mask is the spot's core: within ~FWHM/2 (at least 1 px).
                foci[window] |= own & (dist2 <= max(1.0, 1.2 * sigma) ** 2)
    clean = np.clip(options["background"] + signal, 0.0, 1.0)
    return _acquire(clean, options, rng), clean, labels, foci


def _acquire(scene, options, rng):
    """One exposure of a 2-D ``scene``: blur, then shot and read noise."""
    from scipy import ndimage

    image = scene
    if options["blur"] > 0:
        image = ndimage.gaussian_filter(image, options["blur"], mode="nearest")
    if options["noise"] == "poisson":
        # Shot noise: a pixel of intensity 1 collects `photons` photons on average.
        image = rng.poisson(image * options["photons"]) / options["photons"]
    if options["noise"] in ("poisson", "gaussian") and options["gaussian_noise"] > 0:
        image = image + rng.normal(0.0, options["gaussian_noise"], size=scene.shape)
    return np.clip(image, 0.0, 1.0)


def _acquisition_options(blur, noise, photons, gaussian_noise):
    """The microscope's arguments of :func:`nuclei`, validated in their order."""
    return {
        "blur": _validate.non_negative("blur", blur),
        "noise": _validate.choice("noise", noise, NUCLEI_NOISE),
        "photons": _validate.positive("photons", photons),
        "gaussian_noise": _validate.non_negative("gaussian_noise", gaussian_noise),
    }


def reacquire(
    scenes,
    frames=1,
    blur=1.0,
    noise="poisson",
    photons=50.0,
    gaussian_noise=0.01,
    seed=0,
):
    """New exposures of known scenes: the microscope of :func:`nuclei` again.

    Imaging the same sample twice gives two images whose noise is independent
    while the scene is not. That is what Noise2Noise training needs (Lehtinen et
    al., *Noise2Noise: Learning Image Restoration without Clean Data*, ICML
    2018: a net trained to map one noisy copy to another learns the mean, the
    noise-free image), and what frame averaging exploits (the mean of ``n``
    exposures has ``1 / n`` of one exposure's noise variance; OCT scanners
    average repeated B-scans this way to make their clean references).

    Args:
        scenes: noise-free scenes, e.g. ``nuclei(...).clean``: shape
            ``(N, H, W, 1)`` (or ``(N, H, W)``), values in [0, 1].
        frames: exposures per scene, >= 1; with more than one, the result gains
            a frames axis after the first: ``(N, frames, H, W, 1)``.
        blur: as :func:`nuclei`; use the value the images were drawn with.
        noise: as :func:`nuclei`.
        photons: as :func:`nuclei`.
        gaussian_noise: as :func:`nuclei`.
        seed: seed of the noise, >= 0. Exposure ``j`` of scene ``i`` depends
            only on ``seed``, ``i`` and ``j``.

    Returns:
        ``float32`` images in [0, 1] of the shape of ``scenes`` (with the frames
        axis when ``frames > 1``).

    Example:
        >>> scene = nuclei(1, image_size=32, radius=(3, 6), verbose=False).clean
        >>> reacquire(scene, frames=4, seed=1).shape
        (1, 4, 32, 32, 1)
    """
    try:
        scenes = np.asarray(scenes, dtype=np.float64)
    except (TypeError, ValueError):
        raise _validate.error(
            "scenes", scenes, "to be a numeric array of images", TypeError
        ) from None
    if not (scenes.ndim == 3 or scenes.ndim == 4 and scenes.shape[-1] == 1):
        raise _validate.error(
            "scenes", scenes, "to be grey images, (N, H, W, 1) or (N, H, W)"
        )
    if scenes.size == 0 or not np.all((scenes >= 0) & (scenes <= 1)):
        raise _validate.error("scenes", scenes, "to hold images with values in [0, 1]")
    frames = _validate.positive_int("frames", frames)
    options = _acquisition_options(blur, noise, photons, gaussian_noise)
    seed = _validate.positive_int("seed", seed, minimum=0)
    planes = scenes.reshape(scenes.shape[:3])
    out = np.empty((len(planes), frames) + planes.shape[1:], dtype=np.float32)
    # One child seed per scene and exposure, as _draw_scenes does per image.
    children = np.random.SeedSequence(seed).spawn(len(planes) * frames)
    for index, child in enumerate(children):
        scene, frame = divmod(index, frames)
        out[scene, frame] = _acquire(
            planes[scene], options, np.random.default_rng(child)
        )
    out = out.reshape(out.shape + (1,) * (scenes.ndim - 3))
    return out if frames > 1 else out[:, 0]


def nuclei(
    num_images=8,
    image_size=(256, 256),
    num_nuclei=(8, 20),
    radius=(8, 20),
    touching=0.3,
    foci=True,
    blur=1.0,
    noise="poisson",
    photons=50.0,
    gaussian_noise=0.01,
    background=0.05,
    seed=0,
    verbose=True,
):
    """Draws synthetic fluorescence microscopy of cell nuclei with exact truth.

    Each image holds elliptical nuclei of random size, elongation, orientation
    and brightness, with a smooth chromatin texture, a brighter middle and a few
    small bright foci (heterochromatin). A fraction ``touching`` of the nuclei is
    pushed into a neighbour so that they touch and overlap (the one drawn later
    owns the shared pixels, so instances never overlap); the others keep a gap of
    background. The microscope then blurs the scene (out of focus), adds the
    shot noise of ``photons`` photons per unit intensity and Gaussian read noise.

    The same seed always gives the same arrays, and image ``i`` depends only on
    ``seed`` and ``i``: asking for more images keeps the first ones unchanged.
    For disjoint training and test images use :func:`nuclei_splits` (or two
    different seeds).

    Args:
        num_images: number of images, >= 1.
        image_size: ``(height, width)``, each >= 32, or one int for a square;
            ``(512, 672)`` matches the microscope of the course's nuclei data.
        num_nuclei: ``(low, high)`` nuclei drawn per image, 0 <= low <= high. A
            nucleus that finds no room within a bounded number of tries is left
            out, so crowded images can hold fewer than ``low``; ``counts`` has
            the real numbers.
        radius: ``(low, high)`` semi-major axis in pixels, 2 <= low <= high and
            ``high <= min(image_size) / 4`` so that a nucleus fits.
        touching: fraction of nuclei placed against a neighbour, in [0, 1].
        foci: draw 1-3 bright foci inside each nucleus.
        blur: standard deviation (pixels) of the Gaussian blur, >= 0.
        noise: ``"poisson"`` (shot noise plus Gaussian read noise),
            ``"gaussian"`` (read noise only) or ``"none"``.
        photons: expected photons at intensity 1, > 0; fewer is noisier.
        gaussian_noise: standard deviation of the read noise, >= 0.
        background: constant background intensity, in [0, 1).
        seed: seed of the generator, >= 0.
        verbose: print the one-line provenance.

    Returns:
        :class:`NucleiImages` with ``images``, ``clean``, ``masks``, ``labels``,
        ``foci`` and ``counts``.

    Example:
        >>> data = nuclei(num_images=2, image_size=(64, 64), radius=(4, 8),
        ...               verbose=False)
        >>> data.images.shape, data.labels.dtype
        ((2, 64, 64, 1), dtype('int32'))
    """
    num_images = _validate.positive_int("num_images", num_images)
    image_size = nuclei_image_size(image_size)
    num_nuclei = _range_pair("num_nuclei", num_nuclei, integer=True, minimum=0)
    radius = _range_pair("radius", radius, integer=False, minimum=2)
    if radius[1] > min(image_size) / 4:
        raise _validate.error(
            "radius",
            radius,
            f"to be (low, high) with high <= min(image_size) / 4 = "
            f"{min(image_size) / 4:g} so that a nucleus fits; pass a smaller radius "
            "or a larger image_size",
        )
    options = {  # checked in the order of the arguments
        "num_nuclei": num_nuclei,
        "radius": radius,
        "touching": _validate.fraction("touching", touching, inclusive_one=True),
        "foci": _validate.boolean("foci", foci),
        **_acquisition_options(blur, noise, photons, gaussian_noise),
        "background": _validate.fraction("background", background),
    }
    seed = _validate.positive_int("seed", seed, minimum=0)
    images, clean, labels, foci_masks = _draw_scenes(
        num_images, image_size, options, seed
    )
    result = NucleiImages.from_labels(
        images, labels, clean=clean, foci=foci_masks, source="synthetic-nuclei"
    )
    height, width = image_size
    message = (
        f"Nuclei: synthetic {height}x{width} fluorescence images (seed {seed}): "
        f"{num_images:,} image{'s' if num_images != 1 else ''}, "
        f"{int(result.counts.sum()):,} nuclei, blur {options['blur']:g}, "
        f"noise {noise}."
    )
    return announced(dataclasses.replace(result, description=message), verbose)


def _draw_scenes(num_images, image_size, options, seed):
    """Draws ``num_images`` scenes: ``(images, clean, labels, foci)`` arrays."""
    height, width = image_size
    images = np.empty((num_images, height, width, 1), dtype=np.float32)
    clean = np.empty_like(images)
    labels = np.empty((num_images, height, width), dtype=np.int32)
    foci = np.empty((num_images, height, width), dtype=np.uint8)
    # One child seed per image (spawn key = index), so image i never depends on
    # how many images were asked for.
    children = np.random.SeedSequence(seed).spawn(num_images)
    for index, child in enumerate(children):
        image, scene, label, spots = _nucleus_image(image_size, options, child)
        images[index, ..., 0] = image
        clean[index, ..., 0] = scene
        labels[index] = label
        foci[index] = spots
    return images, clean, labels, foci


def synthetic_splits(num_train, num_test, seed, verbose, options):
    """Disjoint train and test :func:`nuclei` from two seeds derived from ``seed``."""
    train_seed, test_seed = split_seeds(seed)
    train = nuclei(num_train, seed=train_seed, verbose=False, **options)
    test = nuclei(num_test, seed=test_seed, verbose=False, **options)
    height, width = train.images.shape[1:3]
    announce(
        f"Nuclei: synthetic {height}x{width} fluorescence images (seed {seed}): "
        f"{num_train:,} train / {num_test:,} test.",
        verbose,
    )
    return train, test
