"""Training helpers: run folders, the standard callbacks and reading a History.

Every lecture trains with the same four callbacks::

    cbs = training.callbacks("lenet5", patience=5)
    history = model.fit(x, y, validation_data=(xv, yv), epochs=30, callbacks=cbs)
    print(cbs.run_dir)  # <runs>/lenet5/20250101-120000, holds TensorBoard logs
    best = keras.models.load_model(cbs.checkpoint_path)

Layout under ``config.runs_dir()`` (``COURSE_RUNS_DIR`` if set)::

    <runs>/<run_name>/<YYYYmmdd-HHMMSS>/   one fresh folder per call: TensorBoard
                                           logs and ``best.keras``
    <runs>/<run_name>/backup/              BackupAndRestore state, shared by every
                                           call with the same run name

The backup folder is stable on purpose: when a kernel dies or the process is killed
mid-``fit``, rerunning the same cell finds the backup and resumes after the last
finished epoch. Keras deletes it at the end of a successful ``fit``, so the next run
of the cell starts from scratch. The run folder, by contrast, is new each time, so
no run ever overwrites another in TensorBoard.

``summarize_history`` and ``diagnose_fit`` turn the curves in a ``History`` into the
numbers and the verdict (underfitting / good fit / overfitting) the lectures discuss.
"""

from __future__ import annotations

import math
import os
import shlex
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import optree

from course import _validate, config

__all__ = [
    "BACKUP_DIRNAME",
    "CHECKPOINT_FILENAME",
    "Callbacks",
    "Distribution",
    "STRATEGIES",
    "backup_dir",
    "FIT_VERDICTS",
    "callbacks",
    "clear_backup",
    "diagnose_fit",
    "distribute",
    "run_dir",
    "show_tensorboard",
    "summarize_history",
]

BACKUP_DIRNAME = "backup"
CHECKPOINT_FILENAME = "best.keras"
_TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"
_MODES = ("auto", "min", "max")
# Substrings marking a metric where larger is better (as Keras' own "auto" mode
# guesses from the name); every other metric, the loss included, is minimised.
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fmeasure", "iou")
# Logged by LR schedulers; a hyperparameter, not a quality measure.
_NOT_METRICS = ("lr", "learning_rate")
# Keep trying suffixes only a bounded number of times, so a read-only or otherwise
# broken folder raises instead of looping forever.
_MAX_SUFFIX = 1000

FIT_VERDICTS = ("underfitting", "good fit", "overfitting")


def _received(name: str, value: Any) -> str:
    return f"Received: {name}={value!r}"


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"Expected {name} to be a bool. {_received(name, value)}")


def _check_run_name(run_name: Any) -> str:
    if not isinstance(run_name, str):
        raise TypeError(
            f"Expected run_name to be a str. {_received('run_name', run_name)}"
        )
    separators = {"/", "\\", os.sep} | ({os.altsep} if os.altsep else set())
    if (
        not run_name.strip()
        or run_name in (".", "..")
        or ".." in run_name
        or any(sep in run_name for sep in separators)
    ):
        # A name that escapes or nests folders would put runs where TensorBoard
        # and the backup logic do not expect them.
        raise ValueError(
            "Expected run_name to be a non-empty folder name without path "
            f"separators or '..'. {_received('run_name', run_name)}"
        )
    return run_name


def _resolve_runs_dir(runs_dir: Any) -> Path:
    if runs_dir is None:
        return config.runs_dir()
    if not isinstance(runs_dir, (str, os.PathLike)) or str(runs_dir) == "":
        raise TypeError(
            "Expected runs_dir to be None or a non-empty path. "
            f"{_received('runs_dir', runs_dir)}"
        )
    return Path(runs_dir).expanduser()


def run_dir(run_name: str, runs_dir: str | os.PathLike | None = None) -> Path:
    """Creates a fresh, timestamped folder for one training run.

    The folder is ``<runs_dir>/<run_name>/<YYYYmmdd-HHMMSS>``; when two runs start
    in the same second the later one gets ``-1``, ``-2``, ... appended. It is made
    with ``exist_ok=False``, so an earlier run is never reused or overwritten.

    Args:
        run_name: a plain folder name such as ``"lenet5"``; no path separators or
            ``..``.
        runs_dir: parent of all runs; defaults to ``config.runs_dir()``.

    Returns:
        The path of the newly created folder.

    Raises:
        TypeError: if ``run_name`` is not a str or ``runs_dir`` is not a path.
        ValueError: if ``run_name`` is empty or contains a path separator or
            ``..``.
    """
    _check_run_name(run_name)
    parent = _resolve_runs_dir(runs_dir) / run_name
    parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime(_TIMESTAMP_FORMAT)
    for suffix in range(_MAX_SUFFIX):
        path = parent / (stamp if suffix == 0 else f"{stamp}-{suffix}")
        try:
            # mkdir itself is the existence check, so two processes racing for
            # the same name cannot both win.
            path.mkdir(exist_ok=False)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(
        f"Could not create a fresh run folder under {parent} after "
        f"{_MAX_SUFFIX} attempts."
    )


def backup_dir(run_name: str, runs_dir: str | os.PathLike | None = None) -> Path:
    """The stable BackupAndRestore folder of a run name (not created here).

    Args:
        run_name: as for :func:`run_dir`.
        runs_dir: as for :func:`run_dir`.

    Returns:
        ``<runs_dir>/<run_name>/backup``.
    """
    _check_run_name(run_name)
    return _resolve_runs_dir(runs_dir) / run_name / BACKUP_DIRNAME


def clear_backup(run_name: str, runs_dir: str | os.PathLike | None = None) -> bool:
    """Deletes a run name's backup so that its next ``fit`` starts from scratch.

    Needed after interrupting a ``fit`` (a KeyboardInterrupt leaves the backup in
    place, like a crash) when the rerun should not resume, e.g. because the model
    or the data changed; resuming into a different model fails or misleads.

    Args:
        run_name: as for :func:`run_dir`.
        runs_dir: as for :func:`run_dir`.

    Returns:
        Whether there was a backup to delete.
    """
    path = backup_dir(run_name, runs_dir)
    if not path.exists():
        return False
    shutil.rmtree(path)
    return True


class Callbacks(list):
    """The list returned by :func:`callbacks`, plus where the run writes.

    It is a plain ``list`` of ``keras.callbacks.Callback`` (pass it straight to
    ``fit``, append to it) with three extra attributes:

    Attributes:
        run_dir: the fresh folder of this run (TensorBoard logs, checkpoint).
        backup_dir: the stable BackupAndRestore folder, or ``None`` without backup.
        checkpoint_path: ``run_dir / "best.keras"``, or ``None`` without
            checkpoint. The file only exists once an epoch improved ``monitor``.
    """

    run_dir: Path
    backup_dir: Path | None
    checkpoint_path: Path | None

    def _flatten(self) -> tuple[list, tuple]:
        # getattr: a Callbacks() built by hand may lack the attributes.
        paths = ("run_dir", "backup_dir", "checkpoint_path")
        return list(self), tuple(getattr(self, name, None) for name in paths)

    @classmethod
    def _unflatten(cls, metadata: tuple, children: Iterable) -> Callbacks:
        result = cls(children)
        result.run_dir, result.backup_dir, result.checkpoint_path = metadata
        return result


# ``fit`` hands its callbacks to ``keras.tree.flatten``, which treats an unknown list
# subclass as a single leaf (and then calls ``set_model`` on the list itself). So the
# class is registered as a container in the pytree registry Keras uses: optree, a
# hard dependency of Keras, under Keras' namespace; and torch's own registry when
# that backend is active.
optree.register_pytree_node(
    Callbacks, Callbacks._flatten, Callbacks._unflatten, namespace="keras"
)
if keras.backend.backend() == "torch":  # pragma: no cover - the course runs on TF.
    from torch.utils import _pytree as torch_pytree

    torch_pytree.register_pytree_node(
        Callbacks,
        Callbacks._flatten,
        lambda children, metadata: Callbacks._unflatten(metadata, children),
    )


def _check_profile_batch(profile_batch: Any) -> int | tuple[int, int]:
    def is_int(value):
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

    if is_int(profile_batch) and profile_batch >= 0:
        return int(profile_batch)
    if (
        isinstance(profile_batch, (tuple, list))
        and len(profile_batch) == 2
        and all(is_int(v) for v in profile_batch)
        and 1 <= profile_batch[0] <= profile_batch[1]
    ):
        return int(profile_batch[0]), int(profile_batch[1])
    raise ValueError(
        "Expected profile_batch to be 0 (off), a batch number >= 1, or a pair "
        "(first, last) with 1 <= first <= last. "
        f"{_received('profile_batch', profile_batch)}"
    )


def callbacks(
    run_name: str,
    *,
    monitor: str = "val_loss",
    mode: str = "auto",
    patience: int | None = None,
    restore_best_weights: bool = True,
    tensorboard: bool = True,
    backup: bool = True,
    checkpoint: bool = True,
    histogram_freq: int = 0,
    profile_batch: int | tuple[int, int] = 0,
    runs_dir: str | os.PathLike | None = None,
    extra: Iterable[keras.callbacks.Callback] | None = None,
) -> Callbacks:
    """The course's standard callbacks for ``model.fit``.

    The list holds, in this order and each only when switched on:

    1. ``TensorBoard`` writing to the fresh :func:`run_dir`.
    2. ``ModelCheckpoint`` keeping the best model by ``monitor`` in
       ``run_dir / "best.keras"``.
    3. ``EarlyStopping`` on ``monitor`` (only when ``patience`` is given).
    4. ``BackupAndRestore`` in the stable ``<runs_dir>/<run_name>/backup``.
    5. The ``extra`` callbacks.

    Keras calls callbacks in list order, so at the end of each epoch the logs and
    the checkpoint are written before the backup marks the epoch as done; a
    process killed at any later point (for instance by an ``extra`` callback)
    resumes after that epoch, with nothing of it lost.

    Resuming restores the weights, the optimizer state and the epoch counter. The
    resumed ``fit`` still gets a new run folder (its TensorBoard curves continue at
    the right epoch numbers), and ``EarlyStopping``/``ModelCheckpoint`` only
    compare epochs run after the restart, because Keras does not back up their
    state. Two notebooks training at the same time must use different run names,
    as they would otherwise share one backup. Interrupting a cell also leaves the
    backup behind; call :func:`clear_backup` before rerunning a changed model.

    Args:
        run_name: plain folder name of the experiment, e.g. ``"lenet5"``.
        monitor: the logged quantity that decides "best", e.g. ``"val_accuracy"``.
        mode: ``"auto"``, ``"min"`` or ``"max"``; ``"auto"`` lets Keras infer the
            direction from the metric.
        patience: epochs without improvement before stopping; ``None`` means no
            early stopping.
        restore_best_weights: whether early stopping puts back the best weights.
        tensorboard: whether to add the TensorBoard callback.
        backup: whether to add BackupAndRestore.
        checkpoint: whether to add ModelCheckpoint.
        histogram_freq: TensorBoard weight histograms every this many epochs;
            ``0`` turns them off (they cost time on a CPU).
        profile_batch: batches to trace with the TensorBoard profiler: ``0``
            (off), a batch number, or ``(first, last)``, e.g. ``(10, 15)`` to
            skip the first steps, which trace and compile the graph. The trace
            lands in ``run_dir/train/plugins/profile/<time>/``; the Profile tab of
            TensorBoard that shows it comes with ``tensorboard-plugin-profile``.
        runs_dir: parent of all runs; defaults to ``config.runs_dir()``.
        extra: further callbacks, appended after the others.

    Returns:
        A :class:`Callbacks` list with ``run_dir``, ``backup_dir`` and
        ``checkpoint_path`` attributes. The run folder is created even when
        TensorBoard and checkpointing are off, so a notebook can save its own
        artefacts there.

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if an argument has the right type but an invalid value.
    """
    # Validate everything before touching the disk, so a typo creates no folders.
    _check_run_name(run_name)
    if not isinstance(monitor, str):
        raise TypeError(
            f"Expected monitor to be a str. {_received('monitor', monitor)}"
        )
    if not monitor.strip():
        raise ValueError(
            f"Expected monitor to be a non-empty str. {_received('monitor', monitor)}"
        )
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(
            f"Expected mode to be one of {_MODES}. {_received('mode', mode)}"
        )
    if patience is not None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)):
            raise TypeError(
                "Expected patience to be None or an int. "
                f"{_received('patience', patience)}"
            )
        if patience < 0:
            raise ValueError(
                f"Expected patience to be >= 0. {_received('patience', patience)}"
            )
    for name, value in (
        ("restore_best_weights", restore_best_weights),
        ("tensorboard", tensorboard),
        ("backup", backup),
        ("checkpoint", checkpoint),
    ):
        _check_bool(name, value)
    if isinstance(histogram_freq, bool) or not isinstance(
        histogram_freq, (int, np.integer)
    ):
        raise TypeError(
            "Expected histogram_freq to be an int. "
            f"{_received('histogram_freq', histogram_freq)}"
        )
    if histogram_freq < 0:
        raise ValueError(
            "Expected histogram_freq to be >= 0. "
            f"{_received('histogram_freq', histogram_freq)}"
        )
    profile_batch = _check_profile_batch(profile_batch)
    root = _resolve_runs_dir(runs_dir)
    if extra is None:
        extra_list: list[keras.callbacks.Callback] = []
    else:
        if isinstance(extra, (str, bytes, keras.callbacks.Callback)) or not isinstance(
            extra, Iterable
        ):
            raise TypeError(
                "Expected extra to be None or an iterable of keras callbacks. "
                f"{_received('extra', extra)}"
            )
        extra_list = list(extra)
        bad = [cb for cb in extra_list if not isinstance(cb, keras.callbacks.Callback)]
        if bad:
            raise TypeError(
                "Expected extra to hold only keras.callbacks.Callback instances. "
                f"{_received('extra', extra_list)}"
            )

    result = Callbacks()
    result.run_dir = run_dir(run_name, root)
    result.backup_dir = backup_dir(run_name, root) if backup else None
    result.checkpoint_path = (
        result.run_dir / CHECKPOINT_FILENAME if checkpoint else None
    )
    if tensorboard:
        result.append(
            keras.callbacks.TensorBoard(
                log_dir=str(result.run_dir),
                histogram_freq=int(histogram_freq),
                profile_batch=profile_batch,
            )
        )
    if checkpoint:
        result.append(
            keras.callbacks.ModelCheckpoint(
                filepath=str(result.checkpoint_path),
                monitor=monitor,
                mode=mode,
                save_best_only=True,
            )
        )
    if patience is not None:
        result.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                mode=mode,
                patience=int(patience),
                restore_best_weights=restore_best_weights,
            )
        )
    if backup:
        # Last of ours: the epoch only counts as done once everything above it has
        # written its share of that epoch.
        result.append(
            keras.callbacks.BackupAndRestore(backup_dir=str(result.backup_dir))
        )
    result.extend(extra_list)
    return result


# --------------------------------------------------------------------------- history


def _higher_is_better(name: str) -> bool:
    base = name.removeprefix("val_").lower()
    return any(token in base for token in _HIGHER_IS_BETTER)


def _history_dict(history: Any) -> dict[str, np.ndarray]:
    """Validates a History or dict of lists and returns float arrays."""
    if isinstance(history, keras.callbacks.History):
        raw = history.history
    elif isinstance(history, Mapping):
        raw = history
    else:
        raise TypeError(
            "Expected history to be a keras.callbacks.History or a dict of lists. "
            f"{_received('history', history)}"
        )
    if not raw:
        raise ValueError(
            "Expected history to hold at least one metric (was fit() run?). "
            f"{_received('history', raw)}"
        )
    curves: dict[str, np.ndarray] = {}
    lengths = set()
    for key, values in raw.items():
        if not isinstance(key, str):
            raise TypeError(
                f"Expected history keys to be metric names. {_received('key', key)}"
            )
        if isinstance(values, (str, bytes)) or not isinstance(
            values, (Sequence, np.ndarray)
        ):
            raise TypeError(
                f"Expected history[{key!r}] to be a list of numbers. "
                f"{_received(f'history[{key!r}]', values)}"
            )
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"Expected history[{key!r}] to be a list of numbers. "
                f"{_received(f'history[{key!r}]', values)}"
            ) from None
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"Expected history[{key!r}] to be a non-empty flat list. "
                f"{_received(f'history[{key!r}]', values)}"
            )
        curves[key] = array
        lengths.add(array.size)
    if len(lengths) != 1:
        raise ValueError(
            "Expected every history curve to have one value per epoch. "
            f"Received: lengths={ {k: v.size for k, v in curves.items()} }"
        )
    return curves


def _best_index(name: str, values: np.ndarray) -> int | None:
    if np.all(np.isnan(values)):
        return None
    # nan* ignores epochs where training diverged to NaN.
    return int(
        np.nanargmax(values) if _higher_is_better(name) else np.nanargmin(values)
    )


def summarize_history(history: keras.callbacks.History | Mapping) -> dict[str, Any]:
    """The numbers to read off a training curve.

    Args:
        history: what ``model.fit`` returned, or a dict such as
            ``{"loss": [...], "val_loss": [...], "accuracy": [...]}`` with one
            value per epoch.

    Returns:
        A dict with

        - ``"epochs"``: number of epochs recorded.
        - ``"monitor"``: ``"val_loss"`` when present, else ``"loss"``.
        - ``"best_epoch"``: 1-based epoch with the lowest ``monitor`` (``None`` if
          it is NaN throughout).
        - ``"final"``: ``{name: value at the last epoch}`` for every curve.
        - ``"best"``: ``{name: best value}`` for every metric, the maximum for
          accuracy-like metrics (accuracy, AUC, precision, recall, F1, IoU), the
          minimum for the others (losses, errors). Learning rates are left out.
        - ``"gap"``: ``{name: train - val at the last epoch}`` for every metric
          logged both with and without ``val_``, e.g. ``"loss"`` and
          ``"accuracy"``. Overfitting shows as a positive accuracy gap and a
          negative loss gap.

    Raises:
        TypeError: if ``history`` is neither a History nor a dict of number lists.
        ValueError: if it is empty, has no ``loss`` or its curves differ in length.
    """
    curves = _history_dict(history)
    if "loss" not in curves:
        raise ValueError(
            "Expected history to contain 'loss'. "
            f"Received: history keys={sorted(curves)}"
        )
    monitor = "val_loss" if "val_loss" in curves else "loss"
    best_index = _best_index(monitor, curves[monitor])
    final = {name: float(values[-1]) for name, values in curves.items()}
    best = {}
    for name, values in curves.items():
        if name in _NOT_METRICS:
            continue
        index = _best_index(name, values)
        best[name] = math.nan if index is None else float(values[index])
    gap = {
        name: float(values[-1] - curves[f"val_{name}"][-1])
        for name, values in curves.items()
        if not name.startswith("val_")
        and name not in _NOT_METRICS
        and f"val_{name}" in curves
    }
    return {
        "epochs": int(next(iter(curves.values())).size),
        "monitor": monitor,
        "best_epoch": None if best_index is None else best_index + 1,
        "final": final,
        "best": best,
        "gap": gap,
    }


def _check_fraction(name: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    ok_type = isinstance(value, (int, float, np.floating, np.integer)) and not (
        isinstance(value, bool)
    )
    if not ok_type or not math.isfinite(value) or not 0 <= value <= 1:
        what = "None or a number in [0, 1]" if allow_none else "a number in [0, 1]"
        raise ValueError(f"Expected {name} to be {what}. {_received(name, value)}")


def diagnose_fit(
    history: keras.callbacks.History | Mapping,
    metric: str = "accuracy",
    *,
    gap: float = 0.05,
    low: float | None = 0.8,
    rise: float = 0.1,
) -> str:
    """Labels a training run "underfitting", "good fit" or "overfitting".

    The rules are the lecture's rules of thumb, applied to the last epoch of a
    higher-is-better ``metric`` (train value ``t``, validation value ``v``) and to
    the loss curves, checked in this order:

    1. **Underfitting** if the model does not even fit its training data:
       ``t < low``. A model that fits neither set is struggling to learn at all,
       whatever its train/validation gap.
    2. **Overfitting** if the model does clearly better on the data it trained on:
       ``t - v > gap``; or if the validation loss has turned up, ending more than
       ``rise`` (relative) above its minimum, while the training loss is still
       lower than at that minimum (memorising the training set instead of
       learning what generalises).
    3. **Underfitting** if it does clearly better on validation than on training,
       ``v - t > gap`` (typical of too much regularisation or too few epochs).
    4. **Good fit** otherwise.

    ``low`` depends on how hard the task is: set it to the training accuracy a
    capable model reaches on your data (the 0.8 default suits MNIST-like tasks;
    ``None`` switches the rule off). The last epoch is used as is, so smooth noisy
    curves or train longer before reading much into a borderline verdict.

    Note that Keras logs the training metric while training: with dropout active
    and batch norm on batch statistics, and averaged over an epoch of changing
    weights. For regularised models that understates the training accuracy; to
    compare like with like, evaluate the training set after ``fit`` as well.

    Args:
        history: what ``model.fit`` returned, or a dict of per-epoch lists; it
            must hold ``metric`` and ``"val_" + metric``.
        metric: a metric where higher is better, such as ``"accuracy"``.
        gap: largest train/validation difference still counted as a good fit.
        low: smallest training value not counted as underfitting, or ``None``.
        rise: relative rise of the validation loss above its minimum that counts
            as overfitting.

    Returns:
        One of ``"underfitting"``, ``"good fit"``, ``"overfitting"``.

    Raises:
        TypeError: if ``history`` or ``metric`` has the wrong type.
        ValueError: if a curve is missing, ``metric`` is not higher-is-better, or a
            threshold is out of range.
    """
    curves = _history_dict(history)
    if not isinstance(metric, str):
        raise TypeError(f"Expected metric to be a str. {_received('metric', metric)}")
    if metric.startswith("val_") or not _higher_is_better(metric):
        raise ValueError(
            "Expected metric to be a training metric where higher is better, such "
            f"as 'accuracy'. {_received('metric', metric)}"
        )
    for name in (metric, f"val_{metric}"):
        if name not in curves:
            raise ValueError(
                f"Expected history to contain {name!r} (fit with validation data "
                f"and metrics=[{metric!r}]). Received: history keys={sorted(curves)}"
            )
    _check_fraction("gap", gap)
    _check_fraction("low", low, allow_none=True)
    if (
        isinstance(rise, bool)
        or not isinstance(rise, (int, float, np.floating, np.integer))
        or not math.isfinite(rise)
        or rise < 0
    ):
        raise ValueError(
            f"Expected rise to be a number >= 0. {_received('rise', rise)}"
        )

    train = float(curves[metric][-1])
    val = float(curves[f"val_{metric}"][-1])
    if math.isnan(train) or math.isnan(val):
        raise ValueError(
            f"Expected finite values at the last epoch. Received: {metric}={train}, "
            f"val_{metric}={val}"
        )

    if low is not None and train < low:
        return "underfitting"
    if train - val > gap:
        return "overfitting"
    if "loss" in curves and "val_loss" in curves:
        val_loss, loss = curves["val_loss"], curves["loss"]
        best = _best_index("val_loss", val_loss)
        if best is not None and best < val_loss.size - 1:
            turned_up = val_loss[-1] - val_loss[best] > rise * abs(val_loss[best])
            still_learning = loss[-1] < loss[best]
            if turned_up and still_learning:
                return "overfitting"
    if val - train > gap:
        return "underfitting"
    return "good fit"


HEADLESS_ENV = "COURSE_HEADLESS"


def show_tensorboard(logdir: str | os.PathLike | None = None) -> bool:
    """Opens TensorBoard inside the notebook, or says how to open it.

    In Jupyter or Colab this runs ``%load_ext tensorboard`` and ``%tensorboard
    --logdir <runs>``. Headless runs (``make course``, the tests' smoke profile, or
    ``COURSE_HEADLESS`` set) would only leave a server behind, so they print the
    commands instead: those two magics for a notebook (the only way in Colab,
    which has no terminal on localhost), and ``tensorboard --logdir <runs>`` (or
    ``make tensorboard`` in a checkout) for a terminal.

    Args:
        logdir: folder to watch; defaults to ``config.runs_dir()``.

    Returns:
        Whether TensorBoard was started inline.
    """
    logdir = Path(logdir) if logdir is not None else config.runs_dir()
    headless = config.is_smoke() or os.environ.get(HEADLESS_ENV, "") not in ("", "0")
    shell = None
    if not headless:
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
    if shell is None or not hasattr(shell, "kernel"):
        quoted = shlex.quote(str(logdir))
        print(
            "TensorBoard: in a notebook (Jupyter or Colab) run `%load_ext tensorboard` "
            f"then `%tensorboard --logdir {quoted}`; in a terminal run `tensorboard "
            f"--logdir {quoted}` (`make tensorboard` in a checkout) and open "
            "http://localhost:6006"
        )
        return False
    shell.run_line_magic("load_ext", "tensorboard")
    shell.run_line_magic("tensorboard", f'--logdir "{logdir}"')
    return True


def _loss_gradients(model, x, y, loss_fn):
    """Gradients of ``loss_fn(y, model(x))`` w.r.t. ``model.trainable_weights``.

    Keras 3 has no backend-neutral gradient call, so each backend gets its own
    two lines. The forward pass runs in training mode (batch norm normalises with
    the batch's statistics, as during ``fit``) without changing the model: JAX's
    ``stateless_call`` returns new statistics instead of writing them, and the
    other backends get their statistics restored afterwards.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        frozen = [v.value for v in model.non_trainable_variables]

        def loss_of(trainable):
            predictions, _ = model.stateless_call(trainable, frozen, x, training=True)
            return loss_fn(y, predictions)

        grads = jax.grad(loss_of)([v.value for v in model.trainable_variables])
        return [np.asarray(g) for g in grads]
    saved = [np.array(v.numpy()) for v in model.non_trainable_variables]
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                value = loss_fn(y, model(x, training=True))
            grads = tape.gradient(value, model.trainable_variables)
            return [np.asarray(g) for g in grads]
        if backend == "torch":
            for variable in model.trainable_variables:
                variable.value.grad = None
            loss_fn(y, model(x, training=True)).backward()
            return [
                v.value.grad.detach().cpu().numpy() for v in model.trainable_variables
            ]
        raise NotImplementedError(
            f"gradient_norms supports the tensorflow, jax and torch backends. "
            f"Received: backend={backend!r}"
        )
    finally:
        for variable, value in zip(model.non_trainable_variables, saved, strict=True):
            variable.assign(value)


def gradient_norms(model, x, y, loss="sparse_categorical_crossentropy"):
    """The size of the loss gradient at every weighted layer, input to output.

    The diagnostic behind "vanishing gradients" (Glorot & Bengio, AISTATS 2010;
    He et al., CVPR 2016, section 4.1): back-propagation multiplies the gradient
    by one Jacobian per layer, so in a deep plain stack its norm can shrink (or
    grow) geometrically towards the input, and the first layers barely learn.
    Plot the returned values against depth on a log scale to see it.

    For every layer that owns a ``kernel`` (``Conv2D``, ``Dense``, ...) this
    returns the L2 (Frobenius) norm of d loss / d kernel on one batch; biases and
    batch-norm parameters are left out so that layers compare like with like.
    The forward pass runs in training mode and the model is left unchanged.

    Args:
        model: a built ``keras.Model``.
        x: one batch of inputs (NumPy array or tensor).
        y: its targets, as the loss expects them.
        loss: a Keras loss name or callable ``loss(y_true, y_pred)``; its
            per-example values are averaged over the batch.

    Returns:
        ``dict`` mapping layer name to gradient norm (``float``), in the order
        of ``model.layers``.

    Raises:
        TypeError: if ``model`` is not a ``keras.Model``.
        ValueError: if ``model`` has no layer with a trainable kernel, or ``x``
            and ``y`` hold different numbers of examples.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected model to be a keras.Model. Received: model={model!r}"
        )
    kernels = {}
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if isinstance(kernel, keras.Variable) and kernel.trainable:
            kernels[layer.name] = kernel
    if not kernels:
        raise ValueError(
            "Expected model to have a layer with a trainable kernel. "
            f"Received: model={model.name!r}"
        )
    if len(x) != len(y):
        raise ValueError(
            "Expected x and y to hold the same number of examples. "
            f"Received: len(x)={len(x)}, len(y)={len(y)}"
        )
    per_example = keras.losses.get(loss)
    if per_example is None:
        raise ValueError(f"Expected loss to name a Keras loss. Received: loss={loss!r}")

    def loss_fn(y_true, y_pred):
        # keras.losses.get gives per-example losses: average them, as fit does.
        return keras.ops.mean(per_example(y_true, y_pred))

    grads = _loss_gradients(model, x, y, loss_fn)
    by_path = {v.path: g for v, g in zip(model.trainable_variables, grads, strict=True)}
    return {
        name: float(np.linalg.norm(by_path[kernel.path]))
        for name, kernel in kernels.items()
    }


# ---------------------------------------------------------------------- distribution

#: Strategies :func:`distribute` accepts.
STRATEGIES = ("auto", "none", "mirrored", "data_parallel")


def _distribution_scope(tf_strategy, keras_distribution):
    import contextlib

    if tf_strategy is not None:
        return tf_strategy.scope()
    if keras_distribution is not None:
        return keras_distribution.scope()
    return contextlib.nullcontext()


class Distribution:
    """How training is spread over devices and processes: one object for both
    engines, returned by :func:`distribute`.

    Use it the same way whatever the strategy::

        dist = training.distribute()
        with dist.scope():
            model = build_model()
            model.compile(optimizer=..., loss=..., metrics=[...])
            model.fit(dist.shard(x, global_batch), dist.shard(y, global_batch),
                      batch_size=dist.local_batch_size(per_replica), ...)

    Attributes:
        strategy: ``"none"``, ``"mirrored"`` or ``"data_parallel"`` (never
            ``"auto"``: the choice actually made).
        backend: the Keras backend.
        devices: names of every device holding a replica, in all processes.
        num_replicas: how many model replicas train in step (one per device).
        num_processes: how many processes (machines) take part.
        process_id: this process's rank, 0 ... ``num_processes - 1``; rank 0 is
            the one that should write logs and checkpoints.
        tf_strategy: the ``tf.distribute.Strategy`` (``"mirrored"``), else None.
        keras_distribution: the ``keras.distribution.DataParallel``
            (``"data_parallel"``), else None.
    """

    def __init__(
        self,
        strategy,
        backend,
        devices,
        num_processes=1,
        process_id=0,
        tf_strategy=None,
        keras_distribution=None,
    ):
        self.strategy = strategy
        self.backend = backend
        self.devices = tuple(str(d) for d in devices)
        self.num_replicas = max(1, len(self.devices))
        self.num_processes = int(num_processes)
        self.process_id = int(process_id)
        self.tf_strategy = tf_strategy
        self.keras_distribution = keras_distribution

    def __repr__(self) -> str:
        return (
            f"Distribution(strategy={self.strategy!r}, backend={self.backend!r}, "
            f"num_replicas={self.num_replicas}, num_processes={self.num_processes}, "
            f"process_id={self.process_id}, devices={list(self.devices)})"
        )

    @property
    def is_chief(self) -> bool:
        """Whether this is process 0, the one that writes logs and checkpoints."""
        return self.process_id == 0

    def scope(self):
        """Context manager to build, compile and fit the model under.

        ``MirroredStrategy.scope()`` (TensorFlow) creates every variable as a
        mirrored copy on each device; the Keras distribution's scope (JAX) lays
        variables out on the device mesh and shards each input batch across
        it. For ``"none"`` it does nothing.
        """
        return _distribution_scope(self.tf_strategy, self.keras_distribution)

    def global_batch_size(self, per_replica: int) -> int:
        """The batch of one training step summed over all replicas.

        Data parallelism keeps each device's batch (``per_replica``) and
        multiplies the step's batch by the number of replicas; the usual rule
        scales the learning rate with it (Goyal et al., "Accurate, large
        minibatch SGD", 2017).
        """
        per_replica = _validate.positive_int("per_replica", per_replica)
        return per_replica * self.num_replicas

    def local_batch_size(self, per_replica: int) -> int:
        """The batch *this process* feeds per step (``batch_size`` of ``fit``)."""
        return self.global_batch_size(per_replica) // self.num_processes

    def shard(self, array, global_batch_size: int):
        """This process's rows of every global batch of ``array``.

        Each process feeds only its part of a step's batch: process ``p`` of
        ``P`` gets rows ``p * B/P ... (p + 1) * B/P - 1`` of every batch of
        ``B = global_batch_size`` rows, so that the ``P`` local batches laid
        side by side are exactly the single-process batch. Rows after the last
        complete batch are dropped. With one process, the array comes back
        unchanged.

        Args:
            array: NumPy array with the examples along the first axis, in the
                same order in every process (shuffle with a shared seed first).
            global_batch_size: ``B``, a multiple of ``num_processes``.

        Returns:
            A NumPy array of ``(n // B) * B / P`` rows.
        """
        global_batch_size = _validate.positive_int(
            "global_batch_size", global_batch_size
        )
        if global_batch_size % self.num_processes:
            raise ValueError(
                f"Expected global_batch_size to be a multiple of num_processes="
                f"{self.num_processes}. "
                f"{_received('global_batch_size', global_batch_size)}"
            )
        if self.num_processes == 1:
            return array
        array = np.asarray(array)
        batches = len(array) // global_batch_size
        local = global_batch_size // self.num_processes
        blocks = array[: batches * global_batch_size].reshape(
            (batches, self.num_processes, local) + array.shape[1:]
        )
        return blocks[:, self.process_id].reshape((batches * local,) + array.shape[1:])


def _check_processes(coordinator_address, num_processes, process_id):
    given = [v is not None for v in (coordinator_address, num_processes, process_id)]
    if any(given) and not all(given):
        raise ValueError(
            "Expected coordinator_address, num_processes and process_id to be given "
            "together (several processes) or not at all (one process). Received: "
            f"coordinator_address={coordinator_address!r}, "
            f"num_processes={num_processes!r}, process_id={process_id!r}"
        )
    if not any(given):
        return None, 1, 0
    if not isinstance(coordinator_address, str) or ":" not in coordinator_address:
        raise ValueError(
            "Expected coordinator_address to be 'host:port' of process 0. "
            f"{_received('coordinator_address', coordinator_address)}"
        )
    host, _, port = coordinator_address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            "Expected coordinator_address to be 'host:port' with a port in "
            f"1..65535. {_received('coordinator_address', coordinator_address)}"
        )
    num_processes = _validate.positive_int("num_processes", num_processes)
    process_id = _validate.positive_int("process_id", process_id, minimum=0)
    if process_id >= num_processes:
        raise ValueError(
            f"Expected process_id to be in 0..{num_processes - 1}. "
            f"{_received('process_id', process_id)}"
        )
    return coordinator_address, num_processes, process_id


def _check_devices(devices):
    if devices is None:
        return None
    if (
        isinstance(devices, (str, bytes))
        or not isinstance(devices, Sequence)
        or not devices
        or not all(isinstance(d, str) and d.strip() for d in devices)
    ):
        raise ValueError(
            "Expected devices to be None or a non-empty list of device names "
            "such as ['/gpu:0', '/gpu:1'] or ['cpu:0']. "
            f"{_received('devices', devices)}"
        )
    if len(set(devices)) != len(devices):
        raise ValueError(
            f"Expected devices to be distinct. {_received('devices', devices)}"
        )
    return list(devices)


def _distribute_tensorflow(strategy, devices, num_processes):
    import tensorflow as tf

    if strategy == "data_parallel":
        raise ValueError(
            "Expected strategy='mirrored' (or 'auto') on the TensorFlow backend: "
            "the Keras distribution API ('data_parallel') runs on JAX. "
            f"{_received('strategy', strategy)}"
        )
    if num_processes > 1:
        # MultiWorkerMirroredStrategy would be TensorFlow's answer, but Keras 3
        # does not support it (keras-team/keras#20585).
        raise ValueError(
            "Expected num_processes=1 on the TensorFlow backend: Keras 3 does not "
            "support tf.distribute.MultiWorkerMirroredStrategy; train on several "
            "machines with KERAS_BACKEND=jax and strategy='data_parallel'. "
            f"{_received('num_processes', num_processes)}"
        )
    visible = [d.name for d in tf.config.list_logical_devices("GPU")]
    if strategy == "auto":
        strategy = "mirrored" if len(devices or visible) > 1 else "none"
    if strategy == "none":
        return Distribution("none", "tensorflow", (devices or visible or ["cpu:0"])[:1])
    chosen = (
        devices or visible or [d.name for d in tf.config.list_logical_devices("CPU")]
    )
    mirrored = tf.distribute.MirroredStrategy(devices=chosen)
    return Distribution(
        "mirrored", "tensorflow", mirrored.extended.worker_devices, tf_strategy=mirrored
    )


def _distribute_jax(strategy, devices, coordinator_address, num_processes, process_id):
    import jax

    if strategy == "mirrored":
        raise ValueError(
            "Expected strategy='data_parallel' (or 'auto') on the JAX backend: "
            "tf.distribute.MirroredStrategy needs the TensorFlow backend. "
            f"{_received('strategy', strategy)}"
        )
    if num_processes > 1:
        if strategy == "none":
            raise ValueError(
                "Expected strategy 'auto' or 'data_parallel' with several "
                f"processes. {_received('strategy', strategy)}"
            )
        if not jax.distributed.is_initialized():
            # Must come before anything touches jax.devices(): afterwards the
            # device list is fixed to this process's devices.
            jax.distributed.initialize(
                coordinator_address=coordinator_address,
                num_processes=num_processes,
                process_id=process_id,
            )
    every = keras.distribution.list_devices()
    if strategy == "auto":
        strategy = "data_parallel" if len(devices or every) > 1 else "none"
    if strategy == "none":
        keras.distribution.set_distribution(None)
        return Distribution("none", "jax", (devices or every)[:1])
    chosen = devices or every
    # With several processes each one feeds its own shard (Distribution.shard),
    # so Keras must not split the dataset again.
    data_parallel = keras.distribution.DataParallel(
        devices=chosen, auto_shard_dataset=num_processes == 1
    )
    keras.distribution.set_distribution(data_parallel)
    return Distribution(
        "data_parallel",
        "jax",
        chosen,
        num_processes=num_processes,
        process_id=process_id,
        keras_distribution=data_parallel,
    )


def distribute(
    strategy: str = "auto",
    devices: Sequence[str] | None = None,
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> Distribution:
    """Sets up data-parallel training with the engine of the active backend.

    Data parallelism (Krizhevsky, 2014, "One weird trick for parallelizing
    convolutional neural networks"; Goyal et al., 2017): every device holds a
    full copy of the model, takes its slice of the global batch, and the
    gradients are averaged across devices before every update, so all copies
    stay identical and the result is that of one device on the whole batch.
    The course uses the engines that exist and writes no distribution code:

    - TensorFlow backend, one machine: ``tf.distribute.MirroredStrategy`` over
      the GPUs (or the ``devices`` given, e.g. two logical CPUs for testing).
      Keras 3 does not support ``MultiWorkerMirroredStrategy``
      (keras-team/keras#20585), so several machines raise a ``ValueError``.
    - JAX backend, one or several machines: ``jax.distributed.initialize``
      when ``num_processes > 1`` (every process calls this function with the
      same ``coordinator_address`` and its own ``process_id``), then
      ``keras.distribution.set_distribution(DataParallel(devices=...))``, which
      stays in force for the rest of the process.

    Args:
        strategy: ``"auto"`` (data parallel when more than one device or
            process is available, else ``"none"``), ``"none"``, ``"mirrored"``
            (TensorFlow) or ``"data_parallel"`` (JAX).
        devices: device names to use, e.g. ``["/gpu:0", "/gpu:1"]`` or
            ``["/cpu:0", "/cpu:1"]`` (TensorFlow), ``["gpu:0", "gpu:1"]`` (JAX,
            as ``keras.distribution.list_devices()`` names them); ``None`` means
            every GPU (TensorFlow; the CPU when there is none) or every device of
            every process (JAX).
        coordinator_address: ``"host:port"`` of process 0, reachable from every
            machine (JAX, several processes only).
        num_processes: number of processes (usually one per machine).
        process_id: this process's rank, 0 ... ``num_processes - 1``.

    Returns:
        A :class:`Distribution`: build, compile and fit under its ``scope()``;
        ``global_batch_size``, ``local_batch_size`` and ``shard`` give the batch
        rule.

    Raises:
        ValueError: for an unknown strategy, one the backend cannot run, bad
            device names, or an incomplete or invalid process description.
    """
    _validate.choice("strategy", strategy, STRATEGIES)
    devices = _check_devices(devices)
    coordinator_address, num_processes, process_id = _check_processes(
        coordinator_address, num_processes, process_id
    )
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _distribute_tensorflow(strategy, devices, num_processes)
    if backend == "jax":
        return _distribute_jax(
            strategy, devices, coordinator_address, num_processes, process_id
        )
    if strategy in ("auto", "none") and num_processes == 1:
        return Distribution("none", backend, ["cpu:0"])
    raise ValueError(
        "Expected the tensorflow or jax backend for distributed training. "
        f"{_received('backend', backend)}"
    )
