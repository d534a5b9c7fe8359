"""Trains a tiny model under ``course.training.distribute`` (run by test_distribute).

Each distributed setup has to be configured before the backend initialises its
devices, so every case runs in a fresh process:

    python _distributed_worker.py mirrored OUT.npz
        TensorFlow: two logical CPU devices, MirroredStrategy, then the same
        training on one device; saves both replicas' weights and the reference.
    python _distributed_worker.py jax OUT.npz PORT NUM_PROCESSES PROCESS_ID
        JAX: one of NUM_PROCESSES processes meeting at 127.0.0.1:PORT; each feeds
        its shard of every global batch; saves its weights, and process 0 also
        those of the reference: one device trained on the full batches.
"""

from __future__ import annotations

import os
import sys

import numpy as np

PER_REPLICA = 4
STEPS = 6
EPOCHS = 2


def data(num_replicas):
    rng = np.random.default_rng(0)
    n = STEPS * PER_REPLICA * num_replicas
    x = rng.normal(size=(n, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, size=n).astype("int32")
    return x, y


def build_and_compile():
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1), name="images")
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="tiny")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.5, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def fit(model, x, y, batch_size):
    model.fit(x, y, batch_size=batch_size, epochs=EPOCHS, shuffle=False, verbose=0)


def weights(model):
    import keras

    return {
        v.path.replace("/", "."): keras.ops.convert_to_numpy(v.value)
        for v in model.weights
    }


def save(path, arrays):
    np.savez(path + ".tmp.npz", **arrays)
    os.replace(path + ".tmp.npz", path)


def mirrored(out):
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    from course import training

    dist = training.distribute("mirrored", devices=["/cpu:0", "/cpu:1"])
    assert dist.num_replicas == 2, dist
    global_batch = dist.global_batch_size(PER_REPLICA)
    x, y = data(dist.num_replicas)
    with dist.scope():
        model = build_and_compile()
        fit(model, x, y, dist.local_batch_size(PER_REPLICA))
    arrays = {}
    for variable in model.weights:
        name = variable.path.replace("/", ".")
        for index, copy in enumerate(variable.value.values):
            arrays[f"replica{index}/{name}"] = copy.numpy()
    reference = build_and_compile()
    fit(reference, x, y, global_batch)
    arrays.update({f"single/{k}": v for k, v in weights(reference).items()})
    save(out, arrays)


def multi_process(out, port, num_processes, process_id):
    from course import training

    dist = training.distribute(
        "data_parallel",
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=num_processes,
        process_id=process_id,
    )
    assert dist.num_processes == num_processes and dist.strategy == "data_parallel"
    global_batch = dist.global_batch_size(PER_REPLICA)
    x, y = data(dist.num_replicas)
    with dist.scope():
        model = build_and_compile()
        fit(
            model,
            dist.shard(x, global_batch),
            dist.shard(y, global_batch),
            dist.local_batch_size(PER_REPLICA),
        )
    arrays = weights(model)
    arrays["num_replicas"] = np.array(dist.num_replicas)
    if dist.is_chief:
        # The reference: one device, the full global batches. Process 0 owns
        # the first device, so it can train there once the distribution is off.
        training.distribute("none")
        reference = build_and_compile()
        fit(reference, x, y, global_batch)
        arrays.update({f"single/{k}": v for k, v in weights(reference).items()})
    save(out, arrays)


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "mirrored":
        mirrored(out)
    elif mode == "jax":
        multi_process(out, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
