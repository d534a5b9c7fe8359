"""The custom Keras layers of the course, each from its paper.

Used in lectures 01 and 06.

* `Maxout` (Goodfellow et al. 2013): lecture 01 builds ReLU and leaky ReLU out of a
  maxout unit (also ``course.models.mlp(..., activation="maxout")``).
* `LocalResponseNormalization` (Krizhevsky et al. 2012): AlexNet's normalisation,
  built into ``course.models.alexnet`` (lecture 05) and ``course.models.googlenet``.
* `ChannelPadding` (He et al. 2016): the parameter-free option-A shortcut of
  ``course.models.resnet``.
* `Highway` (Srivastava et al. 2015): the gated layer of ``course.models.highway_net``;
  lecture 06 reads its transform gates before and after training.

``keras.ops`` only, so every layer runs on the TensorFlow, JAX and PyTorch backends;
all are registered under the package name ``"course"`` so that saved models load.
"""

from __future__ import annotations

import keras
from keras import ops

from course import _validate


def _last_dimension(layer: keras.layers.Layer, input_shape) -> int:
    """The width of the input's last axis, which sizes the layer's kernel."""
    width = input_shape[-1]
    if width is None:
        raise _validate.error(
            "input_shape",
            tuple(input_shape),
            f"to have a known last dimension ({type(layer).__name__} {layer.name!r})",
        )
    return int(width)


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
        in_features = _last_dimension(self, input_shape)
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


@keras.saving.register_keras_serializable(package="course")
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalisation across channels (AlexNet, section 3.3).

    Krizhevsky, Sutskever & Hinton, "ImageNet classification with deep
    convolutional neural networks" (NIPS 2012)::

        b_i = a_i / (k + alpha * sum_{j = i - n // 2}^{i + n // 2} a_j^2) ** beta

    the sum running over the ``n`` neighbouring channels of the same position
    (channels outside ``[0, C)`` count as zeros). The defaults are the paper's
    ``k = 2, n = 5, alpha = 1e-4, beta = 0.75``. As in the paper (and
    ``tf.nn.local_response_normalization``) ``alpha`` multiplies the plain sum;
    Caffe and ``torch.nn.LocalResponseNorm`` divide it by ``n`` first. The layer
    has no weights.

    Args:
        size: ``n``, the (odd) number of channels summed over.
        bias: ``k``.
        alpha: ``alpha``.
        beta: ``beta``.
        **kwargs: standard layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, ..., channels)`` (channels last).
    Output shape:
        Same as the input.
    """

    def __init__(self, size=5, bias=2.0, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        self.size = _validate.positive_int("size", size)
        if self.size % 2 == 0:
            raise _validate.error(
                "size", size, "to be odd (a window centred on its channel)"
            )
        self.bias = _validate.non_negative("bias", bias)
        self.alpha = _validate.non_negative("alpha", alpha)
        self.beta = _validate.non_negative("beta", beta)

    def call(self, inputs):
        squares = ops.square(inputs)
        radius = self.size // 2
        rank = len(inputs.shape)
        padded = ops.pad(squares, [[0, 0]] * (rank - 1) + [[radius, radius]])
        channels = inputs.shape[-1]
        # The window sum as n shifted copies: n is small (5), and this stays
        # backend-agnostic (no depthwise convolution over the channel axis).
        total = padded[..., 0:channels]
        for shift in range(1, self.size):
            total = total + padded[..., shift : shift + channels]
        return inputs / ops.power(self.bias + self.alpha * total, self.beta)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, bias=self.bias, alpha=self.alpha, beta=self.beta)
        return config


@keras.saving.register_keras_serializable(package="course")
class ChannelPadding(keras.layers.Layer):
    """Appends ``padding`` all-zero channels: ResNet's option-A shortcut.

    He, Zhang, Ren & Sun, "Deep residual learning for image recognition" (CVPR
    2016), section 4.1: "(A) zero-padding shortcuts are used for increasing
    dimensions, and all shortcuts are parameter-free". The layer has no weights.

    Args:
        padding: number of zero channels appended after the input's channels.
        **kwargs: standard layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, ..., channels)``.
    Output shape:
        ``(batch, ..., channels + padding)``.
    """

    def __init__(self, padding, **kwargs):
        super().__init__(**kwargs)
        self.padding = _validate.positive_int("padding", padding)

    def call(self, inputs):
        rank = len(inputs.shape)
        return ops.pad(inputs, [[0, 0]] * (rank - 1) + [[0, self.padding]])

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        if channels is not None:
            channels += self.padding
        return (*input_shape[:-1], channels)

    def get_config(self):
        config = super().get_config()
        config.update(padding=self.padding)
        return config


@keras.saving.register_keras_serializable(package="course")
class Highway(keras.layers.Layer):
    """A fully connected highway layer, ``y = H(x) T(x) + x (1 - T(x))``.

    Srivastava, Greff & Schmidhuber, "Training very deep networks" (NIPS 2015;
    "Highway networks", arXiv:1505.00387)::

        H(x) = activation(x W_H + b_H)
        T(x) = sigmoid(x W_T + b_T)          # the transform gate
        y    = H(x) * T(x) + x * (1 - T(x))  # 1 - T is the carry gate

    ``b_T`` starts at ``transform_bias`` (negative: T close to 0, so a fresh
    layer mostly *carries* its input, which is what lets very deep highway nets
    train; the paper uses -1 to -3 for fully connected nets). The output has the
    input's width. ``kernel`` holds ``[W_H | W_T]`` side by side, shape
    ``(d, 2 d)``, so ``course.arithmetic.count_macs`` counts both products.

    Args:
        activation: activation of ``H``.
        transform_bias: initial value of every entry of ``b_T``.
        kernel_initializer: initializer of ``[W_H | W_T]``.
        **kwargs: standard layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, ..., d)``.
    Output shape:
        ``(batch, ..., d)``.
    """

    def __init__(
        self,
        activation="relu",
        transform_bias=-2.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        # Infinities stay allowed, as before (-inf gives a pure carry layer).
        self.transform_bias = _validate.number(
            "transform_bias", transform_bias, finite=False
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.width = _last_dimension(self, input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.width, 2 * self.width),
            initializer=self.kernel_initializer,
        )
        transform_bias = self.transform_bias

        def bias_initializer(shape, dtype=None):
            # b_H starts at 0, b_T at transform_bias (carry behaviour).
            half = shape[0] // 2
            return ops.concatenate(
                [ops.zeros((half,), dtype), ops.full((half,), transform_bias, dtype)]
            )

        self.bias = self.add_weight(
            name="bias", shape=(2 * self.width,), initializer=bias_initializer
        )

    def call(self, inputs):
        z = ops.matmul(inputs, self.kernel) + self.bias
        h = self.activation(z[..., : self.width])
        t = ops.sigmoid(z[..., self.width :])
        return h * t + inputs * (1.0 - t)

    def transform_gate(self, inputs):
        """The transform gate ``T(x) = sigmoid(x W_T + b_T)`` for these inputs.

        One value in (0, 1) per unit and example: near 0 the layer carries its
        input through, near 1 it replaces it by ``H(x)``. Lecture 06 reads the
        gates before and after training.

        Args:
            inputs: the layer's input, ``(batch, ..., d)``; the layer must be built.

        Returns:
            Tensor ``(batch, ..., d)``.

        Raises:
            ValueError: if the layer has not been built yet.
        """
        if not self.built:
            raise _validate.error(
                "layer", self.name, "to be built (call it once or build() it first)"
            )
        z = ops.matmul(inputs, self.kernel[:, self.width :]) + self.bias[self.width :]
        return ops.sigmoid(z)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            activation=keras.activations.serialize(self.activation),
            transform_bias=self.transform_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
