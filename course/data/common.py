"""What every loader of :mod:`course.data` shares: the result, the errors, the checks.

:class:`DataSplits` is what the classification loaders return (every lecture
that trains a classifier: 00 to 07, 11 and 12); :class:`CorruptCacheError` is
what any loader raises for a damaged cache; :func:`announce` prints the one line
of provenance every loader prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course import _validate, config

__all__ = [
    "CorruptCacheError",
    "DataSplits",
    "announce",
    "announced",
    "check_cache_dir",
    "open_fraction",
    "refetch_hint",
    "split_seeds",
]


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

    def __post_init__(self) -> None:
        # Every run started afterwards names this source in its provenance.
        config.note_data(self.source)

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


def announce(message: str, verbose: bool) -> None:
    """Prints a loader's one line of provenance, unless ``verbose`` is false."""
    if verbose:
        print(message)


def announced(result, verbose: bool):
    """Announces ``result.description`` (its provenance line) and returns ``result``.

    Every loader ends this way, so what is printed is always what is stored.
    """
    announce(result.description, verbose)
    return result


def refetch_hint(path: Path, name: str) -> str:
    """The end of every :class:`CorruptCacheError` message: what to delete and run."""
    return (
        f"Delete {path} and re-fetch it with: python -m course.fetch {name} "
        "(or run the loader with source='download')."
    )


def check_cache_dir(cache_dir) -> Path | None:
    """Returns ``cache_dir`` as a ``Path``, or None for the default cache."""
    return _validate.path("cache_dir", cache_dir, allow_none=True)


def open_fraction(name: str, value) -> float:
    """Returns ``value`` as a float strictly between 0 and 1 (a held-out share)."""
    if not 0 < _validate.number(name, value) < 1:
        raise _validate.error(name, value, "to be in (0, 1)")
    return float(value)


def split_seeds(seed: int) -> tuple[int, int]:
    """Two independent seeds for the training and the test set, derived from ``seed``.

    Drawing each set from its own stream means that asking for more training
    examples leaves the test set unchanged.
    """
    train_seed, test_seed = np.random.SeedSequence(seed).generate_state(2)
    return int(train_seed), int(test_seed)
