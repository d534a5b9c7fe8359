"""Activation functions, their derivatives, and the task/activation/loss table.

Used in lecture 01. It plots each function of `ACTIVATIONS` next to its derivative
(NumPy, closed form, so the numbers are exact and backend-free), shows why `softmax`
subtracts the maximum, and runs `TASK_HEADS`, the table of output activations and
losses per task type, as code. The trainable activation, maxout, is the layer
``course.layers.Maxout``. ELU is from Clevert, Unterthiner & Hochreiter, "Fast and
accurate deep network learning by exponential linear units (ELUs)", ICLR 2016.

NumPy only: no Keras, no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course import _validate

#: Slope of leaky ReLU on negative inputs, as in the lecture: max(0.1 x, x).
LEAKY_SLOPE = 0.1
#: ELU's alpha (Clevert et al., 2016, use 1.0).
ELU_ALPHA = 1.0


def sigmoid(x):
    """Logistic sigmoid, 1 / (1 + e^-x), computed without overflow."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1.0 + exp_x)
    return out


def _sigmoid_grad(x):
    s = sigmoid(x)
    # Never above 0.25: a chain of sigmoids shrinks gradients (vanishing gradients).
    return s * (1.0 - s)


def _tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def _tanh_grad(x):
    return 1.0 - np.tanh(np.asarray(x, dtype=np.float64)) ** 2


def _relu(x):
    return np.maximum(0.0, np.asarray(x, dtype=np.float64))


def _relu_grad(x):
    # The derivative at exactly 0 is undefined; frameworks use 0 there.
    return (np.asarray(x, dtype=np.float64) > 0).astype(np.float64)


def _leaky_relu(x):
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(LEAKY_SLOPE * x, x)


def _leaky_relu_grad(x):
    return np.where(np.asarray(x, dtype=np.float64) > 0, 1.0, LEAKY_SLOPE)


def _elu(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, x, ELU_ALPHA * np.expm1(np.minimum(x, 0.0)))


def _elu_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1.0, ELU_ALPHA * np.exp(np.minimum(x, 0.0)))


#: name -> (function, derivative), the activations of the lecture. Maxout has no
#: fixed formula (it learns its pieces): see ``course.layers.Maxout``.
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, _sigmoid_grad),
    "tanh": (_tanh, _tanh_grad),
    "relu": (_relu, _relu_grad),
    "leaky_relu": (_leaky_relu, _leaky_relu_grad),
    "elu": (_elu, _elu_grad),
}


def softmax(logits, axis=-1):
    """Softmax, e^{x_i} / sum_k e^{x_k}, stable for large inputs.

    Subtracting the maximum first changes nothing mathematically (the factor
    cancels) but keeps ``exp`` from overflowing.

    Args:
        logits: array of raw scores.
        axis: axis that sums to one.

    Returns:
        ``float64`` probabilities of the same shape.
    """
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=axis, keepdims=True)


@dataclass(frozen=True)
class TaskHead:
    """One row of the lecture's table: how a task's output layer is trained.

    Attributes:
        task: the task type.
        labels: what the targets look like.
        activation: Keras name of the output activation (``"linear"`` for none).
        loss: Keras name of the loss.
        metric: a metric that suits the task.
    """

    task: str
    labels: str
    activation: str
    loss: str
    metric: str


#: The lecture's table (seed 001) of output activations and losses per task type.
TASK_HEADS: tuple[TaskHead, ...] = (
    TaskHead("binary", "0 or 1", "sigmoid", "binary_crossentropy", "binary_accuracy"),
    TaskHead(
        "binary (two outputs)",
        "[1, 0] or [0, 1]",
        "softmax",
        "categorical_crossentropy",
        "categorical_accuracy",
    ),
    TaskHead(
        "multiclass",
        "integer 0..N-1",
        "softmax",
        "sparse_categorical_crossentropy",
        "sparse_categorical_accuracy",
    ),
    TaskHead(
        "multiclass (one-hot)",
        "[0, 1, 0, ..., 0]",
        "softmax",
        "categorical_crossentropy",
        "categorical_accuracy",
    ),
    TaskHead(
        "multilabel",
        "[1, 1, 0, ..., 1]",
        "sigmoid",
        "binary_crossentropy",
        "binary_accuracy",
    ),
    TaskHead(
        "regression",
        "raw values",
        "linear",
        "mean_squared_error",
        "mean_absolute_error",
    ),
    TaskHead(
        "regression (0-1)",
        "normalised to 0-1",
        "sigmoid",
        "mean_absolute_error",
        "mean_absolute_error",
    ),
    TaskHead(
        "autoencoder",
        "the input, scaled to 0-1",
        "sigmoid",
        "mean_squared_error",
        "mean_absolute_error",
    ),
)


def task_head(task: str) -> TaskHead:
    """Looks up a row of :data:`TASK_HEADS` by its task name."""
    heads = {head.task: head for head in TASK_HEADS}
    return heads[_validate.choice("task", task, tuple(heads))]
