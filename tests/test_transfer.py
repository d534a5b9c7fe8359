"""Transfer learning: frozen bases stay put, fine-tuning keeps batch norm frozen."""

import json

import keras
import numpy as np
import pytest

from course import data, models, transfer

RNG = np.random.default_rng(0)
X = RNG.random((16, 28, 28, 1), dtype=np.float32)
Y = np.arange(16) % 3


def small_base():
    keras.utils.set_random_seed(0)
    return models.small_vgg(
        (28, 28, 1), widths=(4, 8, 8), include_top=False, name="base"
    )


def tiny_mobilenet():
    return transfer.imagenet_base(
        input_shape=(32, 32, 3), pretrained=False, alpha=0.35, verbose=False
    )


def weights_of(layers):
    return [keras.ops.convert_to_numpy(w) for layer in layers for w in layer.weights]


def compiled(model, learning_rate=1e-2):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def batch_norm_layers(model):
    return [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


@pytest.mark.parametrize(
    "layer_name, feature_shape", [(None, (3, 3, 8)), ("block2_pool", (7, 7, 8))]
)
def test_feature_extractor_is_flat_and_built_on_the_base_graph(
    layer_name, feature_shape
):
    base = small_base()
    model = transfer.feature_extractor(base, 3, layer_name=layer_name)
    assert model.inputs[0] is base.inputs[0]
    assert not any(isinstance(layer, keras.Model) for layer in model.layers)
    assert [layer.name for layer in model.layers[-2:]] == ["head_pool", "predictions"]
    assert tuple(model.get_layer("head_pool").input.shape[1:]) == feature_shape
    assert model.output_shape == (None, 3)
    # Only the head trains: 8 features x 3 classes + 3 biases.
    assert transfer.count_params(model)["trainable"] == 8 * 3 + 3


def test_a_frozen_base_does_not_move_in_training():
    base = small_base()
    model = compiled(transfer.feature_extractor(base, 3, dropout=0.2))
    before = weights_of(base.layers)
    head_before = keras.ops.convert_to_numpy(model.get_layer("predictions").kernel)
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    for old, new in zip(before, weights_of(base.layers), strict=True):
        np.testing.assert_array_equal(old, new)  # batch-norm statistics included
    assert not np.allclose(head_before, model.get_layer("predictions").kernel)


@pytest.mark.parametrize(
    "builder, unfreeze_from",
    [(small_base, "block3_conv1"), (tiny_mobilenet, "block_13_expand")],
)
def test_fine_tune_keeps_batch_norm_statistics_and_early_layers(builder, unfreeze_from):
    base = builder()
    shape = base.input_shape[1:]
    x = RNG.random((8, *shape), dtype=np.float32)
    y = np.arange(8) % 3
    model = transfer.fine_tune(
        transfer.feature_extractor(base, 3), unfreeze_from, learning_rate=1e-2
    )
    names = [layer.name for layer in model.layers]
    start = names.index(unfreeze_from)
    early, late = model.layers[:start], model.layers[start:]
    norms = batch_norm_layers(model)
    assert norms and not any(layer.trainable for layer in norms)
    assert not any(layer.trainable for layer in early)
    late_convs = [layer for layer in late if isinstance(layer, keras.layers.Conv2D)]
    assert late_convs and all(layer.trainable for layer in late_convs)

    statistics = [keras.ops.convert_to_numpy(layer.moving_mean) for layer in norms]
    variances = [keras.ops.convert_to_numpy(layer.moving_variance) for layer in norms]
    early_weights = weights_of(early)
    conv_before = keras.ops.convert_to_numpy(late_convs[0].kernel)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    for layer, mean, variance in zip(norms, statistics, variances, strict=True):
        np.testing.assert_array_equal(mean, layer.moving_mean)
        np.testing.assert_array_equal(variance, layer.moving_variance)
    for old, new in zip(early_weights, weights_of(early), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not np.allclose(conv_before, late_convs[0].kernel)


def test_fine_tune_can_train_batch_norm_when_asked():
    model = transfer.fine_tune(
        transfer.feature_extractor(small_base(), 3), train_batchnorm=True
    )
    norms = batch_norm_layers(model)
    means = [keras.ops.convert_to_numpy(layer.moving_mean) for layer in norms]
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    assert all(layer.trainable for layer in model.layers)
    assert any(
        not np.allclose(m, layer.moving_mean)
        for m, layer in zip(means, norms, strict=True)
    )


def test_three_step_transfer_trains_head_then_last_block():
    base = small_base()
    model, histories = transfer.three_step_transfer(
        base,
        (X, Y),
        (X, Y),
        num_classes=3,
        unfreeze_from="block3_conv1",
        head_epochs=2,
        fine_tune_epochs=1,
        batch_size=8,
    )
    assert list(histories) == ["head", "fine_tune"]
    assert len(histories["head"]["loss"]) == 2 and "val_loss" in histories["head"]
    assert model.get_layer("block3_conv1").trainable
    assert not model.get_layer("block2_conv2").trainable
    assert not model.get_layer("block3_bn1").trainable
    assert model.optimizer.learning_rate.numpy() == pytest.approx(1e-4)


@pytest.fixture(scope="module")
def imagenet_weights(tmp_path_factory):
    """A stand-in for Keras' MobileNetV2 (alpha 0.35) no-top weights file.

    Random weights in the legacy ``.h5`` format Keras Applications load with
    ``model.load_weights``. The network is fully convolutional, so one file fits
    every input size; which file Keras asks for is what the test checks.
    """
    keras.utils.set_random_seed(1)
    model = keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), include_top=False, weights=None, alpha=0.35
    )
    path = tmp_path_factory.mktemp("keras_models") / "mobilenet_v2_no_top.h5"
    model.save(path)
    return path, keras.ops.convert_to_numpy(model.get_layer("Conv1").kernel)


@pytest.mark.parametrize(
    "input_shape, side, verbose",
    [
        ((96, 96, 3), 96, True),  # the course's size
        ((96, 128, 3), 224, True),  # no weights for non-square inputs
        ((100, 100, 3), 224, False),  # nor for other sides: a warning instead
    ],
)
def test_imagenet_base_loads_the_weights_of_its_resolution(
    input_shape, side, verbose, imagenet_weights, monkeypatch, capsys
):
    from keras.src.utils import file_utils  # what Keras Applications downloads with

    path, conv1_kernel = imagenet_weights
    requested = []

    def get_file(fname, origin=None, *args, **kwargs):
        requested.append((fname, origin))
        return str(path)

    monkeypatch.setattr(file_utils, "get_file", get_file)
    assert transfer.imagenet_weights_side(input_shape) == side
    if verbose:
        base = transfer.imagenet_base(input_shape=input_shape, alpha=0.35)
    else:
        with pytest.warns(UserWarning, match=f"weights for {side}x{side} inputs"):
            base = transfer.imagenet_base(
                input_shape=input_shape, alpha=0.35, verbose=False
            )
    ((fname, origin),) = requested
    assert fname == (
        f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_{side}_no_top.h5"
    )
    assert origin.endswith(fname)
    # The file was loaded into the base, not merely asked for.
    loaded = keras.ops.convert_to_numpy(base.get_layer("Conv1").kernel)
    np.testing.assert_array_equal(loaded, conv1_kernel)
    assert base.input_shape == (None, *input_shape)
    printed = capsys.readouterr().out
    if verbose:
        assert f"with ImageNet weights for {side}x{side} inputs" in printed
        mismatch = f"none exist for {input_shape[0]}x{input_shape[1]}"
        assert (mismatch in printed) == (input_shape[:2] != (side, side))
    else:
        assert printed == ""


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def test_course_base_is_pretrained_once_and_verified(cache, capsys):
    first = transfer.course_base(images=20, epochs=1, cache_dir=cache)
    assert "pretrained now" in capsys.readouterr().out
    second = transfer.course_base(images=20, epochs=1, cache_dir=cache)
    assert "hash verified" in capsys.readouterr().out
    assert first is not second  # fresh models: experiments never share weights
    for a, b in zip(first.weights, second.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.output_shape == (None, 3, 3, 64)
    (record,) = (cache / "pretrained").glob("*.json")
    saved = json.loads(record.read_text())
    assert saved["images"] == 20 and saved["source_task"] == "MNIST digits 0-4"
    assert not list((cache / "pretrained").glob("*tmp*"))


def test_a_damaged_pretrained_base_is_an_error(cache):
    transfer.course_base(images=30, epochs=1, cache_dir=cache, verbose=False)
    (weights,) = (cache / "pretrained").glob("*n30*.weights.h5")
    weights.write_bytes(weights.read_bytes() + b"x")
    with pytest.raises(data.CorruptCacheError, match="Delete both files"):
        transfer.course_base(images=30, epochs=1, cache_dir=cache)


def test_course_base_untrained_is_random():
    untrained = transfer.course_base(False, seed=1)
    assert untrained.name == "course_base"
    assert untrained.output_shape == (None, 3, 3, 64)


@pytest.mark.parametrize("source", transfer.BASE_SOURCES)
def test_base_specs_name_real_layers(source):
    spec = transfer.base_spec(source)
    base = tiny_mobilenet() if source == "imagenet" else transfer.course_base(False)
    names = [layer.name for layer in base.layers]
    assert spec.early_layer in names and spec.unfreeze_from in names
    assert names.index(spec.early_layer) < names.index(spec.unfreeze_from)


@pytest.mark.parametrize(
    "method, pretrained",
    [
        ("scratch", True),
        ("extractor", True),
        ("early_extractor", True),
        ("fine_tune", True),
        ("init", True),
        ("extractor", False),
    ],
)
def test_run_method_reports_accuracies(method, pretrained, cache, monkeypatch):
    spec = transfer.base_spec("course")
    built = []
    build = transfer.BaseSpec.build
    monkeypatch.setattr(
        transfer.BaseSpec,
        "build",
        lambda self, flag, **kwargs: built.append(flag) or build(self, flag, **kwargs),
    )
    result = transfer.run_method(
        method,
        spec,
        (X, Y),
        (X[:6], Y[:6]),
        num_classes=3,
        steps=4,
        epochs=2,
        batch_size=8,
        base_kwargs={"images": 20, "epochs": 1, "cache_dir": cache, "verbose": False},
        pretrained=pretrained,
    )
    assert result["method"] == method and result["size"] == 16
    # scratch starts from random weights whatever it is asked
    assert built == [result["pretrained"]] == [pretrained and method != "scratch"]
    assert 0 <= result["train_accuracy"] <= 1 and 0 <= result["test_accuracy"] <= 1


@pytest.mark.parametrize("size", [3, 4, 7, 16])
def test_stratified_subset_is_balanced(size):
    index = transfer.stratified_subset(Y, size, seed=1)
    assert len(index) == len(set(index.tolist())) == size
    counts = np.bincount(Y[index], minlength=3)
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("size, count", [(5, 3), (5, 5), (5, 12), (4, 40)])
def test_repeat_to_cycles_evenly(size, count):
    index = transfer.repeat_to(size, count, seed=0)
    assert len(index) == max(size, count)
    counts = np.bincount(index, minlength=size)
    assert counts.max() - counts.min() <= 1


def test_transfer_tasks_offline():
    tasks = transfer.transfer_tasks("course", shapes_train=8, shapes_test=4)
    x_train, y_train, x_test, y_test, names = tasks["similar"]
    assert x_train.shape[1:] == (28, 28, 1) and x_train.dtype == np.float32
    assert 0 <= x_train.min() and x_train.max() <= 1
    assert names == ("5", "6", "7", "8", "9") and set(y_test) == set(range(5))
    x_train, y_train, x_test, y_test, names = tasks["different"]
    assert x_train.shape == (8, 28, 28, 1) and len(names) == 4


def test_the_recommendation_table_uses_known_methods():
    assert set(transfer.RECOMMENDATION.values()) <= set(transfer.METHODS)
    assert len(transfer.RECOMMENDATION) == 4


BAD = [
    (transfer.feature_extractor, ("not a model", 3), {}, TypeError, "base"),
    (transfer.feature_extractor, (None, 3), {}, TypeError, "base"),
    ("base", (0,), {}, ValueError, "num_classes"),
    ("base", (3,), {"layer_name": "nope"}, ValueError, "layer_name"),
    ("base", (3,), {"layer_name": 4}, TypeError, "layer_name"),
    ("base", (3,), {"dropout": 1.0}, ValueError, "dropout"),
    ("model", ("nope",), {}, ValueError, "unfreeze_from"),
    ("model", (None, 0.0), {}, ValueError, "learning_rate"),
    ("model", (None, -1e-3), {}, ValueError, "learning_rate"),
    ("model", (None,), {"train_batchnorm": "yes"}, TypeError, "train_batchnorm"),
    (transfer.imagenet_base, ("ResNet50",), {}, ValueError, "architecture"),
    (transfer.imagenet_base, (), {"input_shape": (96, 96, 1)}, ValueError, "shape"),
    (transfer.imagenet_base, (), {"input_shape": (16, 16, 3)}, ValueError, "shape"),
    (transfer.imagenet_base, (), {"pretrained": "yes"}, TypeError, "pretrained"),
    (transfer.imagenet_base, (), {"alpha": 0.6}, ValueError, "alpha"),
    (transfer.course_base, ("yes",), {}, TypeError, "pretrained"),
    (transfer.course_base, (), {"images": 5}, ValueError, "images"),
    (transfer.course_base, (), {"epochs": 0}, ValueError, "epochs"),
    (transfer.base_spec, ("vgg",), {}, ValueError, "source"),
    (transfer.stratified_subset, (Y, 2), {}, ValueError, "size"),
    (transfer.stratified_subset, (Y, 17), {}, ValueError, "size"),
    (transfer.repeat_to, (0, 3), {}, ValueError, "size"),
    (transfer.transfer_tasks, ("web",), {}, ValueError, "source"),
    (transfer.count_params, ([],), {}, TypeError, "model"),
]


@pytest.mark.parametrize("function, args, kwargs, error, fragment", BAD)
def test_bad_arguments(function, args, kwargs, error, fragment):
    if function == "base":
        function, args = transfer.feature_extractor, (small_base(), *args)
    elif function == "model":
        model = transfer.feature_extractor(small_base(), 3)
        function, args = transfer.fine_tune, (model, *args)
    with pytest.raises(error, match=fragment) as info:
        function(*args, **kwargs)
    assert "Received:" in str(info.value)


@pytest.mark.parametrize(
    "method, kwargs, fragment",
    [
        ("boost", {}, "method"),
        ("scratch", {"steps": 1}, "steps"),
        ("scratch", {"epochs": 1}, "epochs"),
        ("scratch", {"train": (X, Y[:3])}, "train"),
        ("scratch", {"spec": "course"}, "spec"),
        ("extractor", {"pretrained": "no"}, "pretrained"),
    ],
)
def test_run_method_rejects_bad_arguments(method, kwargs, fragment):
    arguments = {
        "spec": transfer.base_spec("course"),
        "train": (X, Y),
        "test": (X, Y),
        "num_classes": 3,
        "steps": 4,
    } | kwargs
    with pytest.raises((ValueError, TypeError), match=fragment) as info:
        transfer.run_method(method, **arguments)
    assert "Received:" in str(info.value)


def test_three_step_transfer_checks_before_freezing():
    base = small_base()
    with pytest.raises(ValueError, match="unfreeze_from") as info:
        transfer.three_step_transfer(base, (X, Y), num_classes=3, unfreeze_from="nope")
    assert "Received:" in str(info.value)
    assert all(layer.trainable for layer in base.layers)  # nothing was frozen
