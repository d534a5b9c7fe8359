"""Every notebook's ``gpu=`` branch runs, and its models fit Colab's 15 GB T4.

No test machine has a GPU, so the values a notebook's parameters cell picks on
one (``config.by_profile(..., gpu=...)``) would otherwise never run before a
student meets them on Colab. Each notebook with a ``gpu=`` value (found by
parsing the notebooks, so a new one is covered automatically) is executed from a
copy outside the repository with ``COURSE_PROFILE=full`` and
``COURSE_GPU_REHEARSAL`` set: ``by_profile`` then returns the GPU values on this
CPU, and ``results.claim`` only prints its verdicts. A cell injected into the
executed copy caps every ``Model.fit`` at a couple of steps per epoch and
records each fitted model; the test then checks that

- the notebook ran to the end, and fitted at least one model;
- every ``by_profile`` assignment holds the value chosen for a GPU (the
  ``gpu=`` value where given, else ``full=``), read back from the kernel right
  after the cell that made it;
- every fitted model trains within :data:`T4_BUDGET_BYTES` at the batch size its
  notebook uses on the GPU.

``pytest -s tests/test_gpu_branch.py`` prints the memory table.
"""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import keras
import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Training steps per epoch in the rehearsal: 2, not 1, so that the second step
#: runs the already-traced function and a stateful bug between steps would show.
REHEARSAL_STEPS = 2
#: Examples a rehearsal step computes of each batch (the memory estimate uses the
#: notebook's batch size): at the GPU's sizes a CPU step of ResNet-18 (batch 256)
#: took seconds, and in float16 minutes. 2 rather than 1 keeps a batch axis that
#: a stray squeeze would drop.
REHEARSAL_BATCH = 2
#: Seconds one cell may run. The slowest, notebook 12's five ResNet-18 runs (two
#: in float16, which a CPU computes without fast kernels), took about 3 minutes
#: alone on a 2-core CPU; make test runs two processes on those cores.
CELL_TIMEOUT = 600
#: Colab's T4: 15,360 MiB as nvidia-smi reports it (16 GB nominal, less ECC).
T4_BYTES = 15 * 2**30
#: Share of the T4 the estimate below may fill. The estimate counts activations
#: and four float32 copies of the parameters (weights, gradients, Adam's two
#: moments), not the CUDA context and cuBLAS/cuDNN handles (about 0.3-0.5 GiB on
#: a T4), cuDNN's convolution workspaces (up to several hundred MiB per layer
#: while autotuning), XLA's temporary buffers, the allocator's fragmentation or
#: batches prefetched onto the GPU; 20% of 15 GiB (3 GiB) is left for those.
T4_HEADROOM = 0.8
T4_BUDGET_BYTES = int(T4_HEADROOM * T4_BYTES)
#: Parameter copies a training step holds: weights, gradients, 2 Adam moments
#: (always float32: mixed precision keeps float32 master weights).
PARAMETER_COPIES = 4
#: Calls that switch a notebook to float16 on a GPU (but not on this CPU).
MIXED_PRECISION_CALLS = ("use_mixed_precision(", "apply_device_defaults(")


def _code(cell) -> str:
    # IPython magics and shell escapes are not Python; they hold no parameters.
    lines = cell.source.splitlines()
    return "\n".join("" if line.lstrip()[:1] in "%!" else line for line in lines)


def _by_profile_calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else None
            name = func.id if isinstance(func, ast.Name) else name
            if name == "by_profile":
                yield node


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return ...  # not a literal: cannot be checked


def _expected_on_gpu(call):
    """The literal ``by_profile`` returns on a GPU, and whether it is ``full``'s."""
    keywords = {k.arg: k.value for k in call.keywords}
    full = _literal(keywords.get("full"))
    if "gpu" not in keywords:
        return full, True
    gpu = _literal(keywords["gpu"])
    return gpu, repr(gpu) == repr(full)


def parse(path: Path) -> dict:
    """What the test needs from one notebook.

    Returns:
        ``{"has_gpu": bool, "checks": {cell index: {name: expected value}},
        "gpu_only": [names], "mixed_precision": bool}``: whether a
        ``by_profile`` call passes ``gpu=``; per cell the ``NAME =
        by_profile(...)`` assignments whose GPU value is a literal; those whose
        GPU value differs from the CPU's; whether the notebook turns mixed
        precision on where a GPU is present.
    """
    notebook = nbformat.read(path, as_version=4)
    has_gpu, checks, gpu_only, source = False, {}, [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        source.append(cell.source)
        try:
            tree = ast.parse(_code(cell))
        except SyntaxError:
            continue
        has_gpu |= any(
            k.arg == "gpu" for c in _by_profile_calls(tree) for k in c.keywords
        )
        for statement in tree.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and isinstance(statement.value, ast.Call)
                and list(_by_profile_calls(statement.value)) == [statement.value]
            ):
                expected, as_on_cpu = _expected_on_gpu(statement.value)
                if expected is not ...:
                    name = statement.targets[0].id
                    checks.setdefault(index, {})[name] = expected
                    if not as_on_cpu:
                        gpu_only.append(name)
    text = "\n".join(source)
    return {
        "has_gpu": has_gpu,
        "checks": checks,
        "gpu_only": gpu_only,
        "mixed_precision": any(call in text for call in MIXED_PRECISION_CALLS),
    }


GPU_NOTEBOOKS = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if parse(p)["has_gpu"])

# Runs in the kernel before the notebook's first cell, after the constants
# _STEPS, _BATCH, _BYTES and the paths of the files it writes. Plain code rather than a
# course module: it is test scaffolding that no notebook may come to rely on.
SETUP = """\
import inspect as _inspect
import json as _json

import keras as _keras

from course import arithmetic as _arithmetic
from course import config as _config

assert _config.gpu_rehearsal() == _STEPS, _config.gpu_rehearsal()
_keras_fit = _keras.Model.fit
_fit_signature = _inspect.signature(_keras_fit)


def _first_leaf(structure):
    return _keras.tree.flatten(structure)[0]


def _batch_of(data):
    # The batch dimension of a tf.data.Dataset or PyDataset (its first batch).
    if hasattr(data, "element_spec"):
        size = _first_leaf(data.element_spec).shape[0]
        if size is not None:
            return int(size)
        return int(_first_leaf(next(iter(data.take(1)))).shape[0])
    return int(_first_leaf(data[0]).shape[0])


def _cut(batch):
    return _keras.tree.map_structure(lambda t: t[:_BATCH], batch)


class _CutBatches(_keras.utils.PyDataset):
    # A PyDataset whose batches hold at most _BATCH examples.
    def __init__(self, data):
        super().__init__()
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return _cut(self.data[index])

    def on_epoch_end(self):
        self.data.on_epoch_end()


def _small(data):
    # The same data in batches of at most _BATCH examples (arrays: untouched).
    if hasattr(data, "element_spec"):
        return data.map(lambda *parts: _cut(parts if len(parts) > 1 else parts[0]))
    if isinstance(data, _keras.utils.PyDataset):
        return _CutBatches(data)
    return data


def _rehearsal_fit(self, *args, **kwargs):
    bound = _fit_signature.bind(self, *args, **kwargs)
    bound.apply_defaults()
    options = bound.arguments
    x = options["x"]
    if hasattr(x, "element_spec") or isinstance(x, _keras.utils.PyDataset):
        batch = _batch_of(x)
    else:
        # Set even when it is Keras's default 32: given steps_per_epoch but no
        # batch_size, Keras would make batches of len(x) / steps examples.
        batch = options["batch_size"] or 32
    entry = {
        "model": self.name,
        "batch_size": batch,
        "parameters": int(self.count_params()),
        "dtype_policy": self.dtype_policy.name,
    }
    try:
        entry["activation_bytes"] = int(
            _arithmetic.activation_memory(self, batch, bytes_per_value=_BYTES)
        )
    except Exception as error:  # the test reports it
        entry["error"] = f"{type(error).__name__}: {error}"
    with open(_FITS_PATH) as stream:
        fits = _json.load(stream)
    with open(_FITS_PATH, "w") as stream:
        _json.dump(fits + [entry], stream)
    # The GPU's batch size is what the memory estimate needs; a CPU computes
    # only a few examples of it, and only _STEPS steps per epoch.
    options["x"] = small = _small(x)
    options["batch_size"] = min(batch, _BATCH) if small is x else None
    options["steps_per_epoch"] = min(options["steps_per_epoch"] or _STEPS, _STEPS)
    if options["validation_data"] is not None or options["validation_split"]:
        validation = options["validation_data"]
        if validation is not None and not isinstance(validation, tuple):
            options["validation_data"] = _small(validation)
        size = options["validation_batch_size"] or batch
        options["validation_batch_size"] = min(size, _BATCH)
        steps = options["validation_steps"]
        options["validation_steps"] = min(steps or _STEPS, _STEPS)
    return _keras_fit(*bound.args, **bound.kwargs)


_keras.Model.fit = _rehearsal_fit


def _rehearsal_snapshot(names):
    # The values a parameters cell just chose, as the kernel holds them.
    with open(_VALUES_PATH) as stream:
        values = _json.load(stream)
    values.update({name: repr(globals()[name]) for name in names})
    with open(_VALUES_PATH, "w") as stream:
        _json.dump(values, stream)
"""
#: Appended as the last cell: proves that every cell before it ran.
FINISH = "open(_FINISHED_PATH, 'w').close()"


def _rehearsal_copy(source: Path, folder: Path, facts: dict):
    """Writes the notebook with the injected cells to ``folder``."""
    notebook = nbformat.read(source, as_version=4)
    fits, values = folder / "fits.json", folder / "values.json"
    finished = folder / "finished"
    fits.write_text("[]")
    values.write_text("{}")
    for index in sorted(facts["checks"], reverse=True):
        names = sorted(facts["checks"][index])
        snapshot = nbformat.v4.new_code_cell(f"_rehearsal_snapshot({names!r})")
        notebook.cells.insert(index + 1, snapshot)
    constants = {
        "_STEPS": REHEARSAL_STEPS,
        "_BATCH": REHEARSAL_BATCH,
        "_FITS_PATH": str(fits),
        "_VALUES_PATH": str(values),
        "_FINISHED_PATH": str(finished),
        "_BYTES": 2 if facts["mixed_precision"] else None,
    }
    setup = "# Injected by tests/test_gpu_branch.py: caps Model.fit, records models.\n"
    setup += "".join(f"{name} = {value!r}\n" for name, value in constants.items())
    notebook.cells.insert(0, nbformat.v4.new_code_cell(setup + SETUP))
    notebook.cells.append(nbformat.v4.new_code_cell(FINISH))
    return notebook, fits, values, finished


def _training_bytes(fit: dict) -> int:
    return fit["activation_bytes"] + PARAMETER_COPIES * 4 * fit["parameters"]


def _table(name: str, fits: list[dict]) -> str:
    rows = [f"{name}: training memory on Colab's T4 (budget {T4_HEADROOM:.0%})"]
    rows.append(
        f"  {'model':24} {'policy':15} {'batch':>6} {'params':>12}"
        f" {'activ. MiB':>11} {'total MiB':>10} {'of T4':>6}"
    )
    for fit in fits:
        if "error" in fit:
            rows.append(f"  {fit['model']:24} {fit['error']}")
            continue
        total = _training_bytes(fit)
        rows.append(
            f"  {fit['model']:24} {fit['dtype_policy']:15} {fit['batch_size']:>6}"
            f" {fit['parameters']:>12,} {fit['activation_bytes'] / 2**20:>11,.1f}"
            f" {total / 2**20:>10,.1f} {total / T4_BYTES:>6.1%}"
        )
    return "\n".join(rows)


def test_gpu_notebooks_are_found():
    # The three that had gpu= values when this test was written; more may come.
    names = {path.stem for path in GPU_NOTEBOOKS}
    assert {
        "05_alexnet_and_vgg",
        "06_inception_resnet_densenet",
        "12_scaling_up",
    } <= names


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the notebooks use tf.data and TensorBoard: TensorFlow backend only",
)
@pytest.mark.parametrize("path", GPU_NOTEBOOKS, ids=lambda path: path.stem)
def test_gpu_branch(path, tmp_path, monkeypatch):
    facts = parse(path)
    # Without a GPU value that differs from the CPU's, the check below could not
    # tell the GPU branch from the CPU one.
    assert facts["gpu_only"], f"{path.name}: no literal gpu= value to check"
    notebook, fits_path, values_path, finished = _rehearsal_copy(path, tmp_path, facts)
    for name, value in {
        "COURSE_PROFILE": "full",
        "COURSE_GPU_REHEARSAL": str(REHEARSAL_STEPS),
        "COURSE_OFFLINE": "1",
        "COURSE_RUNS_DIR": str(tmp_path / "runs"),
        "COURSE_RESULTS_DIR": str(tmp_path / "results"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "MPLBACKEND": "agg",
    }.items():
        monkeypatch.setenv(name, value)  # the kernel inherits this environment
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    seconds = time.perf_counter() - start
    assert finished.exists(), f"{path.name}: the last cell did not run"

    values = json.loads(values_path.read_text())
    expected = {
        n: repr(v) for checks in facts["checks"].values() for n, v in checks.items()
    }
    assert values == expected, f"{path.name}: parameters differ from the GPU values"

    fits = json.loads(fits_path.read_text())
    unique = [dict(t) for t in dict.fromkeys(tuple(sorted(f.items())) for f in fits)]
    print(f"\n{_table(path.stem, unique)}\n  executed in {seconds:.0f} s")
    assert fits, f"{path.name}: no model was fitted"
    errors = [f"{f['model']}: {f['error']}" for f in unique if "error" in f]
    assert not errors, f"{path.name}: activation memory failed for {errors}"
    too_big = [
        f"{f['model']} at batch {f['batch_size']}: {_training_bytes(f) / 2**30:.1f} GiB"
        for f in unique
        if _training_bytes(f) > T4_BUDGET_BYTES
    ]
    assert not too_big, (
        f"{path.name}: over {T4_BUDGET_BYTES / 2**30:.0f} GiB of the T4: {too_big}"
    )
