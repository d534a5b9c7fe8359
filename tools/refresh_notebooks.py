"""Re-executes notebooks in the smoke profile and strips them for committing.

Cells whose source contains ``# NBVAL_CHECK_OUTPUT`` keep the output of this
smoke run (nbval compares against it); every other output is stripped, as
nbstripout would. Usage::

    .venv/bin/python tools/refresh_notebooks.py notebooks/04_lenet.ipynb ...
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARKER = "# NBVAL_CHECK_OUTPUT"


def refresh(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    os.environ["COURSE_PROFILE"] = "smoke"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if MARKER in cell.source:
            cell.metadata["keep_output"] = True
        else:
            cell.metadata.pop("keep_output", None)
    nbformat.write(notebook, path)
    # nbstripout removes every output except those of keep_output cells, and the
    # execution counts and volatile metadata.
    subprocess.run([sys.executable, "-m", "nbstripout", str(path)], check=True)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        refresh(Path(name))
        print(f"refreshed {name}")
