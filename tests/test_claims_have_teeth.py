"""A lesson's smoke claim fails when the mechanism the lesson is about is removed.

``make test`` runs every notebook in the smoke profile, where each checks the
direction of its lesson's headline claim with ``results.claim``. A claim that a
broken lesson also passes would be decoration, so each case below runs one
notebook in the smoke profile with the lesson's mechanism taken out - by a cell
injected right after the parameters cell that rebinds one ``course`` function for
that kernel only - and checks that the named claim is what fails:

- 04: LeNet-5 learns digits from their labels. Shuffled training labels leave
  nothing to learn; the first claim, that the validation loss fell, must fail.
- 10: the U-Net's skip connections carry fine detail past its bottleneck. With
  the U-Net built as the plain net (the same net without skips, widths solved for
  the same weight budget), its clean-target error over the plain net's must fail
  the bound.

Each run costs one smoke run of its notebook (about 15 and 45 s on 2 cores), more
than make test's 15 minutes have left: ``make test-claims`` runs them (in the Colab
environment, like the notebooks).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Seconds one cell may run (the notebooks' own nbval timeout).
CELL_TIMEOUT = 300

ABLATIONS = {
    "04_lenet": (
        """
import dataclasses
import numpy as np
from course import data

_mnist = data.mnist


def _shuffled_labels(*args, **kwargs):
    splits = _mnist(*args, **kwargs)
    labels = np.random.default_rng(0).permutation(splits.y_train)
    return dataclasses.replace(splits, y_train=labels)


data.mnist = _shuffled_labels
""",
        "Claim failed: validation loss fell during training",
    ),
    "10_atrous_convolutions": (
        """
from course import models

_build = models.equal_weight_net


def _no_skips(kind, *args, **kwargs):
    return _build("plain" if kind == "unet" else kind, *args, **kwargs)


models.equal_weight_net = _no_skips
""",
        "Claim failed: clean target: unet / plain",
    ),
}


def _parameters_cell(notebook) -> int:
    """Index of the cell that sets ``SEED`` (every notebook's parameters cell)."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and cell.source.startswith("SEED = "):
            return index
    raise AssertionError("no parameters cell (a code cell starting 'SEED = ')")


@pytest.mark.parametrize("name", sorted(ABLATIONS))
def test_smoke_claim_fails_without_the_mechanism(name, tmp_path, monkeypatch):
    patch, failure = ABLATIONS[name]
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    index = _parameters_cell(notebook)
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(patch.strip()))
    for variable, value in {
        "COURSE_PROFILE": "smoke",
        "COURSE_OFFLINE": "1",
        "COURSE_RUNS_DIR": str(tmp_path / "runs"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "MPLBACKEND": "agg",
    }.items():
        monkeypatch.setenv(variable, value)  # the kernel inherits this environment
    monkeypatch.delenv("COURSE_GPU_REHEARSAL", raising=False)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    with pytest.raises(CellExecutionError) as raised:
        client.execute()
    message = str(raised.value)
    assert "ClaimError" in message, message[-2000:]
    assert failure in message, message[-2000:]
