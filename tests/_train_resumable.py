"""Trains a tiny model with ``course.training.callbacks``; run by test_training.py.

Usage::

    python tests/_train_resumable.py OUT_DIR --epochs 5 [--kill-after 2]

``COURSE_RUNS_DIR`` chooses where the runs and the backup go. With
``--kill-after K`` the process SIGKILLs itself at the end of epoch K (1-based),
right after BackupAndRestore saved it, like a kernel dying mid-``fit``. Without it,
training finishes and writes ``OUT_DIR/weights.npz`` (final weights, one array per
variable, keyed by path) and ``OUT_DIR/result.json`` (the 0-based epochs this
process actually ran, the history and the run folder).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from pathlib import Path

import keras
import numpy as np

from course import config, training

RUN_NAME = "resumable"


class EpochRecorder(keras.callbacks.Callback):
    """Remembers which epochs ran in this process (resuming skips the early ones)."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[int] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(int(epoch))


class KillAfter(keras.callbacks.Callback):
    """SIGKILLs the process at the end of the given 1-based epoch: no cleanup runs,
    exactly as when the OOM killer or a power cut ends a notebook kernel."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def build_model() -> keras.Model:
    inputs = keras.Input(shape=(8,), name="features")
    x = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax", name="probs")(x)
    model = keras.Model(inputs, outputs, name="tiny_mlp")
    # Adam keeps per-weight moments, so equal final weights also prove that the
    # optimizer state, not just the weights, survived the restart.
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def make_data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5).astype("int64")
    return x[:64], y[:64], x[64:], y[64:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--kill-after", type=int, default=None)
    args = parser.parse_args()

    config.set_seed(0)
    if config.backend() == "tensorflow":
        import tensorflow as tf

        # Same op order and kernels in every process, so runs compare exactly.
        tf.config.experimental.enable_op_determinism()

    x, y, x_val, y_val = make_data()
    model = build_model()
    recorder = EpochRecorder()
    extra = [recorder]
    if args.kill_after is not None:
        extra.append(KillAfter(args.kill_after))
    cbs = training.callbacks(RUN_NAME, extra=extra)
    history = model.fit(
        x,
        y,
        validation_data=(x_val, y_val),
        epochs=args.epochs,
        batch_size=16,
        shuffle=False,
        callbacks=cbs,
        verbose=0,
    )

    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(args.out / "weights.npz", **{v.path: np.asarray(v) for v in model.weights})
    result = {
        "epochs_run": recorder.epochs,
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "run_dir": str(cbs.run_dir),
    }
    (args.out / "result.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
