"""Tests for course.training: run folders, callbacks, resuming, history helpers."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from course import training

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "_train_resumable.py"
EPOCHS = 4


# ------------------------------------------------------------------------ run_dir


def test_run_dir_is_fresh_every_call(tmp_path):
    first = training.run_dir("exp", tmp_path)
    second = training.run_dir("exp", tmp_path)
    assert first != second
    assert first.is_dir() and second.is_dir()
    assert first.parent == second.parent == tmp_path / "exp"


def test_run_dir_appends_suffix_within_one_second(tmp_path, monkeypatch):
    monkeypatch.setattr(training.time, "strftime", lambda fmt: "20250101-000000")
    names = [training.run_dir("exp", tmp_path).name for _ in range(3)]
    assert names == ["20250101-000000", "20250101-000000-1", "20250101-000000-2"]


def test_run_dir_defaults_to_course_runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RUNS_DIR", str(tmp_path))
    assert training.run_dir("exp").parent == tmp_path / "exp"


@pytest.mark.parametrize(
    "run_name, error",
    [
        ("", ValueError),
        ("   ", ValueError),
        ("a/b", ValueError),
        ("a\\b", ValueError),
        ("..", ValueError),
        ("x..y", ValueError),
        (".", ValueError),
        (None, TypeError),
        (3, TypeError),
    ],
)
def test_run_dir_rejects_bad_names(tmp_path, run_name, error):
    with pytest.raises(error, match="Received: run_name="):
        training.run_dir(run_name, tmp_path)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- callbacks


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (
            {},
            [
                keras.callbacks.TensorBoard,
                keras.callbacks.ModelCheckpoint,
                keras.callbacks.BackupAndRestore,
            ],
        ),
        (
            {"patience": 2},
            [
                keras.callbacks.TensorBoard,
                keras.callbacks.ModelCheckpoint,
                keras.callbacks.EarlyStopping,
                keras.callbacks.BackupAndRestore,
            ],
        ),
        (
            {"patience": 0, "tensorboard": False, "checkpoint": False},
            [keras.callbacks.EarlyStopping, keras.callbacks.BackupAndRestore],
        ),
        ({"tensorboard": False, "backup": False, "checkpoint": False}, []),
        (
            {"backup": False, "extra": [keras.callbacks.TerminateOnNaN()]},
            [
                keras.callbacks.TensorBoard,
                keras.callbacks.ModelCheckpoint,
                keras.callbacks.TerminateOnNaN,
            ],
        ),
    ],
)
def test_callbacks_types_and_order(tmp_path, kwargs, expected):
    cbs = training.callbacks("exp", runs_dir=tmp_path, **kwargs)
    assert isinstance(cbs, list) and isinstance(cbs, training.Callbacks)
    assert [type(cb) for cb in cbs] == expected
    assert cbs.run_dir.is_dir() and cbs.run_dir.parent == tmp_path / "exp"


def test_callbacks_paths(tmp_path):
    cbs = training.callbacks(
        "exp", runs_dir=tmp_path, patience=3, monitor="val_accuracy", mode="max"
    )
    board, ckpt, stop, backup = cbs
    assert Path(board.log_dir) == cbs.run_dir
    assert Path(ckpt.filepath) == cbs.checkpoint_path == cbs.run_dir / "best.keras"
    assert ckpt.save_best_only and ckpt.monitor == "val_accuracy"
    assert stop.monitor == "val_accuracy" and stop.patience == 3
    assert stop.restore_best_weights
    assert Path(backup.backup_dir) == cbs.backup_dir == tmp_path / "exp" / "backup"
    # The run folder is new per call, the backup folder is shared per run name.
    again = training.callbacks("exp", runs_dir=tmp_path)
    assert again.run_dir != cbs.run_dir
    assert again.backup_dir == cbs.backup_dir
    assert training.backup_dir("exp", tmp_path) == cbs.backup_dir


@pytest.mark.parametrize(
    "profile_batch, start, stop", [(0, 0, 0), (2, 2, 2), ((3, 5), 3, 5), ([1, 1], 1, 1)]
)
def test_callbacks_profile_batch(tmp_path, profile_batch, start, stop):
    board = training.callbacks("exp", runs_dir=tmp_path, profile_batch=profile_batch)[0]
    assert (board._start_batch, board._stop_batch) == (start, stop)


def test_clear_backup(tmp_path):
    path = training.backup_dir("exp", tmp_path)
    assert not path.exists() and training.clear_backup("exp", tmp_path) is False
    path.mkdir(parents=True)
    (path / "training_metadata.json").write_text("{}")
    assert training.clear_backup("exp", tmp_path) is True
    assert not path.exists() and (tmp_path / "exp").is_dir()


def test_callbacks_without_optional_paths(tmp_path):
    cbs = training.callbacks("exp", runs_dir=tmp_path, backup=False, checkpoint=False)
    assert cbs.backup_dir is None and cbs.checkpoint_path is None


def test_callbacks_flatten_as_a_list(tmp_path):
    # model.fit passes callbacks through keras.tree.flatten; an unregistered list
    # subclass would come out as one leaf and break fit.
    cbs = training.callbacks("exp", runs_dir=tmp_path, patience=1)
    assert keras.tree.flatten(cbs) == list(cbs)
    assert keras.callbacks.CallbackList(cbs).callbacks == list(cbs)
    bare = training.Callbacks([keras.callbacks.TerminateOnNaN()])
    assert keras.tree.flatten(bare) == list(bare)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"run_name": "a/b"}, ValueError, "run_name"),
        ({"run_name": 1}, TypeError, "run_name"),
        ({"monitor": 1}, TypeError, "monitor"),
        ({"monitor": ""}, ValueError, "monitor"),
        ({"mode": "up"}, ValueError, "mode"),
        ({"mode": None}, ValueError, "mode"),
        ({"patience": -1}, ValueError, "patience"),
        ({"patience": 2.0}, TypeError, "patience"),
        ({"patience": True}, TypeError, "patience"),
        ({"restore_best_weights": 1}, TypeError, "restore_best_weights"),
        ({"tensorboard": "yes"}, TypeError, "tensorboard"),
        ({"backup": None}, TypeError, "backup"),
        ({"checkpoint": 0}, TypeError, "checkpoint"),
        ({"histogram_freq": -1}, ValueError, "histogram_freq"),
        ({"histogram_freq": 1.5}, TypeError, "histogram_freq"),
        ({"profile_batch": -1}, ValueError, "profile_batch"),
        ({"profile_batch": (3, 2)}, ValueError, "profile_batch"),
        ({"profile_batch": (0, 2)}, ValueError, "profile_batch"),
        ({"profile_batch": "2,3"}, ValueError, "profile_batch"),
        ({"runs_dir": 5}, TypeError, "runs_dir"),
        ({"extra": keras.callbacks.TerminateOnNaN()}, TypeError, "extra"),
        ({"extra": ["not a callback"]}, TypeError, "extra"),
    ],
)
def test_callbacks_rejects_bad_arguments(tmp_path, kwargs, error, name):
    kwargs = {"run_name": "exp", "runs_dir": tmp_path, **kwargs}
    with pytest.raises(error, match=rf"^Expected .*\. Received: {name}="):
        training.callbacks(**kwargs)
    # Validation happens before anything is written.
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- kill and resume


def _train(out: Path, runs: Path, kill_after: int | None = None) -> subprocess.Popen:
    """Starts tests/_train_resumable.py in a fresh CPU-only Python process."""
    env = {
        **os.environ,
        "CUDA_VISIBLE_DEVICES": "",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_DETERMINISTIC_OPS": "1",
        "PYTHONHASHSEED": "0",
        "KERAS_BACKEND": "tensorflow",
        "COURSE_RUNS_DIR": str(runs),
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
        ),
    }
    cmd = [sys.executable, str(SCRIPT), str(out), "--epochs", str(EPOCHS)]
    if kill_after is not None:
        cmd += ["--kill-after", str(kill_after)]
    return subprocess.Popen(
        cmd,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(proc: subprocess.Popen) -> tuple[int, str]:
    try:
        _, stderr = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, stderr[-3000:]


def _load(out: Path) -> tuple[dict, dict[str, np.ndarray]]:
    result = json.loads((out / "result.json").read_text())
    with np.load(out / "weights.npz", allow_pickle=False) as npz:
        weights = {key: npz[key] for key in npz.files}
    return result, weights


def test_killed_run_resumes_and_matches_uninterrupted(tmp_path):
    kill_after = 2  # of EPOCHS = 4: killed mid-run, with epochs on both sides.
    # The uninterrupted reference runs alongside, in its own runs folder, to save
    # wall time: each process pays several seconds just to import TensorFlow.
    reference = _train(tmp_path / "ref_out", tmp_path / "ref_runs")
    runs, out = tmp_path / "runs", tmp_path / "out"
    backup = runs / "resumable" / "backup"

    try:
        returncode, stderr = _wait(_train(out, runs, kill_after=kill_after))
        assert returncode == -signal.SIGKILL, stderr
        assert not out.exists()  # died before writing any result
        # The backup holds exactly the epochs that finished before the kill.
        metadata = json.loads((backup / "training_metadata.json").read_text())
        assert metadata["epoch"] == kill_after

        returncode, stderr = _wait(_train(out, runs))  # the same command again
        assert returncode == 0, stderr
        result, weights = _load(out)
        returncode, stderr = _wait(reference)
        assert returncode == 0, stderr
        ref_result, ref_weights = _load(tmp_path / "ref_out")
    finally:
        if reference.poll() is None:  # a failed assertion above: don't leak it
            reference.kill()
            reference.communicate()

    # 0-based epoch indices: the rerun starts at epoch kill_after + 1 (1-based).
    assert result["epochs_run"] == list(range(kill_after, EPOCHS))
    assert ref_result["epochs_run"] == list(range(EPOCHS))
    assert sorted(weights) == sorted(ref_weights)
    assert sorted(weights) == [
        "hidden/bias",
        "hidden/kernel",
        "probs/bias",
        "probs/kernel",
    ]
    for key, value in weights.items():
        np.testing.assert_allclose(value, ref_weights[key], rtol=1e-6, atol=1e-7)
    for key, values in result["history"].items():
        np.testing.assert_allclose(
            values, ref_result["history"][key][kill_after:], rtol=1e-6, atol=1e-7
        )

    # A successful fit removes the backup, so the next run starts from scratch;
    # the crashed and the resumed run each kept their own run folder.
    assert not backup.exists()
    run_dirs = sorted(p for p in (runs / "resumable").iterdir() if p.is_dir())
    assert len(run_dirs) == 2
    assert Path(result["run_dir"]) == run_dirs[-1]
    assert (run_dirs[-1] / "best.keras").is_file()


# ------------------------------------------------------------ summarize_history


def test_summarize_history_with_validation():
    history = {
        "loss": [1.0, 0.6, 0.4, 0.3],
        "val_loss": [1.1, 0.7, 0.65, 0.8],
        "accuracy": [0.5, 0.7, 0.85, 0.9],
        "val_accuracy": [0.45, 0.65, 0.8, 0.75],
        "learning_rate": [0.01, 0.01, 0.01, 0.001],
    }
    summary = training.summarize_history(history)
    assert summary["epochs"] == 4
    assert summary["monitor"] == "val_loss"
    assert summary["best_epoch"] == 3
    assert summary["final"]["val_accuracy"] == 0.75
    assert summary["final"]["learning_rate"] == 0.001
    assert summary["best"] == {
        "loss": 0.3,
        "val_loss": 0.65,
        "accuracy": 0.9,
        "val_accuracy": 0.8,
    }
    assert summary["gap"] == pytest.approx({"loss": -0.5, "accuracy": 0.15})


def test_summarize_history_accepts_keras_history_without_validation():
    history = keras.callbacks.History()
    history.history = {"loss": [0.9, 0.5, 0.7], "accuracy": [0.5, 0.8, 0.7]}
    summary = training.summarize_history(history)
    assert summary["monitor"] == "loss"
    assert summary["best_epoch"] == 2
    assert summary["best"] == {"loss": 0.5, "accuracy": 0.8}
    assert summary["gap"] == {}


def test_summarize_history_ignores_nan_epochs():
    summary = training.summarize_history({"loss": [0.5, float("nan"), 0.4]})
    assert summary["best_epoch"] == 3
    assert math.isnan(summary["final"]["loss"]) is False
    all_nan = training.summarize_history({"loss": [float("nan")] * 2})
    assert all_nan["best_epoch"] is None and math.isnan(all_nan["best"]["loss"])


@pytest.mark.parametrize(
    "history, error",
    [
        (None, TypeError),
        ([0.1, 0.2], TypeError),
        ({}, ValueError),
        ({"accuracy": [0.5]}, ValueError),
        ({"loss": []}, ValueError),
        ({"loss": "0.1"}, TypeError),
        ({"loss": ["a", "b"]}, TypeError),
        ({"loss": [[0.1], [0.2]]}, ValueError),
        ({"loss": [0.1, 0.2], "val_loss": [0.1]}, ValueError),
    ],
)
def test_summarize_history_rejects_bad_input(history, error):
    with pytest.raises(error, match="Received: "):
        training.summarize_history(history)


# ------------------------------------------------------------------ diagnose_fit


def _curves(acc, val_acc, loss=None, val_loss=None):
    history = {"accuracy": acc, "val_accuracy": val_acc}
    if loss is not None:
        history.update(loss=loss, val_loss=val_loss)
    return history


@pytest.mark.parametrize(
    "history, kwargs, verdict",
    [
        # Both curves close together and high.
        (
            _curves(
                [0.7, 0.9, 0.95],
                [0.68, 0.88, 0.93],
                [0.8, 0.3, 0.2],
                [0.85, 0.35, 0.25],
            ),
            {},
            "good fit",
        ),
        # Training accuracy far above validation accuracy.
        (_curves([0.8, 0.95, 0.99], [0.78, 0.85, 0.86]), {}, "overfitting"),
        # Same gap, tolerated with a looser threshold.
        (_curves([0.8, 0.95, 0.99], [0.78, 0.85, 0.86]), {"gap": 0.2}, "good fit"),
        # Accuracies close, but validation loss turned up while training loss falls.
        (
            _curves(
                [0.85, 0.9, 0.92, 0.93],
                [0.84, 0.89, 0.9, 0.9],
                [0.5, 0.3, 0.2, 0.1],
                [0.5, 0.3, 0.35, 0.45],
            ),
            {},
            "overfitting",
        ),
        # Same rise, within a larger tolerance.
        (
            _curves(
                [0.85, 0.9, 0.92, 0.93],
                [0.84, 0.89, 0.9, 0.9],
                [0.5, 0.3, 0.2, 0.1],
                [0.5, 0.3, 0.35, 0.45],
            ),
            {"rise": 1.0},
            "good fit",
        ),
        # Validation loss up but training loss up too: not the overfitting pattern.
        (
            _curves([0.9, 0.91], [0.9, 0.9], [0.2, 0.3], [0.2, 0.3]),
            {},
            "good fit",
        ),
        # Cannot even fit the training data.
        (_curves([0.4, 0.5, 0.55], [0.4, 0.5, 0.54]), {}, "underfitting"),
        # Fits neither set: underfitting even with a train/validation gap.
        (_curves([0.3, 0.36, 0.398], [0.3, 0.33, 0.342]), {}, "underfitting"),
        (_curves([0.3, 0.36, 0.398], [0.3, 0.33, 0.342]), {"low": None}, "overfitting"),
        # The same run is fine once the bar is lowered or switched off.
        (_curves([0.4, 0.5, 0.55], [0.4, 0.5, 0.54]), {"low": 0.5}, "good fit"),
        (_curves([0.4, 0.5, 0.55], [0.4, 0.5, 0.54]), {"low": None}, "good fit"),
        # Validation clearly better than training (e.g. heavy dropout).
        (_curves([0.8, 0.82, 0.83], [0.85, 0.9, 0.92]), {}, "underfitting"),
        # Works on a keras History and on other higher-is-better metrics.
        ({"auc": [0.9, 0.99], "val_auc": [0.9, 0.8]}, {"metric": "auc"}, "overfitting"),
    ],
)
def test_diagnose_fit(history, kwargs, verdict):
    assert training.diagnose_fit(history, **kwargs) == verdict
    keras_history = keras.callbacks.History()
    keras_history.history = history
    assert training.diagnose_fit(keras_history, **kwargs) == verdict


@pytest.mark.parametrize(
    "history, kwargs, error, name",
    [
        (None, {}, TypeError, "history"),
        ({"accuracy": [0.9]}, {}, ValueError, "history keys"),
        (_curves([0.9], [0.9]), {"metric": 1}, TypeError, "metric"),
        (_curves([0.9], [0.9]), {"metric": "loss"}, ValueError, "metric"),
        (_curves([0.9], [0.9]), {"metric": "val_accuracy"}, ValueError, "metric"),
        (_curves([0.9], [0.9]), {"gap": -0.1}, ValueError, "gap"),
        (_curves([0.9], [0.9]), {"gap": "0.1"}, ValueError, "gap"),
        (_curves([0.9], [0.9]), {"low": 1.5}, ValueError, "low"),
        (_curves([0.9], [0.9]), {"rise": -1}, ValueError, "rise"),
        (_curves([0.9], [math.nan]), {}, ValueError, "accuracy"),
    ],
)
def test_diagnose_fit_rejects_bad_input(history, kwargs, error, name):
    with pytest.raises(error, match=f"Received: {name}"):
        training.diagnose_fit(history, **kwargs)


# ------------------------------------------------------------- show_tensorboard


def test_show_tensorboard_headless_prints_notebook_and_terminal_commands(
    tmp_path, capsys
):
    # The smoke profile is headless: nothing is started, both ways are printed,
    # the notebook one first (the only one that works in Colab).
    logdir = tmp_path / "my runs"
    assert training.show_tensorboard(logdir) is False
    printed = capsys.readouterr().out
    assert "`%load_ext tensorboard`" in printed
    assert f"`%tensorboard --logdir '{logdir}'`" in printed
    assert f"`tensorboard --logdir '{logdir}'`" in printed
    assert printed.index("%tensorboard") < printed.index("make tensorboard")
