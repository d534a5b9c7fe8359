"""Download the course datasets once, verify them, and cache them on disk.

Every file is pinned by URL and hash. A file only ever appears under its final name
after its hash has been verified, and archives are extracted all-or-nothing, so an
interrupted or tampered download can never leave something in the cache that a
loader would mistake for real data. The loaders of :mod:`course.data` call
:func:`fetch` (MNIST for lectures 00, 02, 04, 07, 08, 11 and 12; CIFAR-10 for 05
and 06; the flower photos for 07; DSB2018 nuclei for 09 and 10).

Usage (anywhere the package is installed, Colab included; in a notebook cell,
prefix the command with ``!``)::

    python -m course.fetch --list
    python -m course.fetch mnist cifar10 --cache-dir /data/course
    python data_scripts/fetch.py fashion_mnist   # the same, from a checkout

One module per concern:

- :mod:`course.fetch.registry`: the datasets, their URLs and pinned hashes;
- :mod:`course.fetch.cache`: the cache-directory rule (shared with
  :func:`course.config.cache_dir`), each dataset's directory, and :func:`fetch`;
- :mod:`course.fetch.download`: one hash-checked download (:func:`fetch_file`);
- :mod:`course.fetch.extract`: safe, all-or-nothing archive extraction;
- :mod:`course.fetch.staging`: the scratch directories both write through;
- :mod:`course.fetch.cli`: ``python -m course.fetch`` (:func:`main`).

This package deliberately imports neither TensorFlow nor Keras (nor, until a
file is hashed or downloaded, pooch): fetching must stay fast and must work in a
bare environment (CI, a data-prep container).
"""

from __future__ import annotations

from course.fetch.cache import (
    CACHE_ENV,
    dataset_dir,
    fetch,
    is_cached,
    resolve_cache_dir,
)
from course.fetch.cli import main
from course.fetch.download import (
    TIMEOUT_S,
    DownloadError,
    HashMismatchError,
    fetch_file,
)
from course.fetch.extract import safe_extract
from course.fetch.registry import REGISTRY, DatasetEntry, RemoteFile

__all__ = [
    "CACHE_ENV",
    "REGISTRY",
    "TIMEOUT_S",
    "DatasetEntry",
    "DownloadError",
    "HashMismatchError",
    "RemoteFile",
    "dataset_dir",
    "fetch",
    "fetch_file",
    "is_cached",
    "main",
    "resolve_cache_dir",
    "safe_extract",
]
