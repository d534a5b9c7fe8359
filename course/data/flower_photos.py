"""The TensorFlow flower photos: 3,670 colour photos of five flower classes.

Used by lecture 07 (transfer learning from ImageNet, through
:func:`course.transfer.transfer_tasks`) when a network or the cached photos are
available. ``source`` follows the rule of :mod:`course.data.sources`, with no
fallback: there is no offline stand-in of natural photos, so without the photos
the loader raises ``FileNotFoundError`` naming ``python -m course.fetch flowers``.
The split is :func:`course.data.splits.stratified_split`; decoded photos are
cached next to the JPEGs as ``decoded-<size>px.npz``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from course import _validate, fetch
from course.data import sources
from course.data.common import (
    CorruptCacheError,
    DataSplits,
    announced,
    check_cache_dir,
    open_fraction,
    refetch_hint,
)
from course.data.splits import stratified_split

__all__ = ["FLOWERS_CLASSES", "FLOWERS_SOURCES", "flowers", "flowers_dir"]

FLOWERS_SOURCES = sources.SOURCES
#: The five class folders of the TensorFlow flower photos, in label order.
FLOWERS_CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
_JPEG_SUFFIXES = (".jpg", ".jpeg")
_FETCH_COMMAND = "python -m course.fetch flowers"


def flowers_dir(cache_dir=None) -> Path:
    """Where ``python -m course.fetch flowers`` leaves the five class folders."""
    extract_dir = fetch.REGISTRY["flowers"].extract_dir
    return fetch.dataset_dir("flowers", cache_dir) / extract_dir / "flower_photos"


def _list_flowers(directory: Path, hint: str) -> tuple[list[Path], np.ndarray]:
    """The JPEGs of every class folder in sorted order, and their labels."""
    files: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(FLOWERS_CLASSES):
        folder = directory / name
        if not folder.is_dir():
            raise CorruptCacheError(
                f"The flowers cache is incomplete: the class folder {folder} is "
                f"missing. {hint}"
            )
        found = sorted(
            (
                p
                for p in folder.iterdir()
                if p.suffix.lower() in _JPEG_SUFFIXES and p.is_file()
            ),
            key=lambda p: p.name,
        )
        if not found:
            raise CorruptCacheError(
                f"The flowers cache is damaged: the class folder {folder} holds no "
                f"JPEG files. {hint}"
            )
        files += found
        labels += [label] * len(found)
    return files, np.asarray(labels, dtype=np.int64)


def _decode_photo(path: Path, size: int, hint: str) -> np.ndarray:
    """One photo as RGB ``uint8``: centre square crop, then a Lanczos resize."""
    from PIL import Image  # imported here: only this loader needs Pillow

    try:
        with Image.open(path) as image:
            # JPEG only: let libjpeg decode at 1/2, 1/4 or 1/8 scale when the
            # result still has both sides >= size (several times faster; the
            # Lanczos resize below then starts from a slightly smoothed image).
            image.draft("RGB", (size, size))
            rgb = image.convert("RGB")  # decodes: truncated data raises here
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise CorruptCacheError(
            f"The cached flower photo {path} cannot be decoded ({error}). {hint}"
        ) from error
    width, height = rgb.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = (left, top, left + side, top + side)
    resized = rgb.resize((size, size), Image.Resampling.LANCZOS, box=square)
    return np.asarray(resized, dtype=np.uint8)


def _decode_photos(paths: list[Path], size: int, hint: str) -> np.ndarray:
    """Decodes ``paths`` in order, on a few threads (Pillow releases the GIL)."""
    images = np.empty((len(paths), size, size, 3), dtype=np.uint8)
    workers = max(1, min(8, os.cpu_count() or 1))
    decode = functools.partial(_decode_photo, size=size, hint=hint)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for index, image in enumerate(pool.map(decode, paths)):
                images[index] = image
        except BaseException:
            # A damaged photo or Ctrl-C: do not decode the rest before raising.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return images


def _decoded_cache_path(directory: Path, size: int) -> Path:
    """The ``.npz`` of decoded photos of one size, next to the class folders."""
    return directory.parent / f"decoded-{size}px.npz"


def _file_index(directory: Path, files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Relative names and byte sizes: what a decoded cache must match to be used."""
    names = np.asarray([p.relative_to(directory).as_posix() for p in files])
    sizes = np.asarray([p.stat().st_size for p in files], dtype=np.int64)
    return names, sizes


def _load_decoded(path: Path, names: np.ndarray, sizes: np.ndarray, size: int):
    """The cached decoded photos, or None if absent, unreadable or out of date."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not (
                np.array_equal(archive["names"], names)
                and np.array_equal(archive["sizes"], sizes)
            ):
                return None
            images = archive["images"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # a derived cache: decoding the JPEGs again rebuilds it
    if images.shape != (len(names), size, size, 3) or images.dtype != np.uint8:
        return None
    return images


def _save_decoded(path: Path, images, names, sizes) -> None:
    """Writes the decoded photos under a temporary name, then renames (atomic)."""
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}-", suffix=".tmp", dir=path.parent
        )
    except OSError:
        return  # e.g. a read-only shared cache: only the speed-up is lost
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, images=images, names=names, sizes=sizes)
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; a cache may be shared
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _load_flowers(directory: Path, image_size, holdout, max_per_class, seed):
    hint = refetch_hint(directory.parent, "flowers")
    files, labels = _list_flowers(directory, hint)
    train, test = stratified_split(labels, holdout, seed, max_per_class)
    cache_path = _decoded_cache_path(directory, image_size)
    names, sizes = _file_index(directory, files)
    images = _load_decoded(cache_path, names, sizes, image_size)
    if images is not None:
        return images[train], labels[train], images[test], labels[test]
    needed = np.unique(np.concatenate([train, test]))
    decoded = _decode_photos([files[i] for i in needed], image_size, hint)
    if len(needed) == len(files):  # only complete sets are cached
        _save_decoded(cache_path, decoded, names, sizes)
    train_rows = np.searchsorted(needed, train)
    test_rows = np.searchsorted(needed, test)
    return decoded[train_rows], labels[train], decoded[test_rows], labels[test]


def _no_photos(directory: Path, unavailable: sources.Unavailable):
    """The flowers' fallback: there is none, so say how to get the photos."""
    error = unavailable.error
    if error is not None:
        raise FileNotFoundError(
            f"The flower photos are not cached (looked for {directory}) and "
            f"the download failed ({type(error).__name__}: {error}). There is "
            "no offline stand-in of natural photos; fetch them where a network "
            f"is available with: {_FETCH_COMMAND}"
        ) from error
    raise FileNotFoundError(
        f"The flower photos are not cached (looked for {directory}) and are not "
        "available offline: there is no offline stand-in of natural photos. Fetch "
        f"them (218 MiB) where a network is available with: {_FETCH_COMMAND}"
    )


def flowers(
    source="auto",
    cache_dir=None,
    image_size=96,
    holdout=0.2,
    seed=0,
    max_per_class=None,
    verbose=True,
):
    """Loads the TensorFlow flower photos: 3,670 colour photos of 5 flower classes.

    Daisies, dandelions, roses, sunflowers and tulips photographed by Flickr users
    (CC BY 2.0; the per-image attributions are in ``LICENSE.txt`` of the archive),
    collected by the TensorFlow team, as variable-size JPEGs in one folder per
    class. ``python -m course.fetch flowers`` downloads the 218 MiB archive once.

    Each photo is converted to RGB, centre-cropped to a square and resized with a
    Lanczos filter to ``image_size`` x ``image_size``. Files are read in sorted
    order, so the same arguments always give the same arrays. The first call per
    ``image_size`` decodes the JPEGs (seconds to tens of seconds) and, for the
    full set, saves the decoded photos as ``decoded-<size>px.npz`` next to the
    class folders; later calls load that file. It is rebuilt whenever the photos
    change and may be deleted at any time.

    There is no offline stand-in of natural photos: without the photos on disk and
    without a network this raises ``FileNotFoundError``.

    Args:
        source: ``"auto"`` (the cache, then a download unless offline),
            ``"cache"`` (only photos already on disk) or ``"download"`` (fetch the
            archive now, with hash check, then load); see
            :mod:`course.data.sources`.
        cache_dir: dataset cache; defaults to ``config.cache_dir()``.
        image_size: side of the square images returned, >= 16.
        holdout: fraction of each class held out for testing, in (0, 1); at
            least one photo per class goes to each side.
        seed: seed of the shuffle, the ``max_per_class`` selection and the split.
        max_per_class: keep at most this many photos per class (>= 2; the first
            ones after the seeded shuffle), e.g. to load faster on a CPU; None
            keeps all.
        verbose: print the one-line provenance (and a download's progress bar).

    Returns:
        :class:`DataSplits` with ``x_*`` as ``uint8`` in [0, 255] of shape
        ``(n, image_size, image_size, 3)``, ``y_*`` as ``int64`` indices into
        ``class_names`` = :data:`FLOWERS_CLASSES` (sorted), and ``source``
        ``"flowers"``. With the defaults: 2,935 train / 735 test photos.

    Raises:
        CorruptCacheError: the extracted photos are damaged (a class folder is
            missing or empty, a JPEG cannot be decoded); never a silent fallback.
        FileNotFoundError: the photos are not cached and cannot be downloaded
            (offline, ``source="cache"``, or a failed download with
            ``source="auto"``).
    """
    _validate.choice("source", source, FLOWERS_SOURCES)
    cache = check_cache_dir(cache_dir)
    image_size = _validate.positive_int("image_size", image_size, minimum=16)
    holdout = open_fraction("holdout", holdout)
    seed = _validate.positive_int("seed", seed, minimum=0)
    if max_per_class is not None:
        max_per_class = _validate.positive_int("max_per_class", max_per_class, 2)
    verbose = _validate.boolean("verbose", verbose)
    directory = flowers_dir(cache)

    def full(how: str) -> DataSplits:
        x_train, y_train, x_test, y_test = _load_flowers(
            directory, image_size, holdout, max_per_class, seed
        )
        cap = "" if max_per_class is None else f", at most {max_per_class} per class"
        message = (
            f"Flowers: {len(y_train):,} train / {len(y_test):,} test colour photos "
            f"of 5 classes{cap}, centre-cropped, {image_size}x{image_size} "
            f"(TensorFlow flower photos, Flickr, CC BY 2.0), {how} {directory}."
        )
        return announced(
            DataSplits(
                x_train, y_train, x_test, y_test, FLOWERS_CLASSES, "flowers", message
            ),
            verbose,
        )

    return sources.load(
        "flowers",
        source,
        cache_dir=cache,
        # The extraction is renamed into place only when complete, so once it
        # exists a missing folder or file in it is damage, not absence.
        cached=directory.parent.is_dir,
        read=full,
        fallback=functools.partial(_no_photos, directory),
        missing=(
            f"No flower photos in the cache (looked for {directory}). Fetch "
            f"them (218 MiB) with: {_FETCH_COMMAND}"
        ),
        verbose=verbose,
    )
