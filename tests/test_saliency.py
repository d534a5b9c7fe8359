"""Saliency maps on every kind of Keras 3 model, and the sanity checks.

TensorFlow only: tf-keras-vis is.
"""

import keras
import numpy as np
import pytest

if keras.backend.backend() != "tensorflow":
    pytest.skip("course.saliency needs the TensorFlow backend", allow_module_level=True)

import tensorflow as tf  # noqa: E402

from course import data, models, saliency, transfer  # noqa: E402

SHAPE = (28, 28, 1)
CLASSES = 4
SPLITS = data.shapes(96, 8, image_size=28, seed=0, verbose=False)
IMAGES = SPLITS.x_test[:2]


def _sequential():
    return keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv1"),
            keras.layers.MaxPooling2D(name="pool1"),
            keras.layers.Conv2D(16, 3, activation="relu", name="conv2"),
            keras.layers.GlobalAveragePooling2D(name="gap"),
            keras.layers.Dense(CLASSES, activation="softmax", name="predictions"),
        ],
        name="sequential_cnn",
    )


def _functional():
    return models.lenet5(SHAPE, CLASSES, activation="relu", pooling="max")


def _base():
    return models.small_vgg(SHAPE, widths=(8, 16), include_top=False, name="base")


def _nested():
    inputs = keras.Input(SHAPE, name="inputs")
    x = _base()(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="head_pool")(x)
    outputs = keras.layers.Dense(CLASSES, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="nested_transfer")


def _nested_sequential():
    return keras.Sequential(
        [
            keras.Input(SHAPE),
            _base(),
            keras.layers.GlobalAveragePooling2D(name="head_pool"),
            keras.layers.Dense(CLASSES, activation="softmax", name="predictions"),
        ],
        name="nested_sequential",
    )


def _extractor():
    return transfer.feature_extractor(_base(), CLASSES)


BUILDERS = {
    "sequential": _sequential,
    "functional": _functional,
    "nested": _nested,
    "nested_sequential": _nested_sequential,
    "flat_transfer": _extractor,
}


def _trained(build):
    keras.utils.set_random_seed(0)
    model = build()
    for layer in model.layers:
        layer.trainable = True
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(SPLITS.x_train, SPLITS.y_train, epochs=2, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def trained():
    return {kind: _trained(build) for kind, build in BUILDERS.items()}


@pytest.fixture
def mixed_precision():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy("float32")


def _check_maps(maps, count=2):
    assert maps.shape == (count,) + SHAPE[:2]
    assert maps.dtype == np.float32
    assert np.all(np.isfinite(maps))
    assert maps.min() >= 0.0 and maps.max() <= 1.0


# ------------------------------------------------------------- every method, kind


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("method", list(saliency.METHODS))
def test_every_method_on_every_kind_of_model(trained, kind, method):
    maps = saliency.saliency_map(
        trained[kind], IMAGES, [0, 1], method, smooth_samples=3
    )
    _check_maps(maps)
    assert maps.std() > 0  # a map, not a constant


@pytest.mark.parametrize("kind", ["sequential", "nested"])
@pytest.mark.parametrize("method", ["vanilla", "guided", "gradcam", "scorecam"])
def test_maps_differ_between_classes_and_images(trained, kind, method):
    model = trained[kind]
    first = saliency.saliency_map(model, IMAGES[:1], 0, method, normalize=False)
    other_class = saliency.saliency_map(model, IMAGES[:1], 2, method, normalize=False)
    other_image = saliency.saliency_map(model, IMAGES[1:], 0, method, normalize=False)
    assert not np.allclose(first, other_class)
    assert not np.allclose(first, other_image)


@pytest.mark.parametrize("method", ["guided", "rectified", "gradcam"])
def test_the_model_is_left_as_it_was(trained, method):
    model = trained["nested"]
    before = model.predict(IMAGES, verbose=0)
    activations = [getattr(layer, "activation", None) for layer in model.layers]
    saliency.saliency_map(model, IMAGES, 1, method)
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), before, rtol=1e-6)
    assert [getattr(layer, "activation", None) for layer in model.layers] == (
        activations
    )


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_flat_and_linear_models_share_the_weights(trained, kind):
    model = trained[kind]
    flat = saliency.as_functional(model)
    assert not any(isinstance(layer, keras.Model) for layer in flat.layers)
    np.testing.assert_allclose(
        flat.predict(IMAGES, verbose=0), model.predict(IMAGES, verbose=0), rtol=1e-5
    )
    logits = saliency.linear_output(model).predict(IMAGES, verbose=0)
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    np.testing.assert_allclose(
        probabilities, model.predict(IMAGES, verbose=0), rtol=1e-4, atol=1e-6
    )


def test_plain_tf_keras_vis_fails_on_a_sequential_model(trained):
    # The reason for linear_output: ReplaceToLinear reads model.output_names.
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    with pytest.raises(AttributeError, match="output_names"):
        ReplaceToLinear()(keras.models.clone_model(trained["sequential"]))


@pytest.mark.parametrize("method", list(saliency.METHODS))
def test_mixed_precision_maps_are_float32_and_finite(mixed_precision, method):
    keras.utils.set_random_seed(0)
    model = _nested()
    assert model.layers[1].compute_dtype == "float16"
    maps = saliency.saliency_map(model, IMAGES, 1, method, smooth_samples=2)
    _check_maps(maps)


# -------------------------------------------------------------- method classes


@pytest.mark.parametrize("method", list(saliency.METHODS))
def test_each_method_class_is_what_the_front_door_runs(trained, method):
    technique = saliency.METHOD_CLASSES[method]
    assert technique.name == method
    assert technique.description == saliency.METHODS[method]
    assert issubclass(technique, saliency.SaliencyMethod)
    options = {"smooth_samples": 3, "layer": "c3_conv", "max_channels": 4}
    own = {name: options[name] for name in technique.options if name in options}
    model = trained["functional"]
    np.testing.assert_array_equal(
        technique(model, **own)(IMAGES, [0, 1]),
        saliency.saliency_map(model, IMAGES, [0, 1], method, **own),
    )


def test_method_classes_take_only_their_own_options(trained):
    model = trained["functional"]
    assert saliency.GRADIENT_METHODS == ("vanilla", "smoothgrad", "guided", "rectified")
    assert saliency.CAM_METHODS == (
        "gradcam",
        "gradcam++",
        "scorecam",
        "faster-scorecam",
    )
    with pytest.raises(TypeError, match="layer"):
        saliency.Vanilla(model, layer="c3_conv")
    with pytest.raises(TypeError, match="smooth_samples"):
        saliency.GradCAM(model, smooth_samples=3)
    with pytest.raises(ValueError, match="Received: percentile=100"):
        saliency.RectifiedGradient(model, percentile=100)
    with pytest.raises(ValueError, match="Received: name='nope'"):
        saliency.ScoreCAM(model, layer="nope")
    with pytest.raises(TypeError, match="Received: normalize=1"):
        saliency.Vanilla(model)(IMAGES, 0, normalize=1)


# ------------------------------------------------------------------- the rules


def _rule_gradient(function, x, dy):
    x = tf.constant(x, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = function(x)
    return tape.gradient(y, x, output_gradients=tf.constant(dy, tf.float32)).numpy()


X_RULE = [[1.0, 2.0, 3.0, -1.0]]
DY_RULE = [[1.0, -1.0, 2.0, 5.0]]


def test_guided_relu_passes_only_positive_gradients_of_active_units():
    grad = _rule_gradient(saliency.surgery._guided(), X_RULE, DY_RULE)
    np.testing.assert_array_equal(grad, [[1.0, 0.0, 2.0, 0.0]])
    plain = _rule_gradient(tf.nn.relu, X_RULE, DY_RULE)
    np.testing.assert_array_equal(plain, [[1.0, -1.0, 2.0, 0.0]])


def test_deconvnet_relu_passes_positive_gradients_wherever_the_input_was():
    grad = _rule_gradient(saliency.surgery._deconvnet(), X_RULE, DY_RULE)
    # No forward gate: the inactive fourth unit passes its positive gradient.
    np.testing.assert_array_equal(grad, [[1.0, 0.0, 2.0, 5.0]])


def test_gradcam_backprop_rules_change_only_what_passes_the_relus(trained):
    # LeNet-5 has ReLU layers (C5, F6) between its last feature map and the score.
    model = trained["functional"]
    maps = {
        rule: saliency.saliency_map(
            model, IMAGES, [0, 1], "gradcam", backprop=rule, normalize=False
        )
        for rule in saliency.BACKPROP_RULES
    }
    for rule, found in maps.items():
        assert found.shape == (2,) + SHAPE[:2] and np.all(found >= 0), rule
    assert not np.allclose(maps[None], maps["guided"])
    assert not np.allclose(maps["guided"], maps["deconvnet"])
    # The sequential CNN has no ReLU above its last convolution: nothing changes.
    plain, guided = (
        saliency.saliency_map(trained["sequential"], IMAGES, 0, "gradcam", backprop=r)
        for r in (None, "guided")
    )
    np.testing.assert_allclose(plain, guided, atol=1e-6)


@pytest.mark.parametrize(
    "method, backprop, error",
    [("vanilla", "guided", ValueError), ("gradcam", "relu", ValueError)],
)
def test_backprop_is_checked(trained, method, backprop, error):
    with pytest.raises(error, match=f"Received: backprop='{backprop}'"):
        saliency.saliency_map(
            trained["sequential"], IMAGES, 0, method, backprop=backprop
        )


def test_guided_relu6_also_closes_above_six():
    grad = _rule_gradient(
        saliency.surgery._guided(tf.nn.relu6), [[7.0, 3.0, 3.0]], [[1.0, 1.0, -1.0]]
    )
    np.testing.assert_array_equal(grad, [[0.0, 1.0, 0.0]])


def test_guided_and_rectified_reach_the_relu6_of_mobilenet():
    model = transfer.imagenet_base(
        input_shape=(32, 32, 3), pretrained=False, alpha=0.35, verbose=False
    )
    inputs = keras.Input((32, 32, 3))
    features = keras.layers.GlobalAveragePooling2D(name="head_pool")(model(inputs))
    classifier = keras.Model(
        inputs, keras.layers.Dense(3, name="predictions")(features)
    )
    images = np.random.default_rng(0).random((1, 32, 32, 3), dtype=np.float32)
    vanilla = saliency.saliency_map(classifier, images, 0, "vanilla")
    for method in ("guided", "rectified"):
        assert not np.allclose(
            vanilla, saliency.saliency_map(classifier, images, 0, method)
        )


@pytest.mark.parametrize(
    "percentile, expected",
    [
        # importance a * dy = [1, -2, 6, 0]; threshold = that percentile
        (0.0, [[1.0, 0.0, 2.0, 0.0]]),
        (75.0, [[0.0, 0.0, 2.0, 0.0]]),
    ],
)
def test_rectified_relu_thresholds_the_importance_scores(percentile, expected):
    grad = _rule_gradient(saliency.surgery._rectified(percentile), X_RULE, DY_RULE)
    np.testing.assert_array_equal(grad, expected)


def test_smoothgrad_repeats_with_its_seed(trained):
    model = trained["functional"]
    first = saliency.saliency_map(model, IMAGES, 0, "smoothgrad", smooth_samples=3)
    again = saliency.saliency_map(model, IMAGES, 0, "smoothgrad", smooth_samples=3)
    other = saliency.saliency_map(
        model, IMAGES, 0, "smoothgrad", smooth_samples=3, seed=1
    )
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("reduce", saliency.REDUCTIONS)
def test_channel_reduction_of_a_colour_model(reduce):
    keras.utils.set_random_seed(0)
    model = models.small_vgg((16, 16, 3), 3, widths=(4, 8))
    images = np.random.default_rng(0).random((1, 16, 16, 3), dtype=np.float32)
    raw = saliency.saliency_map(model, images, 0, normalize=False, reduce=reduce)
    logits = saliency.linear_output(model)
    x = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = logits(x)[:, 0]
    grads = tape.gradient(score, x).numpy()
    expected = getattr(np.abs(grads), reduce)(axis=-1)
    np.testing.assert_allclose(raw, expected, rtol=1e-5)


@pytest.mark.parametrize(
    "kind, layer",
    [
        ("functional", "c3_conv"),  # c5_conv is 1x1, s4_pool a pooling
        ("sequential", "conv2"),
        ("nested", "block2_relu2"),
        ("flat_transfer", "block2_relu2"),
    ],
)
def test_defaults_are_the_predicted_class_and_the_last_conv_stage(trained, kind, layer):
    model = trained[kind]
    predicted = np.argmax(model.predict(IMAGES, verbose=0), axis=-1).tolist()
    np.testing.assert_array_equal(
        saliency.saliency_map(model, IMAGES, None, "gradcam"),
        saliency.saliency_map(model, IMAGES, predicted, "gradcam", layer=layer),
    )


def test_layers_of_nested_models_are_found_and_used(trained):
    model = trained["nested"]
    assert saliency.find_layer(model, "block1_conv1").name == "block1_conv1"
    assert "block2_relu2" in saliency.feature_layers(model)
    early = saliency.saliency_map(model, IMAGES, 0, "gradcam", layer="block1_relu1")
    late = saliency.saliency_map(model, IMAGES, 0, "gradcam", layer="base")
    assert not np.allclose(early, late)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"class_index": 4}, r"integer in \[0, 3\].*Received: class_index=4"),
        ({"class_index": -1}, r"integer in \[0, 3\]"),
        ({"class_index": [0, 1, 2]}, r"2 such integers"),
        ({"method": "deconvnet"}, r"'vanilla', 'smoothgrad'.*method='deconvnet'"),
        (
            {"method": "gradcam", "layer": "no_such_layer"},
            r"block1_conv1.*Received: name='no_such_layer'",
        ),
        ({"method": "gradcam", "layer": "head_pool"}, r"4-D output.*block2_relu2"),
        ({"method": "vanilla", "layer": "block1_conv1"}, r"only \('gradcam'"),
        ({"reduce": "sum"}, r"\('max', 'mean'\).*reduce='sum'"),
        ({"percentile": 100}, r"\[0, 100\)"),
        ({"images": np.zeros((2, 32, 32, 1))}, r"shape \(N, 28, 28, 1\)"),
    ],
)
def test_bad_arguments_name_the_allowed_values(trained, kwargs, message):
    arguments = {"images": IMAGES, "class_index": 0, "method": "vanilla", **kwargs}
    with pytest.raises(ValueError, match=message):
        saliency.saliency_map(trained["nested"], **arguments)


def test_find_layer_lists_the_names_there_are(trained):
    with pytest.raises(ValueError, match=r"conv1, pool1, conv2, gap, predictions"):
        saliency.find_layer(trained["sequential"], "conv3")


@pytest.mark.parametrize(
    "model, error",
    [
        ("not a model", TypeError),
        (keras.Sequential([keras.layers.Dense(2)]), ValueError),
    ],
)
def test_unusable_models_are_refused(model, error):
    with pytest.raises(error, match="Received: model="):
        saliency.as_functional(model)


# --------------------------------------------------------------- similarities


def test_similarities_of_equal_reversed_and_different_maps():
    rng = np.random.default_rng(0)
    a = rng.random((12, 12))
    assert saliency.rank_correlation(a, a) == pytest.approx(1.0)
    assert saliency.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert abs(saliency.rank_correlation(a, rng.random((12, 12)))) < 0.3
    assert saliency.map_ssim(a, a) == pytest.approx(1.0)
    assert saliency.map_ssim(a, rng.random((12, 12))) < 0.5
    with pytest.raises(ValueError, match="same shape"):
        saliency.rank_correlation(a, a[:5])


# -------------------------------------------------------------- sanity checks


def test_cascading_randomization_moves_the_maps_and_spares_the_model(trained):
    model = trained["functional"]
    weights = [w.copy() for w in model.get_weights()]
    steps = saliency.cascading_randomization(model, IMAGES, [0, 1], "vanilla")
    assert [s["layer"] for s in steps] == [
        None,
        "predictions",
        "f6_dense",
        "c5_conv",
        "c3_conv",
        "c1_conv",
    ]
    assert steps[0]["rank_correlation"] == pytest.approx(1.0)
    assert steps[-1]["rank_correlation"] < 0.9
    assert steps[-1]["ssim"] < steps[0]["ssim"]
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    summary = saliency.randomization_summary(steps)
    assert summary["verdict"] in ("changes", "survives")
    assert saliency.randomization_summary(steps, threshold=0.0)["verdict"] == (
        "survives"
    )


def test_cascading_randomization_of_chosen_layers_in_a_nested_model(trained):
    steps = saliency.cascading_randomization(
        trained["nested"], IMAGES, 0, "gradcam", layers=["predictions", "block2_conv2"]
    )
    assert [s["randomized"] for s in steps] == [0, 1, 2]
    with pytest.raises(ValueError, match="Received: name='nope'"):
        saliency.cascading_randomization(trained["nested"], IMAGES, 0, layers=["nope"])


def test_label_randomization_check_reports_both_networks():
    report = saliency.label_randomization_check(
        _sequential,
        SPLITS.x_train[:64],
        SPLITS.y_train[:64],
        IMAGES,
        0,
        methods=("vanilla", "gradcam"),
        epochs=2,
    )
    assert set(report["train_accuracy"]) == {"true", "random"}
    assert set(report["methods"]) == {"vanilla", "gradcam"}
    for similarity in report["methods"].values():
        assert -1.0 <= similarity["rank_correlation"] < 1.0
    with pytest.raises(ValueError, match="methods='nope'"):
        saliency.label_randomization_check(
            _sequential, SPLITS.x_train, SPLITS.y_train, IMAGES, 0, methods="nope"
        )


# ------------------------------------------------------------------ TensorBoard


def test_saliency_images_are_written_during_training(tmp_path):
    keras.utils.set_random_seed(0)
    model = _sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callback = saliency.SaliencyImages(
        IMAGES, 0, ["vanilla", "gradcam"], log_dir=tmp_path, every=2
    )
    model.fit(
        SPLITS.x_train[:32],
        SPLITS.y_train[:32],
        epochs=2,
        verbose=0,
        callbacks=[callback],
    )
    events = list((tmp_path / "saliency").glob("events.out.tfevents.*"))
    assert len(events) == 1
    tags = {
        value.tag
        for event in tf.compat.v1.train.summary_iterator(str(events[0]))
        for value in event.summary.value
    }
    assert tags == {"saliency/vanilla", "saliency/gradcam"}
    with pytest.raises(ValueError, match="Received: every=0"):
        saliency.SaliencyImages(IMAGES, 0, log_dir=tmp_path, every=0)


@pytest.mark.parametrize(
    "maps, masks, expected",
    [
        (np.ones((1, 4, 4)), np.eye(4, dtype=bool)[None], [0.25]),
        (np.ones((2, 4, 4)), np.eye(4, dtype=bool), [0.25, 0.25]),  # one mask for all
        (np.zeros((1, 4, 4)), np.eye(4, dtype=bool)[None], [0.0]),  # an empty map
        (
            np.stack([np.eye(4), 1 - np.eye(4)]),
            np.stack([np.eye(4, dtype=bool)] * 2),
            [1.0, 0.0],
        ),
    ],
)
def test_mass_inside(maps, masks, expected):
    np.testing.assert_allclose(saliency.mass_inside(maps, masks), expected)


@pytest.mark.parametrize(
    "maps, masks, fragment",
    [
        (-np.ones((1, 4, 4)), np.ones((1, 4, 4), bool), "non-negative"),
        (np.ones((4, 4)), np.ones((4, 4), bool), "maps.shape"),
        (np.ones((1, 4, 4)), np.ones((1, 4, 4)), "boolean masks"),
        (np.ones((1, 4, 4)), np.ones((2, 4, 4), bool), "boolean masks"),
    ],
)
def test_mass_inside_rejects(maps, masks, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        saliency.mass_inside(maps, masks)
    assert "Received:" in str(info.value)
