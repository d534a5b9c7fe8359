"""The lecture's recipe: a frozen base with a new head, then fine-tuning.

Lecture 07 uses a pretrained network in two ways (seed 002) and teaches a
three-step recipe (seed 004):

1. take a network trained on a large source task (the *base*);
2. put a new head on it and train only the head, the base frozen
   (:func:`feature_extractor`);
3. unfreeze the last convolutional blocks and train on at a very low learning
   rate (:func:`fine_tune`), so the pretrained weights move only a little.

Why it works is the finding of Yosinski et al., "How transferable are features
in deep neural networks?" (NeurIPS 2014): the first layers of a network learn
general features (edges, colour blobs) that transfer to almost any image task,
the last layers features specific to the source task; fine-tuning the copied
layers recovers what a frozen, too specific, cut loses.

Every head is built on ``base.output`` (or on an inner layer's output) in the
base's own graph, never by calling the base as a nested layer: the result is one
flat Functional model whose inner layers Grad-CAM and other saliency methods can
look up by name.

Batch normalisation is the known pitfall. A Keras 3 ``BatchNormalization``
layer whose ``trainable`` is ``False`` runs in inference mode: it normalises with
the moving statistics learned on the source task and does not update them.
Unfreezing it on a small target set would replace those statistics with noisy
estimates from a few batches and undo much of the pretraining, so
:func:`fine_tune` keeps every batch-norm layer frozen unless told otherwise.

Used in lectures 07 and 13.
"""

from __future__ import annotations

import keras
import numpy as np

from course import _validate, config

_LOSS = "sparse_categorical_crossentropy"


def _check_layer_name(model: keras.Model, name: str, value) -> str:
    """Returns ``value`` if it names a layer of ``model``."""
    _validate.string(name, value)
    names = [layer.name for layer in model.layers]
    if value not in names:
        # A few names as examples: MobileNetV2 alone has 150 layers.
        examples = ", ".join(names[-4:])
        raise _validate.error(
            name, value, f"to name a layer of {model.name!r} (e.g. {examples})"
        )
    return value


def _check_pair(name: str, value) -> tuple[np.ndarray, np.ndarray]:
    """Returns ``value`` as ``(x, y)`` arrays with one label per input."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise _validate.error(name, value, "to be a pair (x, y)", TypeError)
    x, y = np.asarray(value[0]), np.asarray(value[1])
    if len(x) == 0:
        raise _validate.error(f"{name}[0]", x, "to hold at least one input")
    if len(y) != len(x):
        raise _validate.error(
            f"{name}[1]", y, f"to hold one label per input ({len(x)} inputs)"
        )
    return x, y


def _compile(model, learning_rate, loss=_LOSS, metrics=("accuracy",)):
    """Compiles ``model`` with Adam: the one optimizer of every step here."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=loss,
        metrics=list(metrics),
        jit_compile=config.jit_compile(),
    )
    return model


def _callbacks(run_name):
    """TensorBoard logging for a run (``None``: no callbacks)."""
    if not run_name:
        return []
    from course import training

    # Runs of seconds: logs only, no checkpoint or backup files.
    return training.callbacks(run_name, backup=False, checkpoint=False)


def feature_extractor(
    base,
    num_classes,
    *,
    layer_name=None,
    dropout=0.0,
    classifier_activation="softmax",
    name=None,
):
    """A frozen base with a new classification head: the fixed feature extractor.

    The head is global average pooling, optional dropout and one dense layer - a
    linear classifier on the pretrained features, as the lecture's table
    prescribes for small target sets. It is built on the chosen feature map of
    ``base`` inside the base's own graph, so the returned model is flat and its
    layers keep their names.

    Every layer of ``base`` is frozen (``trainable = False``); batch-norm layers
    therefore run in inference mode with their source-task statistics.

    Args:
        base: Functional ``keras.Model`` without its top, e.g. from
            :func:`course_base` or :func:`imagenet_base`. Its layers are frozen in
            place.
        num_classes: classes of the target task, >= 1.
        layer_name: name of the layer whose output feeds the head; ``None`` means
            ``base.output``. An earlier layer keeps only the early, more generic
            layers (the lecture's advice for small, very different data).
        dropout: dropout rate before the dense layer, in [0, 1).
        classifier_activation: activation of ``predictions`` (``None`` for logits).
        name: model name (default ``"<base name>_extractor"``).

    Returns:
        A ``keras.Model`` from ``base.inputs`` to ``(batch, num_classes)`` with
        new layers ``head_pool``, ``head_dropout`` (if ``dropout``) and
        ``predictions``.

    Raises:
        TypeError: ``base`` is not a ``keras.Model`` or an argument has the
            wrong type.
        ValueError: ``layer_name`` is not a layer of ``base``, its output is not
            a 4-D feature map, or a number is out of range.
    """
    base = _validate.model("base", base, functional=True)
    num_classes = _validate.positive_int("num_classes", num_classes)
    dropout = _validate.fraction("dropout", dropout)
    if layer_name is None:
        features = base.output
    else:
        _check_layer_name(base, "layer_name", layer_name)
        features = base.get_layer(layer_name).output
    if isinstance(features, (list, tuple)) or len(features.shape) != 4:
        shape = getattr(features, "shape", None)
        raise _validate.error(
            "layer_name",
            layer_name,
            "to give the head a feature map (batch, height, width, channels), "
            f"not an output of shape {shape}",
        )
    if name is None:
        name = f"{base.name}_extractor"
    for layer in base.layers:
        layer.trainable = False
    x = keras.layers.GlobalAveragePooling2D(name="head_pool")(features)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(
        num_classes, activation=classifier_activation, name="predictions"
    )(x)
    return keras.Model(base.inputs, outputs, name=name)


def fine_tune(
    model,
    unfreeze_from=None,
    learning_rate=1e-4,
    *,
    train_batchnorm=False,
    loss=_LOSS,
    metrics=("accuracy",),
):
    """Unfreezes the last layers of a model and recompiles it at a low rate.

    Layers are taken in the model's (topological) order: every layer from
    ``unfreeze_from`` to the end becomes trainable, every layer before it is
    frozen. Batch-norm layers stay frozen - and so in inference mode, keeping the
    moving statistics of the source task - unless ``train_batchnorm``.

    The low learning rate is step 3 of the lecture's recipe: after the head has
    been trained, small updates adapt the last convolutional blocks without
    wrecking the pretrained features with large gradients from a random head.

    Args:
        model: the model to fine-tune, e.g. a trained :func:`feature_extractor`.
        unfreeze_from: name of the first layer to unfreeze; ``None`` unfreezes
            every layer (pretrained weights as mere initialisation).
        learning_rate: Adam learning rate, > 0 (the recipe: 10 to 100 times
            lower than for training from scratch).
        train_batchnorm: also unfreeze the batch-norm layers in that range (they
            then update their statistics on the target data; sensible only with
            a large target set).
        loss: loss to compile with.
        metrics: metrics to compile with.

    Returns:
        The same ``model``, recompiled.

    Raises:
        TypeError: for arguments of the wrong type.
        ValueError: ``unfreeze_from`` is not a layer of ``model``, or the
            learning rate is not positive.
    """
    model = _validate.model("model", model, functional=True)
    start = 0
    if unfreeze_from is not None:
        _check_layer_name(model, "unfreeze_from", unfreeze_from)
        start = [layer.name for layer in model.layers].index(unfreeze_from)
    learning_rate = _validate.positive("learning_rate", learning_rate)
    train_batchnorm = _validate.boolean("train_batchnorm", train_batchnorm)
    for index, layer in enumerate(model.layers):
        is_batch_norm = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = index >= start and (train_batchnorm or not is_batch_norm)
    return _compile(model, learning_rate, loss, metrics)


def three_step_transfer(
    base,
    train,
    validation=None,
    *,
    num_classes,
    unfreeze_from,
    head_epochs=5,
    fine_tune_epochs=5,
    head_learning_rate=1e-3,
    fine_tune_learning_rate=1e-4,
    batch_size=32,
    run_name=None,
    verbose=0,
):
    """The lecture's recipe: pretrained base, train the head, then fine-tune.

    Step 1 is the pretrained ``base``. Step 2 trains a new head on the frozen
    base (:func:`feature_extractor`). Step 3 unfreezes the layers from
    ``unfreeze_from`` on and trains on at ``fine_tune_learning_rate``
    (:func:`fine_tune`); batch norm stays in inference mode throughout.

    Args:
        base: pretrained Functional base (its layers are frozen, then partly
            unfrozen, in place).
        train: ``(x, y)`` training arrays, integer labels.
        validation: optional ``(x, y)`` for the logged validation curves.
        num_classes: classes of the target task.
        unfreeze_from: first layer trained in step 3.
        head_epochs: epochs of step 2, >= 1.
        fine_tune_epochs: epochs of step 3, >= 0.
        head_learning_rate: Adam learning rate of step 2.
        fine_tune_learning_rate: Adam learning rate of step 3.
        batch_size: batch size.
        run_name: if given, TensorBoard logs go to fresh runs
            ``<run_name>_head`` and ``<run_name>_fine_tune``.
        verbose: passed to ``fit``.

    Returns:
        ``(model, {"head": history dict, "fine_tune": history dict})``.
    """
    head_epochs = _validate.positive_int("head_epochs", head_epochs)
    fine_tune_epochs = _validate.positive_int(
        "fine_tune_epochs", fine_tune_epochs, minimum=0
    )
    batch_size = _validate.positive_int("batch_size", batch_size)
    x, y = _check_pair("train", train)
    if validation is not None:
        validation = _check_pair("validation", validation)
    # Check everything before feature_extractor freezes the base in place.
    base = _validate.model("base", base, functional=True)
    _check_layer_name(base, "unfreeze_from", unfreeze_from)
    head_learning_rate = _validate.positive("head_learning_rate", head_learning_rate)
    _validate.positive("fine_tune_learning_rate", fine_tune_learning_rate)
    model = _compile(feature_extractor(base, num_classes), head_learning_rate)
    histories = {}
    for step, epochs in (("head", head_epochs), ("fine_tune", fine_tune_epochs)):
        if step == "fine_tune":
            if not epochs:
                break
            fine_tune(model, unfreeze_from, fine_tune_learning_rate)
        history = model.fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            validation_data=validation,
            callbacks=_callbacks(run_name and f"{run_name}_{step}"),
            verbose=verbose,
        )
        histories[step] = {k: list(v) for k, v in history.history.items()}
    return model, histories
