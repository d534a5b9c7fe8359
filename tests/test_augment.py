"""Augmentation pipelines: identity at inference, random in training, argument checks.

Every test uses the same tiny batch shape so that the JAX backend, which compiles
each operation once per shape, stays fast.
"""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course import augment  # noqa: E402

SHAPE = (16, 16, 3)
BATCH = 4


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _images(seed=0):
    """A batch of random RGB images, float32 in [0, 1]."""
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(BATCH, *SHAPE)).astype("float32")


def _gradient():
    """BATCH copies of an image whose value grows from 0 (top left) to 1."""
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    image = (rows + cols) / (SHAPE[0] + SHAPE[1] - 2)
    image = np.repeat(image[..., None], SHAPE[2], axis=-1)
    return np.repeat(image[None], BATCH, axis=0).astype("float32")


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


# builder, strong arguments (so that training visibly changes the images),
# the layer suffixes the builder must create, in order.
PIPELINES = [
    (augment.flip, {"mode": "horizontal_and_vertical"}, ["flip"]),
    (augment.random_erasing, {"probability": 1.0}, ["erasing"]),
    (augment.random_resized_crop, {"scale": (0.2, 0.5)}, ["crop"]),
    (
        augment.perspective,
        {},
        ["perspective", "rotation", "shear", "translation"],
    ),
    (
        augment.perspective,
        {"rotation": 0.0, "shear": 0.0, "translation": 0.0},
        ["perspective"],
    ),
    (
        augment.color_jitter,
        {"brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.2},
        ["brightness", "contrast", "saturation", "hue"],
    ),
    (augment.color_jitter, {"hue": 0.0, "saturation": 0.0}, ["brightness", "contrast"]),
    (
        augment.image_augmentation,
        {},
        [
            "crop",
            "flip",
            "perspective",
            "rotation",
            "shear",
            "translation",
            "brightness",
            "contrast",
            "saturation",
            "hue",
            "erasing",
        ],
    ),
    (
        augment.image_augmentation,
        {"flip": False, "perspective": False, "color": {"hue": 0.0}, "erasing": False},
        ["crop", "brightness", "contrast", "saturation"],
    ),
    (
        augment.digit_augmentation,
        {"rotation": 0.2, "erasing": 1.0},
        ["rotation", "translation", "zoom", "erasing"],
    ),
]
PIPELINE_IDS = [
    f"{builder.__name__}-{'-'.join(layers)}" for builder, _, layers in PIPELINES
]


@pytest.mark.parametrize("builder, kwargs, layers", PIPELINES, ids=PIPELINE_IDS)
def test_pipeline_layers_are_named(builder, kwargs, layers):
    model = builder(SHAPE, seed=1, name="aug", **kwargs)
    assert isinstance(model, keras.Model) and not isinstance(model, keras.Sequential)
    assert model.name == "aug"
    assert [layer.name for layer in model.layers] == ["aug_inputs"] + [
        f"aug_{suffix}" for suffix in layers
    ]
    assert model.output_shape == (None, *SHAPE)


@pytest.mark.parametrize("builder, kwargs, layers", PIPELINES, ids=PIPELINE_IDS)
def test_pipeline_is_identity_at_inference(builder, kwargs, layers):
    model = builder(SHAPE, seed=1, **kwargs)
    x = _images()
    np.testing.assert_array_equal(_numpy(model(x, training=False)), x)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


@pytest.mark.parametrize("builder, kwargs, layers", PIPELINES, ids=PIPELINE_IDS)
def test_pipeline_augments_in_training(builder, kwargs, layers):
    model = builder(SHAPE, seed=1, **kwargs)
    x = _images()
    y = _numpy(model(x, training=True))
    assert y.shape == x.shape and y.dtype == np.float32
    assert y.min() >= 0.0 and y.max() <= 1.0
    changed = [not np.array_equal(y[i], x[i]) for i in range(BATCH)]
    assert any(changed), "training mode left every image unchanged"


def test_colour_jitter_goes_both_ways():
    """Brightness and contrast are lowered as often as raised (Keras' own
    RandomContrast with a single float only raises the contrast)."""
    model = augment.color_jitter(
        SHAPE, brightness=0.2, contrast=0.5, saturation=0.0, hue=0.0, seed=0
    )
    rng = np.random.default_rng(0)
    x = rng.uniform(0.4, 0.6, size=(8 * BATCH, *SHAPE)).astype("float32")
    y = _numpy(model(x, training=True))
    shift = y.mean(axis=(1, 2, 3)) - x.mean(axis=(1, 2, 3))
    stretch = y.std(axis=(1, 2)) / x.std(axis=(1, 2))
    assert shift.min() < -0.02 and shift.max() > 0.02
    assert stretch.min() < 0.9 and stretch.max() > 1.1


def test_pipeline_is_reproducible_with_a_seed():
    x = _images()
    first = _numpy(augment.image_augmentation(SHAPE, seed=5)(x, training=True))
    again = _numpy(augment.image_augmentation(SHAPE, seed=5)(x, training=True))
    other = _numpy(augment.image_augmentation(SHAPE, seed=6)(x, training=True))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_pipeline_survives_a_config_round_trip():
    """Saving a model stores every layer's config; loading must rebuild it."""
    model = augment.image_augmentation(SHAPE, seed=0)
    restored = keras.Model.from_config(model.get_config())
    assert [layer.name for layer in restored.layers] == [
        layer.name for layer in model.layers
    ]
    for layer, copy in zip(model.layers[1:], restored.layers[1:], strict=True):
        assert copy.get_config() == layer.get_config()


def test_digit_augmentation_keeps_its_old_layers():
    model = augment.digit_augmentation()
    assert [layer.name for layer in model.layers] == [
        "augmentation_inputs",
        "augmentation_rotation",
        "augmentation_translation",
        "augmentation_zoom",
    ]
    assert model.output_shape == (None, 28, 28, 1)


def test_all_parts_off_is_an_identity_pipeline():
    model = augment.image_augmentation(
        SHAPE, flip=False, crop=False, perspective=False, color=False, erasing=False
    )
    assert [layer.name for layer in model.layers][1:] == ["augmentation_identity"]
    x = _images()
    np.testing.assert_array_equal(_numpy(model(x, training=True)), x)


def test_colour_parts_off_accept_grayscale():
    model = augment.image_augmentation(
        (16, 16, 1), color={"saturation": 0.0, "hue": 0.0}
    )
    assert model.output_shape == (None, 16, 16, 1)


# --------------------------------------------------------------------------------------
# RandomResizedCrop
# --------------------------------------------------------------------------------------


def test_resized_crop_of_the_whole_image_is_the_identity():
    layer = augment.RandomResizedCrop(scale=(1.0, 1.0), ratio=(1.0, 1.0), seed=0)
    x = _images()
    np.testing.assert_allclose(_numpy(layer(x, training=True)), x, atol=1e-6)


def test_resized_crop_zooms_in():
    """A crop of 10% of the area, stretched to the full size, spans about a third
    of the gradient's range (sqrt(0.1) of each side)."""
    layer = augment.RandomResizedCrop(scale=(0.1, 0.1), ratio=(1.0, 1.0), seed=0)
    y = _numpy(layer(_gradient(), training=True))
    spans = y.max(axis=(1, 2, 3)) - y.min(axis=(1, 2, 3))
    np.testing.assert_allclose(spans, np.sqrt(0.1), atol=0.05)
    assert y.min() >= 0.0 and y.max() <= 1.0
    # Every image of the batch got its own crop.
    lows = y.min(axis=(1, 2, 3))
    assert len(np.unique(np.round(lows, 4))) == BATCH


def test_resized_crop_falls_back_to_a_central_crop():
    """Ratio 2 on a square image never fits at full area: the layer takes the
    largest central crop of ratio 2, the middle half of the rows."""
    layer = augment.RandomResizedCrop(scale=(1.0, 1.0), ratio=(2.0, 2.0), seed=0)
    rows = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]][0] / (SHAPE[0] - 1)
    x = np.broadcast_to(rows[None, ..., None], (BATCH, *SHAPE)).astype("float32")
    y = _numpy(layer(x, training=True))
    np.testing.assert_allclose(y.min(), 0.25, atol=0.05)
    np.testing.assert_allclose(y.max(), 0.75, atol=0.05)
    np.testing.assert_allclose(y, y[:1].repeat(BATCH, axis=0))


def test_resized_crop_is_deterministic_and_serialisable():
    layer = augment.RandomResizedCrop(scale=(0.2, 0.6), ratio=(0.5, 2.0), seed=3)
    config = layer.get_config()
    restored = augment.RandomResizedCrop.from_config(config)
    assert restored.get_config() == config
    assert (config["scale"], config["ratio"], config["seed"]) == (
        (0.2, 0.6),
        (0.5, 2.0),
        3,
    )
    x = _images()
    np.testing.assert_array_equal(
        _numpy(layer(x, training=True)), _numpy(restored(x, training=True))
    )
    # A second call draws new crops.
    assert not np.array_equal(
        _numpy(layer(x, training=True)), _numpy(layer(x, training=True))
    )


def test_custom_layers_need_a_batch():
    x = _images()[0]
    for layer in (augment.RandomResizedCrop(), augment.RandomErasing()):
        with pytest.raises(ValueError, match="Received: inputs.shape"):
            layer(x, training=True)


# --------------------------------------------------------------------------------------
# RandomErasing
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scale, ratio",
    [((0.02, 0.4), (0.3, 1 / 0.3)), ((0.2, 0.25), (1.0, 1.0)), ((0.05, 0.1), (2, 4))],
)
def test_erasing_replaces_one_rectangle_of_the_requested_area(scale, ratio):
    layer = augment.RandomErasing(probability=1.0, scale=scale, ratio=ratio, seed=2)
    x = _images()
    y = _numpy(layer(x, training=True))
    assert y.min() >= 0.0 and y.max() <= 1.0
    for image in range(BATCH):
        changed = np.any(y[image] != x[image], axis=-1)
        rows, cols = np.nonzero(changed)
        assert rows.size, "probability=1 left an image unchanged"
        box = changed[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert box.all(), "the erased pixels do not form a rectangle"
        fraction = box.size / changed.size
        assert scale[0] - 1e-6 <= fraction <= scale[1] + 1e-6
        if ratio[0] > 1:  # height / width: a tall rectangle
            assert box.shape[0] > box.shape[1]


def test_erasing_with_a_constant_fills_it():
    layer = augment.RandomErasing(probability=1.0, fill_value=0.0, seed=0)
    x = _images() + 0.5  # values in [0.5, 1.5], never 0
    y = _numpy(layer(x, training=True))
    erased = y != x
    assert erased.any() and np.all(y[erased] == 0.0)


def test_erasing_with_probability_zero_is_the_identity_in_training():
    layer = augment.RandomErasing(probability=0.0, seed=0)
    x = _images()
    np.testing.assert_array_equal(_numpy(layer(x, training=True)), x)


def test_erasing_is_deterministic_and_serialisable():
    layer = augment.RandomErasing(0.7, (0.1, 0.3), (0.5, 2.0), 0.25, seed=4)
    config = layer.get_config()
    restored = augment.RandomErasing.from_config(config)
    assert restored.get_config() == config
    assert config["fill_value"] == 0.25 and config["probability"] == 0.7
    x = _images()
    np.testing.assert_array_equal(
        _numpy(layer(x, training=True)), _numpy(restored(x, training=True))
    )


# --------------------------------------------------------------------------------------
# Looking at augmentations
# --------------------------------------------------------------------------------------


def test_augmented_versions_differ_and_depend_only_on_the_seed():
    pipeline = augment.image_augmentation(SHAPE, seed=0)
    states = [_numpy(keras.ops.copy(v)) for v in pipeline.non_trainable_variables]
    image = _images()[0]
    versions = augment.augmented_versions(pipeline, image, n=BATCH, seed=1)
    assert versions.shape == (BATCH, *SHAPE) and versions.dtype == np.float32
    for i in range(BATCH):
        assert not np.array_equal(versions[i], image)
        for j in range(i):
            assert not np.array_equal(versions[i], versions[j])
    again = augment.augmented_versions(pipeline, image, n=BATCH, seed=1)
    np.testing.assert_array_equal(versions, again)
    other = augment.augmented_versions(pipeline, image, n=BATCH, seed=2)
    assert not np.array_equal(versions, other)
    # The pipeline's own random stream (the one training uses) did not move.
    for before, variable in zip(states, pipeline.non_trainable_variables, strict=True):
        np.testing.assert_array_equal(_numpy(keras.ops.copy(variable)), before)


@pytest.mark.parametrize("channels", [3, 1])
def test_show_augmentations_draws_the_original_and_n_versions(channels):
    shape = (*SHAPE[:2], channels)
    pipeline = augment.flip(shape, mode="horizontal_and_vertical")
    image = _images()[0][..., :channels]
    fig = augment.show_augmentations(pipeline, image, n=BATCH, seed=0, ncols=2)
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.images]
    assert len(axes) == len(fig.axes) == BATCH + 1
    assert axes[0].get_title() == "original"
    np.testing.assert_allclose(axes[0].images[0].get_array(), image.squeeze())


# --------------------------------------------------------------------------------------
# Bad arguments
# --------------------------------------------------------------------------------------

RGB = {"input_shape": SHAPE}
BAD_ARGUMENTS = [
    (augment.flip, {"input_shape": (16, 16)}, ValueError, "input_shape"),
    (augment.flip, {"input_shape": "16x16"}, TypeError, "input_shape"),
    (augment.flip, {**RGB, "mode": "diagonal"}, ValueError, "mode"),
    (augment.flip, {**RGB, "name": 3}, TypeError, "name"),
    (augment.flip, {**RGB, "seed": -1}, ValueError, "seed"),
    (augment.flip, {**RGB, "seed": 1.5}, TypeError, "seed"),
    (augment.random_erasing, {**RGB, "probability": 1.5}, ValueError, "probability"),
    (augment.random_erasing, {**RGB, "probability": "1"}, TypeError, "probability"),
    (augment.random_erasing, {**RGB, "scale": (0.4, 0.1)}, ValueError, "scale"),
    (augment.random_erasing, {**RGB, "scale": (0.0, 0.1)}, ValueError, "scale"),
    (augment.random_erasing, {**RGB, "scale": (0.1, 1.5)}, ValueError, "scale"),
    (augment.random_erasing, {**RGB, "scale": 0.3}, TypeError, "scale"),
    (augment.random_erasing, {**RGB, "ratio": (0.0, 1.0)}, ValueError, "ratio"),
    (augment.random_erasing, {**RGB, "ratio": (1, 2, 3)}, TypeError, "ratio"),
    (augment.random_erasing, {**RGB, "fill_value": "mean"}, ValueError, "fill_value"),
    (augment.random_erasing, {**RGB, "fill_value": 2.0}, ValueError, "fill_value"),
    (augment.random_erasing, {**RGB, "fill_value": None}, TypeError, "fill_value"),
    (augment.random_resized_crop, {**RGB, "scale": (0.08, 1.2)}, ValueError, "scale"),
    (
        augment.random_resized_crop,
        {**RGB, "ratio": (4 / 3, 3 / 4)},
        ValueError,
        "ratio",
    ),
    (
        augment.random_resized_crop,
        {**RGB, "ratio": (0.5, float("inf"))},
        ValueError,
        "ratio",
    ),
    (augment.perspective, {**RGB, "distortion": 1.5}, ValueError, "distortion"),
    (augment.perspective, {**RGB, "rotation": -0.1}, ValueError, "rotation"),
    (augment.perspective, {**RGB, "shear": 2}, ValueError, "shear"),
    (augment.perspective, {**RGB, "translation": 1.0}, ValueError, "translation"),
    (augment.perspective, {**RGB, "fill_mode": "mirror"}, ValueError, "fill_mode"),
    (augment.color_jitter, {**RGB, "brightness": -0.1}, ValueError, "brightness"),
    (augment.color_jitter, {**RGB, "brightness": "x"}, TypeError, "brightness"),
    (augment.color_jitter, {**RGB, "contrast": 1.5}, ValueError, "contrast"),
    (augment.color_jitter, {**RGB, "saturation": 2}, ValueError, "saturation"),
    (augment.color_jitter, {**RGB, "hue": 0.6}, ValueError, "hue"),
    (augment.color_jitter, {"input_shape": (16, 16, 1)}, ValueError, "input_shape"),
    (augment.image_augmentation, {**RGB, "crop": "yes"}, TypeError, "crop"),
    (augment.image_augmentation, {**RGB, "crop": {"size": 8}}, ValueError, "crop"),
    (augment.image_augmentation, {**RGB, "color": {"hue": 0.7}}, ValueError, "hue"),
    (
        augment.image_augmentation,
        {"input_shape": (16, 16, 1)},
        ValueError,
        "input_shape",
    ),
    (augment.digit_augmentation, {"erasing": 2}, ValueError, "erasing"),
    (augment.digit_augmentation, {"zoom": 1.0}, ValueError, "zoom"),
    (
        augment.RandomResizedCrop,
        {"interpolation": "cubic"},
        ValueError,
        "interpolation",
    ),
    (augment.RandomResizedCrop, {"scale": (0.5, 0.1)}, ValueError, "scale"),
    (augment.RandomErasing, {"probability": -0.1}, ValueError, "probability"),
    (augment.RandomErasing, {"ratio": (3.0, 0.3)}, ValueError, "ratio"),
]


@pytest.mark.parametrize(
    "function, kwargs, error, argument",
    BAD_ARGUMENTS,
    ids=[f"{f.__name__}-{a}-{i}" for i, (f, _, _, a) in enumerate(BAD_ARGUMENTS)],
)
def test_bad_arguments(function, kwargs, error, argument):
    with pytest.raises(error) as info:
        function(**kwargs)
    message = str(info.value)
    assert argument in message and f"Received: {argument}" in message


@pytest.fixture(scope="module")
def small_pipeline():
    return augment.flip(SHAPE, seed=0)


@pytest.mark.parametrize(
    "function, kwargs, error, received",
    [
        (augment.augmented_versions, {"pipeline": "flip"}, TypeError, "pipeline="),
        (
            augment.augmented_versions,
            {"image": np.zeros((16, 16))},
            ValueError,
            "image",
        ),
        (augment.augmented_versions, {"image": "cat"}, ValueError, "image"),
        (augment.augmented_versions, {"n": 0}, ValueError, "n=0"),
        (augment.augmented_versions, {"seed": None}, TypeError, "seed=None"),
        (augment.show_augmentations, {"ncols": 0}, ValueError, "ncols=0"),
        (augment.show_augmentations, {"title": 3}, TypeError, "title=3"),
        (
            augment.show_augmentations,
            {"image": np.zeros((16, 16, 2))},
            ValueError,
            "image.shape",
        ),
    ],
)
def test_bad_viewing_arguments(small_pipeline, function, kwargs, error, received):
    arguments = {"pipeline": small_pipeline, "image": _images()[0], **kwargs}
    with pytest.raises(error, match="Received: " + received):
        function(**arguments)


def test_augment_imports_no_tensorflow():
    """The pipelines run on any backend: under JAX, building and running them must
    not import TensorFlow. The check starts its own JAX process, so the JAX pass of
    make test skips it (the TensorFlow pass has run it)."""
    import os
    import subprocess
    import sys

    if keras.backend.backend() == "jax":
        pytest.skip("run by the TensorFlow pass, in a JAX subprocess")
    pytest.importorskip("jax")
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from course import augment\n"
        "model = augment.image_augmentation((8, 8, 3), seed=0)\n"
        "model(np.zeros((1, 8, 8, 3), 'float32'), training=False)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert output.strip().splitlines()[-1] == "False"
