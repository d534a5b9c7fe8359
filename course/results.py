"""Headline results of the notebooks, and checks of each lesson's claim.

Used in every lecture. Each notebook's conclusion calls :func:`record` with the
measured headline (e.g. the test accuracy and the data it was measured on) and
:func:`claim` for each of the lesson's claims, so a run fails loudly - in the tests'
smoke profile too - when a claim breaks. ``make course`` (:mod:`course.run_course`)
collects the records into its summary table with :func:`load`.

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
