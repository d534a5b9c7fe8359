"""Real fluorescence nuclei (DSB2018), and the nuclei splits the lectures train on.

:func:`nuclei_splits` is what lectures 08, 09 and 10 call: synthetic images
(:mod:`course.data.nuclei_synthetic`) by default, or with ``source="auto"``
(lectures 09 and 10) the real DSB2018 benchmark, following the rule of
:mod:`course.data.sources`; its fallback is ``"synthetic"``.

Used in lectures 08, 09 and 10.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course import _validate, fetch
from course.data import sources
from course.data.common import (
    CorruptCacheError,
    announce,
    check_cache_dir,
    refetch_hint,
    split_seeds,
)
from course.data.nuclei_synthetic import (
    NucleiImages,
    nuclei_image_size,
    synthetic_splits,
)

__all__ = ["DSB2018_SIZES", "NUCLEI_SOURCES", "nuclei_dir", "nuclei_splits"]

NUCLEI_SOURCES = ("synthetic", *sources.SOURCES)
#: Images in the two splits of StarDist's DSB2018 subset.
DSB2018_SIZES = {"train": 447, "test": 50}
_FETCH_COMMAND = "python -m course.fetch dsb2018"


def nuclei_dir(cache_dir=None) -> Path:
    """Where ``python -m course.fetch dsb2018`` puts the ``train`` and ``test`` sets."""
    return fetch.dataset_dir("dsb2018", cache_dir) / "dsb2018" / "dsb2018"


def _read_tiff(path: Path, hint: str) -> np.ndarray:
    import tifffile

    try:
        return np.asarray(tifffile.imread(path))
    except Exception as error:  # tifffile raises several types for damaged files
        raise CorruptCacheError(
            f"Cannot read {path} ({type(error).__name__}: {error}). {hint}"
        ) from error


def _dsb_pairs(directory: Path, split: str, hint: str) -> list[tuple[Path, Path]]:
    """The (image, mask) files of one split, paired by name, in sorted order."""
    images = directory / split / "images"
    masks = directory / split / "masks"
    for folder in (images, masks):
        if not folder.is_dir():
            raise CorruptCacheError(f"Missing folder {folder}. {hint}")
    image_names = sorted(p.name for p in images.glob("*.tif"))
    mask_names = sorted(p.name for p in masks.glob("*.tif"))
    if not image_names or image_names != mask_names:
        unpaired = sorted(set(image_names) ^ set(mask_names))[:3]
        raise CorruptCacheError(
            f"The {split} images and masks in {directory / split} do not pair up "
            f"({len(image_names)} images, {len(mask_names)} masks; unpaired e.g. "
            f"{unpaired}). {hint}"
        )
    return [(images / name, masks / name) for name in image_names]


def _fit(array: np.ndarray, size: tuple[int, int], corner: tuple[int, int]):
    """Crops ``array`` at ``corner`` to ``size``, padding with zeros where smaller."""
    height, width = size
    top, left = corner
    crop = array[top : top + height, left : left + width]
    pad = ((0, height - crop.shape[0]), (0, width - crop.shape[1]))
    return np.pad(crop, pad)


def _dsb_image(image_path: Path, mask_path: Path, size, rng, hint: str):
    """One real image, scaled to [0, 1], and its instance labels, as ``size`` crops."""
    from skimage.segmentation import relabel_sequential

    image = _read_tiff(image_path, hint).astype(np.float32)
    labels = _read_tiff(mask_path, hint)
    if image.ndim == 3:  # a few files keep colour channels; nuclei are one stain
        image = image.mean(axis=-1)
    if image.ndim != 2 or labels.shape != image.shape:
        raise CorruptCacheError(
            f"{image_path.name}: expected a 2-D image and a mask of the same shape, "
            f"got {image.shape} and {labels.shape}. {hint}"
        )
    # Percentile scaling (as StarDist does): the cameras' bit depths and exposures
    # differ, and a few hot pixels must not squash every nucleus into grey.
    low, high = np.percentile(image, (1.0, 99.8))
    image = np.clip((image - low) / max(high - low, 1e-6), 0.0, 1.0)
    corner = tuple(
        int(rng.integers(0, max(full - want, 0) + 1))
        for full, want in zip(image.shape, size, strict=True)
    )
    labels = relabel_sequential(_fit(labels.astype(np.int64), size, corner))[0]
    return _fit(image, size, corner), labels.astype(np.int32)


def _load_dsb2018(directory: Path, split: str, count: int, size, seed: int):
    hint = refetch_hint(directory, "dsb2018")
    pairs = _dsb_pairs(directory, split, hint)
    if count > len(pairs):
        raise _validate.error(
            f"num_{split}",
            count,
            f"to be at most {len(pairs)} {split} images (the cached DSB2018 "
            f"{split} split has {len(pairs)})",
        )
    rng = np.random.default_rng(seed)
    # One permutation, then the first `count`: more images keep the first ones.
    order = rng.permutation(len(pairs))[:count]
    images = np.empty((count, *size, 1), dtype=np.float32)
    labels = np.empty((count, *size), dtype=np.int32)
    for row, index in enumerate(order):
        images[row, ..., 0], labels[row] = _dsb_image(*pairs[index], size, rng, hint)
    return images, labels


def _real_nuclei(directory, num_train, num_test, size, seed, how, verbose):
    train_seed, test_seed = split_seeds(seed)
    parts = [
        _load_dsb2018(directory, "train", num_train, size, train_seed),
        _load_dsb2018(directory, "test", num_test, size, test_seed),
    ]
    height, width = size
    message = (
        f"Nuclei: DSB2018 fluorescence nuclei (BBBC038v1, CC0; StarDist's subset and "
        f"split): {num_train:,} train / {num_test:,} test images as {height}x{width} "
        f"crops (seed {seed}), {how} {directory}."
    )
    announce(message, verbose)
    return tuple(
        NucleiImages.from_labels(images, labels, source="dsb2018", description=message)
        for images, labels in parts
    )


def _real_size(num_train, num_test, source, options) -> tuple[int, int]:
    """Checks the arguments that only matter for the real images; returns the crop."""
    size = nuclei_image_size(options.get("image_size", (256, 256)))
    for name, count in (("num_train", num_train), ("num_test", num_test)):
        split = name.removeprefix("num_")
        if count > DSB2018_SIZES[split]:
            raise _validate.error(
                name,
                count,
                f"<= {DSB2018_SIZES[split]} (the DSB2018 {split} split) with "
                f"source={source!r}",
            )
    if source != "auto":
        # Synthetic-only options would be silently ignored: refuse them instead.
        extra = sorted(set(options) - {"image_size"})
        if extra:
            raise _validate.error(
                extra[0],
                options[extra[0]],
                f"not to be given with source={source!r}: only image_size applies "
                "to real images, the other options shape synthetic ones",
                TypeError,
            )
    return size


def nuclei_splits(
    num_train=16,
    num_test=4,
    seed=0,
    verbose=True,
    source="synthetic",
    cache_dir=None,
    **options,
):
    """Training and test images of cell nuclei: synthetic, or a real benchmark.

    ``source="synthetic"`` draws two disjoint sets of :func:`nuclei` images from
    two seeds derived from ``seed`` (as :func:`shapes` does), so asking for more
    training images leaves the test set unchanged.

    The real benchmark is the fluorescence part of the 2018 Data Science Bowl
    (BBBC038v1, Caicedo et al., Nature Methods 2019) as curated by Schmidt et al.
    for StarDist (MICCAI 2018): 447 training and 50 test images of stained
    nuclei from many microscopes, 256x256 to 1024x1024 pixels, each with a
    hand-made instance mask. ``python -m course.fetch dsb2018`` downloads
    it once (hash-checked). Images are scaled to [0, 1] between their 1st and
    99.8th percentiles and cut to ``image_size`` at a seeded random position
    (zero-padded where smaller); nuclei cut by the crop keep their visible part.
    Real images have no noise-free version and no foci annotation: ``clean`` and
    ``foci`` are ``None``.

    Args:
        num_train: training images, >= 1 (at most 447 for the real set).
        num_test: test images, >= 1 (at most 50 for the real set).
        seed: seed of the generator, or of the choice and crops of real images.
        verbose: print the one-line provenance.
        source: ``"synthetic"`` (the default: exact ground truth, offline),
            ``"auto"`` (DSB2018 from the cache, else a download unless offline,
            else the synthetic images, saying so), ``"cache"`` (DSB2018 already on
            disk only) or ``"download"`` (fetch DSB2018 now, then load); see
            :mod:`course.data.sources`.
        cache_dir: dataset cache for DSB2018; defaults to ``config.cache_dir()``.
        **options: any other argument of :func:`nuclei` (``image_size``,
            ``radius``, ``noise``, ...). ``image_size`` (default 256x256) also sets
            the crop of real images; the others only shape synthetic images.

    Returns:
        ``(train, test)``, two :class:`NucleiImages`.

    Raises:
        FileNotFoundError: ``source="cache"`` and DSB2018 is not cached.
        CorruptCacheError: the cached DSB2018 files are damaged.
    """
    num_train = _validate.positive_int("num_train", num_train)
    num_test = _validate.positive_int("num_test", num_test)
    seed = _validate.positive_int("seed", seed, minimum=0)
    _validate.choice("source", source, NUCLEI_SOURCES)
    cache = check_cache_dir(cache_dir)
    for name in ("num_images", "seed", "verbose"):
        if name in options:
            raise _validate.error(
                name,
                options[name],
                "to be set through nuclei_splits' own arguments (num_train, "
                "num_test, seed, verbose), not passed on to nuclei",
                TypeError,
            )
    if source == "synthetic":
        return synthetic_splits(num_train, num_test, seed, verbose, options)
    size = _real_size(num_train, num_test, source, options)
    directory = nuclei_dir(cache)

    def real(how: str):
        return _real_nuclei(directory, num_train, num_test, size, seed, how, verbose)

    def synthetic(unavailable: sources.Unavailable):
        reason = unavailable.reason(
            "DSB2018 is not cached and the course is offline",
            download="the DSB2018 download",
        )
        announce(
            f"Nuclei: using synthetic images ({reason}). For the real benchmark: "
            f"{_FETCH_COMMAND}",
            verbose,
        )
        return synthetic_splits(num_train, num_test, seed, verbose, options)

    return sources.load(
        "dsb2018",
        source,
        cache_dir=cache,
        # The extraction is renamed into place only when complete, so once it
        # exists a missing folder or file in it is damage, not absence.
        cached=directory.parent.is_dir,
        read=real,
        fallback=synthetic,
        missing=(
            f"DSB2018 is not in the cache (looked for {directory}). Fetch it "
            f"with: {_FETCH_COMMAND}"
        ),
        verbose=verbose,
    )
