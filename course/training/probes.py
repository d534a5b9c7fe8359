"""The training error measured while a network trains, finer than once an epoch.

Krizhevsky et al. (*ImageNet classification with deep convolutional neural
networks*, NIPS 2012, Figure 1) compare ReLU and tanh networks by how many epochs
each needs to reach 25% training error. Keras' logged ``accuracy`` is a running
mean over an epoch whose weights keep changing, and it comes once an epoch; where
the finish line falls inside the first epochs that is too coarse.
:class:`ErrorProbe` measures the error of the current weights on a fixed sample
of training images every few steps, so the crossing can be read to a fraction of
an epoch.

Used in lecture 05.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from course import _validate

__all__ = ["ErrorProbe"]


class ErrorProbe(keras.callbacks.Callback):
    """Records a classifier's error on fixed images every ``every`` steps.

    The first point is taken before the first step (epoch 0); point ``i`` after
    ``i * every`` steps, at ``i * every / steps_per_epoch`` epochs. Measuring
    reads the weights and changes nothing, so a run with the probe trains exactly
    as one without.

    Args:
        x: the images to measure on, e.g. the first 1,024 training images.
        y: their integer labels, shape ``(len(x),)``.
        every: steps between two measurements, >= 1.
        batch_size: batch size of the measuring ``predict``.

    Attributes:
        epochs: when each point was taken, in (fractional) epochs.
        errors: the share of ``x`` the model misclassified at each point.

    Example:
        >>> probe = ErrorProbe(x_train[:1024], y_train[:1024], every=4)
        >>> model.fit(x_train, y_train, epochs=5, callbacks=[probe])
        >>> probe.epochs_to(0.25)  # e.g. 0.38: 25% error after 38% of an epoch
    """

    def __init__(self, x, y, every=10, batch_size=1024):
        super().__init__()
        labels = np.asarray(y)
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise _validate.error("y", y, "to be a 1-D array of integer labels")
        if len(x) != len(labels) or not len(labels):
            raise _validate.relation(
                "x and y to hold the same number (>= 1) of examples",
                **{"len(x)": len(x), "len(y)": len(labels)},
            )
        self._x, self._y = x, labels
        self.every = _validate.positive_int("every", every)
        self.batch_size = _validate.positive_int("batch_size", batch_size)
        self.epochs: list[float] = []
        self.errors: list[float] = []
        self._step = 0

    def _measure(self):
        scores = self.model.predict(self._x, batch_size=self.batch_size, verbose=0)
        error = float(np.mean(np.argmax(scores, axis=-1) != self._y))
        steps = self.params.get("steps") if self.params else None
        # Without a known epoch length (a generator of unknown size), count steps.
        self.epochs.append(self._step / steps if steps else float(self._step))
        self.errors.append(error)

    def on_train_begin(self, logs=None):
        self._step = 0
        self.epochs, self.errors = [], []
        self._measure()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self._step % self.every == 0:
            self._measure()

    def epochs_to(self, target) -> float:
        """The first recorded epoch at which the error was at most ``target``.

        Returns ``math.inf`` when the run never got there.
        """
        target = _validate.number("target", target)
        for epoch, error in zip(self.epochs, self.errors, strict=True):
            if error <= target:
                return epoch
        return math.inf
