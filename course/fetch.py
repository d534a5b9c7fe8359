"""Download the course datasets once, verify them, and cache them on disk.

Every file is pinned by URL and hash. A file only ever appears under its final name
after its hash has been verified, and archives are extracted all-or-nothing, so an
interrupted or tampered download can never leave something in the cache that a
loader would mistake for real data.

Usage (anywhere the package is installed, Colab included; in a notebook cell,
prefix the command with ``!``)::

    python -m course.fetch --list
    python -m course.fetch mnist cifar10 --cache-dir /data/course
    python data_scripts/fetch.py fashion_mnist   # the same, from a checkout

This module deliberately imports neither TensorFlow nor Keras: fetching must stay
fast and must work in a bare environment (CI, a data-prep container).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import shlex
import shutil
import stat
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import pooch

__all__ = [
    "REGISTRY",
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

# Same rule as ``course.config.cache_dir()``; duplicated because importing
# ``course.config`` imports Keras, which costs seconds on every CLI call.
CACHE_ENV = "COURSE_CACHE_DIR"

# (connect, read) seconds for requests: a stalled server must fail, not hang forever.
TIMEOUT_S = (15, 60)

# Prefix of every scratch directory this module creates next to the cache. The PID
# lets a later run tell a dead process's leftovers from a concurrent live download.
_STAGING_PREFIX = ".fetch-tmp-"

_HASH_RE = re.compile(r"^(?:(?:sha256:)?[0-9a-f]{64}|md5:[0-9a-f]{32})$")
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


class HashMismatchError(ValueError):
    """A downloaded file's hash differs from the pinned one; nothing was kept."""

    def __init__(self, url: str, expected: str, actual: str, retry: str) -> None:
        self.url, self.expected, self.actual = url, expected, actual
        super().__init__(
            f"Hash mismatch for {url}: expected {expected}, got {actual}. The download "
            f"was deleted and nothing was cached. This usually means a corrupted "
            f"transfer or a changed file on the server; retry with: {retry}"
        )


class DownloadError(OSError):
    """A transfer failed (network error, cut connection, HTTP error)."""


# --------------------------------------------------------------------------- paths


def resolve_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Returns the cache root: the argument, else ``course.config.cache_dir()``.

    That is ``COURSE_CACHE_DIR`` if set, else ``~/.cache/course`` (same rule as
    ``course.config.cache_dir``, resolved here without importing Keras).

    Args:
        cache_dir: explicit cache root, or None.

    Returns:
        The cache root (not created).
    """
    if cache_dir is not None:
        if not isinstance(cache_dir, str | os.PathLike):
            raise TypeError(
                f"Expected `cache_dir` to be a path or None. "
                f"Received: cache_dir={cache_dir!r}"
            )
        return Path(cache_dir).expanduser()
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "course"


def _entry(name: str) -> DatasetEntry:
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(
            f"Expected a dataset name, one of {sorted(REGISTRY)}. "
            f"Received: name={name!r}"
        )
    return REGISTRY[name]


def dataset_dir(name: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Returns ``<cache_dir>/<name>``, where ``fetch(name)`` puts the dataset.

    Args:
        name: a key of ``REGISTRY``.
        cache_dir: cache root; see ``resolve_cache_dir``.

    Raises:
        ValueError: if ``name`` is not a registered dataset.
    """
    return resolve_cache_dir(cache_dir) / _entry(name).name


def is_cached(name: str, cache_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether every file of the dataset (and its extraction) is in the cache.

    Existence is enough: files only get their final names after hash verification
    and extractions are renamed into place only when complete. ``fetch`` re-checks
    the hashes anyway.

    Args:
        name: a key of ``REGISTRY``.
        cache_dir: cache root; see ``resolve_cache_dir``.
    """
    entry = _entry(name)
    root = dataset_dir(name, cache_dir)
    if not all((root / f.filename).is_file() for f in entry.files):
        return False
    return entry.extract_dir is None or (root / entry.extract_dir).is_dir()


# ------------------------------------------------------------------------- staging


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # Signal 0 sends nothing; it only checks existence.
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # Exists, owned by someone else.
    return True


def _clean_stale_staging(directory: Path) -> None:
    """Removes scratch dirs left by a killed process (SIGKILL, power loss).

    ``finally`` blocks clean up after exceptions and Ctrl-C, but not after a hard
    kill; such leftovers carry a dead PID in their name.
    """
    # On Windows os.kill would terminate the process, so never probe there.
    if os.name != "posix" or not directory.is_dir():
        return
    for child in directory.glob(_STAGING_PREFIX + "*"):
        pid_text = child.name[len(_STAGING_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(child, ignore_errors=True)


@contextlib.contextmanager
def _staging_dir(parent: Path) -> Iterator[Path]:
    """A private scratch directory in ``parent``, removed on exit whatever happens.

    It lives next to the final destination so that the final ``os.replace`` is a
    same-filesystem rename, hence atomic.
    """
    path = Path(tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _check_hash_spec(sha256: object) -> str:
    if not isinstance(sha256, str) or not _HASH_RE.match(sha256.lower()):
        raise ValueError(
            "Expected `sha256` to be 64 hex digits, 'sha256:<64 hex>' or "
            f"'md5:<32 hex>'. Received: sha256={sha256!r}"
        )
    return sha256.lower()


def _hash_of(path: Path, known_hash: str) -> str:
    """Hash of ``path`` with the algorithm of ``known_hash``, as ``_normalized``."""
    if known_hash.startswith("md5:"):
        return "md5:" + pooch.file_hash(str(path), alg="md5")
    return pooch.file_hash(str(path), alg="sha256")


# ------------------------------------------------------------------------ download


def fetch_file(
    url: str,
    sha256: str,
    directory: str | os.PathLike[str],
    filename: str,
    progressbar: bool = True,
    *,
    retry: str | None = None,
) -> Path:
    """Downloads one file into ``directory/filename`` and verifies its hash.

    If the file is already there with the right hash, nothing is downloaded. A file
    with a wrong hash (corrupted later) is downloaded again. The download goes to a
    scratch directory next to the destination (pooch writes a temp file there and
    verifies it), then is renamed into place, so the final name only ever holds
    verified bytes. On any failure nothing is left behind, not even a directory this
    call created.

    Args:
        url: http(s) URL of the file.
        sha256: expected hash: 64 hex digits, ``"sha256:<hex>"`` or ``"md5:<hex>"``.
        directory: destination directory (created if needed).
        filename: destination file name (a plain name, no directories).
        progressbar: show a tqdm progress bar on stderr.
        retry: command to suggest in error messages; defaults to a generic hint.

    Returns:
        Path of the verified file.

    Raises:
        HashMismatchError: (a ValueError) if the downloaded bytes have another hash.
        DownloadError: (an OSError) if the transfer fails or is cut.
        ValueError, TypeError: on invalid arguments.
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"Expected `url` to be an http(s) URL. Received: url={url!r}")
    known_hash = _check_hash_spec(sha256)
    if (
        not isinstance(filename, str)
        or filename in ("", ".", "..")
        or "/" in filename
        or "\\" in filename
    ):
        raise ValueError(
            "Expected `filename` to be a plain file name. "
            f"Received: filename={filename!r}"
        )
    if not isinstance(progressbar, bool):
        raise TypeError(
            "Expected `progressbar` to be a bool. "
            f"Received: progressbar={progressbar!r}"
        )
    directory = Path(directory).expanduser()
    target = directory / filename
    retry = retry or "the same call again (it resumes from a clean state)"

    if target.is_file() and _hash_of(target, known_hash) == _normalized(known_hash):
        return target

    created = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    _clean_stale_staging(directory)
    seen: dict[str, str] = {}
    http = pooch.HTTPDownloader(progressbar=progressbar, timeout=TIMEOUT_S)

    def download(url_: str, output_file: str, pooch_: object) -> None:
        # Record the actual hash before pooch verifies (and on mismatch deletes) the
        # temp file: pooch only reports it inside its error message text.
        http(url_, output_file, pooch_)
        seen["actual"] = _hash_of(Path(output_file), known_hash)

    if progressbar:
        # pooch's own log line would name the scratch path; name the real one.
        print(f"Downloading {url} to {target}", file=sys.stderr)
    logger = pooch.get_logger()
    level = logger.level
    try:
        with _staging_dir(directory) as staging:
            try:
                logger.setLevel(max(level, logging.WARNING))
                pooch.retrieve(
                    url,
                    known_hash=known_hash,
                    fname=filename,
                    path=staging,
                    downloader=download,
                    progressbar=progressbar,
                )
            except ValueError as err:
                if "actual" not in seen:
                    raise
                raise HashMismatchError(url, sha256, seen["actual"], retry) from err
            except Exception as err:
                # requests' errors (timeouts, cut transfers, HTTP 4xx/5xx) and OS
                # errors: one clear error type with the URL and the retry command.
                raise DownloadError(
                    f"Could not download {url}: {err}. Nothing was cached; retry "
                    f"with: {retry}"
                ) from err
            finally:
                logger.setLevel(level)
            # pooch's temp file is created 0600; give the data ordinary permissions
            # before it appears under its final name (a cache may be shared).
            os.chmod(staging / filename, 0o644)
            os.replace(staging / filename, target)
    except BaseException:
        # Also on Ctrl-C: remove the directories this call created if still empty.
        for path in created:
            with contextlib.suppress(OSError):
                path.rmdir()
        raise
    return target


def _normalized(known_hash: str) -> str:
    """``known_hash`` with the optional ``sha256:`` prefix dropped."""
    return (
        known_hash[len("sha256:") :] if known_hash.startswith("sha256:") else known_hash
    )


# ------------------------------------------------------------------------- extract


def _member_parts(name: str) -> tuple[str, ...] | None:
    """Splits an archive member name; None if it is absolute.

    Both separators count: a ``..\\`` name is harmless on POSIX but not on Windows.
    """
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).anchor:
        return None
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return tuple(p for p in parts if p != ".")


def _escapes(parts: tuple[str, ...]) -> bool:
    """Whether a relative path, resolved lexically, leaves its root."""
    depth = 0
    for part in parts:
        depth = depth - 1 if part == ".." else depth + 1
        if depth < 0:
            return True
    return False


def _check_member(
    name: str, link: str | None, hardlink: bool, symlinks: set[tuple[str, ...]]
) -> tuple[str, ...]:
    """Validates one member; raises ValueError naming it. Returns its parts."""
    parts = _member_parts(name)
    if parts is None:
        raise ValueError(f"Refusing archive member with an absolute path: {name!r}")
    if ".." in parts:
        raise ValueError(f"Refusing archive member with a '..' component: {name!r}")
    # Writing a member *through* an earlier symlink member could land anywhere.
    for i in range(1, len(parts)):
        if parts[:i] in symlinks:
            raise ValueError(f"Refusing archive member inside a symlink: {name!r}")
    if link is not None:
        link_parts = _member_parts(link)
        # Symlinks resolve from the member's directory, hard links from the root.
        base = () if hardlink else parts[:-1]
        if link_parts is None or _escapes(base + link_parts):
            kind = "hard link" if hardlink else "symlink"
            raise ValueError(
                f"Refusing archive member {name!r}: {kind} to {link!r} escapes the "
                "extraction directory"
            )
    return parts


def _check_tar(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    symlinks: set[tuple[str, ...]] = set()
    for m in members:
        if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            raise ValueError(
                f"Refusing archive member {m.name!r}: device, FIFO or other special "
                "file"
            )
        link = m.linkname if (m.issym() or m.islnk()) else None
        parts = _check_member(m.name, link, m.islnk(), symlinks)
        if m.issym():
            symlinks.add(parts)
    return members


def _check_zip(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    for info in infos:
        mode = info.external_attr >> 16
        link = None
        if stat.S_ISLNK(mode):
            link = zf.read(info).decode("utf-8", "replace")
        elif stat.S_IFMT(mode) in (
            stat.S_IFCHR,
            stat.S_IFBLK,
            stat.S_IFIFO,
            stat.S_IFSOCK,
        ):
            raise ValueError(
                f"Refusing archive member {info.filename!r}: device, FIFO or other "
                "special file"
            )
        _check_member(info.filename, link, False, set())
        if link is not None:
            # zipfile would write the link as a small text file, silently changing
            # the data; the course's archives never need zip symlinks.
            raise ValueError(
                f"Refusing archive member {info.filename!r}: symlinks in zip "
                "archives are not supported"
            )
    return infos


def _archive_kind(archive: Path) -> str:
    name = archive.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        return "tar"
    raise ValueError(
        "Expected an archive ending in .tar, .tar.gz, .tgz or .zip. "
        f"Received: archive={str(archive)!r}"
    )


def safe_extract(
    archive: str | os.PathLike[str], target: str | os.PathLike[str]
) -> list[Path]:
    """Extracts a .tar, .tar.gz, .tgz or .zip archive into ``target``, safely.

    Every member is checked before anything is written: absolute paths, ``..``
    components, links whose target leaves ``target``, members written through a
    symlink, and device/FIFO files are refused. Extraction happens in a scratch
    directory next to ``target`` which is then renamed to ``target``, so a refused
    or interrupted extraction leaves nothing behind. The checks do not rely on
    Python's tar ``filter="data"`` (3.12+ and late 3.10/3.11 patch releases); that
    filter is used too where available, as a second line of defence.

    Args:
        archive: path of the archive.
        target: directory to create; it must not exist yet.

    Returns:
        Sorted paths of every extracted file, directory and link under ``target``.

    Raises:
        ValueError: naming the first offending member, or for an unsupported format.
        FileExistsError: if ``target`` already exists.
    """
    archive, target = Path(archive), Path(target)
    kind = _archive_kind(archive)
    if target.exists():
        raise FileExistsError(
            f"Expected `target` not to exist yet. Received: target={str(target)!r}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with _staging_dir(target.parent) as staging:
        out = staging / "out"  # mkdir honours the umask, unlike mkdtemp's 0700.
        out.mkdir()
        if kind == "tar":
            with tarfile.open(archive, "r:*") as tar:
                members = _check_tar(tar)
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(out, members=members, **extra)
        else:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(out, members=_check_zip(zf))
        os.replace(out, target)
    return sorted(target.rglob("*"))


# --------------------------------------------------------------------------- fetch


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
    entry = _entry(name)
    root = resolve_cache_dir(cache_dir)
    directory = root / entry.name
    quoted = shlex.quote(str(root))
    retry = f"python -m course.fetch {entry.name} --cache-dir {quoted}"
    for remote in entry.files:
        path = fetch_file(
            remote.url,
            remote.sha256,
            directory,
            remote.filename,
            progressbar=progressbar,
            retry=retry,
        )
        if (
            entry.extract_dir is not None
            and not (directory / entry.extract_dir).is_dir()
        ):
            _archive_kind(path)  # Fail clearly if the registry lists a non-archive.
            safe_extract(path, directory / entry.extract_dir)
    return directory


# ----------------------------------------------------------------------------- CLI


def _human(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code.

    Args:
        argv: arguments without the program name; default ``sys.argv[1:]``.

    Returns:
        0 on success, 1 if a download failed, 2 for unknown dataset names.
    """
    parser = argparse.ArgumentParser(
        prog="python -m course.fetch",
        description="Download and verify the course datasets into the cache.",
    )
    parser.add_argument("names", nargs="*", help=f"datasets: {', '.join(REGISTRY)}")
    parser.add_argument("--list", action="store_true", help="list datasets and exit")
    parser.add_argument(
        "--cache-dir",
        help=f"cache root (default: ${CACHE_ENV} or ~/.cache/course)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    if args.list:
        width = max(len(n) for n in REGISTRY)
        for entry in REGISTRY.values():
            size = _human(entry.size)
            print(f"{entry.name:<{width}}  {size:>10}  {entry.description}")
        return 0
    if not args.names:
        parser.print_usage(sys.stderr)
        print("error: name at least one dataset, or use --list", file=sys.stderr)
        return 2
    unknown = [n for n in args.names if n not in REGISTRY]
    if unknown:
        print(
            f"error: unknown dataset(s) {', '.join(unknown)}; valid names: "
            f"{', '.join(REGISTRY)}",
            file=sys.stderr,
        )
        return 2
    for name in dict.fromkeys(args.names):  # De-duplicate, keep order.
        try:
            path = fetch(name, args.cache_dir, progressbar=not args.no_progress)
        except (OSError, ValueError) as err:
            print(f"error: {name}: {err}", file=sys.stderr)
            return 1
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
