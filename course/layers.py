"""Custom Keras layers used by the lectures (backend-agnostic: keras.ops only)."""

from __future__ import annotations

import keras
from keras import ops

from course import _validate


@keras.saving.register_keras_serializable(package="course")
class Maxout(keras.layers.Layer):
    """Maxout unit: the maximum of ``num_pieces`` affine functions per output.

    Implements ``h_i(x) = max_j (x W_ij + b_ij)`` from Goodfellow et al., "Maxout
    Networks" (ICML 2013). With two pieces it contains ReLU (one piece fixed at 0)
    and leaky ReLU as special cases, which is why the lecture lists it among the
    activation functions, but it learns its own piecewise-linear shape.

    Args:
        units: number of outputs.
        num_pieces: affine pieces per output (k in the paper), at least 2.
        kernel_initializer: initializer of the ``(d, units * num_pieces)`` kernel.
        **kwargs: standard layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, ..., d)``.
    Output shape:
        ``(batch, ..., units)``.
    """

    def __init__(
        self, units, num_pieces=2, kernel_initializer="glorot_uniform", **kwargs
    ):
        super().__init__(**kwargs)
        self.units = _validate.positive_int("units", units)
        self.num_pieces = _validate.positive_int("num_pieces", num_pieces, minimum=2)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(
                "Expected the last input dimension of Maxout to be known. "
                f"Received: input_shape={tuple(input_shape)!r}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(in_features, self.units * self.num_pieces),
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units * self.num_pieces,), initializer="zeros"
        )

    def call(self, inputs):
        z = ops.matmul(inputs, self.kernel) + self.bias
        # Group the affine pieces of each unit on a new last axis, then take the max.
        z = ops.reshape(z, (*ops.shape(z)[:-1], self.units, self.num_pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            num_pieces=self.num_pieces,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
