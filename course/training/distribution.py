"""Data-parallel training on several devices or machines (lecture 12).

``distribute`` sets up the engine of the active backend (TensorFlow's
``MirroredStrategy`` on one machine, the Keras distribution API on JAX, over one or
several processes) and returns a :class:`Distribution` that is used the same way
whatever the engine. Lecture 12 shows it in its text and runs it live through
``course.distributed_worker`` (a fresh process per run, as a distributed setup
must come before the backend starts), as do the tests. TensorFlow and JAX are
imported only inside their own branch, so the module imports on every backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import keras
import numpy as np

from course import _validate

#: Strategies :func:`distribute` accepts.
STRATEGIES = ("auto", "none", "mirrored", "data_parallel")


def _distribution_scope(tf_strategy, keras_distribution):
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
            raise _validate.error(
                "global_batch_size",
                global_batch_size,
                f"to be a multiple of num_processes={self.num_processes}",
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
        raise _validate.error(
            "coordinator_address",
            coordinator_address,
            "to be 'host:port' of process 0",
        )
    host, _, port = coordinator_address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise _validate.error(
            "coordinator_address",
            coordinator_address,
            "to be 'host:port' with a port in 1..65535",
        )
    num_processes = _validate.positive_int("num_processes", num_processes)
    process_id = _validate.integer(
        "process_id", process_id, minimum=0, maximum=num_processes - 1
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
        raise _validate.error(
            "devices",
            devices,
            "to be None or a non-empty list of device names such as "
            "['/gpu:0', '/gpu:1'] or ['cpu:0']",
        )
    if len(set(devices)) != len(devices):
        raise _validate.error("devices", devices, "to be distinct")
    return list(devices)


def _distribute_tensorflow(strategy, devices, num_processes):
    import tensorflow as tf

    if strategy == "data_parallel":
        raise _validate.error(
            "strategy",
            strategy,
            "to be 'mirrored' (or 'auto') on the TensorFlow backend: the Keras "
            "distribution API ('data_parallel') runs on JAX",
        )
    if num_processes > 1:
        # MultiWorkerMirroredStrategy would be TensorFlow's answer, but Keras 3
        # does not support it (keras-team/keras#20585).
        raise _validate.error(
            "num_processes",
            num_processes,
            "to be 1 on the TensorFlow backend: Keras 3 does not support "
            "tf.distribute.MultiWorkerMirroredStrategy; train on several machines "
            "with KERAS_BACKEND=jax and strategy='data_parallel'",
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
        raise _validate.error(
            "strategy",
            strategy,
            "to be 'data_parallel' (or 'auto') on the JAX backend: "
            "tf.distribute.MirroredStrategy needs the TensorFlow backend",
        )
    if num_processes > 1:
        if strategy == "none":
            raise _validate.error(
                "strategy",
                strategy,
                "to be 'auto' or 'data_parallel' with several processes",
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
    raise _validate.error(
        "backend", backend, "to be 'tensorflow' or 'jax' for distributed training"
    )
