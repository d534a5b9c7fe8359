"""course.pipeline: tf.data pipelines and the naive NumPy baseline."""

import numpy as np
import pytest
import tensorflow as tf

from course import pipeline


def _images(n=10, size=6, channels=1):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, size, size, channels), dtype=np.uint8)
    return x, np.arange(n)


def _epoch(dataset):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in dataset], strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def test_evaluation_pipeline_keeps_order_and_scales():
    x, y = _images()
    dataset = pipeline.make_dataset(x, y, batch_size=4, training=False)
    sizes = [len(b) for b, _ in dataset]
    assert sizes == [4, 4, 2]
    images, labels = _epoch(dataset)
    assert images.dtype == np.float32
    np.testing.assert_allclose(images, x / 255.0, rtol=1e-6)
    assert labels.tolist() == list(range(10))


def test_training_pipeline_shuffles_each_epoch_and_sees_every_example():
    x, y = _images(n=32)
    dataset = pipeline.make_dataset(x, y, batch_size=8, seed=1)
    first, second = _epoch(dataset)[1], _epoch(dataset)[1]
    assert sorted(first) == sorted(second) == list(range(32))
    assert first.tolist() != second.tolist()  # reshuffled after the cache
    # The labels still belong to their images.
    images, labels = _epoch(dataset)
    np.testing.assert_allclose(images, x[labels] / 255.0, rtol=1e-6)


def test_repeat_and_drop_remainder():
    x, y = _images(n=10)
    dataset = pipeline.make_dataset(x, y, 4, repeat=True, drop_remainder=True)
    batches = [len(b) for b, _ in dataset.take(7)]
    assert batches == [4] * 7


def test_augmentation_runs_after_the_cache():
    x = np.full((4, 6, 6, 1), 255, dtype=np.uint8)
    calls = []

    def counting(image, label):
        calls.append(1)  # traced once, whatever the number of epochs
        return image * 0.5, label

    dataset = pipeline.make_dataset(x, np.zeros(4), 2, augment=counting)
    for _ in range(2):
        images, _ = _epoch(dataset)
        np.testing.assert_allclose(images, 0.5)
    assert len(calls) == 1


@pytest.mark.parametrize("flip, max_shift", [(False, 0), (True, 0), (True, 2)])
def test_flip_and_shift_moves_image_and_mask_together(flip, max_shift):
    rng = np.random.default_rng(3)
    image = rng.random((8, 8, 2)).astype("float32")
    mask = (image[..., 0] > 0.5).astype("uint8")
    augment = pipeline.flip_and_shift(max_shift, flip=flip, segmentation=True)
    tf.random.set_seed(0)
    for _ in range(6):
        new_image, new_mask = augment(tf.constant(image), tf.constant(mask))
        new_image, new_mask = new_image.numpy(), new_mask.numpy()
        assert new_image.shape == image.shape and new_mask.dtype == np.uint8
        # Zero padding is background in both, so the mask still marks the image.
        np.testing.assert_array_equal(new_mask, new_image[..., 0] > 0.5)
        if not flip and not max_shift:
            np.testing.assert_array_equal(new_image, image)


def test_flip_and_shift_keeps_class_labels():
    augment = pipeline.flip_and_shift(1)
    image, label = augment(tf.ones((5, 5, 3)), tf.constant(7))
    assert image.shape == (5, 5, 3) and int(label) == 7


@pytest.mark.parametrize("flip, max_shift", [(False, 0), (True, 0), (True, 2)])
def test_numpy_twin_moves_image_and_mask_together(flip, max_shift):
    rng = np.random.default_rng(4)
    images = rng.random((5, 8, 8, 1)).astype("float32")
    masks = (images[..., 0] > 0.5).astype("uint8")
    original = images.copy()
    new_images, new_masks = pipeline.numpy_flip_and_shift(
        images, masks, rng, max_shift, flip, segmentation=True
    )
    np.testing.assert_array_equal(new_masks, new_images[..., 0] > 0.5)
    if not flip and not max_shift:
        np.testing.assert_array_equal(new_images, images)
    else:
        assert not np.array_equal(new_images, images)
    np.testing.assert_array_equal(images, original)  # the input is not changed


def test_numpy_batches():
    x, y = _images(n=10)
    batches = pipeline.NumpyBatches(x, y, batch_size=4, augment={"max_shift": 1})
    assert len(batches) == 3
    images, labels = batches[2]
    assert images.shape == (4, 6, 6, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert len(set(labels.tolist())) == 4  # wraps around, no repeats in a batch
    assert len(pipeline.NumpyBatches(x, y, 4, steps=7)) == 7


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batch_size": 0}, ValueError, "Received: batch_size=0"),
        ({"y": np.arange(3)}, ValueError, "Received: len\\(x\\)=10, len\\(y\\)=3"),
        ({"augment": "flip"}, TypeError, "Received: augment='flip'"),
        ({"preprocess": 1}, TypeError, "Received: preprocess=1"),
        ({"shuffle_buffer": 0}, ValueError, "Received: shuffle_buffer=0"),
        ({"num_parallel_calls": 0}, ValueError, "Received: num_parallel_calls=0"),
        ({"training": "yes"}, TypeError, "Received: training='yes'"),
        ({"cache": 1}, TypeError, "Received: cache=1"),
        ({"seed": -1}, ValueError, "Received: seed=-1"),
        ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, ValueError, "len\\(x\\)=0"),
        ({"x": [1, 2]}, TypeError, "Received: x=list"),
    ],
)
def test_make_dataset_rejects(kwargs, error, match):
    x, y = _images()
    arguments = {"x": x, "y": y, **kwargs}
    with pytest.raises(error, match=match):
        pipeline.make_dataset(**arguments)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"max_shift": -1}, ValueError, "Received: max_shift=-1"),
        ({"max_shift": 1.5}, TypeError, "Received: max_shift=1.5"),
        ({"flip": "yes"}, TypeError, "Received: flip='yes'"),
        ({"segmentation": None}, TypeError, "Received: segmentation=None"),
    ],
)
def test_flip_and_shift_rejects(kwargs, error, match):
    with pytest.raises(error, match=match):
        pipeline.flip_and_shift(**kwargs)


def test_numpy_batches_reject():
    x, y = _images()
    with pytest.raises(TypeError, match="Received: augment="):
        pipeline.NumpyBatches(x, y, augment=pipeline.flip_and_shift())
    with pytest.raises(ValueError, match="Received: steps=0"):
        pipeline.NumpyBatches(x, y, steps=0)


def test_bench_names_the_same_pipelines():
    # course.bench repeats the names so that it imports without TensorFlow.
    from course import bench

    assert bench.PIPELINES == pipeline.PIPELINES
