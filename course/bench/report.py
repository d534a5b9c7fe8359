"""The benchmark report as a table, as JSON, and the ``python -m course.bench`` CLI.

A report is what :func:`~course.bench.benchmarks.run` returns: the schema
version, the device, the matmul reference and one result per benchmark.
:func:`format_table` prints it for lecture 12's notebook and the README,
:func:`write_json` keeps it (atomically) for comparing machines, and
:func:`main` is the command line.

Used in lecture 12.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from course.bench.benchmarks import BENCHMARKS, run
from course.bench.measure import JIT_CHOICES, PIPELINES, PRECISIONS

_HEADER = (
    "benchmark",
    "backend",
    "settings",
    "images/s",
    "time to target",
    "peak memory",
    "train GFLOP/s",
    "of matmul",
)


def _megabytes(value):
    return "-" if value is None else f"{value / 2**20:,.0f} MiB"


def _time_to_target(result) -> str:
    if result["target_accuracy"] is None:
        return "n/a"
    if result["time_to_target_seconds"] is None:
        return f"{result['target_accuracy']:.0%} not reached"
    return (
        f"{result['time_to_target_seconds']:.1f} s to {result['target_accuracy']:.0%}"
    )


def _row(result) -> tuple[str, ...]:
    """One benchmark's cells, in the order of the table's header."""
    xla = "on" if result["jit_compile"] else "off"
    return (
        result["benchmark"],
        result["backend"],
        f"{result['pipeline']}, {result['precision']}, XLA {xla}",
        f"{result['images_per_second']:,.1f}",
        _time_to_target(result),
        _megabytes(result["peak_memory_bytes"]),
        f"{result['train_gflops_per_second']:,.1f}",
        f"{result['matmul_fraction']:.0%}",
    )


def format_table(report) -> str:
    """The report as a fixed-width text table, one row per benchmark."""
    rows = [_row(r) for r in report["results"]]
    widths = [
        max(len(str(c)) for c in column) for column in zip(_HEADER, *rows, strict=True)
    ]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        for row in (_HEADER, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    matmul = report["matmul"]
    lines.insert(
        0,
        f"device: {report['device']['device']}; matmul {matmul['size']}x"
        f"{matmul['size']} {matmul['dtype']}: {matmul['gflops_per_second']:,.1f} "
        "GFLOP/s (median)",
    )
    sources = sorted({str(r["peak_memory_source"]) for r in report["results"]})
    lines.append(f"peak memory: {'; '.join(sources)}")
    return "\n".join(lines)


def write_json(report, path) -> Path:
    """Writes the report as JSON atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        # mkstemp creates the file 0600; give the report the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "w") as stream:
            json.dump(report, stream, indent=2)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def main(argv=None) -> int:
    """``python -m course.bench [benchmarks] [options]``: runs, prints, writes."""
    from course import bench

    parser = argparse.ArgumentParser(
        prog="python -m course.bench", description=bench.__doc__.splitlines()[0]
    )
    parser.add_argument(
        "benchmarks",
        nargs="*",
        choices=(*BENCHMARKS, "all"),
        default=["all"],
        help="benchmarks to run (default: all)",
    )
    parser.add_argument("--json", help="also write the report to this file")
    parser.add_argument(
        "--quick", action="store_true", help="few steps: a check, not a measurement"
    )
    parser.add_argument("--pipeline", choices=PIPELINES, default="tuned")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto")
    parser.add_argument("--jit", choices=JIT_CHOICES, default="auto")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    names = list(BENCHMARKS) if "all" in args.benchmarks else args.benchmarks
    names = list(dict.fromkeys(names))
    report = run(names, args.quick, args.pipeline, args.precision, args.jit)
    report["command"] = ["python", "-m", "course.bench", *(argv or sys.argv[1:])]
    print(format_table(report))
    if args.json:
        print(f"written: {write_json(report, args.json)}")
    return 0
