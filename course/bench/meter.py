"""What the benchmarks measure with: the device, its matmul FLOP/s, peak memory.

Lecture 12 reads every speed against two references taken here: the device's
practical FLOP/s peak (:func:`matmul_gflops`, a dense matrix product in the
compute dtype) and the peak memory of a run (:class:`MemoryMeter`). Nothing here
imports Keras or TensorFlow before it is called.

Used in lecture 12.
"""

from __future__ import annotations

import os
import platform
import threading
import time

from course import _validate


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
