"""The one rule for a loader's ``source``: cache, then download, then fallback.

Every loader of downloadable data (:func:`~course.data.mnist`,
:func:`~course.data.cifar10`, :func:`~course.data.flowers` and
:func:`~course.data.nuclei_splits`; lectures 00, 02, 04 to 12) takes a ``source``
and hands it to :func:`load`, which applies this rule:

========================  ===================================================
``source``                what the loader does
========================  ===================================================
``"auto"``                the cached copy if there is one; else a download,
                          unless :func:`course.config.offline` (the smoke
                          profile, ``COURSE_OFFLINE=1``); else (offline, or
                          the download failed) the loader's fallback, which
                          prints why.
``"cache"``               the cached copy only; ``FileNotFoundError`` naming
                          ``python -m course.fetch NAME`` if there is none.
``"download"``            download now, even offline (an explicit request
                          wins), then load; a cached copy is re-verified, not
                          downloaded again. A failed download raises.
the fallback's own name   the fallback at once (``"sample"`` for MNIST,
                          ``"fallback"`` for CIFAR-10, ``"synthetic"`` for
                          the nuclei); the flowers have none.
========================  ===================================================

A cached copy that is damaged raises :class:`~course.data.CorruptCacheError`
from the loader's reader: it never falls back silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from course import config, fetch

__all__ = ["FROM_CACHE", "DOWNLOADED", "SOURCES", "Unavailable", "load"]

#: The sources every loader of downloadable data accepts; each adds the name of
#: its fallback, where it has one.
SOURCES = ("auto", "cache", "download")
#: The ``how`` a reader is called with, for its provenance line.
FROM_CACHE = "from the cache"
DOWNLOADED = "downloaded to"

T = TypeVar("T")


@dataclass(frozen=True)
class Unavailable:
    """Why a loader is using its fallback.

    Attributes:
        asked: ``source`` named the fallback.
        error: the exception of the download that failed, or None when none
            was tried (the course is offline, or the fallback was asked for).
    """

    asked: bool
    error: Exception | None = None

    def reason(self, not_cached: str, download: str = "the download") -> str:
        """The parenthesis of a fallback's provenance line, e.g. ``as asked``."""
        if self.error is not None:
            return f"{download} failed ({type(self.error).__name__})"
        return "as asked" if self.asked else not_cached


def load(
    name: str,
    source: str,
    *,
    cache_dir: Path | None,
    cached: Callable[[], bool],
    read: Callable[[str], T],
    fallback: Callable[[Unavailable], T],
    missing: str,
    verbose: bool,
) -> T:
    """Loads dataset ``name`` following the module's rule for ``source``.

    Args:
        name: the dataset's key in :data:`course.fetch.REGISTRY`.
        source: ``"auto"``, ``"cache"``, ``"download"`` or the loader's fallback
            (any other value, already checked by the loader).
        cache_dir: the cache root, or None for :func:`course.config.cache_dir`.
        cached: whether a complete copy is in the cache.
        read: reads the cached copy; called with :data:`FROM_CACHE` or
            :data:`DOWNLOADED`, for the provenance line.
        fallback: builds the stand-in (or raises, where there is none).
        missing: the ``FileNotFoundError`` message for ``source="cache"``.
        verbose: show the download's progress bar.

    Returns:
        What ``read`` or ``fallback`` returns.
    """
    if source in ("auto", "cache"):
        if cached():
            return read(FROM_CACHE)
        if source == "cache":
            raise FileNotFoundError(missing)
    failure = None
    if source == "download" or (source == "auto" and not config.offline()):
        try:
            # Through the package attribute, looked up now: tests replace it.
            fetch.fetch(name, cache_dir=cache_dir, progressbar=verbose)
        except Exception as error:  # network errors differ between platforms
            if source == "download":
                raise
            failure = error
        else:
            return read(DOWNLOADED)
    return fallback(Unavailable(asked=source not in SOURCES, error=failure))
