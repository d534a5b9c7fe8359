"""The dataset cache: the one rule for where it is, and how a dataset gets into it.

The rule (:func:`resolve_cache_dir`): an explicit ``cache_dir``, else the
``COURSE_CACHE_DIR`` environment variable, else ``~/.cache/course``.
:func:`course.config.cache_dir` and every loader of :mod:`course.data` use this
rule; it lives here, free of Keras and TensorFlow, so that ``python -m
course.fetch`` starts fast in a bare environment. Each dataset lives in
``<cache>/<name>`` (:func:`dataset_dir`); :func:`fetch` downloads, verifies and
extracts it there once. Used by every lecture with downloadable data (see
:mod:`course.fetch.registry`).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from course import _validate
from course.fetch.download import fetch_file
from course.fetch.extract import archive_kind, safe_extract
from course.fetch.registry import entry

__all__ = ["CACHE_ENV", "dataset_dir", "fetch", "is_cached", "resolve_cache_dir"]

#: Environment variable that moves the cache (e.g. to a larger disk).
CACHE_ENV = "COURSE_CACHE_DIR"


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Returns the cache root: ``cache_dir``, else ``$COURSE_CACHE_DIR``, else
    ``~/.cache/course``.

    Args:
        cache_dir: explicit cache root, or None.

    Returns:
        The cache root (not created: whoever writes into it creates it).

    Raises:
        TypeError: if ``cache_dir`` is neither a path nor None.
    """
    cache_dir = _validate.path("cache_dir", cache_dir, allow_none=True)
    if cache_dir is not None:
        return cache_dir.expanduser()
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "course"


def dataset_dir(name: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Returns ``<cache_dir>/<name>``, where ``fetch(name)`` puts the dataset.

    Args:
        name: a key of ``REGISTRY``.
        cache_dir: cache root; see ``resolve_cache_dir``.

    Raises:
        ValueError: if ``name`` is not a registered dataset.
    """
    return resolve_cache_dir(cache_dir) / entry(name).name


def is_cached(name: str, cache_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether every file of the dataset (and its extraction) is in the cache.

    Existence is enough: files only get their final names after hash verification
    and extractions are renamed into place only when complete. ``fetch`` re-checks
    the hashes anyway.

    Args:
        name: a key of ``REGISTRY``.
        cache_dir: cache root; see ``resolve_cache_dir``.
    """
    dataset = entry(name)
    root = dataset_dir(name, cache_dir)
    if not all((root / f.filename).is_file() for f in dataset.files):
        return False
    return dataset.extract_dir is None or (root / dataset.extract_dir).is_dir()


def fetch(
    name: str,
    cache_dir: str | os.PathLike[str] | None = None,
    progressbar: bool = True,
) -> Path:
    """Downloads, verifies and extracts a registered dataset (once).

    Args:
        name: a key of ``REGISTRY`` (``mnist``, ``fashion_mnist``, ``cifar10``,
            ``flowers``, ``dsb2018``).
        cache_dir: cache root; default ``COURSE_CACHE_DIR`` or ``~/.cache/course``.
        progressbar: show tqdm progress bars on stderr.

    Returns:
        ``<cache_dir>/<name>``, holding every file of the entry and, for archives,
        the ``extract_dir`` subdirectory.

    Raises:
        ValueError: for an unknown name; HashMismatchError (a ValueError) or
            DownloadError (an OSError) when a download fails.
    """
    dataset = entry(name)
    root = resolve_cache_dir(cache_dir)
    directory = root / dataset.name
    retry = (
        f"python -m course.fetch {dataset.name} --cache-dir {shlex.quote(str(root))}"
    )
    for remote in dataset.files:
        path = fetch_file(
            remote.url,
            remote.sha256,
            directory,
            remote.filename,
            progressbar=progressbar,
            retry=retry,
        )
        if dataset.extract_dir is None:
            continue
        extracted = directory / dataset.extract_dir
        if not extracted.is_dir():
            archive_kind(path)  # Fail clearly if the registry lists a non-archive.
            safe_extract(path, extracted)
    return directory
