"""How one benchmark is measured: checked settings, a clock, and the result.

Every benchmark of lecture 12 runs the same way (:class:`Session`): its settings
are checked before anything is built, the speed options are resolved (``auto``
picks the device defaults of :func:`course.config.device_defaults`), the model
is built and trained under its dtype policy with an epoch clock and a
:class:`~course.bench.meter.MemoryMeter`, and the result is one dict with the
keys of :data:`RESULT_KEYS`:

- training throughput in images per second, over the epochs after the first one
  (the first epoch traces and compiles the step, and is reported on its own);
- the time until the held-out accuracy reaches a target, where one applies;
- the peak memory, with ``peak_memory_source`` saying which statistic it is;
- the achieved training FLOP/s, and that as a fraction of the device's measured
  dense matmul FLOP/s (:func:`~course.bench.meter.matmul_gflops` in the compute
  dtype).

FLOP convention: :func:`course.arithmetic.count_macs` counts the forward
multiply-accumulates (MACs) of convolution and dense layers for one image; one
MAC is two FLOPs, and a training step costs about three forward passes (the
forward pass, and a backward pass computing gradients with respect to both the
activations and the weights, each as costly as the forward pass). So one
training image costs ``6 x MACs`` FLOPs (the rule of Kaplan et al., 2020,
"Scaling laws for neural language models", and of MLPerf's utilisation
figures). Batch norm, activations, pooling and the optimizer update are not
counted, so the figure slightly understates the work done.

The speed options are those lecture 12 measures: ``pipeline`` (NumPy batches in
the training loop vs ``tf.data`` with cache, parallel augmentation and prefetch,
see :mod:`course.pipeline`), ``precision`` (a Keras dtype policy) and ``jit``
(XLA). Keras and TensorFlow are imported only when a benchmark runs.

Used in lecture 12.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from course import _validate
from course.bench import meter

#: The input paths of :mod:`course.pipeline` (its ``PIPELINES``, repeated here
#: so that importing the benchmarks does not import TensorFlow).
PIPELINES = ("naive", "tuned")
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
JIT_CHOICES = ("auto", "on", "off")
SCHEMA_VERSION = 1
#: FLOPs of one training image per forward MAC (see the module docstring).
TRAINING_FLOPS_PER_MAC = 6
#: Keys every result of a benchmark carries (the JSON schema, tested).
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
# The matmul reference's dtype under each mixed policy (float32 otherwise).
_COMPUTE_DTYPES = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


def resolve(pipeline, precision, jit):
    """Checks the speed options and turns ``auto`` into the device default.

    Returns:
        ``(dtype policy name, jit_compile bool)``.
    """
    from course import config

    _validate.choice("pipeline", pipeline, PIPELINES)
    _validate.choice("precision", precision, PRECISIONS)
    _validate.choice("jit", jit, JIT_CHOICES)
    defaults = config.device_defaults()
    policy = defaults.dtype_policy if precision == "auto" else precision
    if jit == "auto":
        return policy, config.jit_compile()
    return policy, jit == "on"


def _significant(value, digits=4):
    """Rounds to significant digits, so that small and large figures keep theirs."""
    return float(f"{value:.{digits}g}")


def _epoch_clock(target=None):
    """A callback timing each epoch, and the time until ``val_accuracy >= target``.

    The class is made here, on demand, so that importing the module stays cheap.
    """
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


@dataclass
class Session:
    """One benchmark's checked settings, and what every benchmark does with them.

    A benchmark makes one with :meth:`checked` (before anything is built), checks
    its own arguments, calls :meth:`start`, loads its data, and inside
    :meth:`policy_scope` builds its model, :meth:`feed`s the data and
    :meth:`measure`s.

    Attributes:
        batch_size: images per step.
        epochs: epochs, >= 2 (the first is not timed).
        seed: seed of weights, data and data order.
        pipeline: ``"tuned"`` or ``"naive"``.
        policy: the Keras dtype policy, ``auto`` resolved.
        jit_compile: whether the step is compiled with XLA.
        matmul: the :func:`~course.bench.meter.matmul_gflops` reference (in the
            compute dtype once :meth:`start` has run).
        steps: training steps per epoch (set by the benchmark if it derives
            them from its data).
    """

    batch_size: int
    epochs: int
    seed: int
    pipeline: str
    policy: str
    jit_compile: bool
    matmul: dict | None = None
    steps: int | None = None

    @classmethod
    def checked(
        cls, batch_size, epochs, seed, pipeline, precision, jit, matmul, steps=None
    ):
        """Checks the settings every benchmark shares; measures nothing yet.

        The arguments are the benchmark's own; ``steps`` (per epoch, >= 1) may be
        left ``None`` by a benchmark that derives it from its data.
        """
        batch_size = _validate.positive_int("batch_size", batch_size)
        epochs = _validate.positive_int("epochs", epochs, minimum=2)
        seed = _validate.positive_int("seed", seed, minimum=0)
        if steps is not None:
            steps = _validate.positive_int("steps", steps)
        policy, jit_compile = resolve(pipeline, precision, jit)
        return cls(
            batch_size, epochs, seed, pipeline, policy, jit_compile, matmul, steps
        )

    def start(self):
        """Takes the matmul reference in the compute dtype (once) and seeds."""
        from course import config

        dtype = _COMPUTE_DTYPES.get(self.policy, "float32")
        if self.matmul is None or self.matmul.get("dtype") != dtype:
            self.matmul = meter.matmul_gflops(dtype=dtype)
        config.set_seed(self.seed)

    @contextlib.contextmanager
    def policy_scope(self):
        """Sets the global dtype policy for the block and restores the old one."""
        import keras

        saved = keras.config.dtype_policy()
        keras.config.set_dtype_policy(self.policy)
        try:
            yield
        finally:
            keras.config.set_dtype_policy(saved)

    def feed(self, x, y, augment, to_float=True):
        """The training input: ``tf.data`` (tuned) or NumPy batches (naive).

        Args:
            x, y: the training arrays.
            augment: ``None`` or arguments of ``course.pipeline.flip_and_shift``.
            to_float: scale ``uint8`` images to [0, 1] in the pipeline.
        """
        from course import pipeline as pipelines

        if self.pipeline == "naive":
            options = None if augment is None else dict(augment)
            return pipelines.NumpyBatches(
                x, y, self.batch_size, augment=options, steps=self.steps, seed=self.seed
            )
        return pipelines.make_dataset(
            x,
            y,
            self.batch_size,
            preprocess=pipelines.to_float if to_float else None,
            augment=None if augment is None else pipelines.flip_and_shift(**augment),
            repeat=True,
            seed=self.seed,
        )

    def measure(
        self,
        benchmark,
        model,
        train,
        data_name,
        optimizer,
        *,
        validation=None,
        target=None,
    ):
        """Compiles, trains with a clock and a memory meter; returns the result.

        Args:
            benchmark: the benchmark's name.
            model: the model, built under :meth:`policy_scope`.
            train: the input from :meth:`feed`.
            data_name: where the data came from.
            optimizer: a Keras optimizer.
            validation: held-out ``(x, y)``, evaluated after every epoch.
            target: held-out accuracy whose time to reach is measured.

        Returns:
            A dict with the keys of :data:`RESULT_KEYS`.
        """
        import keras

        from course import arithmetic

        macs = arithmetic.count_macs(model)
        model.compile(
            optimizer=optimizer,
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            jit_compile=self.jit_compile,
        )
        clock = _epoch_clock(target)
        with meter.MemoryMeter() as memory:
            history = model.fit(
                train,
                epochs=self.epochs,
                steps_per_epoch=None
                if isinstance(train, keras.utils.PyDataset)
                else self.steps,
                validation_data=validation,
                # Both inputs shuffle themselves (tf.data's buffer, the batches').
                shuffle=False,
                callbacks=[clock],
                verbose=0,
            )
        accuracy = history.history["accuracy" if validation is None else "val_accuracy"]
        result = self._result(benchmark, data_name, macs, clock, memory)
        result["target_accuracy"] = target
        result["final_accuracy"] = round(float(accuracy[-1]), 4)
        return {key: result[key] for key in RESULT_KEYS}

    def _result(self, benchmark, data_name, macs, clock, memory) -> dict:
        """The measured figures of a run (all but the accuracies)."""
        import numpy as np

        from course import config

        steady = clock.epoch_seconds[1:] or clock.epoch_seconds
        throughput = self.steps * self.batch_size / float(np.median(steady))
        flops = TRAINING_FLOPS_PER_MAC * macs
        achieved = throughput * flops / 1e9
        to_target = clock.time_to_target
        return {
            "benchmark": benchmark,
            "backend": config.backend(),
            "device": meter.device_name(),
            "data": data_name,
            "pipeline": self.pipeline,
            "precision": self.policy,
            "jit_compile": bool(self.jit_compile),
            "batch_size": self.batch_size,
            "steps_per_epoch": self.steps,
            "epochs": self.epochs,
            "images_per_second": _significant(throughput),
            "first_epoch_seconds": round(clock.epoch_seconds[0], 2),
            "time_to_target_seconds": None
            if to_target is None
            else round(to_target, 1),
            "epochs_to_target": clock.epochs_to_target,
            "peak_memory_bytes": memory.peak_bytes,
            "memory_increase_bytes": memory.increase_bytes,
            "peak_memory_source": memory.source,
            "macs_per_image": int(macs),
            "train_flops_per_image": int(flops),
            "train_gflops_per_second": _significant(achieved),
            "matmul_gflops_per_second": self.matmul["gflops_per_second"],
            "matmul_fraction": _significant(
                achieved / self.matmul["gflops_per_second"]
            ),
        }
