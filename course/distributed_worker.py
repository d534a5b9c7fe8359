"""Trains a tiny network data-parallel and saves the weights, to compare replicas.

A distributed setup has to be configured before the backend initialises its
devices, so each run is a fresh process, started from the command line (lecture
12's notebook and the course's tests launch it with ``subprocess``)::

    KERAS_BACKEND=tensorflow python -m course.distributed_worker mirrored OUT.npz
    KERAS_BACKEND=jax python -m course.distributed_worker jax OUT.npz PORT \\
        NUM_PROCESSES PROCESS_ID

``mirrored``
    TensorFlow: splits the CPU into two logical devices, trains with
    ``MirroredStrategy`` on them, then trains the same network on one device
    with the same global batches. Saves both replicas' weights
    (``replica0/NAME``, ``replica1/NAME``) and the reference's (``single/NAME``).
``jax``
    JAX: one of ``NUM_PROCESSES`` processes meeting at ``127.0.0.1:PORT`` (start
    one per ``PROCESS_ID``, 0 first); each feeds its shard of every global batch
    and saves its weights (``NAME``) and ``num_replicas``; process 0 also saves
    the reference (``single/NAME``): one device trained on the full batches.

``NAME`` is a variable's path with dots for slashes, e.g. ``predictions.bias``.
Data parallelism is exact, so every replica and the reference agree to float
rounding. The output file appears only once complete.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

PER_REPLICA = 4  # examples per replica and step
STEPS = 6  # steps per epoch
EPOCHS = 2


def _data(num_replicas):
    rng = np.random.default_rng(0)
    n = STEPS * PER_REPLICA * num_replicas
    x = rng.normal(size=(n, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, size=n).astype("int32")
    return x, y


def _build_and_compile():
    import keras

    # The same seed in every process and for the reference: equal initial weights.
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1), name="images")
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="tiny")
    # A large step and momentum make the weights move far from their initial
    # values, so an agreement between runs means something.
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.5, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _fit(model, x, y, batch_size):
    # No shuffling: every run must see the same batches in the same order.
    model.fit(x, y, batch_size=batch_size, epochs=EPOCHS, shuffle=False, verbose=0)


def _weights(model):
    import keras

    return {
        v.path.replace("/", "."): keras.ops.convert_to_numpy(v.value)
        for v in model.weights
    }


def _save(path, arrays):
    # Written under a temporary name first: a reader never sees a partial file.
    path = os.fspath(path)
    np.savez(path + ".tmp.npz", **arrays)
    os.replace(path + ".tmp.npz", path)


def _check(condition, message):
    if not condition:
        raise RuntimeError(message)


def mirrored(out) -> None:
    """Trains with ``MirroredStrategy`` on two logical CPUs and on one device.

    Must run in a fresh process on the TensorFlow backend, before anything has
    initialised TensorFlow's devices.

    Args:
        out: path of the ``.npz`` file to write: ``replica0/NAME``,
            ``replica1/NAME`` and ``single/NAME`` for every variable.
    """
    import tensorflow as tf

    # Two logical devices on the one CPU stand in for two GPUs. This only works
    # before TensorFlow initialises its devices, hence a process of its own.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    from course import training

    dist = training.distribute("mirrored", devices=["/cpu:0", "/cpu:1"])
    _check(dist.num_replicas == 2, f"Expected 2 replicas. Received: dist={dist!r}")
    global_batch = dist.global_batch_size(PER_REPLICA)
    x, y = _data(dist.num_replicas)
    with dist.scope():
        model = _build_and_compile()
        _fit(model, x, y, dist.local_batch_size(PER_REPLICA))
    arrays = {}
    for variable in model.weights:
        name = variable.path.replace("/", ".")
        for index, copy in enumerate(variable.value.values):
            arrays[f"replica{index}/{name}"] = copy.numpy()
    reference = _build_and_compile()
    _fit(reference, x, y, global_batch)
    arrays.update({f"single/{k}": v for k, v in _weights(reference).items()})
    _save(out, arrays)


def multi_process(out, port: int, num_processes: int, process_id: int) -> None:
    """Trains as one of several JAX processes meeting on 127.0.0.1.

    Args:
        out: path of the ``.npz`` file to write: ``NAME`` for every variable and
            ``num_replicas``; process 0 adds ``single/NAME``, the reference.
        port: the coordinator's port on 127.0.0.1, the same in every process.
        num_processes: how many processes take part.
        process_id: this process's rank, 0 ... ``num_processes - 1``.
    """
    from course import training

    dist = training.distribute(
        "data_parallel",
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=num_processes,
        process_id=process_id,
    )
    _check(
        dist.num_processes == num_processes and dist.strategy == "data_parallel",
        f"Expected data_parallel over {num_processes} processes. Received: "
        f"dist={dist!r}",
    )
    global_batch = dist.global_batch_size(PER_REPLICA)
    x, y = _data(dist.num_replicas)
    with dist.scope():
        model = _build_and_compile()
        _fit(
            model,
            dist.shard(x, global_batch),
            dist.shard(y, global_batch),
            dist.local_batch_size(PER_REPLICA),
        )
    arrays = _weights(model)
    arrays["num_replicas"] = np.array(dist.num_replicas)
    if dist.is_chief:
        # The reference: one device, the full global batches. Process 0 owns
        # the first device, so it can train there once the distribution is off.
        training.distribute("none")
        reference = _build_and_compile()
        _fit(reference, x, y, global_batch)
        arrays.update({f"single/{k}": v for k, v in _weights(reference).items()})
    _save(out, arrays)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m course.distributed_worker``.

    Args:
        argv: arguments without the program name; default ``sys.argv[1:]``.

    Returns:
        The exit status, 0 on success.
    """
    parser = argparse.ArgumentParser(
        prog="python -m course.distributed_worker",
        description=__doc__.split("\n", 1)[0],
    )
    modes = parser.add_subparsers(dest="mode", required=True)
    mirrored_parser = modes.add_parser(
        "mirrored", help="TensorFlow MirroredStrategy on two logical CPU devices"
    )
    mirrored_parser.add_argument("out", help="the .npz file to write")
    jax_parser = modes.add_parser(
        "jax", help="JAX data parallel, one of several processes on 127.0.0.1"
    )
    jax_parser.add_argument("out", help="the .npz file to write")
    jax_parser.add_argument("port", type=int, help="the coordinator's port")
    jax_parser.add_argument("num_processes", type=int, help="processes taking part")
    jax_parser.add_argument("process_id", type=int, help="this process's rank")
    args = parser.parse_args(argv)
    if args.mode == "mirrored":
        mirrored(args.out)
    else:
        multi_process(args.out, args.port, args.num_processes, args.process_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
