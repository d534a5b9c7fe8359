"""Saliency maps and their sanity checks, on top of tf-keras-vis (lecture 11).

Which pixels made a classifier say "7"? Every method here answers with one map per
image, the size of the image, scaled to [0, 1]:

- ``vanilla``: the gradient of the class score with respect to the pixels,
  its magnitude reduced over the colour channels by their maximum (Simonyan,
  Vedaldi & Zisserman, "Deep Inside Convolutional Networks: Visualising Image
  Classification Models and Saliency Maps", ICLR workshop 2014) or their mean.
- ``smoothgrad``: the vanilla map averaged over noisy copies of the image
  (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017).
- ``guided``: guided backpropagation (Springenberg et al., "Striving for
  Simplicity: The All Convolutional Net", ICLR workshop 2015): every ReLU passes
  a gradient back only where its input was positive *and* the gradient arriving
  from above is positive.
- ``rectified``: Rectified Gradient (Kim et al., "Why are Saliency Maps Noisy?
  Cause of and Solution to Noisy Saliency Maps", 2019): every ReLU passes a
  gradient back only where the importance score (activation times gradient)
  exceeds the ``percentile``-th percentile of the layer's scores; the map is the
  rectified gradient times the input.
- ``gradcam``: Grad-CAM (Selvaraju et al., ICCV 2017): the feature maps of a
  convolutional layer weighted by their spatially averaged gradients.
- ``gradcam++``: Grad-CAM++ (Chattopadhay et al., WACV 2018), which weights each
  location's gradient with higher-order terms.
- ``scorecam`` and ``faster-scorecam``: Score-CAM (Wang et al., CVPRW 2020):
  each feature map, upsampled, masks the image and is weighted by the class
  probability of the masked image - no gradients. The faster variant keeps only
  the ``max_channels`` maps of largest variance.

The gradients and the three CAM methods are tf-keras-vis 0.8.7's own
(``Saliency``, ``Gradcam``, ``GradcamPlusPlus``, ``Scorecam``); SmoothGrad's noise
is drawn here, from a seeded generator, so that its maps repeat. What that release
lacks for Keras 3 is added here: its ``ReplaceToLinear`` reads
``model.output_names``, which Keras 3 ``Sequential`` models lack, and its Grad-CAM
cannot reach a layer inside a nested base model. :func:`as_functional` rebuilds
any Sequential, Functional or nested model as one flat Functional graph that
shares the original layers (and so their weights); :func:`linear_output` does the
same with the output activation removed (scores are logits, not softmax
probabilities, so one class cannot raise its score by lowering the others); and
guided and rectified backpropagation replace the backward pass of every ReLU (and
ReLU6) with ``tf.custom_gradient`` in that rebuilt graph. The original model is
never changed.

:func:`cascading_randomization` and :func:`label_randomization_check` are the two
sanity checks of Adebayo et al., "Sanity Checks for Saliency Maps" (NeurIPS 2018):
a map that barely changes when the weights are randomised, or when the network
was trained on shuffled labels, cannot be explaining what the network learned.

This module is TensorFlow-only (tf-keras-vis is), unlike the course's builders.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from numbers import Real

import keras
import numpy as np
import tensorflow as tf

from course import _validate

with warnings.catch_warnings():
    # tf-keras-vis 0.8.7 imports zoom from a SciPy namespace that SciPy now
    # marks deprecated; the function itself is unchanged.
    warnings.simplefilter("ignore", DeprecationWarning)
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.scores import CategoricalScore

__all__ = [
    "CAM_METHODS",
    "GRADIENT_METHODS",
    "METHODS",
    "REDUCTIONS",
    "SIMILARITY_THRESHOLD",
    "SaliencyImages",
    "as_functional",
    "cascading_randomization",
    "feature_layers",
    "find_layer",
    "label_randomization_check",
    "linear_output",
    "map_ssim",
    "randomization_summary",
    "rank_correlation",
    "saliency_map",
]

#: Every method, with what it computes.
METHODS = {
    "vanilla": "gradient of the class score w.r.t. the pixels (Simonyan et al. 2014)",
    "smoothgrad": "vanilla maps averaged over noisy copies (Smilkov et al. 2017)",
    "guided": "guided backpropagation through the ReLUs (Springenberg et al. 2015)",
    "rectified": "Rectified Gradient times input, percentile threshold (Kim et al. "
    "2019)",
    "gradcam": "feature maps weighted by averaged gradients (Selvaraju et al. 2017)",
    "gradcam++": "Grad-CAM with higher-order location weights (Chattopadhay et al. "
    "2018)",
    "scorecam": "feature maps weighted by the score of the masked image (Wang et "
    "al. 2020)",
    "faster-scorecam": "Score-CAM on the max_channels maps of largest variance",
}
#: Methods that backpropagate to the pixels (``reduce`` applies to them).
GRADIENT_METHODS = ("vanilla", "smoothgrad", "guided", "rectified")
#: Methods that weight the feature maps of one convolutional layer (``layer``).
CAM_METHODS = ("gradcam", "gradcam++", "scorecam", "faster-scorecam")
#: How the per-channel maps of a colour image become one map (seed 004).
REDUCTIONS = ("max", "mean")

#: Mean SSIM of trained and randomised maps from which :func:`randomization_summary`
#: says the maps survive the randomisation (a map this alike ignores the weights).
SIMILARITY_THRESHOLD = 0.5

# Longest list of names an error message spells out in full.
_MAX_LISTED = 40


# ----------------------------------------------------------------------- checks


def _received(name, value) -> str:
    return f"Received: {name}={value!r}"


def _check_model(model) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected model to be a keras.Model. {_received('model', model)}"
        )
    if not getattr(model, "inputs", None) and not _is_sequential(model):
        raise ValueError(
            "Expected model to be a built Sequential or Functional model (with "
            f"inputs). {_received('model', model.name)}"
        )
    if _is_sequential(model) and not model.built:
        raise ValueError(
            "Expected model to be built: give the Sequential model a keras.Input "
            f"first or call it on data. {_received('model', model.name)}"
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            "Expected model to have one input and one output. "
            f"Received: model={model.name!r} with {len(model.inputs)} inputs and "
            f"{len(model.outputs)} outputs"
        )
    return model


def _listed(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= _MAX_LISTED:
        return ", ".join(names)
    return f"{len(names)} names; the last {_MAX_LISTED}: " + ", ".join(
        names[-_MAX_LISTED:]
    )


def _check_images(model, images) -> np.ndarray:
    if isinstance(images, (str, bytes)) or images is None:
        raise TypeError(
            f"Expected images to be an array. {_received('images', images)}"
        )
    array = np.asarray(keras.ops.convert_to_numpy(images), dtype=np.float32)
    expected = tuple(model.inputs[0].shape[1:])
    if array.ndim == len(expected):
        array = array[None]
    if array.ndim != len(expected) + 1 or any(
        want is not None and have != want
        for have, want in zip(array.shape[1:], expected, strict=True)
    ):
        raise ValueError(
            f"Expected images of shape (N, {', '.join(map(str, expected))}) or one "
            f"image of shape {expected}. Received: images.shape={array.shape}"
        )
    if len(array) == 0 or not np.all(np.isfinite(array)):
        raise ValueError(
            "Expected at least one image, with finite values. "
            f"Received: images.shape={array.shape}"
        )
    return array


def _check_percentile(value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"Expected percentile to be a number. {_received('percentile', value)}"
        )
    if not 0 <= value < 100:
        raise ValueError(
            f"Expected percentile to be in [0, 100). {_received('percentile', value)}"
        )
    return float(value)


def _num_classes(model) -> int:
    shape = model.outputs[0].shape
    if len(shape) != 2 or shape[-1] is None:
        raise ValueError(
            "Expected a classifier with outputs of shape (batch, classes). "
            f"Received: model={model.name!r} with output shape {tuple(shape)}"
        )
    return int(shape[-1])


def _check_class_index(class_index, count: int, classes: int) -> list[int]:
    values = [class_index] * count if np.ndim(class_index) == 0 else class_index
    allowed = f"an integer in [0, {classes - 1}] (the model has {classes} classes)"
    if isinstance(values, (str, bytes)) or len(values) != count:
        raise ValueError(
            f"Expected class_index to be {allowed} or {count} such integers, one per "
            f"image. {_received('class_index', class_index)}"
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(
                f"Expected class_index to be {allowed}. "
                f"{_received('class_index', class_index)}"
            )
        if not 0 <= value < classes:
            raise ValueError(
                f"Expected class_index to be {allowed}. "
                f"{_received('class_index', class_index)}"
            )
    return [int(v) for v in values]


# ------------------------------------------------------------- graph rebuilding


def _is_sequential(model) -> bool:
    return isinstance(model, keras.Sequential)


def _is_graph(model) -> bool:
    """A Functional model (Sequential included) whose graph can be walked."""
    return isinstance(model, keras.Model) and (
        _is_sequential(model) or hasattr(model, "_run_through_graph")
    )


def _sublayers(model) -> list:
    """Layers of ``model`` without input layers (Sequential lists none)."""
    return [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]


def _all_layers(model) -> list:
    """Every layer of ``model`` in graph order, nested models and their layers."""
    found = []
    for layer in _sublayers(model):
        found.append(layer)
        if _is_graph(layer):
            found.extend(_all_layers(layer))
    return found


def _output_leaf(model):
    """The innermost layer that produces ``model``'s output."""
    if _is_sequential(model):
        leaf = _sublayers(model)[-1]
    else:
        leaf = model.outputs[0]._keras_history.operation
    return _output_leaf(leaf) if _is_graph(leaf) else leaf


def _rebuild(model, replace: Callable | None = None, mark: str | None = None):
    """One flat Functional graph of ``model``, nested models inlined.

    Args:
        model: a checked model.
        replace: ``replace(layer) -> callable or None``; a callable is called in
            the new graph instead of the layer (``None``: the layer itself).
        mark: name of a layer (or nested model) whose output passes through a
            new identity layer ``cam_features`` on its way on; that marker is
            returned in ``operations["cam_features"]``.

    Returns:
        ``(inputs, output, tensors, operations)``: the new input, the new
        output, and dicts from every layer name (nested models included) to its
        output tensor in the new graph and to the layer.
    """
    source = model.inputs[0]
    inputs = keras.Input(shape=tuple(source.shape[1:]), dtype=source.dtype)
    tensors, operations = {}, {}

    def run(operation, args, kwargs):
        if _is_sequential(operation):
            x = args[0]
            for layer in _sublayers(operation):
                x = run(layer, (x,), {})
            out = x
        elif _is_graph(operation):
            # Keras' own graph walker, with every operation routed through run()
            # so that nested models are inlined layer by layer.
            out = operation._run_through_graph(
                args[0],
                operation_fn=lambda op: lambda *a, **k: run(op, a, k),
            )
            if isinstance(out, (list, tuple)) and len(out) == 1:
                out = out[0]
        else:
            call = (replace(operation) if replace else None) or operation
            out = call(*args, **kwargs)
        if operation.name == mark:
            # An identity layer on the main path: it has a single node, so
            # tf-keras-vis can read its .output (a layer shared with the
            # original model has several), and the score depends on it, so
            # gradients reach it under mixed precision too.
            marker = keras.layers.Activation(
                "linear", name="cam_features", dtype=operation.dtype_policy
            )
            out = marker(out)
            operations["cam_features"] = marker
        tensors[operation.name] = out
        operations[operation.name] = operation
        return out

    output = run(model, (inputs,), {})
    del tensors[model.name], operations[model.name]
    if mark is not None and "cam_features" not in operations:
        raise ValueError(f"Expected mark to name a layer. {_received('mark', mark)}")
    return inputs, output, tensors, operations


class _CallWithActivation(keras.layers.Layer):
    """Calls a layer with another activation, sharing the layer's weights.

    The layer's ``activation`` attribute is swapped only for the duration of the
    call, so the original model is unchanged whenever it runs itself.
    """

    def __init__(self, layer, activation, suffix, **kwargs):
        super().__init__(
            name=f"{layer.name}_{suffix}", dtype=layer.dtype_policy, **kwargs
        )
        self.inner = layer
        self.new_activation = activation

    def call(self, inputs, *args, **kwargs):
        saved = self.inner.activation
        self.inner.activation = self.new_activation
        try:
            return self.inner(inputs, *args, **kwargs)
        finally:
            self.inner.activation = saved

    def compute_output_shape(self, input_shape):
        return self.inner.compute_output_shape(input_shape)


def _local_slope(function, x):
    """Elementwise derivative of an elementwise activation at ``x``."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = function(x)
    return y, tape.gradient(y, x)


def _guided(function=tf.nn.relu):
    """``function`` (a ReLU, ReLU6, ...) with the guided backward pass."""

    @tf.custom_gradient
    def guided(x):
        y, slope = _local_slope(function, x)

        def grad(dy):
            # Springenberg et al.: the forward gate (the ReLU's own slope) and
            # the backward gate (dy > 0) together; plain backprop has only the
            # first.
            return slope * tf.nn.relu(dy)

        return y, grad

    return guided


def _rectified(percentile: float, function=tf.nn.relu):
    """``function`` with Rectified Gradient's backward pass at ``percentile``."""

    @tf.custom_gradient
    def rectified(x):
        y, slope = _local_slope(function, x)

        def grad(dy):
            # Kim et al.: pass the gradient only where the importance score
            # a * dy exceeds the layer's q-th percentile, per image.
            importance = y * dy
            flat = tf.reshape(importance, (tf.shape(importance)[0], -1))
            size = tf.shape(flat)[1]
            rank = tf.cast(
                tf.round(percentile / 100.0 * tf.cast(size - 1, tf.float32)),
                tf.int32,
            )
            threshold = tf.gather(tf.sort(flat, axis=-1), rank, axis=-1)
            threshold = tf.reshape(threshold, [-1] + [1] * (len(importance.shape) - 1))
            return slope * dy * tf.cast(importance > threshold, dy.dtype)

        return y, grad

    return rectified


class _ReluRule(keras.layers.Layer):
    """A ReLU-family activation whose backward pass follows a rule."""

    def __init__(self, rule, percentile=98.0, max_value=None, **kwargs):
        super().__init__(**kwargs)
        self.rule = rule
        self.percentile = float(percentile)
        self.max_value = max_value

    def _activation(self, x):
        return keras.activations.relu(x, max_value=self.max_value)

    def call(self, inputs):
        if self.rule == "guided":
            return _guided(self._activation)(inputs)
        return _rectified(self.percentile, self._activation)(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


def _relu_cap(layer):
    """``(True, max_value)`` for a ReLU or ReLU6 layer or activation, else
    ``(False, None)``."""
    if isinstance(layer, keras.layers.ReLU):
        plain = float(layer.negative_slope) == 0 and float(layer.threshold) == 0
        return plain, layer.max_value
    activation = getattr(layer, "activation", None)
    if activation is keras.activations.relu:
        return True, None
    if activation is keras.activations.relu6:
        return True, 6.0
    return False, None


def _linear(x):
    return x


def _replacer(model, rule=None, percentile=98.0, linear=True):
    output_leaf = _output_leaf(model) if linear else None

    def replace(layer):
        if layer is output_leaf:
            if isinstance(layer, (keras.layers.Activation, keras.layers.Softmax)):
                return _linear
            if callable(getattr(layer, "activation", None)):
                return _CallWithActivation(layer, keras.activations.linear, "linear")
            return None
        is_relu, max_value = _relu_cap(layer)
        if rule is None or not is_relu:
            return None
        relu = _ReluRule(
            rule,
            percentile,
            max_value,
            name=f"{layer.name}_{rule}",
            dtype=layer.dtype_policy,
        )
        if isinstance(layer, keras.layers.ReLU) or isinstance(
            layer, keras.layers.Activation
        ):
            return relu
        pre = _CallWithActivation(layer, keras.activations.linear, "pre_relu")
        return lambda *a, **k: relu(pre(*a, **k))

    return replace


def as_functional(model) -> keras.Model:
    """The model as one flat Functional graph: Sequential and nested ones too.

    Keras 3 ``Sequential`` models have no ``output_names`` and a base model
    called as a layer hides its inner layers from the outer graph; both defeat
    tf-keras-vis 0.8.7. The flat graph calls the very same layer objects, so it
    shares every weight with ``model`` (training one trains the other).

    Args:
        model: a built ``keras.Sequential`` or Functional model with one input
            and one output; nested Sequential or Functional models are inlined.

    Returns:
        A Functional ``keras.Model`` named ``"<name>_flat"``.

    Raises:
        TypeError: ``model`` is not a ``keras.Model``.
        ValueError: it is not built, has several inputs or outputs, or two of
            its (nested) layers share a name.
    """
    model = _check_model(model)
    inputs, output, _, _ = _rebuild(model)
    return keras.Model(inputs, output, name=f"{model.name}_flat")


def linear_output(model) -> keras.Model:
    """The flat model with the output activation removed: it returns logits.

    The Keras-3-safe replacement for tf-keras-vis' ``ReplaceToLinear``. Through
    a softmax a class score can rise because the other classes' scores fall; the
    logit of the class responds to evidence for that class alone, which is what
    a saliency map should show. The last layer is called with a linear
    activation (a separate ``Activation``/``Softmax`` layer is skipped); its
    weights are still shared with ``model``.

    Args:
        model: as for :func:`as_functional`.

    Returns:
        A Functional ``keras.Model`` named ``"<name>_linear"`` whose output is
        cast to float32 (mixed-precision logits would otherwise be float16).
    """
    model = _check_model(model)
    inputs, output, _, _ = _rebuild(model, _replacer(model))
    output = keras.layers.Activation("linear", dtype="float32", name="logits")(output)
    return keras.Model(inputs, output, name=f"{model.name}_linear")


def find_layer(model, name):
    """The layer called ``name``, searched in nested models too.

    Args:
        model: a ``keras.Model``.
        name: a layer name (or the name of a nested model).

    Returns:
        The layer.

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: no layer has that name; the message lists the names there
            are.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected model to be a keras.Model. {_received('model', model)}"
        )
    if not isinstance(name, str):
        raise TypeError(f"Expected name to be a layer name. {_received('name', name)}")
    layers = _all_layers(model)
    for layer in layers:
        if layer.name == name:
            return layer
    raise ValueError(
        f"Expected name to be one of the layers of {model.name!r}: "
        f"{_listed(layer.name for layer in layers)}. {_received('name', name)}"
    )


def feature_layers(model) -> list[str]:
    """Names of the layers whose output is a 4-D feature map (the CAM choices).

    Args:
        model: as for :func:`as_functional`.

    Returns:
        Names in graph order, nested layers included; the CAM methods accept
        any of them as ``layer``.
    """
    model = _check_model(model)
    _, _, tensors, _ = _rebuild(model)
    return _feature_names(tensors)


def _feature_names(tensors) -> list[str]:
    return [name for name, tensor in tensors.items() if _is_feature_map(tensor)]


def _is_feature_map(tensor) -> bool:
    return not isinstance(tensor, (list, tuple)) and len(tensor.shape) == 4


def _default_feature_layer(tensors, operations) -> str:
    """The last layer's 4-D map of more than one position, poolings skipped."""
    candidates = [
        name
        for name, tensor in tensors.items()
        if _is_feature_map(tensor)
        and (tensor.shape[1] or 2) * (tensor.shape[2] or 2) > 1
        and not _is_graph(operations[name])
        and "Pooling" not in type(operations[name]).__name__
    ]
    if not candidates:
        raise ValueError(
            "Expected the model to have a layer with a 4-D feature map of more than "
            "one position for the CAM methods. Received: no such layer"
        )
    return candidates[-1]


# ------------------------------------------------------------------------- maps


def _normalize(maps: np.ndarray) -> np.ndarray:
    """Each map to [0, 1]; a constant map becomes zeros."""
    maps = np.nan_to_num(maps.astype(np.float64))
    axes = tuple(range(1, maps.ndim))
    low = maps.min(axis=axes, keepdims=True)
    span = maps.max(axis=axes, keepdims=True) - low
    scaled = np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0.0)
    return scaled.astype(np.float32)


def _reduce_channels(values: np.ndarray, reduce: str) -> np.ndarray:
    magnitude = np.abs(values)
    return magnitude.max(axis=-1) if reduce == "max" else magnitude.mean(axis=-1)


def _gradients(work, images, classes) -> np.ndarray:
    grads = Saliency(work, clone=False)(
        CategoricalScore(classes),
        images,
        keepdims=True,
        gradient_modifier=None,
        normalize_map=False,
    )
    return np.asarray(grads, dtype=np.float32)


def _gradient_map(model, images, classes, method, options) -> np.ndarray:
    rule = {"guided": "guided", "rectified": "rectified"}.get(method)
    inputs, output, _, _ = _rebuild(
        model, _replacer(model, rule=rule, percentile=options["percentile"])
    )
    output = keras.layers.Activation("linear", dtype="float32", name="logits")(output)
    # tf-keras-vis feeds a list of inputs: a list-input model takes it silently.
    work = keras.Model([inputs], output, name=f"{model.name}_{method}")
    if method != "smoothgrad":
        grads = _gradients(work, images, classes)
        if method == "rectified":
            grads = grads * images
        return _reduce_channels(grads, options["reduce"])
    samples = options["smooth_samples"]
    rng = np.random.default_rng(options["seed"])
    axes = tuple(range(1, images.ndim))
    spread = images.max(axis=axes, keepdims=True) - images.min(axis=axes, keepdims=True)
    sigma = options["smooth_noise"] * np.where(spread > 0, spread, 1.0)
    noisy = images[None] + rng.normal(size=(samples,) + images.shape) * sigma
    grads = _gradients(
        work,
        noisy.reshape((-1,) + images.shape[1:]).astype(np.float32),
        list(classes) * samples,
    )
    maps = _reduce_channels(grads, options["reduce"])
    return maps.reshape((samples, len(images)) + maps.shape[1:]).mean(axis=0)


def _cam_map(model, images, classes, method, layer, options) -> np.ndarray:
    # A first, plain pass finds the feature maps; the second marks the chosen one.
    _, _, tensors, operations = _rebuild(model)
    if layer is None:
        layer = _default_feature_layer(tensors, operations)
    else:
        if layer not in tensors or not _is_feature_map(tensors[layer]):
            raise ValueError(
                "Expected layer to name a layer with a 4-D output (batch, height, "
                f"width, channels): {_listed(_feature_names(tensors))}. "
                f"{_received('layer', layer)} (output shape "
                f"{tuple(getattr(tensors.get(layer), 'shape', ()))})"
            )
    inputs, output, tensors, operations = _rebuild(model, _replacer(model), mark=layer)
    marker = operations["cam_features"]
    features = tensors[layer]
    output = keras.layers.Activation("linear", dtype="float32", name="logits")(output)
    # tf-keras-vis feeds a list of inputs: a list-input model takes it silently.
    work = keras.Model([inputs], output, name=f"{model.name}_{method}")
    score = CategoricalScore(classes)
    common = dict(
        penultimate_layer=marker,
        seek_penultimate_conv_layer=False,
        normalize_cam=False,
    )
    if method == "gradcam":
        cam = Gradcam(work, clone=False)(score, images, **common)
    elif method == "gradcam++":
        cam = GradcamPlusPlus(work, clone=False)(score, images, **common)
    else:
        channels = int(features.shape[-1])
        max_n = None
        if method == "faster-scorecam":
            max_n = min(options["max_channels"], channels)
        scorer = Scorecam(work, clone=False)
        scorer.model = _QuietPredict(work)
        cam = scorer(
            score, images, max_N=max_n, batch_size=options["batch_size"], **common
        )
    cam = np.asarray(cam, dtype=np.float32)
    if cam.ndim == 2:
        cam = cam[None]
    return cam


class _QuietPredict:
    """A model whose ``predict`` runs eagerly in batches, without progress bars.

    Score-CAM calls ``predict`` on a fresh working model each time; Keras would
    print a progress bar and trace a new ``tf.function`` for every one.
    """

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        return getattr(self._model, name)

    def predict(self, inputs, batch_size=32, **_):
        x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        parts = [
            keras.ops.convert_to_numpy(
                self._model([x[i : i + batch_size]], training=False)
            )
            for i in range(0, len(x), batch_size)
        ]
        return np.concatenate(parts)


def _predicted_classes(model, images) -> list[int]:
    # An eager call: predict() would trace a new function for every model. A
    # model built on a list of one input warns that it got a bare array; both
    # mean the same to it.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        outputs = keras.ops.convert_to_numpy(model(images, training=False))
    return [int(c) for c in np.argmax(outputs, axis=-1)]


def saliency_map(
    model,
    images,
    class_index=None,
    method="vanilla",
    *,
    layer=None,
    reduce="max",
    normalize=True,
    smooth_samples=20,
    smooth_noise=0.2,
    percentile=98.0,
    max_channels=10,
    batch_size=32,
    seed=0,
):
    """Saliency maps of ``images`` for one class each, by any of :data:`METHODS`.

    Works on built Sequential, Functional and nested Keras 3 models (see
    :func:`as_functional`), under mixed precision too; the model is not changed.
    Class scores are logits (:func:`linear_output`); Score-CAM applies the softmax
    to them itself, as in its paper.

    Args:
        model: a classifier with one input and one ``(batch, classes)`` output.
        images: a batch ``(N, *input_shape)`` or one image ``input_shape``.
        class_index: the class whose score is explained, one for all images or
            one per image; ``None`` takes each image's predicted class.
        method: a key of :data:`METHODS`.
        layer: CAM methods only: name of the layer whose feature maps are
            weighted (nested layers included; :func:`feature_layers` lists
            them). ``None`` takes the last non-pooling layer with a feature map
            of more than one position - the last convolutional stage.
        reduce: gradient methods only: ``"max"`` (Simonyan et al.) or
            ``"mean"`` of the per-channel magnitudes. A CAM has no colour
            channels to reduce, so CAM methods do not use it.
        normalize: scale each map to [0, 1] (a constant map becomes zeros).
        smooth_samples: noisy copies per image for SmoothGrad, >= 1.
        smooth_noise: SmoothGrad noise standard deviation as a fraction of each
            image's value range (the paper: 10-20%).
        percentile: Rectified Gradient's threshold percentile q in [0, 100).
        max_channels: feature maps kept by Faster Score-CAM, >= 1.
        batch_size: batch size of Score-CAM's masked predictions, >= 1.
        seed: seed of SmoothGrad's noise.

    Returns:
        float32 maps of shape ``(N, height, width)``, finite.

    Raises:
        TypeError: for arguments of the wrong type.
        ValueError: an unknown method, a class index outside ``[0, classes)``,
            a layer that does not exist or has no 4-D output, ``layer`` given to
            a gradient method, images of the wrong shape; messages list the
            allowed values.
    """
    model = _check_model(model)
    _validate.choice("method", method, tuple(METHODS))
    _validate.choice("reduce", reduce, REDUCTIONS)
    if not isinstance(normalize, bool):
        raise TypeError(
            f"Expected normalize to be a bool. {_received('normalize', normalize)}"
        )
    if layer is not None and method not in CAM_METHODS:
        raise ValueError(
            f"Expected layer=None for the gradient method {method!r}: only "
            f"{CAM_METHODS} use a layer. {_received('layer', layer)}"
        )
    if layer is not None:
        if not isinstance(layer, str):
            raise TypeError(
                f"Expected layer to be a layer name. {_received('layer', layer)}"
            )
        find_layer(model, layer)
    options = {
        "reduce": reduce,
        "smooth_samples": _validate.positive_int("smooth_samples", smooth_samples),
        "smooth_noise": _validate.non_negative("smooth_noise", smooth_noise),
        "percentile": _check_percentile(percentile),
        "max_channels": _validate.positive_int("max_channels", max_channels),
        "batch_size": _validate.positive_int("batch_size", batch_size),
        "seed": _validate.positive_int("seed", seed, minimum=0),
    }
    images = _check_images(model, images)
    classes_count = _num_classes(model)
    if class_index is None:
        class_index = _predicted_classes(model, images)
    classes = _check_class_index(class_index, len(images), classes_count)
    if method in GRADIENT_METHODS:
        maps = _gradient_map(model, images, classes, method, options)
    else:
        maps = _cam_map(model, images, classes, method, layer, options)
    maps = np.nan_to_num(np.asarray(maps, dtype=np.float32))
    return _normalize(maps) if normalize else maps


# ---------------------------------------------------------------- similarities


def _pair(a, b):
    a = np.asarray(keras.ops.convert_to_numpy(a), dtype=np.float64)
    b = np.asarray(keras.ops.convert_to_numpy(b), dtype=np.float64)
    if a.shape != b.shape or a.size < 2:
        raise ValueError(
            "Expected two maps of the same shape with at least two values. "
            f"Received: a.shape={a.shape}, b.shape={b.shape}"
        )
    return a, b


def rank_correlation(a, b) -> float:
    """Spearman rank correlation of two maps, as Adebayo et al. compare them.

    Args:
        a: a map, any shape.
        b: a map of the same shape.

    Returns:
        The correlation in [-1, 1]; 1.0 for equal maps, 0.0 when only one of
        them is constant (no ranking to agree with).
    """
    from scipy.stats import spearmanr

    a, b = _pair(a, b)
    if np.array_equal(a, b):
        return 1.0
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def map_ssim(a, b) -> float:
    """Structural similarity of two 2-D maps, each first scaled to [0, 1].

    Args:
        a: a map ``(H, W)``, H and W >= 7.
        b: a map of the same shape.

    Returns:
        Mean SSIM (``course.metrics.ssim``, 7x7 windows).
    """
    from course import metrics

    a, b = _pair(a, b)
    if a.ndim != 2:
        raise ValueError(
            f"Expected 2-D maps (H, W). Received: a.shape={a.shape}, b.shape={b.shape}"
        )
    scaled = _normalize(np.stack([a, b]))
    return metrics.ssim(scaled[0], scaled[1], data_range=1.0)


def _similarities(reference, maps) -> dict:
    return {
        "rank_correlation": float(
            np.mean(
                [rank_correlation(r, m) for r, m in zip(reference, maps, strict=True)]
            )
        ),
        "ssim": float(
            np.mean([map_ssim(r, m) for r, m in zip(reference, maps, strict=True)])
        ),
    }


# --------------------------------------------------------------- sanity checks


def _clone(model) -> keras.Model:
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _randomizable(model) -> list[str]:
    """Layers with a kernel, output first: the cascade's order."""
    names = [
        layer.name
        for layer in _all_layers(model)
        if not _is_graph(layer)
        and any("kernel" in weight.name for weight in layer.trainable_weights)
    ]
    return names[::-1]


def _reinitialize(layer, seed: int) -> None:
    """Draws the layer's weights again from its own initialisers."""
    for index, weight in enumerate(layer.weights):
        if not weight.trainable:
            continue
        initializer = getattr(layer, f"{weight.name}_initializer", None)
        if initializer is None and weight.name.endswith("_kernel"):
            initializer = getattr(
                layer, weight.name.replace("_kernel", "_initializer"), None
            )
        if initializer is not None:
            config = initializer.get_config()
            if "seed" in config:
                config["seed"] = seed + index
            initializer = initializer.__class__.from_config(config)
            value = initializer(tuple(weight.shape), dtype=weight.dtype)
        else:
            values = keras.ops.convert_to_numpy(weight)
            rng = np.random.default_rng(seed + index)
            value = rng.normal(0.0, float(np.std(values)) or 0.05, values.shape)
        weight.assign(keras.ops.cast(value, weight.dtype))


def cascading_randomization(
    model,
    images,
    class_index=None,
    method="vanilla",
    *,
    layers=None,
    seed=0,
    **map_options,
):
    """Adebayo et al.'s model-parameter randomisation test, cascading.

    Starting from the output, the weights of one layer after another are drawn
    again from their initialisers (on a copy; ``model`` is untouched) until every
    convolutional and dense layer is random - batch-norm scales and statistics
    stay as trained unless ``layers`` names them - and after each step the maps
    are computed again and compared with the trained model's maps. A method that
    explains the network must give maps that drift away; maps that stay similar show
    what the method computes regardless of the learned weights (Adebayo et al.
    found guided backpropagation to be the clearest case).

    Args:
        model: the trained classifier.
        images: the images to explain.
        class_index: as for :func:`saliency_map` (``None``: the trained model's
            predictions, kept fixed for the randomised models).
        method: a key of :data:`METHODS`.
        layers: names of the layers to randomise, in this order; default every
            layer with a kernel (convolutional and dense), output first.
        seed: seed of the new weights.
        **map_options: passed to :func:`saliency_map` (``layer``, ``reduce``, ...).

    Returns:
        A list of dicts, one per step: ``{"layer": the layer randomised last,
        "randomized": layers randomised so far, "rank_correlation": ..., "ssim":
        ..., "maps": the maps}``, similarities averaged over the images. The
        first entry, ``layer=None``, compares the trained maps with themselves
        (1.0).

    Raises:
        ValueError: as :func:`saliency_map`, or for an unknown layer in
            ``layers``.
    """
    model = _check_model(model)
    seed = _validate.positive_int("seed", seed, minimum=0)
    images = _check_images(model, images)
    if class_index is None:
        class_index = _predicted_classes(model, images)
    reference = saliency_map(
        model, images, class_index, method, seed=seed, **map_options
    )
    if layers is None:
        layers = _randomizable(model)
    elif isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
        raise TypeError(
            "Expected layers to be a non-empty list of layer names. "
            + _received("layers", layers)
        )
    for name in layers:
        find_layer(model, name)
    clone = _clone(model)
    steps = [
        {
            "layer": None,
            "randomized": 0,
            **_similarities(reference, reference),
            "maps": reference,
        }
    ]
    for count, name in enumerate(layers, start=1):
        _reinitialize(find_layer(clone, name), seed + 1000 * count)
        maps = saliency_map(
            clone, images, class_index, method, seed=seed, **map_options
        )
        steps.append(
            {
                "layer": name,
                "randomized": count,
                **_similarities(reference, maps),
                "maps": maps,
            }
        )
    return steps


def randomization_summary(steps, threshold=SIMILARITY_THRESHOLD) -> dict:
    """One verdict from :func:`cascading_randomization`'s steps.

    Args:
        steps: the list it returned.
        threshold: mean SSIM over the randomisation steps at or above which the
            maps count as surviving the randomisation, in [0, 1].

    Returns:
        ``{"rank_correlation": mean, "ssim": mean, "final_rank_correlation":
        ..., "final_ssim": ..., "verdict": "changes" or "survives"}``, means
        over every step after the trained model's own.
    """
    threshold = _validate.fraction("threshold", threshold, inclusive_one=True)
    if (
        not isinstance(steps, Sequence)
        or len(steps) < 2
        or not all(isinstance(step, dict) and "ssim" in step for step in steps)
    ):
        raise ValueError(
            "Expected steps to be the list returned by cascading_randomization. "
            f"Received: steps={steps!r}"
        )
    rank = float(np.mean([step["rank_correlation"] for step in steps[1:]]))
    ssim = float(np.mean([step["ssim"] for step in steps[1:]]))
    return {
        "rank_correlation": rank,
        "ssim": ssim,
        "final_rank_correlation": float(steps[-1]["rank_correlation"]),
        "final_ssim": float(steps[-1]["ssim"]),
        "verdict": "survives" if ssim >= threshold else "changes",
    }


def label_randomization_check(
    build_model,
    x,
    y,
    images,
    class_index,
    methods=("vanilla",),
    *,
    epochs=5,
    batch_size=64,
    learning_rate=1e-3,
    seed=0,
    **map_options,
):
    """Adebayo et al.'s data randomisation test: true labels against shuffled ones.

    Two copies of one architecture are trained the same way, one on ``y`` and
    one on a random permutation of ``y``, which only memorisation can fit. Maps
    of the two are compared per method: a method whose maps stay alike cannot be
    explaining the relation between images and labels that the first network
    learned.

    Args:
        build_model: callable returning a fresh, uncompiled classifier.
        x: training images.
        y: integer training labels.
        images: the images to explain.
        class_index: the class explained, one or one per image.
        methods: one method or a sequence of keys of :data:`METHODS`.
        epochs: training epochs of each network, >= 1.
        batch_size: batch size, >= 1.
        learning_rate: Adam learning rate, > 0.
        seed: seed of the initialisation, the permutation and the maps.
        **map_options: passed to :func:`saliency_map`.

    Returns:
        ``{"train_accuracy": {"true": ..., "random": ...}, "methods": {method:
        {"rank_correlation": ..., "ssim": ...}}}``; the training accuracies say
        how far the shuffled labels were memorised.
    """
    if not callable(build_model):
        raise TypeError(
            "Expected build_model to be a callable returning a model. "
            + _received("build_model", build_model)
        )
    methods = [methods] if isinstance(methods, str) else list(methods)
    for method in methods:
        _validate.choice("methods", method, tuple(METHODS))
    epochs = _validate.positive_int("epochs", epochs)
    batch_size = _validate.positive_int("batch_size", batch_size)
    learning_rate = _validate.non_negative("learning_rate", learning_rate)
    if learning_rate == 0:
        raise ValueError(f"Expected learning_rate > 0. {_received('learning_rate', 0)}")
    seed = _validate.positive_int("seed", seed, minimum=0)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y).astype(np.int64)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(
            "Expected x and y to hold equally many (at least one) examples. "
            f"Received: len(x)={len(x)}, len(y)={len(y)}"
        )
    shuffled = np.random.default_rng(seed).permutation(y)
    trained, accuracy = {}, {}
    for kind, labels in (("true", y), ("random", shuffled)):
        keras.utils.set_random_seed(seed)
        net = build_model()
        net.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        net.fit(x, labels, batch_size=batch_size, epochs=epochs, verbose=0)
        accuracy[kind] = float(net.evaluate(x, labels, verbose=0)[1])
        trained[kind] = net
    report = {}
    for method in methods:
        maps = {
            kind: saliency_map(
                net, images, class_index, method, seed=seed, **map_options
            )
            for kind, net in trained.items()
        }
        report[method] = _similarities(maps["true"], maps["random"])
    return {"train_accuracy": accuracy, "methods": report}


# ------------------------------------------------------------------ TensorBoard


class SaliencyImages(keras.callbacks.Callback):
    """Writes saliency maps of fixed images to TensorBoard while a model trains.

    Each map is laid over its image (``course.plots.overlay_rgb``) and written
    as an image summary ``saliency/<method>`` in ``<log_dir>/saliency``, next to
    the TensorBoard callback's ``train`` and ``validation`` folders; the IMAGES
    tab then shows how the evidence the network uses sharpens epoch by epoch.

    Args:
        images: the images to explain (a few).
        class_index: the class explained, one or one per image (``None``: the
            current prediction).
        method: a key of :data:`METHODS`, or a sequence of them.
        log_dir: the run folder, e.g. ``course.training.callbacks(...).run_dir``.
        every: write every this many epochs, >= 1.
        **map_options: passed to :func:`saliency_map`.
    """

    def __init__(
        self,
        images,
        class_index,
        method="vanilla",
        log_dir=None,
        every=1,
        **map_options,
    ):
        super().__init__()
        methods = [method] if isinstance(method, str) else list(method)
        for each in methods:
            _validate.choice("method", each, tuple(METHODS))
        if not isinstance(log_dir, (str, os.PathLike)) or not str(log_dir):
            raise TypeError(
                f"Expected log_dir to be a folder path. {_received('log_dir', log_dir)}"
            )
        self.images = np.asarray(images, dtype=np.float32)
        self.class_index = class_index
        self.methods = methods
        self.log_dir = os.path.join(os.fspath(log_dir), "saliency")
        self.every = _validate.positive_int("every", every)
        self.map_options = map_options
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        from course import plots

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            for method in self.methods:
                maps = saliency_map(
                    self.model,
                    self.images,
                    self.class_index,
                    method,
                    **self.map_options,
                )
                pictures = np.stack(
                    [
                        plots.overlay_rgb(i, m)
                        for i, m in zip(self.images, maps, strict=True)
                    ]
                )
                tf.summary.image(
                    f"saliency/{method}",
                    pictures,
                    step=epoch,
                    max_outputs=len(pictures),
                )
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
