"""The command line: ``python -m course.fetch NAME ...`` and ``--list``.

Run before a lecture that wants the full datasets (see
:mod:`course.fetch.registry`); without them the loaders of :mod:`course.data`
fall back to offline stand-ins and say so.
"""

from __future__ import annotations

import argparse
import sys

from course.fetch.cache import CACHE_ENV, fetch
from course.fetch.registry import REGISTRY

__all__ = ["main"]


def _human(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _parser() -> argparse.ArgumentParser:
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code.

    Args:
        argv: arguments without the program name; default ``sys.argv[1:]``.

    Returns:
        0 on success, 1 if a download failed, 2 for unknown dataset names.
    """
    parser = _parser()
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
