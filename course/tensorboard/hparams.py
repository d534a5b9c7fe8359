"""Comparison runs in TensorBoard's HParams dashboard.

A comparison - ReLU against tanh, plain against residual, patch against U-Net -
is a set of runs that differ in a few settings. Each run writes its settings
as an HParams *session* (TensorBoard's ``session_start_info``) in its own
folder - ``training.callbacks(..., hparams=...)`` does it, with the run's
provenance, or :func:`log_result` for a run without training logs. The
dashboard then lists the runs of one experiment in a table and a
parallel-coordinates view, with the last value of every scalar the run logged
(``epoch_loss``, ``epoch_accuracy``, and the final figures of
:func:`log_final`) as its metrics.

Used in lectures 02, 05, 06, 07, 08, 09 and 10.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from course import _validate
from course.tensorboard.writer import EventWriter

__all__ = ["hparam_values", "log_final", "log_result"]


def hparam_values(hparams):
    """The settings as TensorBoard can store them: bool, int, float or str.

    NumPy scalars become Python numbers; tuples, lists and ``None`` become
    their text (``(8, 20)`` -> ``"(8, 20)"``), so any parameter of a
    parameters cell can be shown.

    Raises:
        TypeError: ``hparams`` is not a dict with string keys.
    """
    if not isinstance(hparams, Mapping) or not all(isinstance(k, str) for k in hparams):
        raise _validate.error(
            "hparams", hparams, "to be a dict of name: value", TypeError
        )
    values = {}
    for name, value in hparams.items():
        if isinstance(value, np.generic):
            value = value.item()
        if not isinstance(value, (bool, int, float, str)):
            value = repr(value)
        values[name] = value
    return values


def log_final(log_dir, metrics, step=0):
    """Writes figures measured after training as scalars of the run.

    The HParams dashboard shows them as the run's metrics beside its settings
    (a test accuracy, a training error measured in inference mode, a time).

    Args:
        log_dir: the run's folder.
        metrics: ``{tag: number}``; tags like ``"final/test_accuracy"``.
        step: the step to write them at (e.g. the number of epochs).
    """
    if not isinstance(metrics, Mapping) or not metrics:
        raise _validate.error(
            "metrics", metrics, "to be a non-empty dict of tag: number", TypeError
        )
    with EventWriter(log_dir) as writer:
        for tag, value in metrics.items():
            writer.scalar(tag, value, step)


def log_result(run_name, hparams, metrics, runs_dir=None):
    """A run that holds only settings and results: one row of an HParams table.

    For measurements whose training logs live elsewhere or nowhere (a transfer
    run split into steps, a patch classifier, a computation without training):
    a fresh run folder (:func:`course.training.run_dir`) with the provenance
    text, the HParams session and the figures as final scalars.

    Args:
        run_name: as for ``training.run_dir``.
        hparams: the settings, as for :func:`hparam_values`.
        metrics: the figures, as for :func:`log_final`.
        runs_dir: parent of all runs; defaults to ``config.runs_dir()``.

    Returns:
        The new run folder.
    """
    from course.tensorboard.provenance import write_provenance
    from course.training.runs import run_dir

    values = hparam_values(hparams)
    if not isinstance(metrics, Mapping) or not metrics:
        raise _validate.error(
            "metrics", metrics, "to be a non-empty dict of tag: number", TypeError
        )
    folder = run_dir(run_name, runs_dir)
    write_provenance(folder, run_name, values)  # with the HParams session
    log_final(folder, metrics)
    return folder
