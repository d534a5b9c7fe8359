"""Every run says, in TensorBoard's TEXT tab, what produced it.

Months later a folder ``runs/06_plain-20/20261129-203000`` means little. Each
run folder therefore gets a ``provenance`` text: the notebook and run, when it
started, the profile, device and software versions, the data sources the
notebook loaded, its parameters (:func:`course.config.set_notebook`) and the
settings of this run (its HParams, when it is part of a comparison).

Every run writes through it, by way of ``course.training.callbacks``.
"""

from __future__ import annotations

import os
import time

from course import config
from course.tensorboard.writer import EventWriter

__all__ = ["PROVENANCE_TAG", "provenance_text", "write_provenance"]

#: The text tag every run carries.
PROVENANCE_TAG = "provenance"


def _cell(value):
    """A value as one markdown table cell (pipes escaped, long values cut)."""
    text = repr(value) if not isinstance(value, str) else value
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 200 else text[:197] + "..."


def provenance_text(run_name, hparams=None):
    """The markdown that :func:`write_provenance` writes.

    Args:
        run_name: the run's name (``training.callbacks``' ``run_name``).
        hparams: this run's settings in a comparison, or ``None``.
    """
    context = config.run_context()
    report = config.device_report()
    gpus = report["gpus"]
    device = ", ".join(gpus) if gpus else f"CPU ({os.cpu_count()} cores)"
    versions = (
        f"Python {report['python']}, Keras {report['keras']} ({report['backend']})"
    )
    if report["tensorflow"]:
        versions += f", TensorFlow {report['tensorflow']}"
    rows = [
        ("notebook", context["notebook"] or "(not named: config.set_notebook)"),
        ("run", run_name),
        ("started", time.strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("profile", report["profile"]),
        ("device", device),
        ("versions", versions),
        ("data", ", ".join(context["data"]) or "(none loaded through course.data)"),
    ]
    lines = ["| | |", "|---|---|"]
    lines += [f"| {key} | {_cell(value)} |" for key, value in rows]
    sections = [("Parameters", context["parameters"]), ("This run's settings", hparams)]
    for title, values in sections:
        if values:
            lines += ["", f"**{title}**", "", "| name | value |", "|---|---|"]
            lines += [f"| {key} | {_cell(value)} |" for key, value in values.items()]
    return "\n".join(lines)


def write_provenance(log_dir, run_name, hparams=None):
    """Writes a run's provenance text and, with ``hparams``, its HParams session.

    Both go into one event file of the run folder. Returns the text.
    """
    from tensorboard.plugins.hparams import summary_v2

    from course.tensorboard.hparams import hparam_values

    values = hparam_values(hparams) if hparams else {}
    text = provenance_text(run_name, values)
    with EventWriter(log_dir) as writer:
        writer.text(PROVENANCE_TAG, text)
        if values:
            writer.summary(summary_v2.hparams_pb(values))
    return text
