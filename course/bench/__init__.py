"""Training benchmarks on the current backend and device: ``python -m course.bench``.

Usage::

    python -m course.bench                       # lenet, resnet18 and unet
    python -m course.bench resnet18 --quick --json bench.json
    python -m course.bench lenet --pipeline naive
    python -m course.bench resnet18 --precision mixed_bfloat16 --jit on
    KERAS_BACKEND=jax python -m course.bench resnet18 --quick

Lecture 12 measures, rather than guesses, what makes training fast. For LeNet-5
(MNIST), ResNet-18 (CIFAR size, 32x32) and U-Net (256x256) the package measures
training throughput (images per second after the first, compiling, epoch), the
time to a target accuracy where one applies (LeNet-5), the peak memory, and the
achieved training FLOP/s as a fraction of the device's dense matmul FLOP/s
(one training image costs ``6 x MACs`` FLOPs, see :mod:`course.bench.measure`).
The options ``--pipeline naive|tuned``, ``--precision`` and ``--jit on|off``
measure lecture 12's speed-ups; ``auto`` picks the device defaults of
:func:`course.config.device_defaults`. Speed goals are measured here, never
asserted in tests.

One concern per module:

- :mod:`course.bench.meter`: the device's name, its matmul FLOP/s
  (:func:`matmul_gflops`) and the peak memory of a run (:class:`MemoryMeter`);
- :mod:`course.bench.measure`: the settings, policies and clock every benchmark
  shares, and the result's keys (:data:`RESULT_KEYS`);
- :mod:`course.bench.benchmarks`: :func:`bench_lenet`, :func:`bench_resnet18`,
  :func:`bench_unet`, their :data:`SIZES`, :func:`run` and :func:`compare`;
- :mod:`course.bench.report`: :func:`format_table`, :func:`write_json` and the
  command line (:func:`main`).

Importing the package imports neither Keras nor TensorFlow; the ``tuned``
pipeline (``tf.data``, :mod:`course.pipeline`) needs TensorFlow on every backend.
"""

from course.bench.benchmarks import (
    BENCHMARKS,
    SIZES,
    bench_lenet,
    bench_resnet18,
    bench_unet,
    compare,
    run,
)
from course.bench.measure import (
    JIT_CHOICES,
    PIPELINES,
    PRECISIONS,
    RESULT_KEYS,
    SCHEMA_VERSION,
    TRAINING_FLOPS_PER_MAC,
)
from course.bench.meter import MemoryMeter, device_name, matmul_gflops
from course.bench.report import format_table, main, write_json

__all__ = [
    "BENCHMARKS",
    "JIT_CHOICES",
    "PIPELINES",
    "PRECISIONS",
    "RESULT_KEYS",
    "SCHEMA_VERSION",
    "SIZES",
    "TRAINING_FLOPS_PER_MAC",
    "MemoryMeter",
    "bench_lenet",
    "bench_resnet18",
    "bench_unet",
    "compare",
    "device_name",
    "format_table",
    "main",
    "matmul_gflops",
    "run",
    "write_json",
]
