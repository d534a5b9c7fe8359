"""Scratch directories next to the cache, so that what appears in it is complete.

Downloads (:mod:`course.fetch.download`) and extractions
(:mod:`course.fetch.extract`) are written into a private scratch directory and
renamed into place only when complete and verified. The scratch directory sits
next to the destination so that the rename is a same-filesystem ``os.replace``,
hence atomic. Part of ``python -m course.fetch``, used before every lecture that
needs downloaded data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["PREFIX", "clean_stale", "staging_dir"]

#: Prefix of every scratch directory this package creates next to the cache. The
#: PID lets a later run tell a dead process's leftovers from a live download.
PREFIX = ".fetch-tmp-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # Signal 0 sends nothing; it only checks existence.
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # Exists, owned by someone else.
    return True


def clean_stale(directory: Path) -> None:
    """Removes scratch dirs left by a killed process (SIGKILL, power loss).

    ``finally`` blocks clean up after exceptions and Ctrl-C, but not after a hard
    kill; such leftovers carry a dead PID in their name.
    """
    # On Windows os.kill would terminate the process, so never probe there.
    if os.name != "posix" or not directory.is_dir():
        return
    for child in directory.glob(PREFIX + "*"):
        pid_text = child.name[len(PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(child, ignore_errors=True)


@contextlib.contextmanager
def staging_dir(parent: Path) -> Iterator[Path]:
    """A private scratch directory in ``parent``, removed on exit whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
