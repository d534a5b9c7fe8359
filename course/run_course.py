"""Runs the lecture notebooks headless and prints a summary table (``make course``).

No lecture imports this module: it runs every lecture notebook in ``notebooks/``
(the rows of `course.curriculum`) and gathers the headline each one records with
`course.results`.

Usage::

    python -m course.run_course                      # every notebook, full profile
    python -m course.run_course 04_lenet --profile smoke
    python -m course.run_course --root PATH          # the checkout holding notebooks/

Executed copies go to ``build/notebooks/``, TensorBoard logs to ``runs/``, and the
headline each notebook records (``course.results.record``) to ``build/results/``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from course import _validate, config, results


def _root(root: str | None) -> Path:
    """The checkout whose notebooks/ to run: ``--root``, else the working directory.

    The package is installed from a wheel (``make course``), so its own location says
    nothing about where the checkout is.
    """
    path = _validate.path("root", root, allow_none=True) or Path.cwd()
    if not (path / "notebooks").is_dir():
        raise SystemExit(
            f"run_course needs the source checkout (it runs notebooks/*.ipynb), and "
            f"{path} has no notebooks/ folder; clone the repository and run "
            "`make course` there, or pass --root."
        )
    return path.resolve()


def run_notebook(
    path: Path, output_dir: Path, profile: str, timeout: int | None
) -> float:
    """Executes one notebook in its folder and writes the executed copy atomically.

    Args:
        path: the notebook, ``notebooks/NN_*.ipynb``.
        output_dir: folder for the executed copy (same file name).
        profile: ``course.config.PROFILES`` entry the kernel runs under.
        timeout: seconds per cell, or None for no limit.

    Returns:
        The wall time in seconds.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell failed (the executed copy,
            with the error, is still written for inspection).
    """
    path = _validate.path("path", path)
    output_dir = _validate.path("output_dir", output_dir)
    profile = _validate.choice("profile", profile, config.PROFILES)
    timeout = _validate.integer("timeout", timeout, allow_none=True)
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    os.environ[config.PROFILE_ENV] = profile
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        elapsed = time.perf_counter() - start
        output_dir.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=output_dir, suffix=".ipynb.tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            nbformat.write(notebook, stream)
        os.chmod(temp, 0o644)  # mkstemp makes it private; the copy is for reading
        os.replace(temp, output_dir / path.name)
    return elapsed


def _summary(rows, failed, records) -> str:
    """The Markdown table of wall times and recorded headlines, one row a notebook."""
    lines = [
        "| notebook | wall time | headline | value | data |",
        "|---|---|---|---|---|",
    ]
    for name, seconds in rows:
        entry = records.get(name, {})
        value = entry.get("value")
        lines.append(
            f"| {name} | {'failed' if name in failed else f'{seconds:.0f} s'} | "
            f"{entry.get('metric', '-')} | "
            f"{'-' if value is None else f'{value:.4g}'} | {entry.get('data', '-')} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", help="names such as 04_lenet (default: all)"
    )
    parser.add_argument("--profile", choices=config.PROFILES, default="full")
    parser.add_argument("--timeout", type=int, default=None, help="seconds per cell")
    parser.add_argument("--root", default=None, help="the checkout (default: here)")
    args = parser.parse_args(argv)

    root = _root(args.root)
    paths = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        wanted = {name.removesuffix(".ipynb") for name in args.notebooks}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            parser.error(
                f"unknown notebooks {sorted(unknown)}; have {[p.stem for p in paths]}"
            )
        paths = [p for p in paths if p.stem in wanted]
    results_dir = root / "build" / "results"
    os.environ[results.RESULTS_ENV] = str(results_dir)
    # Kernels inherit this: no inline TensorBoard servers left behind by a batch run.
    os.environ["COURSE_HEADLESS"] = "1"
    # TensorFlow's start-up chatter would otherwise fill the executed notebooks.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    rows, failed = [], []
    for path in paths:
        print(f"== {path.stem} ({args.profile})", flush=True)
        try:
            seconds = run_notebook(
                path, root / "build" / "notebooks", args.profile, args.timeout
            )
        except Exception as error:  # report every notebook, then fail
            failed.append(path.stem)
            print(
                f"   FAILED: {type(error).__name__}: {str(error)[-2000:]}", flush=True
            )
            rows.append((path.stem, float("nan")))
            continue
        rows.append((path.stem, seconds))
        print(f"   done in {seconds:.0f} s", flush=True)

    records = results.load(results_dir) if results_dir.exists() else {}
    summary = _summary(rows, failed, records)
    print("\n" + summary)
    (root / "build").mkdir(exist_ok=True)
    (root / "build" / "summary.md").write_text(summary + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
