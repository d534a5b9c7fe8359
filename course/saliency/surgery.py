"""Model surgery for the saliency methods of lecture 11: rebuilt graphs, never edits.

Every saliency method needs a variant of the classifier: one flat graph (tf-keras-vis
0.8.7 cannot reach a layer inside a nested base model, and its ``ReplaceToLinear``
reads ``model.output_names``, which Keras 3 ``Sequential`` models lack), logits
instead of softmax probabilities, or ReLUs with another backward pass. This module
builds those variants as new Functional graphs that call the very same layer objects,
so they share every weight with the original model, which is never changed; it plays
the part of tf-keras-vis' ``utils/model_modifiers.py``.

- :func:`as_functional` inlines Sequential, Functional and nested models into one
  flat graph; :func:`linear_output` does the same with the output activation
  removed (a class cannot raise its logit by lowering the others' scores).
- The backward rules replace the gradient of every ReLU (and ReLU6) with
  ``tf.custom_gradient``: guided backpropagation (Springenberg et al., "Striving
  for Simplicity: The All Convolutional Net", ICLR workshop 2015), the deconvnet
  rule (Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks",
  ECCV 2014; keras-vis calls it the ``"relu"`` backprop modifier) and Rectified
  Gradient (Kim et al., "Why are Saliency Maps Noisy? Cause of and Solution to
  Noisy Saliency Maps", 2019).
- :func:`find_layer` and :func:`feature_layers` name the layers a CAM method can
  weight, nested ones included.

TensorFlow only, like tf-keras-vis.

Used in lecture 11.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

from course import _validate

__all__ = ["as_functional", "feature_layers", "find_layer", "linear_output"]

# Longest list of names an error message spells out in full.
_MAX_LISTED = 40


def listed(names: Sequence[str]) -> str:
    """Names for an error message: all of them, or the last ``_MAX_LISTED``."""
    names = list(names)
    if len(names) <= _MAX_LISTED:
        return ", ".join(names)
    return f"{len(names)} names; the last {_MAX_LISTED}: " + ", ".join(
        names[-_MAX_LISTED:]
    )


def check_model(model) -> keras.Model:
    """Returns ``model`` if the rebuild can walk it: built, one input, one output."""
    model = _validate.model("model", model)
    if _is_sequential(model) and not model.built:
        raise _validate.error(
            "model",
            model.name,
            "to be built: give the Sequential model a keras.Input first or call it "
            "on data",
        )
    if not getattr(model, "inputs", None):
        raise _validate.error(
            "model",
            model.name,
            "to be a built Sequential or Functional model (with inputs)",
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise _validate.error(
            "model",
            model.name,
            f"to have one input and one output, not {len(model.inputs)} inputs and "
            f"{len(model.outputs)} outputs",
        )
    return model


# ------------------------------------------------------------- graph walking


def _is_sequential(model) -> bool:
    return isinstance(model, keras.Sequential)


def is_graph(model) -> bool:
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


def all_layers(model) -> list:
    """Every layer of ``model`` in graph order, nested models and their layers."""
    found = []
    for layer in _sublayers(model):
        found.append(layer)
        if is_graph(layer):
            found.extend(all_layers(layer))
    return found


def _output_leaf(model):
    """The innermost layer that produces ``model``'s output."""
    if _is_sequential(model):
        leaf = _sublayers(model)[-1]
    else:
        leaf = model.outputs[0]._keras_history.operation
    return _output_leaf(leaf) if is_graph(leaf) else leaf


def rebuild(model, replace: Callable | None = None, mark: str | None = None):
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
        elif is_graph(operation):
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
        raise _validate.error("mark", mark, "to name a layer")
    return inputs, output, tensors, operations


def _float32_logits(output):
    """An identity on ``output`` that casts it to float32 (mixed-precision logits)."""
    return keras.layers.Activation("linear", dtype="float32", name="logits")(output)


def working_model(model, suffix, *, rule=None, percentile=98.0, mark=None):
    """The flat logits model a saliency method differentiates.

    Args:
        model: a checked model.
        suffix: the new model is named ``"<name>_<suffix>"`` (the method).
        rule: ``None``, ``"guided"``, ``"deconvnet"`` or ``"rectified"``: the
            ReLUs' backward pass.
        percentile: Rectified Gradient's threshold percentile.
        mark: as for :func:`rebuild` (the CAM methods' feature layer).

    Returns:
        ``(work, tensors, operations)`` as :func:`rebuild` gives them, ``work``
        taking a list of one input: tf-keras-vis feeds one, and a list-input
        model takes it silently.
    """
    replace = _replacer(model, rule=rule, percentile=percentile)
    inputs, output, tensors, operations = rebuild(model, replace, mark=mark)
    work = keras.Model([inputs], _float32_logits(output), name=f"{model.name}_{suffix}")
    return work, tensors, operations


# ------------------------------------------------------------ layer replacement


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
    """``function`` (a ReLU, ReLU6, ...) with the guided backward pass.

    Springenberg et al. 2015: a unit passes a gradient back only where its input
    was positive *and* the gradient arriving from above is positive.
    """

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


def _deconvnet(function=tf.nn.relu):
    """``function`` with the deconvnet's backward pass (Zeiler & Fergus 2014).

    The deconvnet reconstructs an input pattern by passing the signal from above
    through a ReLU: only its positive part goes on, wherever the unit's input was
    - the backward gate of guided backpropagation without its forward gate.
    """

    @tf.custom_gradient
    def deconvnet(x):
        y, slope = _local_slope(function, x)
        # The slope only matters where a ReLU6 caps: there nothing passes.
        cap = tf.cast((slope > 0) | (x <= 0), x.dtype)

        def grad(dy):
            return cap * tf.nn.relu(dy)

        return y, grad

    return deconvnet


def _rectified(percentile: float, function=tf.nn.relu):
    """``function`` with Rectified Gradient's backward pass at ``percentile``.

    Kim et al. 2019: a unit passes a gradient back only where its importance
    score (activation times gradient) exceeds the ``percentile``-th percentile
    of the layer's scores.
    """

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
        if self.rule == "deconvnet":
            return _deconvnet(self._activation)(inputs)
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


def _replacer(model, rule=None, percentile=98.0):
    """The ``replace`` of :func:`rebuild`: a linear output, ReLUs under ``rule``."""
    output_leaf = _output_leaf(model)

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


# ------------------------------------------------------------------- public


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
    model = check_model(model)
    inputs, output, _, _ = rebuild(model)
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
    model = check_model(model)
    inputs, output, _, _ = rebuild(model, _replacer(model))
    return keras.Model(inputs, _float32_logits(output), name=f"{model.name}_linear")


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
    model = _validate.model("model", model)
    name = _validate.string("name", name)
    layers = all_layers(model)
    for layer in layers:
        if layer.name == name:
            return layer
    raise _validate.error(
        "name",
        name,
        f"to be one of the layers of {model.name!r}: "
        f"{listed(layer.name for layer in layers)}",
    )


def feature_layers(model) -> list[str]:
    """Names of the layers whose output is a 4-D feature map (the CAM choices).

    Args:
        model: as for :func:`as_functional`.

    Returns:
        Names in graph order, nested layers included; the CAM methods accept
        any of them as ``layer``.
    """
    model = check_model(model)
    _, _, tensors, _ = rebuild(model)
    return feature_names(tensors)


def feature_names(tensors) -> list[str]:
    """The names in ``tensors`` (from :func:`rebuild`) of 4-D feature maps."""
    return [name for name, tensor in tensors.items() if is_feature_map(tensor)]


def is_feature_map(tensor) -> bool:
    """Whether a rebuilt tensor is a 4-D ``(batch, height, width, channels)`` map."""
    return not isinstance(tensor, (list, tuple)) and len(tensor.shape) == 4


def default_feature_layer(tensors, operations) -> str:
    """The last layer's 4-D map of more than one position, poolings skipped."""
    candidates = [
        name
        for name, tensor in tensors.items()
        if is_feature_map(tensor)
        and (tensor.shape[1] or 2) * (tensor.shape[2] or 2) > 1
        and not is_graph(operations[name])
        and "Pooling" not in type(operations[name]).__name__
    ]
    if not candidates:
        raise _validate.error(
            "layer",
            None,
            "to name a layer for the CAM methods: the model has no 4-D feature map "
            "of more than one position to take by default",
        )
    return candidates[-1]
