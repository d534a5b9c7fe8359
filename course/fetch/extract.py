"""Safe, all-or-nothing extraction of the downloaded archives.

Every member of an archive is checked before anything is written, and the
extraction is renamed into place only when complete, so a malicious or
interrupted archive never leaves anything in the cache. Part of
``python -m course.fetch`` (CIFAR-10 for lectures 05 and 06, the flower photos
for 07, DSB2018 for 09 and 10).
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from course import _validate
from course.fetch.staging import staging_dir

__all__ = ["archive_kind", "safe_extract"]


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


def _special_file(name: str) -> ValueError:
    return ValueError(
        f"Refusing archive member {name!r}: device, FIFO or other special file"
    )


def _check_tar(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    symlinks: set[tuple[str, ...]] = set()
    for m in members:
        if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            raise _special_file(m.name)
        link = m.linkname if (m.issym() or m.islnk()) else None
        parts = _check_member(m.name, link, m.islnk(), symlinks)
        if m.issym():
            symlinks.add(parts)
    return members


_SPECIAL_MODES = (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK)


def _check_zip(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    for info in infos:
        mode = info.external_attr >> 16
        link = None
        if stat.S_ISLNK(mode):
            link = zf.read(info).decode("utf-8", "replace")
        elif stat.S_IFMT(mode) in _SPECIAL_MODES:
            raise _special_file(info.filename)
        _check_member(info.filename, link, False, set())
        if link is not None:
            # zipfile would write the link as a small text file, silently changing
            # the data; the course's archives never need zip symlinks.
            raise ValueError(
                f"Refusing archive member {info.filename!r}: symlinks in zip "
                "archives are not supported"
            )
    return infos


def archive_kind(archive: Path) -> str:
    """``"zip"`` or ``"tar"``, from the file name; raises ValueError for others."""
    name = archive.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        return "tar"
    raise _validate.error(
        "archive",
        str(archive),
        "to be an archive ending in .tar, .tar.gz, .tgz or .zip",
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
    archive = _validate.path("archive", archive)
    target = _validate.path("target", target)
    kind = archive_kind(archive)
    if target.exists():
        raise _validate.error(
            "target", str(target), "not to exist yet", FileExistsError
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with staging_dir(target.parent) as staging:
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
