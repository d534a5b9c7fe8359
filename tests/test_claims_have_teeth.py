"""A lesson's smoke claim fails when the mechanism the lesson is about is removed.

``make test`` runs every notebook in the smoke profile, where each checks the
direction of its lesson's headline claim with ``results.claim``. A claim that a
broken lesson also passes would be decoration, so each case below runs one
notebook in the smoke profile with the lesson's mechanism taken out - by a cell
injected right after the parameters cell that rebinds one ``course`` function for
that kernel only - and checks that the named claim is what fails:

- 04: LeNet-5 learns digits from their labels. Shuffled training labels leave
  nothing to learn; the first claim, that the validation loss fell, must fail.
- 06: a residual block adds its input to its output, so part of the gradient
  reaches the first layers unchanged. With the residual nets built as their plain
  twins (no additions), the spread of layer gradients at initialisation of the
  "residual" net is the plain net's, and the claim that residual nets narrow it
  by at least a decade must fail.
- 07: augmentation and a pretrained base. Without augmentation (the network built
  without its augmentation block) the overfitting gap cannot shrink; with the
  course base left at its random initialisation the pretrained extractor is the
  random-features control, and each named claim must fail.
- 09: the U-Net's skips hand the decoder the encoder's full-resolution maps. With
  the U-Net built as the plain FCN (the same encoder-decoder without skips), its
  IoU lead over the FCN must fail the smoke bound.
- 10: the U-Net's skip connections carry fine detail past its bottleneck. With
  the U-Net built as the plain net (the same net without skips, widths solved for
  the same weight budget), its clean-target error over the plain net's must fail
  the bound.
- 13: the shortcut is a mark whose place gives the label away; with the marks put
  at random places in training too, the net has no shortcut to learn and the
  marked-minus-unmarked accuracy claim must fail. The domain shift is a second
  scanner; with MNIST's own digits standing in for it, the drop claim must fail.

Each run costs one smoke run of its notebook (15 to 60 s on 2 cores), more
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
    "06_inception_resnet_densenet": (
        """
from course import models


def _no_additions(depth=20, shortcut="A", **kwargs):
    return models.cifar_plain_net(depth, **kwargs)


models.cifar_resnet = _no_additions
""",
        "Claim failed: gradient spread, plain-56 minus resnet-56",
    ),
    "07_augmentation_and_transfer_learning (no augmentation)": (
        """
from course import models

_small_vgg = models.small_vgg


def _no_augmentation(*args, augmentation=None, **kwargs):
    return _small_vgg(*args, augmentation=None, **kwargs)


models.small_vgg = _no_augmentation
""",
        "Claim failed: augmentation shrinks the train/held-out gap",
    ),
    "07_augmentation_and_transfer_learning (base not pretrained)": (
        """
from course.transfer import bases, experiments

_course_base = bases.course_base


def _random_base(pretrained=True, **kwargs):
    return _course_base(False, **kwargs)


experiments.course_base = _random_base
""",
        "Claim failed: extractor at 10 images: pretrained minus random base",
    ),
    "09_unet_segmentation": (
        """
from course import models

_unet = models.unet


def _no_skips(*args, padding="valid", **kwargs):
    if padding == "same":  # the nets trained here; the paper's U-Net is only shown
        return models.fcn(*args, padding=padding, **kwargs)
    return _unet(*args, padding=padding, **kwargs)


models.unet = _no_skips
""",
        "Claim failed: U-Net IoU minus FCN IoU (smoke)",
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
    "13_limitations_and_tuning (marks carry no label)": (
        """
from course import data

_tag_images = data.tag_images


def _random_marks(*args, **kwargs):
    kwargs["agreement"] = 0.0  # every mark anywhere, whatever the label
    return _tag_images(*args, **kwargs)


data.tag_images = _random_marks
""",
        "Claim failed: shortcut: marked minus unmarked test accuracy",
    ),
    "13_limitations_and_tuning (no second scanner)": (
        """
import dataclasses
from course import data

_mnist = data.mnist


def _same_scanner(*args, **kwargs):
    return dataclasses.replace(_mnist(holdout=500, seed=1), source="mnist-again")


data.digits = _same_scanner
""",
        "Claim failed: domain shift: MNIST minus second-scanner accuracy",
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
    notebook_name = name.split(" ")[0]  # "name (what is removed)" when several
    notebook = nbformat.read(NOTEBOOKS / f"{notebook_name}.ipynb", as_version=4)
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
