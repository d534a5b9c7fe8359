"""Segmentation losses, metrics and weight maps against hand-computed values.

Runs on the default TensorFlow backend and with ``KERAS_BACKEND=jax``.
"""

import math

import keras
import numpy as np
import pytest

from course import losses, metrics, segmentation


def _mask(rows):
    """(1, H, W, 1) float32 mask from a list of 0/1 rows."""
    return np.asarray(rows, dtype=np.float32)[None, ..., None]


# 2x2 masks: target has 2 pixels, prediction 1 of them -> |A&B| = 1, |A|+|B| = 3.
TRUE_2X2 = _mask([[1, 1], [0, 0]])
PRED_2X2 = _mask([[1, 0], [0, 0]])
# Multi-class (C = 2, one-hot): class 0 = background.
TRUE_MC = np.concatenate([1 - TRUE_2X2, TRUE_2X2], axis=-1)
PRED_MC = np.concatenate([1 - PRED_2X2, PRED_2X2], axis=-1)
# Soft prediction: foreground probabilities.
SOFT_2X2 = _mask([[0.5, 0.5], [0.0, 0.0]])

DICE_CASES = [
    # (y_true, y_pred, smooth, expected soft dice per image)
    (TRUE_2X2, PRED_2X2, 0.0, 2 * 1 / (2 + 1)),
    (TRUE_2X2, PRED_2X2, 1.0, (2 * 1 + 1) / (2 + 1 + 1)),
    (TRUE_2X2, TRUE_2X2, 0.0, 1.0),
    (TRUE_2X2, SOFT_2X2, 0.0, 2 * 1.0 / (2 + 1.0)),
    (TRUE_2X2, 1 - TRUE_2X2, 0.0, 0.0),
    # Background: |A&B| = 2, |A|+|B| = 2 + 3 -> 4/5; foreground 2/3; mean over classes.
    (TRUE_MC, PRED_MC, 0.0, (4 / 5 + 2 / 3) / 2),
    (TRUE_MC, TRUE_MC, 1.0, 1.0),
    # Two empty masks with smoothing: perfect.
    (0 * TRUE_2X2, 0 * TRUE_2X2, 1.0, 1.0),
]


@pytest.mark.parametrize("y_true, y_pred, smooth, expected", DICE_CASES)
def test_dice_losses(y_true, y_pred, smooth, expected):
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(losses.soft_dice(y_true, y_pred, smooth)),
        [expected],
        atol=1e-6,
    )
    loss = float(losses.DiceLoss(smooth=smooth)(y_true, y_pred))
    assert loss == pytest.approx(1 - expected, abs=1e-6)
    log_loss = float(losses.LogDiceLoss(smooth=smooth)(y_true, y_pred))
    expected_log = -math.log(max(expected, keras.config.epsilon()))
    assert log_loss == pytest.approx(expected_log, rel=1e-5, abs=1e-6)


def test_dice_loss_averages_per_image_over_batch():
    y_true = np.concatenate([TRUE_2X2, TRUE_2X2])
    y_pred = np.concatenate([PRED_2X2, TRUE_2X2])
    per_image = keras.ops.convert_to_numpy(losses.dice_loss(y_true, y_pred, 0.0))
    np.testing.assert_allclose(per_image, [1 / 3, 0.0], atol=1e-6)
    assert float(losses.DiceLoss(0.0)(y_true, y_pred)) == pytest.approx(1 / 6)


def test_pixel_weighted_crossentropy():
    probs = np.array([0.9, 0.2, 0.6, 0.1], dtype=np.float32).reshape(1, 2, 2, 1)
    target = np.array([1, 0, 0, 1], dtype=np.float32).reshape(1, 2, 2, 1)
    weight = np.array([1, 2, 3, 0], dtype=np.float32).reshape(1, 2, 2)
    # Binary: -log p for the positive pixels, -log(1 - p) for the negative ones.
    ce = -np.log([0.9, 0.8, 0.4, 0.1])
    expected = float(np.mean(weight.ravel() * ce))
    y_true = losses.with_weight_channel(target, weight)
    assert y_true.shape == (1, 2, 2, 2)
    got = float(losses.PixelWeightedCrossentropy()(y_true, probs))
    assert got == pytest.approx(expected, rel=1e-5)
    # The same with two softmax channels.
    probs_mc = np.concatenate([1 - probs, probs], axis=-1)
    target_mc = np.concatenate([1 - target, target], axis=-1)
    y_true_mc = losses.with_weight_channel(target_mc, weight[..., None])
    got_mc = float(losses.PixelWeightedCrossentropy()(y_true_mc, probs_mc))
    assert got_mc == pytest.approx(expected, rel=1e-5)
    # Unit weights reduce to Keras' own cross-entropy.
    ones = losses.with_weight_channel(target_mc, np.ones((1, 2, 2)))
    reference = float(keras.losses.CategoricalCrossentropy()(target_mc, probs_mc))
    got_ones = float(losses.PixelWeightedCrossentropy()(ones, probs_mc))
    assert got_ones == pytest.approx(reference, rel=1e-5)


def _tiny_model(channels):
    inputs = keras.Input((8, 8, 1), name="image")
    activation = "sigmoid" if channels == 1 else "softmax"
    outputs = keras.layers.Conv2D(
        channels, 3, padding="same", activation=activation, name="predictions"
    )(inputs)
    return keras.Model(inputs, outputs, name="tiny")


FIT_CASES = [
    (losses.DiceLoss(), 1, False),
    (losses.LogDiceLoss(), 2, False),
    (losses.dice_loss, 1, False),
    (losses.PixelWeightedCrossentropy(), 2, True),
    (losses.PixelWeightedCrossentropy(), 1, True),
]


@pytest.mark.parametrize("loss, channels, weighted", FIT_CASES)
def test_losses_in_fit(loss, channels, weighted):
    rng = np.random.default_rng(0)
    x = rng.random((4, 8, 8, 1), dtype=np.float32)
    mask = (x > 0.5).astype(np.float32)
    y = mask if channels == 1 else np.concatenate([1 - mask, mask], axis=-1)
    if weighted:
        y = losses.with_weight_channel(y, 1 + rng.random((4, 8, 8)))
        metric_list = []
    else:
        metric_list = [metrics.IoU(channels), metrics.Dice(channels)]
    model = _tiny_model(channels)
    model.compile(optimizer="adam", loss=loss, metrics=metric_list)
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_keras_crossentropy_accepts_pixel_sample_weight():
    # The documented alternative to the weight channel: sample_weight (B, H, W).
    rng = np.random.default_rng(1)
    x = rng.random((4, 8, 8, 1), dtype=np.float32)
    mask = (x > 0.5).astype(np.float32)
    y = np.concatenate([1 - mask, mask], axis=-1)
    weight = rng.random((4, 8, 8)).astype(np.float32)
    model = _tiny_model(2)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, sample_weight=weight, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    probs = model.predict(x, verbose=0)
    via_channel = losses.PixelWeightedCrossentropy()(
        losses.with_weight_channel(y, weight), probs
    )
    via_sample_weight = keras.losses.CategoricalCrossentropy()(
        y, probs, sample_weight=weight
    )
    assert float(via_channel) == pytest.approx(float(via_sample_weight), rel=1e-5)


@pytest.mark.parametrize(
    "obj",
    [
        losses.DiceLoss(smooth=2.0),
        losses.LogDiceLoss(smooth=0.5),
        losses.PixelWeightedCrossentropy(from_logits=True),
        metrics.IoU(num_classes=3, threshold=0.3),
        metrics.Dice(num_classes=1, threshold=0.7),
    ],
)
def test_serialisation_round_trip(obj):
    config = keras.saving.serialize_keras_object(obj)
    assert config["registered_name"].startswith("course>")
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is type(obj)
    assert restored.get_config() == obj.get_config()


def test_loss_functions_registered():
    for function in (losses.dice_loss, losses.log_dice_loss):
        name = keras.saving.get_registered_name(function)
        assert name.startswith("course>")
        assert keras.saving.get_registered_object(name) is function


# Keras metrics: (metric, y_true, y_pred, expected).
BATCH_TRUE = np.concatenate([TRUE_2X2, TRUE_2X2])
BATCH_PRED = np.concatenate([PRED_2X2, _mask([[0.9, 0.7], [0.6, 0.2]])])
# Summed over both images: |A&B| = 1 + 2, |A| = 4, |B| = 1 + 3.
METRIC_CASES = [
    (metrics.IoU(), TRUE_2X2, PRED_2X2, 1 / 2),
    (metrics.Dice(), TRUE_2X2, PRED_2X2, 2 / 3),
    (metrics.IoU(), TRUE_2X2, SOFT_2X2, 0.0),  # 0.5 is not above the threshold
    (metrics.IoU(threshold=0.4), TRUE_2X2, SOFT_2X2, 1.0),
    (metrics.IoU(), BATCH_TRUE, BATCH_PRED, 3 / (4 + 4 - 3)),
    (metrics.Dice(), BATCH_TRUE, BATCH_PRED, 2 * 3 / (4 + 4)),
    (metrics.IoU(), 0 * TRUE_2X2, 0 * TRUE_2X2, 1.0),
    # Multi-class: background IoU 2/3, foreground 1/2 -> mean.
    (metrics.IoU(num_classes=2), TRUE_MC, PRED_MC, (2 / 3 + 1 / 2) / 2),
    (metrics.Dice(num_classes=2), TRUE_MC, PRED_MC, (4 / 5 + 2 / 3) / 2),
    # Integer labels (B, H, W) for the target work too.
    (metrics.IoU(num_classes=2), TRUE_2X2[..., 0], PRED_MC, (2 / 3 + 1 / 2) / 2),
    (metrics.IoU(num_classes=2), TRUE_MC, TRUE_MC, 1.0),
]


@pytest.mark.parametrize("metric, y_true, y_pred, expected", METRIC_CASES)
def test_keras_metrics(metric, y_true, y_pred, expected):
    metric.reset_state()
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("metric_class", [metrics.IoU, metrics.Dice])
@pytest.mark.parametrize("num_classes", [1, 3])
def test_keras_metrics_accumulate(metric_class, num_classes):
    rng = np.random.default_rng(num_classes)
    y_pred = rng.random((4, 5, 5, num_classes), dtype=np.float32)
    if num_classes == 1:
        y_true = (rng.random((4, 5, 5, 1)) > 0.5).astype(np.float32)
    else:
        y_true = np.eye(num_classes, dtype=np.float32)[
            rng.integers(0, num_classes, (4, 5, 5))
        ]
    whole = metric_class(num_classes)
    whole.update_state(y_true, y_pred)
    parts = metric_class(num_classes)
    parts.update_state(y_true[:1], y_pred[:1])
    parts.update_state(y_true[1:], y_pred[1:])
    assert float(parts.result()) == pytest.approx(float(whole.result()), abs=1e-6)
    # The numpy function gives the same binary score.
    if num_classes == 1:
        expected = (metrics.iou if metric_class is metrics.IoU else metrics.dice)(
            y_true, y_pred
        )
        assert float(whole.result()) == pytest.approx(expected, abs=1e-6)
    parts.reset_state()
    assert float(parts.result()) == 1.0


def test_keras_metric_pixel_sample_weight():
    metric = metrics.IoU()
    # Zero weight on the missed pixel: the prediction becomes perfect.
    metric.update_state(TRUE_2X2, PRED_2X2, sample_weight=np.array([[[1, 0], [1, 1]]]))
    assert float(metric.result()) == pytest.approx(1.0)


NUMPY_OVERLAP_CASES = [
    # (function, y_true, y_pred, expected)
    (metrics.iou, [[1, 1], [0, 0]], [[1, 0], [0, 0]], 1 / 2),
    (metrics.dice, [[1, 1], [0, 0]], [[1, 0], [0, 0]], 2 / 3),
    (metrics.iou, [[1, 1, 0, 0]], [[0, 1, 1, 0]], 1 / 3),
    (metrics.dice, [[1, 1, 0, 0]], [[0, 1, 1, 0]], 1 / 2),
    (metrics.iou, [[True, False]], [[0.9, 0.4]], 1.0),
    (metrics.iou, [[0, 0]], [[0, 0]], 1.0),
    (metrics.dice, [[1, 0]], [[0, 1]], 0.0),
]


@pytest.mark.parametrize("function, y_true, y_pred, expected", NUMPY_OVERLAP_CASES)
def test_numpy_overlap(function, y_true, y_pred, expected):
    assert function(np.array(y_true), np.array(y_pred)) == pytest.approx(expected)


def test_image_quality():
    rng = np.random.default_rng(0)
    reference = rng.random((16, 16))
    image = reference + 0.1  # MSE = 0.01 exactly
    assert metrics.psnr(reference, image) == pytest.approx(20.0)
    assert metrics.psnr(reference * 255, image * 255, data_range=255) == (
        pytest.approx(20.0)
    )
    assert metrics.psnr(reference, reference) == math.inf
    signal = float(np.mean(reference**2))
    assert metrics.snr(reference, image) == pytest.approx(
        10 * math.log10(signal / 0.01)
    )
    assert metrics.snr(np.ones((4, 4)), np.ones((4, 4)) * 1.1) == pytest.approx(20.0)
    assert metrics.ssim(reference, reference) == pytest.approx(1.0)
    noisy = np.clip(reference + rng.normal(0, 0.2, reference.shape), 0, 1)
    assert -1 <= metrics.ssim(reference, noisy) < 0.9
    rgb = rng.random((8, 8, 3))
    assert metrics.ssim(rgb, rgb) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "metric, batches, kwargs, expected",
    [
        (metrics.psnr, (np.zeros((2, 4, 4)), np.full((2, 4, 4), 0.1)), {}, 20.0),
        (
            metrics.psnr,
            (np.zeros((1, 4)), np.full((1, 4), 25.5)),
            {"data_range": 255},
            20,
        ),
        (metrics.iou, ([[1, 1, 0, 0], [1, 0, 0, 0]], [[1, 0, 0, 0]] * 2), {}, 0.75),
    ],
)
def test_mean_over_images_averages_per_image_scores(metric, batches, kwargs, expected):
    assert metrics.mean_over_images(metric, *batches, **kwargs) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    "args, error",
    [
        ((None, np.zeros((2, 2))), TypeError),
        ((metrics.psnr,), ValueError),
        ((metrics.psnr, np.zeros((2, 2)), np.zeros((3, 2))), ValueError),
    ],
)
def test_mean_over_images_rejects(args, error):
    with pytest.raises(error, match="Received: "):
        metrics.mean_over_images(*args)


def test_cnr():
    # Background alternates 1 and 3 (mean 2, std 1); foreground is constant 7.
    image = np.array([[1, 3, 1, 3], [7, 7, 7, 7]], dtype=float)
    foreground = np.array([[0, 0, 0, 0], [1, 1, 1, 1]], dtype=bool)
    assert metrics.cnr(image, foreground, ~foreground) == pytest.approx(5.0)
    flat = np.array([[2, 2], [5, 5]], dtype=float)
    top = np.array([[0, 0], [1, 1]], dtype=bool)
    assert metrics.cnr(flat, top, ~top) == math.inf


# Weight maps: two 3x3 squares in rows 3..5, columns 3..5 and 8..10 (2-pixel gap at
# columns 6, 7) or 7..9 (1-pixel gap at column 6), in a 20x20 image.
def _two_squares(gap):
    labels = np.zeros((20, 20), dtype=np.int32)
    labels[3:6, 3:6] = 1
    labels[3:6, 6 + gap : 9 + gap] = 2
    return labels


def _balanced(labels):
    foreground = np.count_nonzero(labels)
    background = labels.size - foreground
    return labels.size / (2 * background), labels.size / (2 * foreground)


@pytest.mark.parametrize("gap, d_sum", [(1, 1 + 1), (2, 1 + 2)])
@pytest.mark.parametrize("w0, sigma", [(10.0, 5.0), (5.0, 2.0)])
def test_unet_weight_map_gap(gap, d_sum, w0, sigma):
    labels = _two_squares(gap)
    w_background, w_foreground = _balanced(labels)
    weights = segmentation.unet_weight_map(labels, w0=w0, sigma=sigma)
    assert weights.shape == labels.shape and weights.dtype == np.float32
    expected_gap = w_background + w0 * math.exp(-(d_sum**2) / (2 * sigma**2))
    np.testing.assert_allclose(weights[4, 6 : 6 + gap], expected_gap, rtol=1e-5)
    # Inside objects: only the class weight.
    np.testing.assert_allclose(weights[labels > 0], w_foreground, rtol=1e-6)
    # Far corner: d1 + d2 >= 25, so the border term is negligible.
    assert weights[19, 19] == pytest.approx(w_background, abs=w0 * 1e-5)
    # Distances at the gap pixel, pixel-centre convention.
    d1, d2 = segmentation.two_nearest_distances(labels)
    assert d1[4, 6] + d2[4, 6] == d_sum


def test_unet_weight_map_options():
    labels = _two_squares(1)
    # w0 = 0: only the class weights, which the "balanced" rule makes average 1.
    only_classes = segmentation.unet_weight_map(labels, w0=0)
    w_background, w_foreground = _balanced(labels)
    np.testing.assert_allclose(
        only_classes, np.where(labels > 0, w_foreground, w_background), rtol=1e-6
    )
    assert only_classes.mean() == pytest.approx(1.0)
    plain = segmentation.unet_weight_map(labels, w0=0, class_weights=None)
    np.testing.assert_array_equal(plain, np.ones_like(plain))
    custom = segmentation.unet_weight_map(labels, w0=0, class_weights={0: 0.5, 1: 2.0})
    np.testing.assert_array_equal(custom, np.where(labels > 0, 2.0, 0.5))
    # A single object has no second-nearest object: no border term.
    single = np.zeros((8, 8), dtype=np.int64)
    single[2:4, 2:4] = 7
    np.testing.assert_array_equal(
        segmentation.unet_weight_map(single, class_weights=None), np.ones((8, 8))
    )
    empty = segmentation.unet_weight_map(np.zeros((4, 4), dtype=np.int32))
    assert np.all(np.isfinite(empty))


def test_instances_and_touching_borders():
    mask = np.zeros((10, 10), dtype=bool)
    mask[1:4, 1:4] = True  # 9 pixels
    mask[1:4, 5:8] = True  # 9 pixels, 1-pixel gap at column 4
    mask[8, 8] = True  # 1 pixel, dropped by min_size=2
    labels = segmentation.instances_from_mask(mask, min_size=2)
    assert labels.dtype == np.int32
    assert set(np.unique(labels)) == {0, 1, 2}
    assert labels[8, 8] == 0
    np.testing.assert_array_equal(segmentation.instances_from_mask(mask).max(), 3)
    diagonal = np.eye(3, dtype=int)
    assert segmentation.instances_from_mask(diagonal).max() == 3
    assert segmentation.instances_from_mask(diagonal, connectivity=2).max() == 1
    borders = segmentation.touching_borders(labels, max_distance=1.0)
    expected = np.zeros_like(mask)
    expected[1:4, 4] = True
    np.testing.assert_array_equal(borders, expected)


def _two_objects():
    """A 4-pixel object (label 1) beside a 9-pixel one (label 3), in 10x10."""
    labels = np.zeros((10, 10), dtype=np.int32)
    labels[1:3, 1:3] = 1
    labels[5:8, 5:8] = 3
    return labels


def _ring(labels, index, margin):
    """Background pixels within ``margin`` (4-connected steps) of one object."""
    grown = labels == index
    for _ in range(margin):
        grown = grown | np.roll(grown, 1, 0) | np.roll(grown, -1, 0)
        grown = grown | np.roll(grown, 1, 1) | np.roll(grown, -1, 1)
    return grown & (labels == 0)


# (prediction, max_area, margin) -> (recall, dice, count), worked out by hand
SMALL_OBJECT_CASES = [
    ("exact", 4, 3, (1.0, 1.0, 1)),
    ("half of the small one", 4, 3, (0.5, 2 / 3, 1)),
    ("exact plus its ring of 1", 4, 1, (1.0, 8 / 16, 1)),
    ("exact plus its ring of 1", 4, 0, (1.0, 1.0, 1)),  # no neighbourhood
    ("exact plus its ring of 1", 9, 1, (1.0, 2 * 13 / (13 + 12 + 21), 2)),
    ("nothing", 9, 3, (0.0, 0.0, 2)),
    ("the big one only", 4, 3, (0.0, 0.0, 1)),
]


@pytest.mark.parametrize("prediction, max_area, margin, expected", SMALL_OBJECT_CASES)
def test_small_object_scores(prediction, max_area, margin, expected):
    labels = _two_objects()
    mask = {
        "exact": labels > 0,
        "nothing": np.zeros_like(labels, dtype=bool),
        "the big one only": labels == 3,
        "exact plus its ring of 1": (labels > 0)
        | _ring(labels, 1, 1)
        | _ring(labels, 3, 1),
    }.get(prediction)
    if prediction == "half of the small one":
        mask = labels == 3
        mask[1, 1:3] = True  # 2 of the small object's 4 pixels
    scores = segmentation.small_object_scores(labels, mask, max_area, margin=margin)
    assert (scores.recall, scores.dice, scores.count) == pytest.approx(expected)
    # a stack of the same image twice: the sums double, the ratios stay
    stacked = segmentation.small_object_scores(
        np.stack([labels, labels]), np.stack([mask, mask]), max_area, margin=margin
    )
    assert (stacked.recall, stacked.dice) == pytest.approx(expected[:2])
    assert stacked.count == 2 * expected[2]


def test_object_areas_skip_missing_labels_and_span_images():
    labels = _two_objects()  # labels 1 and 3: label 2 does not occur
    assert segmentation.object_areas(labels).tolist() == [4, 9]
    assert segmentation.object_areas([labels, labels[:3, :3]]).tolist() == [4, 9, 4]
    assert segmentation.object_areas(np.zeros((3, 3), np.int32)).tolist() == []


@pytest.mark.parametrize(
    "arguments, error, fragment",
    [
        ((_two_objects(), np.ones((10, 9), bool), 4), ValueError, "mask.shape=(10, 9)"),
        ((_two_objects(), np.full((10, 10), 0.7), 4), ValueError, "masks"),
        ((_two_objects(), _two_objects() > 0, 0), ValueError, "max_area=0"),
        ((_two_objects(), _two_objects() > 0, 3), ValueError, "max_area=3"),
        ((_two_objects(), _two_objects() > 0, 4, -1), ValueError, "margin=-1"),
        (
            (np.stack([_two_objects()] * 2), [_two_objects() > 0], 4),
            ValueError,
            "len(masks)=1",
        ),
        ((_two_objects() * 1.0, _two_objects() > 0, 4), TypeError, "labels.dtype"),
    ],
)
def test_small_object_scores_rejects(arguments, error, fragment):
    with pytest.raises(error, match="Received") as raised:
        segmentation.small_object_scores(*arguments)
    assert fragment in str(raised.value)


INVALID = [
    (lambda: losses.DiceLoss(smooth=-1), ValueError, "smooth=-1"),
    (lambda: losses.DiceLoss(smooth="1"), TypeError, "smooth='1'"),
    (lambda: losses.PixelWeightedCrossentropy(from_logits=1), TypeError, "from_logits"),
    (
        lambda: losses.pixel_weighted_crossentropy(TRUE_MC, PRED_MC),
        ValueError,
        "y_true.shape=(1, 2, 2, 2)",
    ),
    (
        lambda: losses.dice_loss(TRUE_MC, PRED_2X2),
        ValueError,
        "y_true.shape=(1, 2, 2, 2)",
    ),
    (lambda: losses.dice_loss(np.ones(3), np.ones(3)), ValueError, "y_pred.shape"),
    (
        lambda: losses.with_weight_channel(TRUE_2X2, np.ones((1, 3, 3))),
        ValueError,
        "weights.shape=(1, 3, 3)",
    ),
    (
        lambda: losses.with_weight_channel(TRUE_2X2, -np.ones((1, 2, 2))),
        ValueError,
        "weights.min()",
    ),
    (lambda: metrics.IoU(num_classes=0), ValueError, "num_classes=0"),
    (lambda: metrics.Dice(threshold=1.5), ValueError, "threshold=1.5"),
    (
        lambda: metrics.IoU(num_classes=2).update_state(TRUE_2X2, PRED_2X2),
        ValueError,
        "y_pred.shape=(1, 2, 2, 1)",
    ),
    (lambda: metrics.iou(np.ones(3), np.ones(4)), ValueError, "y_pred.shape=(4,)"),
    (lambda: metrics.dice(np.array(["a"]), np.ones(1)), TypeError, "y_true.dtype"),
    (
        lambda: metrics.psnr(np.ones(3), np.ones(3), data_range=0),
        ValueError,
        "data_range=0",
    ),
    (lambda: metrics.psnr(np.ones(3), np.ones(2)), ValueError, "image.shape=(2,)"),
    (
        lambda: metrics.ssim(np.ones((5, 5)), np.ones((5, 5))),
        ValueError,
        "reference.shape=(5, 5)",
    ),
    (lambda: metrics.snr(np.zeros(3), np.ones(3)), ValueError, "reference="),
    (
        lambda: metrics.cnr(np.ones(3), np.ones(3), np.ones(3, dtype=bool)),
        TypeError,
        "foreground_mask.dtype",
    ),
    (
        lambda: metrics.cnr(np.ones(3), np.ones(3, bool), np.zeros(3, bool)),
        ValueError,
        "background_mask",
    ),
    (
        lambda: segmentation.unet_weight_map(np.zeros((4, 4), dtype=bool)),
        TypeError,
        "labels.dtype=bool",
    ),
    (
        lambda: segmentation.unet_weight_map(np.zeros((4, 4, 1), dtype=int)),
        ValueError,
        "labels.shape=(4, 4, 1)",
    ),
    (
        lambda: segmentation.unet_weight_map(-np.ones((4, 4), dtype=int)),
        ValueError,
        "labels.min()=-1",
    ),
    (
        lambda: segmentation.unet_weight_map(np.zeros((4, 4), int), w0=-1),
        ValueError,
        "w0=-1",
    ),
    (
        lambda: segmentation.unet_weight_map(np.zeros((4, 4), int), sigma=0),
        ValueError,
        "sigma=0",
    ),
    (
        lambda: segmentation.unet_weight_map(np.zeros((4, 4), int), class_weights="x"),
        ValueError,
        "class_weights='x'",
    ),
    (
        lambda: segmentation.unet_weight_map(
            np.zeros((4, 4), int), class_weights={1: 2}
        ),
        ValueError,
        "class_weights={1: 2}",
    ),
    (
        lambda: segmentation.unet_weight_map(np.zeros((4, 4), int), class_weights=3),
        TypeError,
        "class_weights=3",
    ),
    (
        lambda: segmentation.instances_from_mask(np.full((3, 3), 2)),
        ValueError,
        "mask.dtype",
    ),
    (
        lambda: segmentation.instances_from_mask(np.ones((3, 3)), min_size=0),
        ValueError,
        "min_size=0",
    ),
    (
        lambda: segmentation.instances_from_mask(np.ones((3, 3)), connectivity=3),
        ValueError,
        "connectivity=3",
    ),
    (
        lambda: segmentation.touching_borders(np.zeros((3, 3), int), max_distance=0),
        ValueError,
        "max_distance=0",
    ),
    (lambda: losses.multi_output_loss("no_such_loss", [1.0]), ValueError, "loss="),
    (lambda: losses.multi_output_loss(3, [1.0]), TypeError, "loss=3"),
    (lambda: losses.multi_output_loss("mse", []), ValueError, "weights=[]"),
    (lambda: losses.multi_output_loss("mse", 0.3), TypeError, "weights=0.3"),
    (lambda: losses.multi_output_loss("mse", [1, -0.3]), ValueError, "weights[1]=-0.3"),
    (
        lambda: losses.multi_output_loss("mse", [1, 1])(
            np.ones((2, 1)), [np.ones((2, 1))]
        ),
        ValueError,
        "len(outputs)=1",
    ),
]


def _three_heads():
    """A tiny classifier with a main and two auxiliary softmax heads."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((5,), name="inputs")
    hidden = keras.layers.Dense(6, activation="relu", name="trunk")(inputs)
    heads = [
        keras.layers.Dense(3, activation="softmax", name=name)(hidden)
        for name in ("main", "aux1", "aux2")
    ]
    return keras.Model(inputs, heads, name="three_heads")


@pytest.mark.parametrize("weights", [(1.0, 0.3, 0.3), (1.0, 0.0, 0.0), (0.5, 2.0, 1.0)])
def test_multi_output_loss_is_what_compile_minimises(weights):
    model = _three_heads()
    x = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")
    y = np.arange(8) % 3
    model.compile(
        optimizer="sgd",
        loss=["sparse_categorical_crossentropy"] * 3,
        loss_weights=list(weights),
    )
    outputs = model(x)
    compiled = model.compute_loss(x=x, y=(y,) * 3, y_pred=outputs, training=False)
    objective = losses.multi_output_loss("sparse_categorical_crossentropy", weights)
    per_example = keras.ops.convert_to_numpy(objective(y, outputs))
    assert per_example.shape == (8,)
    np.testing.assert_allclose(
        per_example.mean(), keras.ops.convert_to_numpy(compiled), rtol=1e-5
    )
    # a callable loss is used as given
    own = losses.multi_output_loss(
        keras.losses.sparse_categorical_crossentropy, weights
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(own(y, outputs)), per_example)


@pytest.mark.parametrize("call, error, received", INVALID)
def test_bad_arguments(call, error, received):
    with pytest.raises(error, match="Received:") as info:
        call()
    assert received in str(info.value)


def test_separate_instances_cuts_touching_objects_only():
    labels = np.zeros((6, 8), dtype=np.int32)
    labels[1:5, 1:4] = 1  # touches object 2 along column 3/4
    labels[1:5, 4:7] = 2
    lone = np.zeros((6, 8), dtype=np.int32)
    lone[1:5, 1:4] = 1
    separated = segmentation.separate_instances(labels)
    assert (separated[1:5, 3] == 0).all()  # the contact column of object 1 is cut
    assert (separated[1:5, 4:7] == 2).all() and (separated[1:5, 1:3] == 1).all()
    # Background now separates them: two components again.
    assert segmentation.instances_from_mask(separated > 0).max() == 2
    assert segmentation.instances_from_mask(labels > 0).max() == 1
    np.testing.assert_array_equal(segmentation.separate_instances(lone), lone)


def test_patches_are_centred_and_mirrored():
    images = np.arange(2 * 5 * 5, dtype=np.float32).reshape(2, 5, 5, 1)
    patches = segmentation.patches_at(images, [1, 0], [2, 0], [2, 4], size=3)
    assert patches.shape == (2, 3, 3, 1)
    np.testing.assert_array_equal(patches[0, ..., 0], images[1, 1:4, 1:4, 0])
    assert patches[1, 1, 1, 0] == images[0, 0, 4, 0]  # the centre is the pixel
    assert patches[1, 0, 1, 0] == images[0, 1, 4, 0]  # row -1 mirrors row 1


def test_predict_by_patches_visits_every_pixel():
    inputs = keras.Input((3, 3, 1))
    centre = keras.layers.Lambda(lambda x: x[:, 1, 1, :])(inputs)
    model = keras.Model(inputs, centre)
    image = np.random.default_rng(0).random((4, 6, 1), dtype=np.float32)
    out = segmentation.predict_by_patches(model, image, size=3, batch_size=5)
    np.testing.assert_allclose(out, image[..., 0], rtol=1e-6)


@pytest.mark.parametrize("size", [4, 0])
def test_patch_size_must_be_odd_and_positive(size):
    with pytest.raises(ValueError, match="Received:"):
        segmentation.patches_at(np.zeros((1, 5, 5, 1)), [0], [0], [0], size=size)
