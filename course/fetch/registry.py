"""The registry of course datasets: where each file comes from and its pinned hash.

Used by every lecture that loads downloadable data through :mod:`course.data`:
MNIST in 00, 02, 04, 07, 08, 11 and 12; CIFAR-10 in 05 and 06; the flower photos
in 07 (through :mod:`course.transfer`); the DSB2018 nuclei in 09 and 10. Adding a
dataset means adding one :class:`DatasetEntry` here; ``python -m course.fetch
NAME`` then knows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from course import _validate

__all__ = ["REGISTRY", "DatasetEntry", "RemoteFile", "entry"]

_KERAS_BUCKET = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/"
_TF_EXAMPLE_IMAGES = "https://download.tensorflow.org/example_images/"
_STARDIST_RELEASE = "https://github.com/stardist/stardist/releases/download/0.1.0/"


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file of a dataset.

    Attributes:
        url: where to download it from (https).
        sha256: 64 hex digits, or ``"md5:<32 hex>"`` where only an md5 is published.
        filename: name of the file inside the dataset directory.
        size: size in bytes, where a source publishes it (only used for display).
    """

    url: str
    sha256: str
    filename: str
    size: int | None = None


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset of the course: what it is, where it comes from, how to unpack it.

    Attributes:
        name: registry key, also the name of its directory in the cache.
        description: one line, shown by ``--list``.
        source: license and citation of the data.
        files: the files to download.
        extract_dir: if set, ``files`` holds exactly one archive, which is
            extracted into this subdirectory of the dataset directory
            (all-or-nothing; the archive itself is kept so it stays verifiable).
    """

    name: str
    description: str
    source: str
    files: tuple[RemoteFile, ...] = field(default_factory=tuple)
    extract_dir: str | None = None

    @property
    def size(self) -> int | None:
        """Total download size in bytes, or None if any file's size is unknown."""
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(sizes)


def _fashion(filename: str, sha256: str, size: int) -> RemoteFile:
    return RemoteFile(_KERAS_BUCKET + filename, sha256, filename, size)


# Hash provenance (never invent one; each was copied from a public source):
# - mnist.npz: ``file_hash`` in keras/src/datasets/mnist.py (keras-team/keras).
# - Fashion-MNIST: tensorflow/datasets tensorflow_datasets/url_checksums/
#   fashion_mnist.txt, published for the Fashion-MNIST authors' release files. The
#   Keras bucket serves copies of those same .gz files (identical byte sizes), and
#   Keras' own loader pins no hash for them.
# - cifar-10-binary.tar.gz: tensorflow/datasets tensorflow_datasets/url_checksums/
#   cifar10.txt (the same value is pinned by other projects, e.g. gomlx).
# - flower_photos.tgz: tensorflow/datasets tensorflow_datasets/url_checksums/
#   tf_flowers.txt (URL, size and sha256 of the TensorFlow team's archive).
# - dsb2018.zip: the same sha256 is pinned by torch-em (its DSB dataset, "reduced"
#   source) and by published reproductions of the StarDist paper; no size is
#   published next to it.
REGISTRY: dict[str, DatasetEntry] = {
    entry.name: entry
    for entry in (
        DatasetEntry(
            name="mnist",
            description="MNIST handwritten digits, 28x28 grayscale, 60k train / 10k "
            "test (Keras' mnist.npz: x_train, y_train, x_test, y_test).",
            source="Y. LeCun, C. Cortes, C. J. C. Burges, The MNIST database; "
            "CC BY-SA 3.0 (as stated by keras.datasets.mnist).",
            files=(
                RemoteFile(
                    _KERAS_BUCKET + "mnist.npz",
                    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                    "mnist.npz",
                    11490434,
                ),
            ),
        ),
        DatasetEntry(
            name="fashion_mnist",
            description="Fashion-MNIST clothing images, 28x28 grayscale, 10 classes, "
            "60k train / 10k test (4 idx .gz files).",
            source="H. Xiao, K. Rasul, R. Vollgraf, Fashion-MNIST (arXiv:1708.07747), "
            "Zalando Research; MIT License.",
            files=(
                _fashion(
                    "train-labels-idx1-ubyte.gz",
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                    29515,
                ),
                _fashion(
                    "train-images-idx3-ubyte.gz",
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                    26421880,
                ),
                _fashion(
                    "t10k-labels-idx1-ubyte.gz",
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                    5148,
                ),
                _fashion(
                    "t10k-images-idx3-ubyte.gz",
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                    4422102,
                ),
            ),
        ),
        DatasetEntry(
            name="cifar10",
            description="CIFAR-10 colour images, 32x32x3, 10 classes, 50k train / "
            "10k test (binary version, no pickle).",
            source="A. Krizhevsky, Learning Multiple Layers of Features from Tiny "
            "Images, 2009; https://www.cs.toronto.edu/~kriz/cifar.html.",
            # The BINARY release on purpose: the python release is pickled, and the
            # course never unpickles downloaded data.
            files=(
                RemoteFile(
                    _CIFAR_URL + "cifar-10-binary.tar.gz",
                    "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                    "cifar-10-binary.tar.gz",
                    170052171,
                ),
            ),
            # Yields <dataset dir>/cifar-10-binary/cifar-10-batches-bin/*.bin
            extract_dir="cifar-10-binary",
        ),
        DatasetEntry(
            name="flowers",
            description="TensorFlow flower photos: 3,670 colour photos of 5 flower "
            "classes (daisy, dandelion, roses, sunflowers, tulips), variable-size "
            "JPEG.",
            source="The TensorFlow team's flower photos; images from Flickr under "
            "CC BY 2.0 (per-image attributions in flower_photos/LICENSE.txt).",
            files=(
                RemoteFile(
                    _TF_EXAMPLE_IMAGES + "flower_photos.tgz",
                    "4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c",
                    "flower_photos.tgz",
                    228813984,
                ),
            ),
            # Yields <dataset dir>/flower_photos/flower_photos/<class>/*.jpg
            extract_dir="flower_photos",
        ),
        DatasetEntry(
            name="dsb2018",
            description="Fluorescence nuclei of the 2018 Data Science Bowl as curated "
            "for StarDist: 447 train / 50 test single-channel images with instance "
            "masks (TIFF).",
            source="BBBC038v1 (Caicedo et al., Nature Methods 16, 2019), CC0; the "
            "fluorescence subset and split of Schmidt et al., StarDist (MICCAI 2018).",
            files=(
                RemoteFile(
                    _STARDIST_RELEASE + "dsb2018.zip",
                    "e44921950edce378063aa4457e625581ba35b4c2dbd9a07c19d48900129f386f",
                    "dsb2018.zip",
                ),
            ),
            # Yields <dataset dir>/dsb2018/dsb2018/{train,test}/{images,masks}/*.tif
            extract_dir="dsb2018",
        ),
    )
}


def entry(name: str) -> DatasetEntry:
    """The registered dataset called ``name``.

    Raises:
        ValueError: if ``name`` is not a key of :data:`REGISTRY`.
    """
    # sorted() at call time: tests and users may register entries later.
    return REGISTRY[_validate.choice("name", name, sorted(REGISTRY))]
