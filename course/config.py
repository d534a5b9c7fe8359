"""Profiles, seeds, devices and paths shared by every lecture.

Nothing here changes global state at import time: seeds, mixed precision and the
like are only set when a notebook calls the corresponding function.

Profiles:
    ``COURSE_PROFILE=smoke`` runs every notebook on tiny data in seconds (the tests
    use it); ``full`` (the default) is sized to reach each lecture's stated result on
    a 2-core laptop CPU and scales up automatically on a GPU: a parameters cell
    writes ``config.by_profile(smoke=..., full=..., gpu=...)`` and gets the ``gpu``
    value when :func:`gpus` finds one.

GPU rehearsal:
    ``COURSE_GPU_REHEARSAL=<steps>`` (a positive integer, with ``COURSE_PROFILE``
    ``full``) makes :func:`by_profile` pick exactly what it picks on a GPU - the
    ``gpu`` value where one is given, else ``full`` - on a machine without one, so
    a CPU can execute the code path a student on Colab's GPU runtime takes.
    :func:`gpu_rehearsal` returns the step cap (``None`` when the rehearsal is
    off); the harness that runs a rehearsal (``tests/test_gpu_branch.py``) limits
    every ``fit`` to that many steps per epoch, which is far too little training
    to reach a lesson's result, so :func:`course.results.claim` reports a failed
    claim instead of raising. Only :func:`by_profile` changes: :func:`gpus`,
    :func:`device_defaults` and mixed precision keep telling the truth about the
    hardware. Empty or unset: off.

Paths and network:
    :func:`cache_dir` (``COURSE_CACHE_DIR``, else ``~/.cache/course``) holds the
    datasets and weights; its rule lives in :mod:`course.fetch.cache`, re-exported
    here. :func:`runs_dir` (``COURSE_RUNS_DIR``) holds TensorBoard runs.
    :func:`offline` (``COURSE_OFFLINE``, always on in the smoke profile) tells the
    loaders of :mod:`course.data` not to try the network.

Used in every lecture.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from course import _validate

# The cache-directory rule lives in course.fetch.cache (Keras-free); CACHE_ENV is
# re-exported next to the other environment variables.
from course.fetch.cache import CACHE_ENV as CACHE_ENV
from course.fetch.cache import resolve_cache_dir

PROFILES = ("smoke", "full")
PROFILE_ENV = "COURSE_PROFILE"
RUNS_ENV = "COURSE_RUNS_DIR"
OFFLINE_ENV = "COURSE_OFFLINE"
REHEARSAL_ENV = "COURSE_GPU_REHEARSAL"

# Default of by_profile's ``gpu``: tells "not given" apart from an explicit None,
# which parameters cells use to mean "no limit" (e.g. every training image).
_NOT_GIVEN = object()


def profile() -> str:
    """Returns the active profile, read from ``COURSE_PROFILE`` (default ``"full"``).

    Raises:
        ValueError: if the variable holds anything but ``smoke`` or ``full``.
    """
    value = os.environ.get(PROFILE_ENV, "full").strip().lower() or "full"
    return _validate.choice(PROFILE_ENV, value, PROFILES)


def is_smoke() -> bool:
    """Whether the tiny, seconds-long ``smoke`` profile is active."""
    return profile() == "smoke"


def by_profile(*, smoke: Any, full: Any, gpu: Any = _NOT_GIVEN) -> Any:
    """Picks a value for the active profile, for a notebook's parameters cell.

    Args:
        smoke: value used in the ``smoke`` profile (tests).
        full: value used in the ``full`` profile on a CPU.
        gpu: value used in the ``full`` profile when a GPU is present (or in a
            GPU rehearsal, see :func:`gpu_rehearsal`); when left out, ``full``
            is used there too. ``None`` is a value like any other: ``gpu=None``
            returns ``None`` on a GPU (e.g. "no limit: every image").

    Returns:
        One of the three values.

    Raises:
        ValueError: if ``COURSE_PROFILE`` or ``COURSE_GPU_REHEARSAL`` is invalid.
    """
    # Read first, so a mistyped rehearsal variable fails in every profile (and
    # the smoke profile with a rehearsal requested fails instead of quietly
    # running the smoke values).
    rehearsal = gpu_rehearsal()
    if is_smoke():
        return smoke
    if gpu is not _NOT_GIVEN and (rehearsal is not None or gpus()):
        return gpu
    return full


def gpu_rehearsal() -> int | None:
    """Whether a GPU rehearsal is on, and its cap on training steps per epoch.

    Read from ``COURSE_GPU_REHEARSAL``: a positive integer switches the rehearsal
    on (see the module docstring); unset or empty switches it off. In a rehearsal
    :func:`by_profile` returns the values for a GPU although :func:`gpus` (which
    stays truthful) finds none, and :func:`course.results.claim` does not raise.
    The rehearsal runs the ``full`` profile's GPU branch, so it refuses
    ``COURSE_PROFILE=smoke``.

    Returns:
        The number of training steps per epoch the harness allows (an int >= 1),
        or ``None`` when the rehearsal is off.

    Raises:
        ValueError: if the variable is set to anything but a positive integer,
            or the profile is ``smoke``.
    """
    value = os.environ.get(REHEARSAL_ENV, "").strip()
    if not value:
        return None
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        raise _validate.error(
            REHEARSAL_ENV,
            value,
            "to be a positive integer (training steps per epoch) or empty",
        )
    steps = _validate.positive_int(REHEARSAL_ENV, int(value))
    if profile() == "smoke":
        raise ValueError(
            f"Expected {PROFILE_ENV}=full while {REHEARSAL_ENV} is set: a GPU "
            f"rehearsal runs the full profile's GPU values. Received: "
            f"{PROFILE_ENV}='smoke', {REHEARSAL_ENV}={value!r}"
        )
    return steps


def offline() -> bool:
    """Whether loaders must not try the network.

    True in the smoke profile (tests never touch the network) and when
    ``COURSE_OFFLINE`` is set to a non-empty value other than ``0``.
    """
    flag = os.environ.get(OFFLINE_ENV, "").strip().lower()
    return is_smoke() or flag not in ("", "0", "false", "no")


def set_seed(seed: int) -> None:
    """Seeds Python, NumPy and the Keras backend so runs repeat.

    Args:
        seed: a non-negative integer.

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.
    """
    seed = _validate.integer("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


# What the running notebook told set_notebook, and the data its loaders returned:
# the provenance every TensorBoard run of the process writes (course.tensorboard).
_CONTEXT: dict[str, Any] = {"notebook": None, "parameters": {}, "data": []}
_PARAMETER_TYPES = (bool, int, float, str, type(None))


def _is_parameter(value: Any) -> bool:
    """A setting worth recording: a plain value, or a tuple/list/dict of them."""
    if isinstance(value, _PARAMETER_TYPES + (np.generic,)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_is_parameter(item) for item in value)
    if isinstance(value, Mapping):
        return all(_is_parameter(k) and _is_parameter(v) for k, v in value.items())
    return False


def set_notebook(name: str, namespace: Mapping[str, Any] | None = None) -> None:
    """Names the running notebook and records its parameters for run provenance.

    A notebook's parameters cell ends with ``config.set_notebook("04_lenet",
    globals())``: every upper-case name holding a plain value (number, string,
    bool, ``None``, or a tuple, list or dict of them) is a parameter. Each
    TensorBoard run started afterwards writes them, with the profile, device,
    versions and data sources, as its provenance text, so a run folder explains
    itself months later.

    Args:
        name: the notebook's name, e.g. ``"04_lenet"``.
        namespace: the notebook's ``globals()``; ``None`` records no parameters.

    Returns nothing, so that the call can end a parameters cell without
    printing; :func:`run_context` returns what was recorded.

    Raises:
        TypeError: ``name`` is not a string or ``namespace`` not a mapping.
    """
    name = _validate.string("name", name)
    if namespace is not None and not isinstance(namespace, Mapping):
        raise _validate.error(
            "namespace", namespace, "to be a dict such as globals()", TypeError
        )
    parameters = {
        key: value
        for key, value in (namespace or {}).items()
        if key.isupper() and not key.startswith("_") and _is_parameter(value)
    }
    _CONTEXT.update(notebook=name, parameters=parameters, data=[])


def note_data(source: str) -> None:
    """Records that a loader returned data from ``source`` (run provenance)."""
    source = _validate.string("source", source)
    if source not in _CONTEXT["data"]:
        _CONTEXT["data"].append(source)


def run_context() -> dict[str, Any]:
    """The notebook, parameters and data sources recorded so far (copies)."""
    return {
        "notebook": _CONTEXT["notebook"],
        "parameters": dict(_CONTEXT["parameters"]),
        "data": list(_CONTEXT["data"]),
    }


def backend() -> str:
    """The Keras backend in use (``tensorflow``, ``jax`` or ``torch``)."""
    return keras.backend.backend()


def gpus() -> list[str]:
    """Names of the GPUs visible to the active Keras backend (empty on a CPU)."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf  # Only imported when TensorFlow is the backend.

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if name == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if name == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def mixed_precision_enabled() -> bool:
    """Whether the global Keras dtype policy computes in float16 or bfloat16."""
    return keras.config.dtype_policy().compute_dtype in ("float16", "bfloat16")


def use_mixed_precision(enable: bool = True) -> bool:
    """Turns mixed precision on, but only where it helps: on a GPU.

    On a CPU float16 arithmetic is emulated and slower, so the policy stays
    ``float32`` there whatever is asked.

    Args:
        enable: ``True`` to use ``mixed_float16`` when a GPU is present, ``False``
            to go back to ``float32``.

    Returns:
        Whether mixed precision is now on.
    """
    enable = _validate.boolean("enable", enable)
    policy = "mixed_float16" if enable and gpus() else "float32"
    keras.config.set_dtype_policy(policy)
    return mixed_precision_enabled()


def jit_compile() -> bool:
    """Whether to ask ``Model.compile`` for XLA: on a GPU yes, on a CPU no.

    XLA was measured to slow LeNet-5 training down 2.2x and a CIFAR ResNet-18 1.5x
    on a 2-core CPU, so the course only turns it on where it pays off
    (:func:`device_defaults`). The JAX backend is the exception: JAX runs only
    XLA-compiled programs, and ``jit_compile=False`` there would mean running
    every operation on its own, many times slower, so it is always True.
    """
    if backend() == "jax":
        return True
    return device_defaults().jit_compile


#: Kinds of device :func:`device_defaults` knows; anything else counts as a CPU.
DEVICE_KINDS = ("cpu", "gpu", "tpu")


@dataclass(frozen=True)
class DeviceDefaults:
    """The speed settings the course picks for a set of devices.

    Attributes:
        device: the fastest kind present: ``"tpu"``, ``"gpu"`` or ``"cpu"``.
        dtype_policy: the Keras dtype policy name (``"mixed_float16"``,
            ``"mixed_bfloat16"`` or ``"float32"``).
        jit_compile: whether to pass ``jit_compile=True`` (XLA) to ``compile``.
        reason: one sentence saying why, for the notebooks to print.
    """

    device: str
    dtype_policy: str
    jit_compile: bool
    reason: str

    @property
    def mixed_precision(self) -> bool:
        """Whether the policy computes in 16 bits."""
        return self.dtype_policy.startswith("mixed_")


def _device_kind(device: Any) -> str:
    text = str(device).lower()
    for kind in ("tpu", "gpu", "cuda"):
        if kind in text:
            return "gpu" if kind == "cuda" else kind
    return "cpu"


def device_defaults(devices: Any = None) -> DeviceDefaults:
    """Decides mixed precision and XLA for a list of devices (a pure function).

    The rule the course measured and follows:

    - GPU: ``mixed_float16`` (Micikevicius et al., "Mixed precision training",
      ICLR 2018: float16 matrix products on tensor cores, float32 master
      weights, loss scaling, which Keras adds in ``compile``) and XLA
      (``jit_compile=True``), which fuses the many small element-wise operations
      of a training step into fewer GPU kernels.
    - TPU: ``mixed_bfloat16`` (the TPU's native 16-bit format; no loss scaling
      needed) and XLA (TPUs only run compiled programs anyway).
    - CPU: ``float32`` and no XLA: a laptop CPU has no fast 16-bit units, and
      XLA made LeNet-5 2.2x and ResNet-18 1.5x slower on the course's 2-core CPU
      (``python -m course.bench --precision ... --jit ...`` measures both).

    Args:
        devices: device names or objects, e.g. ``["/physical_device:GPU:0"]``,
            ``jax.devices()`` or ``["cpu"]``; only whether a name contains
            ``tpu``, ``gpu`` or ``cuda`` matters. ``None`` (the default) asks the
            active backend (:func:`gpus`).

    Returns:
        A :class:`DeviceDefaults`.

    Raises:
        TypeError: if ``devices`` is a string or not iterable.
    """
    if devices is None:
        devices = gpus() or ["cpu"]
    if isinstance(devices, (str, bytes)) or not hasattr(devices, "__iter__"):
        raise _validate.error(
            "devices", devices, "to be None or a list of device names", TypeError
        )
    kinds = {_device_kind(device) for device in devices}
    if "tpu" in kinds:
        return DeviceDefaults(
            "tpu", "mixed_bfloat16", True, "TPU: bfloat16 is native and XLA required"
        )
    if "gpu" in kinds:
        return DeviceDefaults(
            "gpu",
            "mixed_float16",
            True,
            "GPU: float16 tensor cores and XLA kernel fusion speed training up",
        )
    return DeviceDefaults(
        "cpu",
        "float32",
        False,
        "CPU: no fast 16-bit arithmetic, and XLA was measured slower on it",
    )


def apply_device_defaults(devices: Any = None) -> DeviceDefaults:
    """Sets the global dtype policy of :func:`device_defaults` and returns them.

    Call it once at the top of a notebook, before building models; pass
    ``jit_compile=defaults.jit_compile`` to ``compile``. On a CPU this sets
    ``float32``, i.e. changes nothing.

    Args:
        devices: as for :func:`device_defaults`.

    Returns:
        The :class:`DeviceDefaults` applied.
    """
    defaults = device_defaults(devices)
    keras.config.set_dtype_policy(defaults.dtype_policy)
    return defaults


def _package_version(name: str) -> str | None:
    if importlib.util.find_spec(name) is None:
        return None
    module = __import__(name)
    return getattr(module, "__version__", "unknown")


def device_report() -> dict[str, Any]:
    """Describes the software and hardware a notebook runs on.

    Returns:
        A dict with the profile, Python, backend, Keras and TensorFlow versions
        (``None`` when TensorFlow is not installed), the visible GPUs, whether
        mixed precision and XLA are on, and the GPU rehearsal's step cap
        (``None`` when off, see :func:`gpu_rehearsal`).
    """
    tf_version = None
    if backend() == "tensorflow" or importlib.util.find_spec("tensorflow"):
        tf_version = _package_version("tensorflow")
    return {
        "profile": profile(),
        "python": platform.python_version(),
        "backend": backend(),
        "keras": keras.__version__,
        "tensorflow": tf_version,
        "gpus": gpus(),
        "mixed_precision": mixed_precision_enabled(),
        "xla": jit_compile(),
        "gpu_rehearsal": gpu_rehearsal(),
    }


def in_colab() -> bool:
    """Whether the code runs inside Google Colab."""
    return importlib.util.find_spec("google.colab") is not None


def _project_root() -> Path | None:
    """The source checkout holding this package, if it is one (editable install)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def cache_dir() -> Path:
    """Where datasets and pretrained weights are cached.

    ``COURSE_CACHE_DIR`` if set, else ``~/.cache/course``. Created on demand by
    whoever writes into it, never at import time. The rule itself lives in
    :func:`course.fetch.cache.resolve_cache_dir`, which ``python -m course.fetch``
    uses without loading Keras.
    """
    return resolve_cache_dir()


def runs_dir() -> Path:
    """Where TensorBoard runs, backups and checkpoints go.

    ``COURSE_RUNS_DIR`` if set; else ``runs/`` at the top of the source checkout
    (so ``make tensorboard`` finds them); else ``runs/`` in the working directory.
    """
    value = os.environ.get(RUNS_ENV)
    if value:
        return Path(value).expanduser()
    root = _project_root()
    return (root if root is not None else Path.cwd()) / "runs"
