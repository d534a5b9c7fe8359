"""Input pipelines with ``tf.data``: caching, parallel augmentation, prefetching.

A training step can only be as fast as the data arriving for it. On a GPU a small
network finishes its step in a millisecond or two, and a pipeline that decodes,
converts and augments each batch in the Python thread *between* steps leaves the
device idle most of the time. ``tf.data`` removes that wait in three ways
(TensorFlow guide "Better performance with the tf.data API"):

- ``cache()`` keeps the work done before it (decoding, ``uint8`` -> ``float32``)
  after the first epoch, so it is paid once;
- ``map(..., num_parallel_calls=tf.data.AUTOTUNE)`` runs the random augmentation on
  several CPU threads at once;
- ``prefetch(tf.data.AUTOTUNE)`` prepares the next batches while the current step
  runs, overlapping input work with training.

:func:`make_dataset` builds that pipeline from in-memory arrays;
:class:`NumpyBatches` is the naive baseline it is compared with (the same work
done in NumPy, batch by batch, in the training loop's thread). ``course.bench``
measures both (``--pipeline naive|tuned``).

Lecture 12 uses this module. :data:`PIPELINES` names the two paths;
``course.bench.measure`` repeats the names so that the benchmarks import without
TensorFlow (a test checks that the two agree).
This module needs TensorFlow (``tf.data``). A ``tf.data.Dataset`` feeds
``Model.fit`` on every Keras backend, JAX included.

Used in lecture 12.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from course import _validate

__all__ = [
    "PIPELINES",
    "NumpyBatches",
    "flip_and_shift",
    "make_dataset",
    "numpy_flip_and_shift",
    "to_float",
]

#: The two input paths: ``"naive"`` (:class:`NumpyBatches`) and ``"tuned"``
#: (:func:`make_dataset`).
PIPELINES = ("naive", "tuned")


def to_float(images, labels):
    """``uint8`` images in [0, 255] to ``float32`` in [0, 1]; labels unchanged."""
    return tf.cast(images, tf.float32) / 255.0, labels


def flip_and_shift(max_shift=4, flip=True, segmentation=False):
    """A per-example random horizontal flip and shift, as ``tf`` operations.

    The standard CIFAR augmentation of He et al. (CVPR 2016, section 4.2): pad by
    ``max_shift`` pixels of zeros, crop a random window of the original size, and
    flip left-right with probability 1/2. With ``segmentation=True`` the label is
    a mask of the image's height and width and gets exactly the same flip and
    shift (image and mask are stacked along the channels and cropped together).

    Args:
        max_shift: largest shift in pixels, >= 0.
        flip: whether to flip at random (off for digits: a flipped 2 is no 2).
        segmentation: whether the label is a mask to transform with the image.

    Returns:
        A function ``(image, label) -> (image, label)`` for ``Dataset.map`` on
        single examples ``(H, W, C)``.
    """
    max_shift = _validate.positive_int("max_shift", max_shift, minimum=0)
    flip = _validate.boolean("flip", flip)
    segmentation = _validate.boolean("segmentation", segmentation)

    def augment(image, label):
        image = tf.convert_to_tensor(image)
        channels = tf.shape(image)[-1]
        if segmentation:
            mask = tf.cast(label, image.dtype)
            if mask.shape.rank == 2:
                mask = mask[..., None]
            stacked = tf.concat([image, mask], axis=-1)
        else:
            stacked = image
        if flip:
            stacked = tf.image.random_flip_left_right(stacked)
        if max_shift:
            size = tf.shape(stacked)
            padded = tf.pad(
                stacked, [[max_shift, max_shift], [max_shift, max_shift], [0, 0]]
            )
            stacked = tf.image.random_crop(padded, size)
        if not segmentation:
            return stacked, label
        mask = tf.cast(stacked[..., channels:], tf.convert_to_tensor(label).dtype)
        if tf.convert_to_tensor(label).shape.rank == 2:
            mask = mask[..., 0]
        return stacked[..., :channels], mask

    return augment


def numpy_flip_and_shift(
    images, labels, rng, max_shift=4, flip=True, segmentation=False
):
    """The NumPy twin of :func:`flip_and_shift` for one batch (the naive path).

    Args:
        images: ``(batch, H, W, C)`` array.
        labels: class labels ``(batch,)``, or masks ``(batch, H, W[, 1])`` when
            ``segmentation``.
        rng: a ``numpy.random.Generator``.
        max_shift: largest shift in pixels.
        flip: whether to flip at random.
        segmentation: whether ``labels`` are masks to transform with the images.

    Returns:
        The augmented ``(images, labels)``.
    """
    images = np.array(images, copy=True)
    labels = np.array(labels, copy=True)
    height, width = images.shape[1:3]
    for i in range(len(images)):
        do_flip = flip and rng.random() < 0.5
        dy, dx = (
            rng.integers(-max_shift, max_shift + 1, size=2) if max_shift else (0, 0)
        )
        targets = [images] + ([labels] if segmentation else [])
        for array in targets:
            item = array[i]
            if do_flip:
                item = item[:, ::-1]
            if dy or dx:
                shifted = np.zeros_like(item)
                ys = slice(max(dy, 0), height + min(dy, 0))
                xs = slice(max(dx, 0), width + min(dx, 0))
                yt = slice(max(-dy, 0), height + min(-dy, 0))
                xt = slice(max(-dx, 0), width + min(-dx, 0))
                shifted[ys, xs] = item[yt, xt]
                item = shifted
            array[i] = item
    return images, labels


def _check_arrays(x, y):
    """Checks that ``x`` is a non-empty array and ``y`` has as many rows.

    The messages name the type and the lengths, never the data itself, so they
    are written here in ``_validate``'s shape rather than through it.
    """
    if not hasattr(x, "shape") or not hasattr(x, "__len__"):
        raise TypeError(f"Expected x to be an array. Received: x={type(x).__name__}")
    if y is not None and len(y) != len(x):
        raise _validate.relation(
            "x and y to hold the same number of examples",
            **{"len(x)": len(x), "len(y)": len(y)},
        )
    if len(x) == 0:
        raise ValueError(
            f"Expected x to hold at least one example. Received: len(x)={len(x)}"
        )


def make_dataset(
    x,
    y,
    batch_size=32,
    *,
    training=True,
    preprocess: Callable | None = to_float,
    augment: Callable | None = None,
    cache=True,
    shuffle_buffer=None,
    num_parallel_calls=tf.data.AUTOTUNE,
    prefetch=True,
    repeat=False,
    drop_remainder=False,
    seed=None,
):
    """Builds a ``tf.data`` input pipeline from in-memory arrays.

    The order of the stages is what makes it fast (and correct)::

        from_tensor_slices -> map(preprocess) -> cache -> [repeat] -> shuffle
          -> map(augment, parallel) -> batch -> prefetch

    Deterministic work (``preprocess``) comes *before* ``cache`` so that it runs
    once; random work (``augment``) comes *after* it, or every epoch would replay
    the first epoch's random flips. Shuffling happens after the cache, so each
    epoch sees a new order.

    Args:
        x: inputs, an array ``(n, ...)``.
        y: targets, an array with ``n`` rows.
        batch_size: examples per batch, >= 1.
        training: True shuffles and augments; False keeps the order and skips
            ``augment`` (evaluation).
        preprocess: deterministic per-example function ``(x, y) -> (x, y)`` run
            before the cache (default: :func:`to_float`); ``None`` for none.
        augment: random per-example function ``(x, y) -> (x, y)`` such as
            :func:`flip_and_shift`; ``None`` for none.
        cache: keep the preprocessed examples in memory after the first epoch.
        shuffle_buffer: shuffle buffer size; ``None`` means the whole dataset
            (a perfect shuffle of in-memory data).
        num_parallel_calls: threads for the maps: ``tf.data.AUTOTUNE`` lets
            tf.data choose; ``None`` runs them one example at a time.
        prefetch: overlap the preparation of the next batches with training.
        repeat: repeat forever (then pass ``steps_per_epoch`` to ``fit``).
        drop_remainder: drop a last, smaller batch (needed where every batch
            must split evenly across replicas).
        seed: seed of the shuffle.

    Returns:
        A ``tf.data.Dataset`` of ``(x_batch, y_batch)``.

    Raises:
        TypeError: for arguments of the wrong type.
        ValueError: for empty data, mismatched lengths or bad sizes.
    """
    _check_arrays(x, y)
    batch_size = _validate.positive_int("batch_size", batch_size)
    training = _validate.boolean("training", training)
    cache = _validate.boolean("cache", cache)
    prefetch = _validate.boolean("prefetch", prefetch)
    repeat = _validate.boolean("repeat", repeat)
    drop_remainder = _validate.boolean("drop_remainder", drop_remainder)
    _validate.function("preprocess", preprocess, allow_none=True)
    _validate.function("augment", augment, allow_none=True)
    shuffle_buffer = _validate.integer(
        "shuffle_buffer", shuffle_buffer, minimum=1, allow_none=True
    )
    if num_parallel_calls != tf.data.AUTOTUNE:
        num_parallel_calls = _validate.integer(
            "num_parallel_calls", num_parallel_calls, minimum=1, allow_none=True
        )
    seed = _validate.integer("seed", seed, minimum=0, allow_none=True)

    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if preprocess is not None:
        dataset = dataset.map(preprocess, num_parallel_calls=num_parallel_calls)
    if cache:
        dataset = dataset.cache()
    if repeat:
        dataset = dataset.repeat()
    if training:
        dataset = dataset.shuffle(
            shuffle_buffer or len(x), seed=seed, reshuffle_each_iteration=True
        )
        if augment is not None:
            dataset = dataset.map(augment, num_parallel_calls=num_parallel_calls)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    return dataset


class NumpyBatches(keras.utils.PyDataset):
    """The naive input path: NumPy batches prepared in the training loop.

    Each batch is drawn, converted from ``uint8`` to ``float32`` and augmented
    with NumPy every epoch, one after the other, with no cache, no worker
    threads and no prefetching: what a first training loop usually looks like,
    and the baseline that :func:`make_dataset` is measured against.

    Args:
        x: inputs ``(n, ...)``, ``uint8`` in [0, 255] (scaled to [0, 1]) or float.
        y: targets with ``n`` rows.
        batch_size: examples per batch.
        augment: ``None``, or keyword arguments of :func:`numpy_flip_and_shift`
            (``max_shift``, ``flip``, ``segmentation``).
        steps: batches per epoch; default one pass over the data.
        seed: seed of the order and of the augmentation.
    """

    def __init__(self, x, y, batch_size=32, augment=None, steps=None, seed=0):
        super().__init__(workers=1, use_multiprocessing=False)
        _check_arrays(x, y)
        self.x, self.y = x, y
        self.batch_size = _validate.positive_int("batch_size", batch_size)
        if augment is not None and not isinstance(augment, dict):
            raise _validate.error(
                "augment",
                augment,
                "to be None or a dict of numpy_flip_and_shift arguments",
                TypeError,
            )
        self.augment = augment
        full = -(-len(x) // self.batch_size)
        self.steps = full if steps is None else _validate.positive_int("steps", steps)
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(x))

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        start = (index * self.batch_size) % len(self.x)
        rows = np.take(
            self.order, np.arange(start, start + self.batch_size), mode="wrap"
        )
        images = self.x[rows]
        if images.dtype == np.uint8:
            images = images.astype("float32") / 255.0
        labels = self.y[rows]
        if self.augment is not None:
            images, labels = numpy_flip_and_shift(
                images, labels, self.rng, **self.augment
            )
        return images, labels

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.x))
