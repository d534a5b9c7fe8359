"""Training benchmarks on the current backend and device: ``python -m course.bench``.

Usage::

    python -m course.bench                       # lenet, resnet18 and unet
    python -m course.bench resnet18 --quick --json bench.json
    python -m course.bench lenet --pipeline naive
    python -m course.bench resnet18 --precision mixed_bfloat16 --jit on
    KERAS_BACKEND=jax python -m course.bench resnet18 --quick

For LeNet-5 (MNIST), ResNet-18 (CIFAR size, 32x32) and U-Net (256x256) it
measures:

- training throughput in images per second, over the epochs after the first one
  (the first epoch traces and compiles the step, and is reported on its own);
- the time until the held-out accuracy reaches a target, where one applies
  (LeNet-5 on MNIST; the other two train on stand-in data, for speed only);
- the peak memory: on a CPU the process's resident memory (RSS, sampled every
  10 ms during the benchmark), on a GPU the backend's device memory statistics;
  the ``peak_memory_source`` field says which;
- the achieved training FLOP/s, and that as a fraction of the device's measured
  dense matmul FLOP/s (a 2048x2048 ``keras.ops.matmul`` in the compute dtype).

FLOP convention: :func:`course.arithmetic.count_macs` counts the forward
multiply-accumulates (MACs) of convolution and dense layers for one image; one
MAC is two FLOPs, and a training step costs about three forward passes (the
forward pass, and a backward pass computing gradients with respect to both the
activations and the weights, each as costly as the forward pass). So one
training image costs ``6 x MACs`` FLOPs (the rule of Kaplan et al., 2020,
"Scaling laws for neural language models", and of MLPerf's utilisation
figures). Batch norm, activations, pooling and the optimizer update are not
counted, so the figure slightly understates the work done.

Options to measure the speed-ups of lecture 12: ``--pipeline naive|tuned``
(NumPy batches in the training loop vs ``tf.data`` with cache, parallel
augmentation and prefetch, see :mod:`course.pipeline`), ``--precision`` (a Keras
dtype policy) and ``--jit on|off`` (XLA). ``auto`` picks the device defaults of
:func:`course.config.device_defaults`. Speed goals are measured here, never
asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

from course import _validate

BENCHMARKS = ("lenet", "resnet18", "unet")
PIPELINES = ("naive", "tuned")
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
JIT_CHOICES = ("auto", "on", "off")
SCHEMA_VERSION = 1
#: FLOPs of one training image per forward MAC (see the module docstring).
TRAINING_FLOPS_PER_MAC = 6
#: Keys every result of :func:`run` carries (the JSON schema, tested).
RESULT_KEYS = (
    "benchmark",
    "backend",
    "device",
    "data",
    "pipeline",
    "precision",
    "jit_compile",
    "batch_size",
    "steps_per_epoch",
    "epochs",
    "images_per_second",
    "first_epoch_seconds",
    "target_accuracy",
    "time_to_target_seconds",
    "epochs_to_target",
    "final_accuracy",
    "peak_memory_bytes",
    "memory_increase_bytes",
    "peak_memory_source",
    "macs_per_image",
    "train_flops_per_image",
    "train_gflops_per_second",
    "matmul_gflops_per_second",
    "matmul_fraction",
)


# ---------------------------------------------------------------------- device


def device_name() -> str:
    """A readable name of the device training runs on (first GPU, else the CPU)."""
    from course import config

    gpus = config.gpus()
    if gpus:
        return f"GPU: {gpus[0]}" + (f" (+{len(gpus) - 1})" if len(gpus) > 1 else "")
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as stream:
            for line in stream:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"CPU: {model} ({os.cpu_count()} cores)"


def _sync(tensor):
    """Waits until an asynchronously dispatched result exists."""
    import keras

    if hasattr(tensor, "block_until_ready"):  # JAX
        tensor.block_until_ready()
    else:  # Reading one element waits for the op (TF/torch on a GPU).
        # (Cast first: NumPy has no bfloat16.)
        keras.ops.convert_to_numpy(keras.ops.cast(tensor[0, 0], "float32"))


def matmul_gflops(size=2048, repeats=10, dtype="float32"):
    """Measures dense matrix-multiply speed: the device's practical FLOP/s peak.

    Multiplies two ``size x size`` matrices with ``keras.ops.matmul`` on the
    current backend, twice to warm up and then ``repeats`` times, each timed on
    its own (``2 size^3`` FLOPs each).

    Args:
        size: matrix side, >= 1.
        repeats: timed products, >= 1.
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``.

    Returns:
        A dict with ``gflops_per_second`` (the median product), ``best`` (the
        fastest), ``size``, ``repeats`` and ``dtype``.
    """
    import keras
    import numpy as np

    size = _validate.positive_int("size", size)
    repeats = _validate.positive_int("repeats", repeats)
    _validate.choice("dtype", dtype, ("float32", "float16", "bfloat16"))
    rng = np.random.default_rng(0)
    a = keras.ops.convert_to_tensor(rng.standard_normal((size, size)), dtype=dtype)
    b = keras.ops.convert_to_tensor(rng.standard_normal((size, size)), dtype=dtype)
    for _ in range(2):
        _sync(keras.ops.matmul(a, b))
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        _sync(keras.ops.matmul(a, b))
        seconds.append(time.perf_counter() - start)
    flops = 2.0 * size**3
    return {
        "gflops_per_second": round(flops / float(np.median(seconds)) / 1e9, 1),
        "best": round(flops / min(seconds) / 1e9, 1),
        "size": size,
        "repeats": repeats,
        "dtype": dtype,
    }


class MemoryMeter:
    """Peak memory during a ``with`` block.

    On a GPU it reads the backend's allocator statistics (TensorFlow:
    ``tf.config.experimental.get_memory_info``, reset at the start; JAX:
    ``device.memory_stats()["peak_bytes_in_use"]``, a peak since the process
    started). On a CPU a thread samples the process's resident set size every
    10 ms from ``/proc/self/statm``; without ``/proc`` it falls back to
    ``resource.getrusage``'s lifetime peak.

    Attributes:
        peak_bytes: the peak (``None`` when nothing could be read).
        increase_bytes: the peak minus the usage at the start (CPU and TF GPU).
        source: which statistic the numbers come from.
    """

    def __init__(self, interval=0.01):
        self.interval = interval
        self.peak_bytes = None
        self.increase_bytes = None
        self.source = None

    @staticmethod
    def _rss():
        try:
            with open("/proc/self/statm") as stream:
                pages = int(stream.read().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    def _gpu(self):
        from course import config

        if not config.gpus():
            return None
        return config.backend()

    def __enter__(self):
        self._backend = self._gpu()
        if self._backend == "tensorflow":
            import tensorflow as tf

            tf.config.experimental.reset_memory_stats("GPU:0")
            self._start = tf.config.experimental.get_memory_info("GPU:0")["current"]
            return self
        if self._backend is not None:
            return self
        self._start = self._rss()
        self._peak = self._start or 0
        self._stop = threading.Event()
        if self._start is not None:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(self.interval):
            value = self._rss()
            if value is not None and value > self._peak:
                self._peak = value

    def __exit__(self, *exc):
        if self._backend == "tensorflow":
            import tensorflow as tf

            self.peak_bytes = tf.config.experimental.get_memory_info("GPU:0")["peak"]
            self.increase_bytes = self.peak_bytes - self._start
            self.source = "tf.config.experimental.get_memory_info('GPU:0')['peak']"
        elif self._backend == "jax":
            import jax

            stats = jax.local_devices()[0].memory_stats() or {}
            self.peak_bytes = stats.get("peak_bytes_in_use")
            self.source = "jax device.memory_stats()['peak_bytes_in_use']"
        elif self._backend is not None:
            self.source = "unavailable on this backend"
        elif self._start is not None:
            self._stop.set()
            self._thread.join()
            self._peak = max(self._peak, self._rss() or 0)
            self.peak_bytes = self._peak
            self.increase_bytes = self._peak - self._start
            self.source = "process RSS, sampled every 10 ms"
        else:
            import resource

            self.peak_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            self.source = "process lifetime peak RSS (getrusage)"
        return False


# -------------------------------------------------------------------- settings


def _resolve(pipeline, precision, jit):
    """Checks the speed options and turns ``auto`` into the device default."""
    from course import config

    _validate.choice("pipeline", pipeline, PIPELINES)
    _validate.choice("precision", precision, PRECISIONS)
    _validate.choice("jit", jit, JIT_CHOICES)
    defaults = config.device_defaults()
    policy = defaults.dtype_policy if precision == "auto" else precision
    if jit == "auto":
        jit_compile = config.jit_compile()
    else:
        jit_compile = jit == "on"
    return policy, jit_compile


class _Policy:
    """Sets a global dtype policy for one benchmark and restores the old one."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        import keras

        self.saved = keras.config.dtype_policy()
        keras.config.set_dtype_policy(self.name)

    def __exit__(self, *exc):
        import keras

        keras.config.set_dtype_policy(self.saved)
        return False


class _EpochClock:
    """Callback factory; built lazily so importing this module stays cheap."""

    @staticmethod
    def create(target=None):
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
                if target is None or self.time_to_target is not None:
                    return
                if (logs or {}).get("val_accuracy", 0.0) >= target:
                    self.time_to_target = now - self.start
                    self.epochs_to_target = epoch + 1

        return EpochClock()


def _feed(x, y, batch_size, steps, pipeline, augment, seed, preprocess="to_float"):
    """The training input: ``tf.data`` (tuned) or NumPy batches (naive)."""
    from course import pipeline as pipelines

    if pipeline == "naive":
        options = None
        if augment is not None:
            options = dict(augment)
        return pipelines.NumpyBatches(
            x, y, batch_size, augment=options, steps=steps, seed=seed
        )
    return pipelines.make_dataset(
        x,
        y,
        batch_size,
        preprocess=pipelines.to_float if preprocess == "to_float" else None,
        augment=None if augment is None else pipelines.flip_and_shift(**augment),
        repeat=True,
        seed=seed,
    )


def _measure(
    benchmark,
    model,
    loss,
    train,
    steps,
    epochs,
    batch_size,
    data_name,
    pipeline,
    policy,
    jit_compile,
    matmul,
    optimizer,
    validation=None,
    target=None,
):
    """Compiles, trains with a clock and a memory meter, and builds the result."""
    import keras
    import numpy as np

    from course import arithmetic, config

    macs = arithmetic.count_macs(model)
    model.compile(
        optimizer=optimizer, loss=loss, metrics=["accuracy"], jit_compile=jit_compile
    )
    clock = _EpochClock.create(target)
    with MemoryMeter() as memory:
        history = model.fit(
            train,
            epochs=epochs,
            steps_per_epoch=None if isinstance(train, keras.utils.PyDataset) else steps,
            validation_data=validation,
            # Both inputs shuffle themselves (tf.data's buffer, the batches' order).
            shuffle=False,
            callbacks=[clock],
            verbose=0,
        )
    steady = clock.epoch_seconds[1:] or clock.epoch_seconds
    throughput = steps * batch_size / float(np.median(steady))
    flops = TRAINING_FLOPS_PER_MAC * macs
    achieved = throughput * flops / 1e9
    accuracy_key = "val_accuracy" if validation is not None else "accuracy"
    return {
        "benchmark": benchmark,
        "backend": config.backend(),
        "device": device_name(),
        "data": data_name,
        "pipeline": pipeline,
        "precision": policy,
        "jit_compile": bool(jit_compile),
        "batch_size": batch_size,
        "steps_per_epoch": steps,
        "epochs": epochs,
        "images_per_second": _significant(throughput),
        "first_epoch_seconds": round(clock.epoch_seconds[0], 2),
        "target_accuracy": target,
        "time_to_target_seconds": None
        if clock.time_to_target is None
        else round(clock.time_to_target, 1),
        "epochs_to_target": clock.epochs_to_target,
        "final_accuracy": round(float(history.history[accuracy_key][-1]), 4),
        "peak_memory_bytes": memory.peak_bytes,
        "memory_increase_bytes": memory.increase_bytes,
        "peak_memory_source": memory.source,
        "macs_per_image": int(macs),
        "train_flops_per_image": int(flops),
        "train_gflops_per_second": _significant(achieved),
        "matmul_gflops_per_second": matmul["gflops_per_second"],
        "matmul_fraction": _significant(achieved / matmul["gflops_per_second"]),
    }


def _matmul_for(policy, matmul):
    """The matmul reference in the benchmark's compute dtype (measured once)."""
    dtype = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}.get(
        policy, "float32"
    )
    if matmul is None or matmul.get("dtype") != dtype:
        matmul = matmul_gflops(dtype=dtype)
    return matmul


def _significant(value, digits=4):
    """Rounds to significant digits, so that small and large figures keep theirs."""
    return float(f"{value:.{digits}g}")


def _check_common(batch_size, epochs, seed):
    batch_size = _validate.positive_int("batch_size", batch_size)
    epochs = _validate.positive_int("epochs", epochs, minimum=2)
    seed = _validate.positive_int("seed", seed, minimum=0)
    return batch_size, epochs, seed


# ------------------------------------------------------------------ benchmarks


def bench_lenet(
    epochs=30,
    batch_size=32,
    target=0.97,
    source="sample",
    seed=0,
    pipeline="tuned",
    precision="auto",
    jit="auto",
    matmul=None,
):
    """Trains LeNet-5 with the lecture's recipe and measures it.

    Notebook 04's network and optimizer: ReLU and max pooling, Adam with a
    cosine-decayed learning rate from 2e-3, on MNIST as loaded by
    ``course.data.mnist(source)`` (by default the 5,000-digit offline sample:
    4,000 to train, 1,000 held out, on which the target accuracy is checked).
    The augmentation - random shifts of up to 2 pixels, no flips - runs in the
    input pipeline rather than in the model, so that the pipelines compared
    differ in how they do it, and so that the model compiles with XLA on JAX
    (Keras' random image layers cannot be compiled there). LeNet-5 is tiny
    (0.42 M MACs per image), so its speed depends mostly on the input pipeline
    and the per-step overhead, not on arithmetic. Epoch times include the
    validation pass, which time-to-accuracy pays too.

    Args:
        epochs: epochs, >= 2 (the first is not timed).
        batch_size: images per step.
        target: held-out accuracy to reach, in (0, 1].
        source: ``course.data.mnist`` source.
        seed: seed of weights and data order.
        pipeline: ``"tuned"`` (tf.data) or ``"naive"`` (NumPy batches).
        precision: a Keras dtype policy, or ``"auto"`` for the device default.
        jit: ``"on"``, ``"off"`` or ``"auto"`` (device default) for XLA.
        matmul: a :func:`matmul_gflops` result to reuse; measured if None.

    Returns:
        A dict with the fields of :data:`RESULT_KEYS`.
    """
    import keras

    from course import config, data, models

    batch_size, epochs, seed = _check_common(batch_size, epochs, seed)
    target = _validate.non_negative("target", target)
    if not 0 < target <= 1:
        raise ValueError(f"Expected target to be in (0, 1]. Received: target={target}")
    policy, jit_compile = _resolve(pipeline, precision, jit)
    matmul = _matmul_for(policy, matmul)
    config.set_seed(seed)
    splits = data.mnist(source=source)
    x_train = splits.x_train[..., None]
    x_test = splits.x_test[..., None].astype("float32") / 255.0
    steps = -(-len(x_train) // batch_size)
    with _Policy(policy):
        model = models.lenet5((28, 28, 1), activation="relu", pooling="max")
        optimizer = keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(2e-3, epochs * steps)
        )
        shifts = {"max_shift": 2, "flip": False}
        train = _feed(
            x_train, splits.y_train, batch_size, steps, pipeline, shifts, seed
        )
        return _measure(
            "lenet",
            model,
            "sparse_categorical_crossentropy",
            train,
            steps,
            epochs,
            batch_size,
            splits.source,
            pipeline,
            policy,
            jit_compile,
            matmul,
            optimizer,
            validation=(x_test, splits.y_test),
            target=target,
        )


def bench_resnet18(
    steps=20,
    epochs=3,
    batch_size=64,
    image_size=32,
    data_source="stand-in",
    seed=0,
    pipeline="tuned",
    precision="auto",
    jit="auto",
    matmul=None,
):
    """Measures ResNet-18 training at CIFAR size (32x32x3, ten classes).

    He et al. (CVPR 2016)'s ResNet-18 with the small-image stem
    (``course.models.resnet(18, stem="cifar")``: 3x3 ``conv1``, no max pool;
    11.2 M parameters, 0.56 G MACs per 32x32 image), trained with SGD and
    momentum on the standard CIFAR augmentation (random flips and 4-pixel
    shifts). The data is the offline CIFAR stand-in of ``course.data.cifar10``
    (the speed does not depend on what the images show), or random images for
    other sizes; no accuracy target applies.

    Args:
        steps: training steps per epoch.
        epochs: epochs, >= 2 (the first is not timed).
        batch_size: images per step.
        image_size: image side; 32 is CIFAR's.
        data_source: ``"stand-in"`` (``course.data.cifar10``'s offline
            fallback; 32x32 only) or ``"random"``.
        seed: seed of weights and data.
        pipeline, precision, jit, matmul: as for :func:`bench_lenet`.

    Returns:
        A dict with the fields of :data:`RESULT_KEYS`.
    """
    import keras
    import numpy as np

    from course import config, data, models

    batch_size, epochs, seed = _check_common(batch_size, epochs, seed)
    steps = _validate.positive_int("steps", steps)
    image_size = _validate.positive_int("image_size", image_size, minimum=8)
    _validate.choice("data_source", data_source, ("stand-in", "random"))
    if data_source == "stand-in" and image_size != 32:
        raise ValueError(
            "Expected image_size=32 with data_source='stand-in' (CIFAR size). "
            f"Received: image_size={image_size}"
        )
    policy, jit_compile = _resolve(pipeline, precision, jit)
    matmul = _matmul_for(policy, matmul)
    config.set_seed(seed)
    if data_source == "stand-in":
        splits = data.cifar10(source="fallback")
        x, y, name = splits.x_train, splits.y_train, splits.source
    else:
        rng = np.random.default_rng(seed)
        count = min(steps * batch_size, 4096)
        x = rng.integers(0, 256, (count, image_size, image_size, 3), dtype=np.uint8)
        y = rng.integers(0, 10, count)
        name = "random"
    with _Policy(policy):
        model = models.resnet(
            18, stem="cifar", input_shape=(image_size, image_size, 3), num_classes=10
        )
        train = _feed(x, y, batch_size, steps, pipeline, {"max_shift": 4}, seed)
        return _measure(
            "resnet18",
            model,
            "sparse_categorical_crossentropy",
            train,
            steps,
            epochs,
            batch_size,
            name,
            pipeline,
            policy,
            jit_compile,
            matmul,
            keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        )


def bench_unet(
    steps=4,
    epochs=3,
    batch_size=2,
    image_size=256,
    base_filters=64,
    seed=0,
    pipeline="tuned",
    precision="auto",
    jit="auto",
    matmul=None,
):
    """Measures U-Net training on 256x256 fluorescence images of nuclei.

    Ronneberger et al. (MICCAI 2015)'s U-Net with ``"same"`` padding (the
    output has the input's size; 31.0 M parameters, 48.1 G MACs per 256x256
    image at ``base_filters=64``), segmenting the synthetic nuclei of
    ``course.data.nuclei`` into nucleus and background with Adam, images and
    masks flipped and shifted together. The accuracy reported is the
    pixel accuracy on the training batches; no target applies.

    Args:
        steps: training steps per epoch.
        epochs: epochs, >= 2 (the first is not timed).
        batch_size: images per step.
        image_size: image side, a multiple of 16.
        base_filters: filters of the first level (64 in the paper).
        seed: seed of weights and data.
        pipeline, precision, jit, matmul: as for :func:`bench_lenet`.

    Returns:
        A dict with the fields of :data:`RESULT_KEYS`.
    """
    import keras

    from course import config, data, models

    batch_size, epochs, seed = _check_common(batch_size, epochs, seed)
    steps = _validate.positive_int("steps", steps)
    image_size = _validate.positive_int("image_size", image_size, minimum=16)
    if image_size % 16:
        raise ValueError(
            "Expected image_size to be a multiple of 16 (four 2x2 poolings). "
            f"Received: image_size={image_size}"
        )
    base_filters = _validate.positive_int("base_filters", base_filters)
    policy, jit_compile = _resolve(pipeline, precision, jit)
    matmul = _matmul_for(policy, matmul)
    config.set_seed(seed)
    count = min(steps * batch_size, 16)
    # The generator's default nucleus sizes suit 256x256; scale them with
    # the image so that small test images still hold whole nuclei.
    scale = image_size / 256
    images = data.nuclei(
        num_images=count,
        image_size=(image_size, image_size),
        radius=(max(2.0, 8 * scale), max(2.0, 20 * scale)),
        seed=seed,
    )
    with _Policy(policy):
        model = models.unet(
            input_shape=(image_size, image_size, 1),
            num_classes=2,
            base_filters=base_filters,
            padding="same",
        )
        augment = {"max_shift": 8, "segmentation": True}
        train = _feed(
            images.images,
            images.masks,
            batch_size,
            steps,
            pipeline,
            augment,
            seed,
            preprocess=None,
        )
        return _measure(
            "unet",
            model,
            "sparse_categorical_crossentropy",
            train,
            steps,
            epochs,
            batch_size,
            images.source,
            pipeline,
            policy,
            jit_compile,
            matmul,
            keras.optimizers.Adam(learning_rate=1e-4),
        )


#: Full-size and ``--quick`` settings of each benchmark.
SIZES = {
    "lenet": {"full": {"epochs": 30}, "quick": {"epochs": 3, "target": 0.9}},
    "resnet18": {
        "full": {"steps": 20, "epochs": 3, "batch_size": 64},
        "quick": {"steps": 3, "epochs": 2, "batch_size": 16},
    },
    "unet": {
        "full": {"steps": 4, "epochs": 3, "batch_size": 2},
        "quick": {"steps": 2, "epochs": 2, "batch_size": 1},
    },
}
_FUNCTIONS = {"lenet": bench_lenet, "resnet18": bench_resnet18, "unet": bench_unet}


def run(
    benchmarks=BENCHMARKS,
    quick=False,
    pipeline="tuned",
    precision="auto",
    jit="auto",
    overrides=None,
    matmul=None,
):
    """Runs benchmarks and collects one report.

    Args:
        benchmarks: names from :data:`BENCHMARKS`.
        quick: use the small ``--quick`` sizes of :data:`SIZES`.
        pipeline, precision, jit: as for :func:`bench_lenet`.
        overrides: ``{benchmark: {argument: value}}`` on top of the sizes.
        matmul: a float32 :func:`matmul_gflops` result to reuse; measured if
            None.

    Returns:
        ``{"schema", "device", "matmul", "results"}``: the device report, the
        float32 matmul reference, and one result dict per benchmark.
    """
    from course import config

    if isinstance(benchmarks, str) or not benchmarks:
        raise ValueError(
            "Expected benchmarks to be a non-empty list of names from "
            f"{BENCHMARKS}. Received: benchmarks={benchmarks!r}"
        )
    for name in benchmarks:
        _validate.choice("benchmarks", name, BENCHMARKS)
    overrides = overrides or {}
    _resolve(pipeline, precision, jit)  # fail before measuring anything
    if matmul is None:
        matmul = matmul_gflops()
    results = []
    for name in benchmarks:
        kwargs = dict(SIZES[name]["quick" if quick else "full"])
        kwargs.update(overrides.get(name, {}))
        results.append(
            _FUNCTIONS[name](
                pipeline=pipeline, precision=precision, jit=jit, matmul=matmul, **kwargs
            )
        )
    report = config.device_report()
    report["device"] = device_name()
    return {
        "schema": SCHEMA_VERSION,
        "device": report,
        "matmul": matmul,
        "results": results,
    }


def compare(benchmark, settings, quick=False, overrides=None, matmul=None):
    """Runs one benchmark under several settings, for a before/after table.

    Args:
        benchmark: a name from :data:`BENCHMARKS`.
        settings: a list of dicts of ``pipeline``, ``precision`` and ``jit``
            values, e.g. ``[{"pipeline": "naive"}, {"pipeline": "tuned"}]``;
            what a dict leaves out is ``"tuned"``/``"auto"``.
        quick: use the ``--quick`` sizes.
        overrides: arguments of the benchmark function on top of the sizes.
        matmul: as for :func:`run`.

    Returns:
        A report like :func:`run`'s, with one result per setting, in order.
    """
    _validate.choice("benchmark", benchmark, BENCHMARKS)
    if isinstance(settings, dict) or not settings:
        raise ValueError(
            "Expected settings to be a non-empty list of dicts. "
            f"Received: settings={settings!r}"
        )
    allowed = {"pipeline", "precision", "jit"}
    for setting in settings:
        if not isinstance(setting, dict) or not set(setting) <= allowed:
            raise ValueError(
                "Expected every setting to be a dict with keys from "
                f"{sorted(allowed)}. Received: settings={settings!r}"
            )
        _resolve(
            setting.get("pipeline", "tuned"),
            setting.get("precision", "auto"),
            setting.get("jit", "auto"),
        )
    if matmul is None:
        matmul = matmul_gflops()
    reports = [
        run(
            [benchmark],
            quick,
            overrides={benchmark: overrides or {}},
            matmul=matmul,
            **s,
        )
        for s in settings
    ]
    report = reports[0]
    report["results"] = [r["results"][0] for r in reports]
    return report


def _megabytes(value):
    return "-" if value is None else f"{value / 2**20:,.0f} MiB"


def format_table(report) -> str:
    """The report as a fixed-width text table, one row per benchmark."""
    header = (
        "benchmark",
        "backend",
        "settings",
        "images/s",
        "time to target",
        "peak memory",
        "train GFLOP/s",
        "of matmul",
    )
    rows = []
    for r in report["results"]:
        if r["target_accuracy"] is None:
            target = "n/a"
        elif r["time_to_target_seconds"] is None:
            target = f"{r['target_accuracy']:.0%} not reached"
        else:
            target = (
                f"{r['time_to_target_seconds']:.1f} s to {r['target_accuracy']:.0%}"
            )
        rows.append(
            (
                r["benchmark"],
                r["backend"],
                f"{r['pipeline']}, {r['precision']}, XLA "
                + ("on" if r["jit_compile"] else "off"),
                f"{r['images_per_second']:,.1f}",
                target,
                _megabytes(r["peak_memory_bytes"]),
                f"{r['train_gflops_per_second']:,.1f}",
                f"{r['matmul_fraction']:.0%}",
            )
        )
    widths = [
        max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)
    ]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    matmul = report["matmul"]
    lines.insert(
        0,
        f"device: {report['device']['device']}; matmul {matmul['size']}x"
        f"{matmul['size']} {matmul['dtype']}: {matmul['gflops_per_second']:,.1f} "
        "GFLOP/s (median)",
    )
    sources = sorted({str(r["peak_memory_source"]) for r in report["results"]})
    lines.append(f"peak memory: {'; '.join(sources)}")
    return "\n".join(lines)


def write_json(report, path) -> Path:
    """Writes the report as JSON atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        # mkstemp creates the file 0600; give the report the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "w") as stream:
            json.dump(report, stream, indent=2)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "benchmarks",
        nargs="*",
        choices=(*BENCHMARKS, "all"),
        default=["all"],
        help="benchmarks to run (default: all)",
    )
    parser.add_argument("--json", help="also write the report to this file")
    parser.add_argument(
        "--quick", action="store_true", help="few steps: a check, not a measurement"
    )
    parser.add_argument("--pipeline", choices=PIPELINES, default="tuned")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto")
    parser.add_argument("--jit", choices=JIT_CHOICES, default="auto")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    names = list(BENCHMARKS) if "all" in args.benchmarks else args.benchmarks
    names = list(dict.fromkeys(names))
    report = run(names, args.quick, args.pipeline, args.precision, args.jit)
    report["command"] = ["python", "-m", "course.bench", *(argv or sys.argv[1:])]
    print(format_table(report))
    if args.json:
        print(f"written: {write_json(report, args.json)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
