"""Prints one line naming the environment make test is about to use.

Usage: python tools/versions.py LABEL

It reads installed distributions' metadata only (nothing is imported), so it costs
nothing and cannot fail on a broken TensorFlow: the failure then comes from the tests.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata

PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "jax", "scipy")


def line(label: str) -> str:
    """``LABEL: Python X, tensorflow-cpu Y, keras Z, ...`` for the packages present."""
    parts = [f"Python {platform.python_version()}"]
    for name in PACKAGES:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return f"{label}: " + ", ".join(parts)


if __name__ == "__main__":
    print(line(" ".join(sys.argv[1:]) or "environment"))
