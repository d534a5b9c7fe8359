"""One verified download: a file appears under its final name only with its pinned hash.

The transfer goes into a scratch directory next to the destination (see
:mod:`course.fetch.staging`), its hash is checked there, and only then is it
renamed into place. Part of ``python -m course.fetch``, which every lecture with
downloadable data uses (see :mod:`course.fetch.registry`). ``pooch`` (and with it
``requests`` and ``tqdm``) is imported only when a file is hashed or downloaded,
so importing :mod:`course.fetch` stays fast.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from pathlib import Path

from course import _validate
from course.fetch.staging import clean_stale, staging_dir

__all__ = [
    "TIMEOUT_S",
    "DownloadError",
    "HashMismatchError",
    "check_hash_spec",
    "fetch_file",
    "file_hash",
]

# (connect, read) seconds for requests: a stalled server must fail, not hang forever.
TIMEOUT_S = (15, 60)

_HASH_RE = re.compile(r"^(?:(?:sha256:)?[0-9a-f]{64}|md5:[0-9a-f]{32})$")


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


def check_hash_spec(sha256: object) -> str:
    """Returns the pinned hash in lower case without its optional ``sha256:``.

    Raises:
        ValueError: unless ``sha256`` is 64 hex digits, ``"sha256:<64 hex>"`` or
            ``"md5:<32 hex>"``.
    """
    if not isinstance(sha256, str) or not _HASH_RE.match(sha256.lower()):
        raise _validate.error(
            "sha256",
            sha256,
            "to be 64 hex digits, 'sha256:<64 hex>' or 'md5:<32 hex>'",
        )
    return sha256.lower().removeprefix("sha256:")


def file_hash(path: Path, spec: str) -> str:
    """Hash of ``path`` in the form of :func:`check_hash_spec` (md5 if ``spec`` is)."""
    import pooch  # imported here: it loads requests and tqdm

    if spec.startswith("md5:"):
        return "md5:" + pooch.file_hash(str(path), alg="md5")
    return pooch.file_hash(str(path), alg="sha256")


def _check_filename(filename: object) -> str:
    if (
        not isinstance(filename, str)
        or filename in ("", ".", "..")
        or "/" in filename
        or "\\" in filename
    ):
        raise _validate.error("filename", filename, "to be a plain file name")
    return filename


def _retrieve(url, spec, staging: Path, filename, *, pinned, progressbar, retry):
    """Downloads ``url`` into ``staging/filename`` with pooch, checking the hash.

    ``spec`` is the normalised hash; ``pinned`` the caller's spelling of it, which
    a :class:`HashMismatchError` reports.
    """
    import pooch

    seen: dict[str, str] = {}
    http = pooch.HTTPDownloader(progressbar=progressbar, timeout=TIMEOUT_S)

    def download(url_: str, output_file: str, pooch_: object) -> None:
        # Record the actual hash before pooch verifies (and on mismatch deletes) the
        # temp file: pooch only reports it inside its error message text.
        http(url_, output_file, pooch_)
        seen["actual"] = file_hash(Path(output_file), spec)

    logger = pooch.get_logger()
    level = logger.level
    try:
        logger.setLevel(max(level, logging.WARNING))
        pooch.retrieve(
            url,
            known_hash=spec,
            fname=filename,
            path=staging,
            downloader=download,
            progressbar=progressbar,
        )
    except ValueError as err:
        if "actual" not in seen:
            raise
        raise HashMismatchError(url, pinned, seen["actual"], retry) from err
    except Exception as err:
        # requests' errors (timeouts, cut transfers, HTTP 4xx/5xx) and OS errors:
        # one clear error type with the URL and the retry command.
        raise DownloadError(
            f"Could not download {url}: {err}. Nothing was cached; retry with: {retry}"
        ) from err
    finally:
        logger.setLevel(level)


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
        raise _validate.error("url", url, "to be an http(s) URL")
    spec = check_hash_spec(sha256)
    filename = _check_filename(filename)
    progressbar = _validate.boolean("progressbar", progressbar)
    directory = _validate.path("directory", directory).expanduser()
    target = directory / filename
    retry = retry or "the same call again (it resumes from a clean state)"
    if target.is_file() and file_hash(target, spec) == spec:
        return target

    created = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    clean_stale(directory)
    if progressbar:
        # pooch's own log line would name the scratch path; name the real one.
        print(f"Downloading {url} to {target}", file=sys.stderr)
    try:
        with staging_dir(directory) as staging:
            _retrieve(
                url,
                spec,
                staging,
                filename,
                pinned=sha256,
                progressbar=progressbar,
                retry=retry,
            )
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
