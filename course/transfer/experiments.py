"""Lecture 07's transfer experiment: every way of using a base, on two tasks.

The lecture fills the table of seed 002 - which method suits target data that
are *similar* to or *different* from the source data, and *small* or *large* -
by measurement: :func:`run_method` trains one of :data:`METHODS` on a target task
of :func:`transfer_tasks` with a fixed budget of gradient steps, and
:data:`RECOMMENDATION` holds the lecture's answer to compare with. Yosinski et
al. (NeurIPS 2014) measured the same trade-off layer by layer: the more the
tasks differ, the earlier the layer whose features still transfer.

Used in lectures 07 and 13.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from course import _validate, config
from course.transfer.bases import (
    BASE_SOURCES,
    COURSE_BASE_SHAPE,
    TARGET_CLASSES,
    _select,
    course_base,
    imagenet_base,
)
from course.transfer.recipe import (
    _callbacks,
    _check_pair,
    _compile,
    feature_extractor,
    fine_tune,
    three_step_transfer,
)

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
    pretrained=True,
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
        pretrained: ``False`` runs the method on a randomly initialised base:
            the control that tells what the pretrained weights contribute from
            what the method's own training does (a frozen random base with a
            trained head is the random-features baseline). ``scratch`` always
            starts from random weights.

    Returns:
        ``{"method", "size", "pretrained", "train_accuracy", "test_accuracy",
        "seconds"}``; the accuracies are measured in inference mode after
        training.
    """
    _validate.choice("method", method, tuple(METHODS))
    if not isinstance(spec, BaseSpec):
        raise _validate.error("spec", spec, "to be a BaseSpec", TypeError)
    x_train, y_train = _check_pair("train", train)
    x_test, y_test = _check_pair("test", test)
    steps = _validate.positive_int("steps", steps, minimum=2)
    epochs = _validate.positive_int("epochs", epochs, minimum=2)
    batch_size = _validate.positive_int("batch_size", batch_size)
    pretrained = _validate.boolean("pretrained", pretrained) and method != "scratch"
    rates = {
        name: _validate.positive(name, value)
        for name, value in (
            ("learning_rate", learning_rate),
            ("head_learning_rate", head_learning_rate),
            ("fine_tune_learning_rate", fine_tune_learning_rate),
        )
    }
    size = len(x_train)
    index = repeat_to(size, math.ceil(steps * batch_size / epochs), seed)
    config.set_seed(seed)
    start = time.perf_counter()
    model = _train(
        method,
        spec.build(pretrained, **dict(base_kwargs or {})),
        spec,
        (x_train[index], y_train[index]),
        num_classes=num_classes,
        epochs=epochs,
        batch_size=batch_size,
        run_name=run_name,
        **rates,
    )
    seconds = time.perf_counter() - start
    return {
        "method": method,
        "size": int(size),
        "pretrained": pretrained,
        "train_accuracy": float(model.evaluate(x_train, y_train, verbose=0)[1]),
        "test_accuracy": float(model.evaluate(x_test, y_test, verbose=0)[1]),
        "seconds": seconds,
    }


def _train(
    method,
    base,
    spec,
    fit,
    *,
    num_classes,
    epochs,
    batch_size,
    run_name,
    learning_rate,
    head_learning_rate,
    fine_tune_learning_rate,
):
    """Puts the head of ``method`` on ``base``, trains it on ``fit``, returns it."""
    if method == "fine_tune":
        model, _ = three_step_transfer(
            base,
            fit,
            num_classes=num_classes,
            unfreeze_from=spec.unfreeze_from,
            head_epochs=epochs // 2,
            fine_tune_epochs=epochs - epochs // 2,
            head_learning_rate=head_learning_rate,
            fine_tune_learning_rate=fine_tune_learning_rate,
            batch_size=batch_size,
            run_name=run_name,
        )
        return model
    layer = spec.early_layer if method == "early_extractor" else None
    model = feature_extractor(base, num_classes, layer_name=layer)
    if method in ("scratch", "init"):
        # Everything trains, batch norm included: its statistics adapt to the
        # target data, which a large target set can afford.
        fine_tune(model, None, learning_rate, train_batchnorm=True)
    else:
        _compile(model, head_learning_rate)
    x, y = fit
    model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        callbacks=_callbacks(run_name),
        verbose=0,
    )
    return model


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
