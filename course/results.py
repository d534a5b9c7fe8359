"""Headline results of the notebooks, and checks of each lesson's claim.

Used in every lecture. Each notebook's conclusion calls :func:`record` with the
measured headline (e.g. the test accuracy and the data it was measured on),
:func:`claim` for each of the lesson's claims, so a run fails loudly - in the
tests' smoke profile too - when a claim breaks, and :func:`compare` to print this
run's headline figures beside those of the reference run its conclusion quotes.
``make course`` (:mod:`course.run_course`) collects the records into its summary
table with :func:`load`.

In a GPU rehearsal (``COURSE_GPU_REHEARSAL``, see :mod:`course.config`) a notebook
trains a couple of steps per epoch, far too few to reach its lesson's result, so
:func:`claim` prints a failed claim's verdict and carries on instead of raising;
everything else behaves as always.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from course import _validate

RESULTS_ENV = "COURSE_RESULTS_DIR"


class ClaimError(AssertionError):
    """A lesson's claim did not hold on this run."""


def claim(description, value, *, at_least=None, at_most=None):
    """Checks a measured value against the lesson's claim and says so.

    Args:
        description: what is claimed, in words.
        value: the measured number.
        at_least: lower bound, if any.
        at_most: upper bound, if any.

    Returns:
        The value, so a cell can end with it.

    Raises:
        ClaimError: the value lies outside the bounds (or is NaN), except in a
            GPU rehearsal, where the verdict is only printed.
        ValueError: neither bound is given.
    """
    if at_least is None and at_most is None:
        raise _validate.error("at_least", at_least, "or at_most to be given")
    value = float(value)
    ok = not math.isnan(value)
    if at_least is not None:
        ok = ok and value >= at_least
    if at_most is not None:
        ok = ok and value <= at_most
    bounds = " and ".join(
        text
        for text in (
            f">= {at_least:g}" if at_least is not None else "",
            f"<= {at_most:g}" if at_most is not None else "",
        )
        if text
    )
    if not ok:
        message = (
            f"Claim failed: {description}: measured {value:.4g}, expected {bounds}."
        )
        # Imported here: config loads Keras, which reading records does not need.
        from course import config

        steps = config.gpu_rehearsal()
        if steps is None:
            raise ClaimError(message)
        print(
            f"{message} Not raised: GPU rehearsal ({config.REHEARSAL_ENV}={steps}), "
            f"whose {steps} training steps per epoch cannot reach the lesson's result."
        )
        return value
    print(f"Claim holds: {description}: {value:.4g} ({bounds}).")
    return value


def this_run(data):
    """Names this run: its profile, device and data, e.g. for :func:`compare`."""
    from course import config

    gpus = config.gpus()
    device = ", ".join(gpus) if gpus else f"CPU ({os.cpu_count()} cores)"
    return f"{config.profile()} profile, {device}, {data}"


def compare(figures, reference, *, data, reference_run):
    """Prints this run's headline figures beside those of the reference run.

    A conclusion quotes the figures of one reference run; a student's run on
    other hardware, data or profile measures others. This table puts the two
    side by side, each column headed by the run it comes from, so the student
    reads the conclusion against their own numbers.

    Args:
        figures: ``{name: value}`` measured in this run; a value may be ``None``
            (not measured in this profile), printed as "-".
        reference: ``{name: value}`` of the reference run; every name of
            ``figures`` must have one.
        data: this run's data source (e.g. ``DataSplits.source``).
        reference_run: the reference run in words: device, profile, data, date.

    Returns:
        A list of ``(name, value, reference value)`` rows, in the order of
        ``figures``.

    Raises:
        ValueError: a figure has no reference value.
        TypeError: ``figures`` or ``reference`` is not a mapping.
    """
    for name, table in (("figures", figures), ("reference", reference)):
        if not isinstance(table, Mapping):
            raise _validate.error(name, table, "to be a dict of name: value", TypeError)
    missing = [name for name in figures if name not in reference]
    if missing:
        raise _validate.error(
            "reference", sorted(reference), f"to hold a value for {missing}"
        )
    reference_run = _validate.string("reference_run", reference_run)
    rows = [(name, figures[name], reference[name]) for name in figures]
    width = max([len(name) for name in figures] + [6])
    print(f"this run:      {this_run(data)}")
    print(f"reference run: {reference_run}")
    print(f"{'figure':<{width}}{'this run':>12}{'reference':>12}")
    for name, value, expected in rows:
        print(f"{name:<{width}}{_figure(value):>12}{_figure(expected):>12}")
    return rows


def _figure(value):
    """A table cell: integers in full, other numbers to 3 significant digits.

    Numbers of 1,000 and more are rounded to whole units with thousands
    separators (5,083 images/s, not 5.08e+03).
    """
    if value is None:
        return "-"
    if _validate.is_int(value):
        return f"{int(value):,}"
    if not _validate.is_number(value):
        return str(value)
    if abs(float(value)) >= 1000:
        return f"{float(value):,.0f}"
    return f"{float(value):.3g}"


def record(notebook, metric, value, data, **extra):
    """Records a notebook's headline result for the ``make course`` summary.

    Writes ``<COURSE_RESULTS_DIR>/<notebook>.json`` atomically when that variable
    is set (``make course`` sets it); otherwise only returns the record.

    Args:
        notebook: notebook name, e.g. ``"04_lenet"``.
        metric: what was measured, e.g. ``"test accuracy"``.
        value: the measured number.
        data: the data it was measured on (e.g. ``DataSplits.source``).
        **extra: further JSON-serialisable facts.

    Returns:
        The record as a dict.
    """
    entry = {
        "notebook": _validate.string("notebook", notebook),
        "metric": _validate.string("metric", metric),
        "value": float(value),
        "data": data,
    }
    entry.update(extra)
    directory = os.environ.get(RESULTS_ENV)
    if directory:
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        # Temp file then rename: a reader never sees half a record.
        handle, temp = tempfile.mkstemp(dir=target, suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump(entry, stream, indent=2)
        os.chmod(temp, 0o644)
        os.replace(temp, target / f"{notebook}.json")
    return entry


def load(directory):
    """Reads every record in ``directory`` into a dict keyed by notebook."""
    records = {}
    for path in sorted(Path(directory).glob("*.json")):
        with open(path) as stream:
            entry = json.load(stream)
        records[entry["notebook"]] = entry
    return records
