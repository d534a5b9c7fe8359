"""Every variable a first ``fit`` would create, created before it.

A compiled Keras model has no loss, metric or optimizer variables yet: on the
TensorFlow backend ``fit`` creates them while it traces its train step (Keras
builds them up front only under a distribution strategy, and always on JAX).
A ``tf.function`` that creates variables is traced a second time once they
exist, so a fresh model's first ``fit`` pays for two traces, and a lesson that
trains many nets spends much of its time there. Measured on a 2-core CPU, from
the build to the end of the first training step: a ``small_vgg`` (lecture 13,
more than fifty nets) 1.4-1.9 s, 0.8-1.0 s with ``build_state`` called first; a
CIFAR ResNet-20 (lecture 06) 6.1-6.3 s, 3.8-4.7 s.
``build_state`` makes the variables with one forward pass of one example in
inference mode, so no random number is drawn and no weight or batch-norm
statistic moves: the training that follows is the same, to the last bit, as
without it. On the other backends it leaves the model alone: JAX's ``fit``
builds everything before it traces (and building it here would shift the stream
that shuffles the batches), the others do not trace.

Used in lectures 06, 10 and 13.
"""

from __future__ import annotations

import keras
import numpy as np

from course import _validate

__all__ = ["build_state"]


def build_state(model, x, y):
    """Creates a compiled model's loss, metric and optimizer variables now.

    Args:
        model: a compiled ``keras.Model``.
        x: a batch of inputs like the ones it will be trained on (only the
            first example is used).
        y: their targets, in the form the compiled loss expects.

    Returns:
        ``model``, ready for ``fit`` to trace its train step once. On backends
        other than TensorFlow it is returned as it was (after the checks).

    Raises:
        TypeError: if ``model`` is not a ``keras.Model``.
        ValueError: if it is not compiled, or ``x`` and ``y`` are empty or of
            different lengths.
    """
    model = _validate.model("model", model)
    if getattr(model, "optimizer", None) is None:
        raise _validate.error("model", model.name, "to be compiled (model.compile)")
    x, y = np.asarray(x), np.asarray(y)
    if len(x) == 0 or len(x) != len(y):
        raise _validate.relation(
            "at least one example, and as many targets as inputs",
            **{"len(x)": len(x), "len(y)": len(y)},
        )
    if keras.backend.backend() != "tensorflow":
        return model
    x, y = x[:1], y[:1]
    y_pred = model(x, training=False)  # inference mode: dropout and BN draw nothing
    model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    model.reset_metrics()  # the example above must not count in the first epoch
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return model
