"""Gradient norms per layer: the "vanishing gradients" diagnostic.

Lecture 06 compares ``gradient_norms`` along plain and residual stacks of several
depths and activations, to show why shortcuts let deep networks learn. It works
on the TensorFlow, JAX and torch backends; each backend's gradient call is imported
only when that backend is active.

Used in lectures 06 and 10.
"""

from __future__ import annotations

import keras
import numpy as np

from course import _validate


def _loss_gradients(model, x, y, loss_fn):
    """Gradients of ``loss_fn(y, model(x))`` w.r.t. ``model.trainable_weights``.

    Keras 3 has no backend-neutral gradient call, so each backend gets its own
    two lines. The forward pass runs in training mode (batch norm normalises with
    the batch's statistics, as during ``fit``) without changing the model: JAX's
    ``stateless_call`` returns new statistics instead of writing them, and the
    other backends get their statistics restored afterwards.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        frozen = [v.value for v in model.non_trainable_variables]

        def loss_of(trainable):
            predictions, _ = model.stateless_call(trainable, frozen, x, training=True)
            return loss_fn(y, predictions)

        grads = jax.grad(loss_of)([v.value for v in model.trainable_variables])
        return [np.asarray(g) for g in grads]
    saved = [np.array(v.numpy()) for v in model.non_trainable_variables]
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                value = loss_fn(y, model(x, training=True))
            grads = tape.gradient(value, model.trainable_variables)
            return [np.asarray(g) for g in grads]
        if backend == "torch":
            for variable in model.trainable_variables:
                variable.value.grad = None
            loss_fn(y, model(x, training=True)).backward()
            return [
                v.value.grad.detach().cpu().numpy() for v in model.trainable_variables
            ]
        raise _validate.relation(
            "a tensorflow, jax or torch backend for gradient_norms",
            NotImplementedError,
            backend=backend,
        )
    finally:
        for variable, value in zip(model.non_trainable_variables, saved, strict=True):
            variable.assign(value)


def gradient_norms(model, x, y, loss="sparse_categorical_crossentropy"):
    """The size of the loss gradient at every weighted layer, input to output.

    The diagnostic behind "vanishing gradients" (Glorot & Bengio, AISTATS 2010;
    He et al., CVPR 2016, section 4.1): back-propagation multiplies the gradient
    by one Jacobian per layer, so in a deep plain stack its norm can shrink (or
    grow) geometrically towards the input, and the first layers barely learn.
    Plot the returned values against depth on a log scale to see it.

    For every layer that owns a ``kernel`` (``Conv2D``, ``Dense``, ...) this
    returns the L2 (Frobenius) norm of d loss / d kernel on one batch; biases and
    batch-norm parameters are left out so that layers compare like with like.
    The forward pass runs in training mode and the model is left unchanged.

    Args:
        model: a built ``keras.Model``.
        x: one batch of inputs (NumPy array or tensor).
        y: its targets, as the loss expects them.
        loss: a Keras loss name or callable ``loss(y_true, y_pred)``; its
            per-example values are averaged over the batch.

    Returns:
        ``dict`` mapping layer name to gradient norm (``float``), in the order
        of ``model.layers``.

    Raises:
        TypeError: if ``model`` is not a ``keras.Model``.
        ValueError: if ``model`` has no layer with a trainable kernel, or ``x``
            and ``y`` hold different numbers of examples.
    """
    _validate.model("model", model)
    kernels = {}
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if isinstance(kernel, keras.Variable) and kernel.trainable:
            kernels[layer.name] = kernel
    if not kernels:
        raise _validate.error(
            "model", model.name, "to have a layer with a trainable kernel"
        )
    if len(x) != len(y):
        raise _validate.relation(
            "x and y to hold the same number of examples",
            **{"len(x)": len(x), "len(y)": len(y)},
        )
    per_example = keras.losses.get(loss)
    if per_example is None:
        raise _validate.error("loss", loss, "to name a Keras loss")

    def loss_fn(y_true, y_pred):
        # keras.losses.get gives per-example losses: average them, as fit does.
        return keras.ops.mean(per_example(y_true, y_pred))

    grads = _loss_gradients(model, x, y, loss_fn)
    by_path = {v.path: g for v, g in zip(model.trainable_variables, grads, strict=True)}
    return {
        name: float(np.linalg.norm(by_path[kernel.path]))
        for name, kernel in kernels.items()
    }
