"""What every builder of :mod:`course.models` shares: the top and its rule.

Every classifier in the package ends the same way, as in Keras Applications: an
optional pooling or flattening of the last feature map, optional hidden dense
layers (with dropout), and a dense layer named ``predictions`` with
``num_classes`` units and ``classifier_activation``. :func:`classifier` builds
that head, :func:`pixel_classifier` its fully convolutional twin (a 1x1
convolution named ``predictions``, lecture 09's segmentation networks), and
:func:`check_top` is the one rule for the shared vocabulary ``input_shape``,
``num_classes``, ``include_top`` and ``classifier_activation``: it checks them
before anything is built and returns a :class:`Top` that builds the inputs and
the head. ``"auto"`` as a classifier activation means sigmoid for one class and
softmax otherwise.

Also here: the ImageNet/CIFAR stem that ResNet and DenseNet share (their
``conv1``, with Keras Applications' layer names), the tuple of stems every
ImageNet family accepts, and the argument checks the builders add to
:mod:`course._validate` (activations, fixed-length width tuples). Nothing here
imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from course import _validate

#: The stems of the ImageNet families: the paper's, or one for 32x32 images.
STEMS = ("imagenet", "cifar")


def activation(name, value, *, num_classes=None, names_only=False):
    """Returns ``value`` if Keras accepts it as an activation.

    Args:
        name: the argument's name, for the message.
        value: ``None`` (linear), a callable or the name of a Keras activation;
            ``"auto"`` too when ``num_classes`` is given.
        num_classes: resolves ``"auto"``: sigmoid for one class, else softmax.
        names_only: accept only non-empty strings (a ``TypeError`` otherwise).

    Returns:
        ``value``, or the activation ``"auto"`` stands for.

    Raises:
        ValueError: for a value Keras does not know as an activation (the type
            Keras itself raises).
        TypeError: for a value that is not a string, with ``names_only``.
    """
    if names_only:
        if not isinstance(value, str) or not value:
            raise _validate.error(
                name, value, "to be the name of a Keras activation", TypeError
            )
        expected = "to be the name of a Keras activation"
    else:
        if value is None:
            return None
        if num_classes is not None and isinstance(value, str) and value == "auto":
            return "sigmoid" if num_classes == 1 else "softmax"
        expected = "to be None, a callable or the name of a Keras activation"
    try:
        keras.activations.get(value)
    except (ValueError, TypeError, KeyError):
        raise _validate.error(name, value, expected) from None
    return value


def positive_ints(name, value, expected, *, length=None, allow_empty=False):
    """Returns ``value`` as a tuple of positive ints, of ``length`` entries if given.

    Args:
        name: the argument's name.
        value: the sequence to check.
        expected: what the message says was expected, e.g. ``"to be 5 positive
            integers (conv1 ... conv5)"``.
        length: the number of entries required, or ``None`` for any.
        allow_empty: accept an empty sequence (e.g. an MLP without hidden layers).

    Raises:
        ValueError: for anything else (a string, a number, a zero or a bool).
    """
    empty = (
        allow_empty
        and not isinstance(value, str)
        and hasattr(value, "__len__")
        and len(value) == 0
    )
    try:
        values = () if empty else _validate.positive_ints(name, value)
    except ValueError:
        raise _validate.error(name, value, expected) from None
    if length is not None and len(values) != length:
        raise _validate.error(name, value, expected)
    return values


@dataclass(frozen=True)
class Top:
    """The checked shared arguments of a builder; builds its inputs and head.

    Attributes:
        input_shape: shape of one example, a tuple of positive ints.
        num_classes: units of ``predictions``.
        include_top: whether :meth:`head` adds the classifier.
        classifier_activation: activation of ``predictions`` (``"auto"``
            already resolved).
    """

    input_shape: tuple
    num_classes: int
    include_top: bool
    classifier_activation: object

    def require_size(self, minimum, why, stem=None):
        """Raises unless height and width are at least ``minimum``.

        Args:
            minimum: smallest side the network accepts.
            why: the reason, in the message's parentheses.
            stem: the builder's stem; ``"imagenet"`` adds the hint that the
                CIFAR stem takes smaller images.
        """
        if min(self.input_shape[:2]) < minimum:
            hint = "; use stem='cifar' for small images" if stem == "imagenet" else ""
            raise _validate.error(
                "input_shape",
                self.input_shape,
                f"of at least {minimum}x{minimum} ({why}{hint})",
            )

    def inputs(self):
        """The model's ``keras.Input``, named ``inputs``."""
        return keras.Input(shape=self.input_shape, name="inputs")

    def head(self, x, **options):
        """:func:`classifier` on ``x`` with ``include_top``; else ``x`` itself."""
        if not self.include_top:
            return x
        return classifier(x, self.num_classes, self.classifier_activation, **options)

    def pixel_head(self, x, name="predictions"):
        """:func:`pixel_classifier` on ``x``: the fully convolutional head."""
        return pixel_classifier(x, self.num_classes, self.classifier_activation, name)


def check_top(
    input_shape,
    num_classes,
    include_top=True,
    classifier_activation="softmax",
    rank=3,
):
    """The ``include_top`` rule: checks the vocabulary every builder shares.

    Args:
        input_shape: ``(height, width, channels)`` (``rank=3``), or a shape of
            any rank (``rank=None``, for the dense networks).
        num_classes: number of classes, >= 1 (checked even without the top).
        include_top: a bool.
        classifier_activation: ``None``, a callable, a Keras activation name or
            ``"auto"`` (sigmoid for one class, softmax otherwise).
        rank: the rank ``input_shape`` must have, or ``None``.

    Returns:
        A :class:`Top`.

    Raises:
        ValueError: for a bad shape, ``num_classes`` < 1 or an unknown
            activation.
        TypeError: for arguments of the wrong type.
    """
    input_shape = _validate.shape("input_shape", input_shape, rank=rank)
    num_classes = _validate.positive_int("num_classes", num_classes)
    include_top = _validate.boolean("include_top", include_top)
    classifier_activation = activation(
        "classifier_activation", classifier_activation, num_classes=num_classes
    )
    return Top(input_shape, num_classes, include_top, classifier_activation)


def classifier(
    x,
    num_classes,
    classifier_activation,
    *,
    pooling=None,
    pool_name=None,
    hidden=(),
    hidden_units=4096,
    hidden_activation="relu",
    dropout=0.0,
    dropout_names=None,
    name="predictions",
    **dense_options,
):
    """The classification head: pooling, hidden dense layers, ``predictions``.

    Args:
        x: the last feature map, or a vector per example.
        num_classes: units of the classifier.
        classifier_activation: its activation (``None`` for logits).
        pooling: ``None`` (``x`` is already a vector), ``"avg"`` (global average
            pooling, named ``avg_pool`` by default, as in ResNet) or
            ``"flatten"`` (named ``flatten``, as in AlexNet and VGG, whose dense
            layers keep the map's layout).
        pool_name: the pooling layer's name, if not the default.
        hidden: names of the hidden dense layers, e.g. ``("fc1", "fc2")``.
        hidden_units: units of every hidden layer.
        hidden_activation: their activation.
        dropout: rate of the dropout after each hidden layer, or after the
            pooling when there is none (GoogLeNet's 40%); 0 adds none.
        dropout_names: names of the dropout layers; by default
            ``{hidden}_dropout`` for each hidden layer (required without them).
        name: the classifier's name.
        **dense_options: passed on to the classifier's ``Dense`` (e.g. the
            MLP's ``kernel_regularizer``).

    Returns:
        Tensor ``(batch, num_classes)``.
    """
    if pooling == "avg":
        x = keras.layers.GlobalAveragePooling2D(name=pool_name or "avg_pool")(x)
    elif pooling == "flatten":
        x = keras.layers.Flatten(name=pool_name or "flatten")(x)
    if dropout_names is None:
        dropout_names = [f"{layer}_dropout" for layer in hidden]
    dropouts = iter(dropout_names)
    if dropout and not hidden:
        x = keras.layers.Dropout(dropout, name=next(dropouts))(x)
    for layer in hidden:
        x = keras.layers.Dense(hidden_units, activation=hidden_activation, name=layer)(
            x
        )
        if dropout:
            x = keras.layers.Dropout(dropout, name=next(dropouts))(x)
    return keras.layers.Dense(
        num_classes, activation=classifier_activation, name=name, **dense_options
    )(x)


def pixel_classifier(x, num_classes, classifier_activation, name="predictions"):
    """The head of a fully convolutional network: a 1x1 convolution per pixel.

    Args:
        x: the last feature map ``(batch, height, width, channels)``.
        num_classes: output channels.
        classifier_activation: their activation (``"auto"`` resolved by
            :func:`check_top`).
        name: the layer's name.

    Returns:
        Tensor ``(batch, height, width, num_classes)``.
    """
    return keras.layers.Conv2D(
        num_classes, 1, activation=classifier_activation, name=name
    )(x)


def stem(x, filters, stem="imagenet", activation="relu"):
    """``conv1`` of ResNet and DenseNet, and its CIFAR variant.

    He et al. (CVPR 2016) and Huang et al. (CVPR 2017), Table 1: a 7x7 stride-2
    convolution, batch norm, ReLU and a 3x3 stride-2 max pool (downsampling by
    4). The CIFAR stem is a 3x3 stride-1 convolution without the pool, so a
    32x32 image keeps its size. Convolutions have no bias (batch norm follows).

    Args:
        x: the input tensor.
        filters: filters of ``conv1_conv``.
        stem: ``"imagenet"`` or ``"cifar"``.
        activation: the nonlinearity (the layer keeps the name ``conv1_relu``).

    Returns:
        The stem's output: layers ``conv1_pad``, ``conv1_conv``, ``conv1_bn``,
        ``conv1_relu``, ``pool1_pad``, ``pool1_pool`` (the pads and the pool with
        the imagenet stem only).
    """
    if stem == "imagenet":
        x = keras.layers.ZeroPadding2D(3, name="conv1_pad")(x)
        x = keras.layers.Conv2D(
            filters, 7, strides=2, use_bias=False, name="conv1_conv"
        )(x)
    else:
        x = keras.layers.Conv2D(
            filters, 3, padding="same", use_bias=False, name="conv1_conv"
        )(x)
    x = keras.layers.BatchNormalization(name="conv1_bn")(x)
    x = keras.layers.Activation(activation, name="conv1_relu")(x)
    if stem == "imagenet":
        x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    return x
