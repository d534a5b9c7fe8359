"""Run folders and the course's standard callbacks; used by every lecture that trains.

Every lecture that trains uses the same four callbacks (lecture 00 introduces
them)::

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

The module imports Keras but not TensorFlow, so it works on every backend.

Used in lectures 00, 01, 02, 04, 05, 06, 07, 08, 09, 10, 11, 12 and 13.
"""

from __future__ import annotations

import os
import shlex
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import keras
import optree

from course import _validate, config

BACKUP_DIRNAME = "backup"
CHECKPOINT_FILENAME = "best.keras"
HEADLESS_ENV = "COURSE_HEADLESS"
_TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S"
_MODES = ("auto", "min", "max")
# Keep trying suffixes only a bounded number of times, so a read-only or otherwise
# broken folder raises instead of looping forever.
_MAX_SUFFIX = 1000


# ---------------------------------------------------------------------- run folders


def _check_run_name(run_name: Any) -> str:
    run_name = _validate.string("run_name", run_name)
    separators = {"/", "\\", os.sep} | ({os.altsep} if os.altsep else set())
    if run_name in (".", "..") or ".." in run_name or separators & set(run_name):
        # A name that escapes or nests folders would put runs where TensorBoard
        # and the backup logic do not expect them.
        raise _validate.error(
            "run_name",
            run_name,
            "to be a non-empty folder name without path separators or '..'",
        )
    return run_name


def _resolve_runs_dir(runs_dir: Any) -> Path:
    runs_dir = _validate.path("runs_dir", runs_dir, allow_none=True)
    return config.runs_dir() if runs_dir is None else runs_dir.expanduser()


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
    # Looked up through the module on every call, so a test can fix the clock.
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


# ------------------------------------------------------------------------ callbacks


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
    is_pair = isinstance(profile_batch, (tuple, list)) and len(profile_batch) == 2
    try:
        if not is_pair:
            return _validate.integer("profile_batch", profile_batch, minimum=0)
        first, last = (
            _validate.integer("profile_batch", v, minimum=1) for v in profile_batch
        )
        if first <= last:
            return first, last
    except (TypeError, ValueError):
        pass  # one message below for every malformed value, whatever its type
    raise _validate.error(
        "profile_batch",
        profile_batch,
        "to be 0 (off), a batch number >= 1, or a pair (first, last) with "
        "1 <= first <= last",
    )


def _check_extra(extra: Any) -> list[keras.callbacks.Callback]:
    if extra is None:
        return []
    if isinstance(extra, (str, bytes, keras.callbacks.Callback)) or not isinstance(
        extra, Iterable
    ):
        raise _validate.error(
            "extra", extra, "to be None or an iterable of keras callbacks", TypeError
        )
    extra = list(extra)
    if not all(isinstance(cb, keras.callbacks.Callback) for cb in extra):
        raise _validate.error(
            "extra",
            extra,
            "to hold only keras.callbacks.Callback instances",
            TypeError,
        )
    return extra


def _standard_callbacks(
    result: Callbacks,
    *,
    monitor: str,
    mode: str,
    patience: int | None,
    restore_best_weights: bool,
    tensorboard: bool,
    histogram_freq: int,
    profile_batch: int | tuple[int, int],
) -> None:
    """Appends the switched-on callbacks of :func:`callbacks`, in their order.

    Whether to checkpoint and back up is read off ``result.checkpoint_path`` and
    ``result.backup_dir``, which are ``None`` when switched off.
    """
    if tensorboard:
        result.append(
            keras.callbacks.TensorBoard(
                log_dir=str(result.run_dir),
                histogram_freq=histogram_freq,
                profile_batch=profile_batch,
            )
        )
    if result.checkpoint_path is not None:
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
                patience=patience,
                restore_best_weights=restore_best_weights,
            )
        )
    if result.backup_dir is not None:
        # Last of ours: the epoch only counts as done once everything above it has
        # written its share of that epoch.
        result.append(
            keras.callbacks.BackupAndRestore(backup_dir=str(result.backup_dir))
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
    hparams: dict[str, Any] | None = None,
) -> Callbacks:
    """The course's standard callbacks for ``model.fit``.

    The list holds, in this order and each only when switched on:

    1. ``TensorBoard`` writing to the fresh :func:`run_dir`.
    2. ``ModelCheckpoint`` keeping the best model by ``monitor`` in
       ``run_dir / "best.keras"``.
    3. ``EarlyStopping`` on ``monitor`` (only when ``patience`` is given).
    4. ``BackupAndRestore`` in the stable ``<runs_dir>/<run_name>/backup``.
    5. The ``extra`` callbacks.

    With TensorBoard on, the run folder also gets, before training starts, its
    provenance text (notebook, profile, device, versions, data, parameters: see
    :mod:`course.tensorboard.provenance`) and, when ``hparams`` is given, an
    HParams session holding this run's settings, so that the runs of one
    comparison line up in TensorBoard's HPARAMS tab.

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
        hparams: this run's settings in a comparison, e.g. ``{"depth": 20,
            "kind": "plain"}`` (numbers, strings, bools; anything else is
            shown as its text), or ``None``. Needs ``tensorboard``.

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
    monitor = _validate.string("monitor", monitor)
    mode = _validate.choice("mode", mode, _MODES)
    patience = _validate.integer("patience", patience, minimum=0, allow_none=True)
    restore_best_weights = _validate.boolean(
        "restore_best_weights", restore_best_weights
    )
    tensorboard = _validate.boolean("tensorboard", tensorboard)
    backup = _validate.boolean("backup", backup)
    checkpoint = _validate.boolean("checkpoint", checkpoint)
    histogram_freq = _validate.integer("histogram_freq", histogram_freq, minimum=0)
    profile_batch = _check_profile_batch(profile_batch)
    root = _resolve_runs_dir(runs_dir)
    extra = _check_extra(extra)
    if hparams is not None:
        if not tensorboard:
            raise _validate.relation(
                "hparams only with tensorboard=True",
                hparams=hparams,
                tensorboard=tensorboard,
            )
        from course.tensorboard import hparam_values

        hparams = hparam_values(hparams)

    result = Callbacks()
    result.run_dir = run_dir(run_name, root)
    result.backup_dir = backup_dir(run_name, root) if backup else None
    result.checkpoint_path = (
        result.run_dir / CHECKPOINT_FILENAME if checkpoint else None
    )
    _standard_callbacks(
        result,
        monitor=monitor,
        mode=mode,
        patience=patience,
        restore_best_weights=restore_best_weights,
        tensorboard=tensorboard,
        histogram_freq=histogram_freq,
        profile_batch=profile_batch,
    )
    result.extend(extra)
    if tensorboard:
        # The writers live with TensorBoard (course.tensorboard), not here, so that
        # this module and its tests need nothing but Keras.
        from course.tensorboard import write_provenance

        write_provenance(result.run_dir, run_name, hparams)  # and the HParams session
    return result


# ---------------------------------------------------------------------- TensorBoard


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
