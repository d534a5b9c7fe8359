"""Training benchmarks on the current device: ``python -m course.bench lenet``.

Reports training throughput (images per second, measured after the first epoch
so that tracing and graph building are not counted) and the wall time until the
held-out accuracy first reaches a target. Speed goals are measured here, never
asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

BENCHMARKS = ("lenet",)


class _EpochClock:
    """Callback factory; built lazily so importing this module stays cheap."""

    @staticmethod
    def create(target: float):
        import keras

        class EpochClock(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.epoch_seconds: list[float] = []
                self.time_to_target: float | None = None
                self.epochs_to_target: int | None = None

            def on_train_begin(self, logs=None):
                self.start = time.perf_counter()

            def on_epoch_begin(self, epoch, logs=None):
                self.epoch_start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                now = time.perf_counter()
                self.epoch_seconds.append(now - self.epoch_start)
                accuracy = (logs or {}).get("val_accuracy", 0.0)
                if self.time_to_target is None and accuracy >= target:
                    self.time_to_target = now - self.start
                    self.epochs_to_target = epoch + 1

        return EpochClock()


def bench_lenet(epochs=30, batch_size=32, target=0.97, source="sample", seed=0):
    """Trains LeNet-5 with the lecture's recipe and measures it.

    The recipe of notebook 04: ReLU and max pooling, light geometric augmentation,
    Adam with a cosine-decayed learning rate from 2e-3, on MNIST as loaded by
    ``course.data.mnist(source)`` (by default the 5,000-digit offline sample:
    4,000 to train, 1,000 held out, on which the target accuracy is checked).

    Returns:
        A dict with the device report, data source, images/s and time to target.
    """
    import keras
    import numpy as np

    from course import augment, config, data, models

    config.set_seed(seed)
    splits = data.mnist(source=source)
    x_train = splits.x_train[..., None].astype("float32") / 255.0
    x_test = splits.x_test[..., None].astype("float32") / 255.0
    network = models.lenet5((28, 28, 1), activation="relu", pooling="max")
    inputs = keras.Input((28, 28, 1), name="images")
    outputs = network(augment.digit_augmentation((28, 28, 1))(inputs))
    model = keras.Model(inputs, outputs, name="lenet5_trainer")
    steps = epochs * int(np.ceil(len(x_train) / batch_size))
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(2e-3, steps)
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=config.jit_compile(),
    )
    clock = _EpochClock.create(target)
    history = model.fit(
        x_train,
        splits.y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_test, splits.y_test),
        callbacks=[clock],
        verbose=0,
    )
    steady = clock.epoch_seconds[1:] or clock.epoch_seconds
    # Epoch time includes the validation pass; count it as the price of a
    # training epoch, since time-to-accuracy pays it too.
    throughput = len(x_train) / float(np.median(steady))
    return {
        "benchmark": "lenet",
        "device": config.device_report(),
        "data": splits.source,
        "train_images": int(len(x_train)),
        "epochs": epochs,
        "batch_size": batch_size,
        "images_per_second": round(throughput, 1),
        "first_epoch_seconds": round(clock.epoch_seconds[0], 2),
        "target_accuracy": target,
        "time_to_target_seconds": None
        if clock.time_to_target is None
        else round(clock.time_to_target, 1),
        "epochs_to_target": clock.epochs_to_target,
        "final_test_accuracy": round(float(history.history["val_accuracy"][-1]), 4),
        "total_seconds": round(sum(clock.epoch_seconds), 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmark", choices=BENCHMARKS)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--source", default="sample", help="data.mnist source")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    result = bench_lenet(args.epochs, args.batch_size, args.target, args.source)
    device = result["device"]
    print(
        f"device: {device['backend']} backend, Keras {device['keras']}, "
        f"GPUs: {device['gpus'] or 'none'}, "
        f"mixed precision: {device['mixed_precision']}, "
        f"XLA: {device['xla']}"
    )
    print(f"data: {result['data']}, {result['train_images']} training images")
    print(
        f"throughput: {result['images_per_second']:.0f} images/s "
        f"(epochs 2-{args.epochs})"
    )
    if result["time_to_target_seconds"] is None:
        print(f"time to {args.target:.1%}: not reached in {args.epochs} epochs")
    else:
        print(
            f"time to {args.target:.1%}: {result['time_to_target_seconds']:.1f} s "
            f"({result['epochs_to_target']} epochs)"
        )
    print(f"final held-out accuracy: {result['final_test_accuracy']:.2%}")
    if args.json:
        with open(args.json, "w") as stream:
            json.dump(result, stream, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
