"""Repeatable runs: one seed for every random number, and deterministic kernels.

Seed 001: deep nets are stochastic, with "no guarantees on convergence, good
performance or repeatability". Three things draw random numbers in a Keras run -
the initial weights, the order of the batches and the dropout masks - and
``keras.utils.set_random_seed`` fixes all three (Python's, NumPy's and the
backend's generators). That is not yet enough on TensorFlow: some kernels sum in
an order that depends on thread scheduling (reductions on a GPU, some CPU ops), so
two runs from the same seed can drift apart in the last bits and then further.
``tf.config.experimental.enable_op_determinism`` picks deterministic kernels
instead, at a cost in speed that lecture 13 measures.

Used in lecture 13.
"""

from __future__ import annotations

import contextlib

import keras

from course import _validate

__all__ = ["deterministic"]


@contextlib.contextmanager
def deterministic(seed, ops=True):
    """Seeds every generator and, on TensorFlow, makes its ops deterministic.

    Args:
        seed: the seed, >= 0, passed to ``keras.utils.set_random_seed``.
        ops: whether to switch on TensorFlow's op determinism inside the block
            (switched back off after it). On JAX a CPU is deterministic already
            (a GPU needs ``XLA_FLAGS=--xla_gpu_deterministic_ops=true`` before
            JAX starts); on other backends only the seed is set.

    Yields:
        Whether op determinism is on inside the block.
    """
    seed = _validate.positive_int("seed", seed, minimum=0)
    ops = _validate.boolean("ops", ops)
    keras.utils.set_random_seed(seed)
    if not ops or keras.backend.backend() != "tensorflow":
        yield False
        return
    import tensorflow as tf

    # TensorFlow has no public switch back; its config module holds the pair.
    from tensorflow.python.framework import config as tf_config

    was_on = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    try:
        yield True
    finally:
        if not was_on:
            tf_config.disable_op_determinism()
