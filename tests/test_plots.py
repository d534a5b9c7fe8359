"""Tests for course.plots: figures, panel counts, titles and argument checks."""

import re

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course import plots  # noqa: E402

RNG_SEED = 0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _suptitle(fig):
    if hasattr(fig, "get_suptitle"):  # matplotlib >= 3.8
        return fig.get_suptitle()
    return fig._suptitle.get_text() if fig._suptitle is not None else ""


def _rng():
    return np.random.default_rng(RNG_SEED)


def _images(shape, dtype="float32"):
    rng = _rng()
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return (rng.normal(size=shape) * 7.0 - 3.0).astype(dtype)


HISTORY = {
    "loss": [1.0, 0.7, 0.5],
    "val_loss": [1.1, 0.8, 0.7],
    "accuracy": [0.5, 0.7, 0.8],
    "val_accuracy": [0.45, 0.6, 0.7],
}


def _keras_history():
    history = keras.callbacks.History()
    history.history = {k: list(v) for k, v in HISTORY.items()}
    return history


@pytest.fixture(scope="module")
def tiny_model():
    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")(
        inputs
    )
    x = keras.layers.MaxPooling2D(name="pool1")(x)
    x = keras.layers.Conv2D(6, 3, padding="same", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(3, name="logits")(x)
    return keras.Model(inputs, outputs, name="tiny")


# --------------------------------------------------------------------------------------
# training_curves
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "metrics", "n_axes", "lines_per_axis"),
    [
        (HISTORY, ("loss", "accuracy"), 2, 2),
        (HISTORY, "loss", 1, 2),
        ({"loss": [1.0, 0.5]}, ("loss",), 1, 1),
        ("keras", ("loss", "accuracy"), 2, 2),
        ({"dropout": HISTORY, "L2": HISTORY, "batch norm": "keras"}, ("loss",), 1, 6),
    ],
    ids=["dict", "str-metric", "no-val", "keras-history", "three-runs"],
)
def test_training_curves_panels(history, metrics, n_axes, lines_per_axis):
    if history == "keras":
        history = _keras_history()
    elif isinstance(history, dict):
        history = {
            k: _keras_history() if v == "keras" else v for k, v in history.items()
        }
    fig = plots.training_curves(history, metrics=metrics, title="Run")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_axes
    expected = (metrics,) if isinstance(metrics, str) else metrics
    for ax, metric in zip(fig.axes, expected, strict=True):
        assert ax.get_title() == metric
        assert len(ax.get_lines()) == lines_per_axis
        assert ax.get_xlabel() == "epoch"
        for line in ax.get_lines():  # epochs are 1-based
            n_epochs = len(line.get_ydata())
            np.testing.assert_array_equal(line.get_xdata(), np.arange(1, n_epochs + 1))
    assert _suptitle(fig) == "Run"


def test_training_curves_runs_share_colour_and_dash_validation():
    fig = plots.training_curves({"dropout": HISTORY, "L2": HISTORY}, metrics="loss")
    lines = fig.axes[0].get_lines()
    labels = [line.get_label() for line in lines]
    assert labels == ["dropout (train)", "dropout (val)", "L2 (train)", "L2 (val)"]
    assert same_color(lines[0].get_color(), lines[1].get_color())
    assert not same_color(lines[0].get_color(), lines[2].get_color())
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-", "--"]


def test_training_curves_missing_metric_lists_keys():
    with pytest.raises(ValueError, match="Received: metrics") as info:
        plots.training_curves(HISTORY, metrics=("loss", "acc"))
    assert "available keys" in str(info.value)
    assert "'val_accuracy'" in str(info.value)


# --------------------------------------------------------------------------------------
# image_grid and misclassified
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "dtype", "ncols"),
    [
        ((5, 6, 6), "float32", 8),
        ((5, 6, 6, 1), "float64", 2),
        ((3, 6, 6, 3), "uint8", 8),
        ((9, 4, 5, 3), "float32", 4),
    ],
)
def test_image_grid_one_axes_per_image(shape, dtype, ncols):
    fig = plots.image_grid(_images(shape, dtype), ncols=ncols, title="samples")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == shape[0]
    shown = fig.axes[0].get_images()[0].get_array()
    assert float(np.min(shown)) >= 0.0 and float(np.max(shown)) <= 1.0
    assert _suptitle(fig) == "samples"


@pytest.mark.parametrize(
    ("labels", "predictions", "class_names", "titles", "wrong"),
    [
        ([0, 1, 2], None, None, ["0", "1", "2"], []),
        ([0, 1, 2], None, ["cat", "dog", "fox"], ["cat", "dog", "fox"], []),
        (
            None,
            [2, 1, 0],
            ["cat", "dog", "fox"],
            ["pred: fox", "pred: dog", "pred: cat"],
            [],
        ),
        (
            [0, 1, 2],
            [0, 2, 2],
            ["cat", "dog", "fox"],
            ["cat\npred: cat", "dog\npred: fox", "fox\npred: fox"],
            [1],
        ),
        (
            np.eye(3)[[0, 1, 2]],
            np.array([[0.9, 0.1, 0.0], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]),
            None,
            ["0\npred: 0", "1\npred: 2", "2\npred: 2"],
            [1],
        ),
    ],
    ids=["labels", "names", "pred-only", "wrong-red", "one-hot-probs"],
)
def test_image_grid_titles(labels, predictions, class_names, titles, wrong):
    fig = plots.image_grid(
        _images((3, 5, 5)),
        labels=labels,
        predictions=predictions,
        class_names=class_names,
    )
    assert [ax.get_title() for ax in fig.axes] == titles
    for i, ax in enumerate(fig.axes):
        is_red = same_color(ax.title.get_color(), "red")
        assert is_red == (i in wrong)


def test_misclassified_shows_only_mistakes():
    y_true = np.array([0, 1, 2, 1, 0])
    y_pred = np.array([0, 2, 2, 0, 1])
    fig = plots.misclassified(
        _images((5, 4, 4, 1)), y_true, y_pred, class_names=["a", "b", "c"]
    )
    assert [ax.get_title() for ax in fig.axes] == ["b -> c", "b -> a", "a -> b"]
    assert all(same_color(ax.title.get_color(), "red") for ax in fig.axes)
    assert "3 of 5" in _suptitle(fig)


def test_misclassified_max_images_and_probabilities():
    y_true = np.array([0, 0, 0, 0])
    probs = np.array([[0.1, 0.9]] * 4)
    fig = plots.misclassified(_images((4, 4, 4, 3)), y_true, probs, max_images=2)
    assert [ax.get_title() for ax in fig.axes] == ["0 -> 1", "0 -> 1"]


def test_misclassified_no_mistakes():
    fig = plots.misclassified(_images((2, 4, 4)), [0, 1], [0, 1])
    assert len(fig.axes) == 1
    assert [t.get_text() for t in fig.axes[0].texts] == ["no mistakes"]


# --------------------------------------------------------------------------------------
# conv_filters and feature_maps
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel_shape", "max_filters", "n_filters", "colorbar"),
    [
        ((3, 3, 3, 5), 32, 5, False),
        ((3, 3, 1, 12), 4, 4, True),
        ((5, 5, 4, 2), 32, 2, True),
    ],
    ids=["rgb", "gray-capped", "mean-over-channels"],
)
def test_conv_filters_from_array(kernel_shape, max_filters, n_filters, colorbar):
    kernel = _rng().normal(size=kernel_shape)
    fig = plots.conv_filters(kernel, max_filters=max_filters, ncols=3)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_filters + int(colorbar)
    if colorbar:
        image = fig.axes[0].get_images()[0]
        low, high = image.get_clim()
        assert low == pytest.approx(-high)
        assert high == pytest.approx(np.abs(kernel[..., :n_filters]).max())


def test_conv_filters_from_layer(tiny_model):
    fig = plots.conv_filters(tiny_model.get_layer("conv1"))
    assert len(fig.axes) == 4 + 1
    assert "conv1" in _suptitle(fig)


@pytest.mark.parametrize(
    ("layer_name", "image_shape", "max_maps", "n_maps"),
    [
        ("conv1", (8, 8, 1), 16, 4),
        ("conv1", (1, 8, 8, 1), 2, 2),
        ("pool1", (8, 8, 1), 16, 4),
        ("conv2", (8, 8, 1), 16, 6),
    ],
)
def test_feature_maps(tiny_model, layer_name, image_shape, max_maps, n_maps):
    image = _images(image_shape)
    fig = plots.feature_maps(tiny_model, layer_name, image, max_maps=max_maps, ncols=4)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_maps
    assert layer_name in _suptitle(fig)


def test_feature_maps_unknown_layer_lists_names(tiny_model):
    with pytest.raises(ValueError, match="Received: layer_name='conv9'") as info:
        plots.feature_maps(tiny_model, "conv9", _images((8, 8, 1)))
    for name in ("conv1", "pool1", "conv2", "logits"):
        assert name in str(info.value)


def test_feature_maps_rejects_non_4d_output(tiny_model):
    with pytest.raises(ValueError, match="Received: layer_name='logits'"):
        plots.feature_maps(tiny_model, "logits", _images((8, 8, 1)))


# --------------------------------------------------------------------------------------
# confusion_counts and confusion_matrix
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_true", "y_pred", "num_classes", "expected"),
    [
        (
            [0, 0, 1, 1, 2, 2, 2],
            [0, 1, 1, 1, 2, 0, 2],
            None,
            [[1, 1, 0], [0, 2, 0], [1, 0, 2]],
        ),
        ([0, 1], [1, 1], 4, [[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]),
        (
            [1, 0, 1],
            [[0.2, 0.8], [0.6, 0.4], [0.7, 0.3]],
            None,
            [[1, 0], [1, 1]],
        ),
        ([0, 0], [0, 0], None, [[2]]),
        ([0.0, 1.0], np.array([1, 1], dtype=np.uint8), None, [[0, 1], [0, 1]]),
    ],
    ids=["3-classes", "num_classes", "probabilities", "single-class", "float-ids"],
)
def test_confusion_counts_exact(y_true, y_pred, num_classes, expected):
    counts = plots.confusion_counts(y_true, y_pred, num_classes=num_classes)
    assert counts.dtype.kind == "i"
    np.testing.assert_array_equal(counts, np.array(expected))


@pytest.mark.parametrize(
    ("normalize", "class_names", "cell_texts"),
    [
        (False, None, ["1", "1", "0", "0", "2", "0", "1", "0", "2"]),
        (
            True,
            ["a", "b", "c"],
            ["0.50", "0.50", "0.00", "0.00", "1.00", "0.00", "0.33", "0.00", "0.67"],
        ),
    ],
)
def test_confusion_matrix_annotations(normalize, class_names, cell_texts):
    y_true = [0, 0, 1, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 0, 2]
    fig = plots.confusion_matrix(
        y_true, y_pred, class_names=class_names, normalize=normalize, title="CM"
    )
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2  # matrix + colorbar
    ax = fig.axes[0]
    assert ax.get_title() == "CM"
    assert [t.get_text() for t in ax.texts] == cell_texts
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    if class_names:
        assert [t.get_text() for t in ax.get_xticklabels()] == class_names


# --------------------------------------------------------------------------------------
# activation_curves
# --------------------------------------------------------------------------------------


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


ACTIVATIONS = {
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "linear": (lambda x: x, lambda x: 1.0),
}


@pytest.mark.parametrize(
    ("functions", "x", "n_points"),
    [
        (ACTIVATIONS, None, 401),
        ({"relu": ACTIVATIONS["relu"]}, np.linspace(-1, 1, 11), 11),
        ({"tanh": (np.tanh, None)}, [-1.0, 0.0, 1.0], 3),
    ],
    ids=["default-x", "custom-x", "no-derivative"],
)
def test_activation_curves(functions, x, n_points):
    fig = plots.activation_curves(functions, x=x)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["f(x)", "f'(x)"]
    curves = [line for line in fig.axes[0].get_lines() if line.get_label() in functions]
    assert [line.get_label() for line in curves] == list(functions)
    assert all(len(line.get_xdata()) == n_points for line in curves)
    derivatives = [
        line for line in fig.axes[1].get_lines() if line.get_label() in functions
    ]
    assert len(derivatives) == sum(df is not None for _, df in functions.values())


@pytest.mark.parametrize(
    "build",
    [
        lambda: plots.training_curves({"a": HISTORY, "b": HISTORY}, title="t"),
        lambda: plots.image_grid(_images((10, 5, 5, 3)), [0] * 10, [1] * 10),
        lambda: plots.conv_filters(_rng().normal(size=(3, 3, 2, 9))),
        lambda: plots.confusion_matrix([0, 1, 2], [0, 2, 2], normalize=True),
        lambda: plots.activation_curves(ACTIVATIONS),
        lambda: plots.misclassified(_images((3, 5, 5)), [0, 1, 2], [1, 1, 2]),
    ],
    ids=["curves", "grid", "filters", "confusion", "activations", "misclassified"],
)
def test_figures_render(build):
    fig = build()
    fig.canvas.draw()  # layout and colorbars survive a real Agg draw
    assert fig.get_size_inches().min() > 0


# --------------------------------------------------------------------------------------
# Invalid arguments
# --------------------------------------------------------------------------------------

IMG = np.zeros((2, 4, 4), dtype="float32")

INVALID = [
    (plots.training_curves, ([1, 2],), {}, TypeError, "history"),
    (plots.training_curves, ({},), {}, ValueError, "history"),
    (plots.training_curves, (HISTORY,), {"metrics": 3}, TypeError, "metrics"),
    (plots.training_curves, (HISTORY,), {"metrics": ()}, ValueError, "metrics"),
    (plots.training_curves, (HISTORY,), {"metrics": "f1"}, ValueError, "metrics"),
    (plots.training_curves, (HISTORY,), {"title": 1}, TypeError, "title"),
    (
        plots.training_curves,
        ({"loss": ["a"]},),
        {"metrics": "loss"},
        TypeError,
        "history['loss']",
    ),
    (plots.image_grid, (np.zeros((3, 4)),), {}, ValueError, "images.shape=(3, 4)"),
    (plots.image_grid, (np.zeros((2, 4, 4, 2)),), {}, ValueError, "images.shape"),
    (plots.image_grid, ("abc",), {}, TypeError, "images"),
    (plots.image_grid, (IMG,), {"labels": [0, 1, 2]}, ValueError, "labels"),
    (plots.image_grid, (IMG,), {"labels": [0, -1]}, ValueError, "labels"),
    (plots.image_grid, (IMG,), {"predictions": [0.5, 1]}, ValueError, "predictions"),
    (plots.image_grid, (IMG,), {"ncols": 0}, ValueError, "ncols"),
    (plots.image_grid, (IMG,), {"ncols": 2.0}, TypeError, "ncols"),
    (plots.image_grid, (IMG,), {"cmap": 3}, TypeError, "cmap"),
    (plots.image_grid, (IMG,), {"class_names": "ab"}, TypeError, "class_names"),
    (
        plots.image_grid,
        (IMG,),
        {"labels": [0, 2], "class_names": ["a", "b"]},
        ValueError,
        "labels",
    ),
    (plots.misclassified, (IMG, [0, 1], [0]), {}, ValueError, "y_pred"),
    (
        plots.misclassified,
        (IMG, [0, 1], [0, 1]),
        {"max_images": 0},
        ValueError,
        "max_images",
    ),
    (
        plots.conv_filters,
        (np.zeros((3, 3, 1)),),
        {},
        ValueError,
        "layer_or_kernel.shape=(3, 3, 1)",
    ),
    (plots.conv_filters, ("conv1",), {}, TypeError, "layer_or_kernel"),
    (
        plots.conv_filters,
        (keras.layers.Conv2D(2, 3),),
        {},
        ValueError,
        "layer_or_kernel",
    ),
    (plots.conv_filters, (keras.layers.ReLU(),), {}, TypeError, "layer_or_kernel"),
    (
        plots.conv_filters,
        (np.zeros((3, 3, 1, 2)),),
        {"max_filters": -1},
        ValueError,
        "max_filters",
    ),
    (plots.confusion_counts, ([0, 1], [0, 1, 1]), {}, ValueError, "y_pred"),
    (
        plots.confusion_counts,
        ([0, 3], [0, 1]),
        {"num_classes": 2},
        ValueError,
        "y_true",
    ),
    (
        plots.confusion_counts,
        ([0, 1], [0, 1]),
        {"num_classes": "2"},
        TypeError,
        "num_classes",
    ),
    (plots.confusion_counts, ([[[0]]], [0]), {}, ValueError, "y_true"),
    (plots.confusion_counts, ([], []), {}, ValueError, "num_classes"),
    (
        plots.confusion_matrix,
        ([0, 1], [0, 1]),
        {"normalize": "yes"},
        TypeError,
        "normalize",
    ),
    (
        plots.confusion_matrix,
        ([0, 2], [0, 1]),
        {"class_names": ["a", "b"]},
        ValueError,
        "y_true",
    ),
    (plots.activation_curves, ([np.tanh],), {}, TypeError, "functions"),
    (plots.activation_curves, ({},), {}, ValueError, "functions"),
    (plots.activation_curves, ({"tanh": np.tanh},), {}, TypeError, "functions['tanh']"),
    (
        plots.activation_curves,
        ({"tanh": (np.tanh, None)},),
        {"x": [[0.0, 1.0]]},
        ValueError,
        "x.shape=(1, 2)",
    ),
    (
        plots.activation_curves,
        ({"bad": (lambda x: x[:2], None)},),
        {},
        ValueError,
        "f(x).shape=(2,)",
    ),
]


@pytest.mark.parametrize(
    ("function", "args", "kwargs", "error", "name"),
    INVALID,
    ids=[f"{row[0].__name__}-{i}" for i, row in enumerate(INVALID)],
)
def test_invalid_arguments(function, args, kwargs, error, name):
    with pytest.raises(error) as info:
        function(*args, **kwargs)
    message = str(info.value)
    assert message.startswith("Expected ")
    assert "Received:" in message
    assert f"Received: {name}" in message


@pytest.mark.parametrize(
    ("args", "error", "name"),
    [
        (("not a model", "conv1", np.zeros((8, 8, 1))), TypeError, "model"),
        ((None, 3, np.zeros((8, 8, 1))), TypeError, "layer_name"),
        ((None, "conv1", np.zeros((2, 8, 8, 1))), ValueError, "image.shape"),
        ((None, "conv1", np.zeros((8, 8))), ValueError, "image.shape=(8, 8)"),
    ],
)
def test_feature_maps_invalid(tiny_model, args, error, name):
    args = tuple(tiny_model if a is None else a for a in args)
    with pytest.raises(error, match=re.escape(f"Received: {name}")):
        plots.feature_maps(*args)


def _linear_model():
    inputs = keras.Input(shape=(2,), name="inputs")
    outputs = keras.layers.Dense(1, activation="sigmoid", name="neuron")(inputs)
    model = keras.Model(inputs, outputs)
    model.get_layer("neuron").set_weights([np.array([[4.0], [4.0]]), np.array([-6.0])])
    return model


def test_decision_regions_draws_one_panel_per_model():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    fig = plots.decision_regions(
        {
            "AND": (_linear_model(), [0, 0, 0, 1]),
            "XOR": (_linear_model(), [0, 1, 1, 0]),
        },
        x,
        resolution=21,
    )
    assert [ax.get_title() for ax in fig.axes] == ["AND", "XOR"]


@pytest.mark.parametrize(
    "panels, x, fragment",
    [
        ({}, np.zeros((4, 2)), "Received: panels={}"),
        ({"a": (None, [0, 1])}, np.zeros((4, 3)), "Received: x.shape=(4, 3)"),
    ],
)
def test_decision_regions_rejects(panels, x, fragment):
    with pytest.raises((TypeError, ValueError)) as info:
        plots.decision_regions(panels, x)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "args, frames, title",
    [
        ((5, 3, 1, 1), 4, "i=5, k=3, s=1, p=1, d=1: 5x5 output"),
        ((5, 3, 2, 1), 3, "i=5, k=3, s=2, p=1, d=1: 3x3 output"),
        ((7, 3, 1, 0, 2), 2, "i=7, k=3, s=1, p=0, d=2: 3x3 output"),
    ],
)
def test_kernel_sliding(args, frames, title):
    fig = plots.kernel_sliding(*args, frames=frames)
    assert len(fig.axes) == frames and fig._suptitle.get_text() == title


def test_kernel_sliding_rejects_a_kernel_larger_than_the_input():
    with pytest.raises(ValueError, match="Received:"):
        plots.kernel_sliding(2, 5)


def test_number_grids_writes_every_value():
    fig = plots.number_grids({"a": np.arange(4).reshape(2, 2), "b": np.ones((3, 3))})
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["0", "1", "2", "3"]
    with pytest.raises(ValueError, match="Received: panels.shape=\\(3,\\)"):
        plots.number_grids({"a": np.ones(3)})


# --------------------------------------------------------------------------------------
# Saliency overlays (lecture 11)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image_shape", [(12, 10), (12, 10, 1), (12, 10, 3)], ids=["hw", "hw1", "rgb"]
)
@pytest.mark.parametrize("alpha", [0.0, 0.4, 1.0])
def test_overlay_rgb_blends_image_and_coloured_map(image_shape, alpha):
    rng = _rng()
    image = rng.random(image_shape).astype("float32")
    heat = rng.random((12, 10))
    blended = plots.overlay_rgb(image, heat, alpha=alpha, cmap="viridis")
    assert blended.shape == (12, 10, 3) and blended.dtype == np.float32
    assert blended.min() >= 0.0 and blended.max() <= 1.0
    colored = matplotlib.colormaps["viridis"](plots._rescale(heat))[..., :3]
    if alpha == 1.0:
        np.testing.assert_allclose(blended, colored, atol=1e-6)
    if alpha == 0.0:
        gray = plots._rescale(image)
        gray = (
            gray if gray.ndim == 3 and gray.shape[-1] == 3 else gray.reshape(12, 10, 1)
        )
        np.testing.assert_allclose(
            blended, np.broadcast_to(gray, (12, 10, 3)), atol=1e-6
        )


def test_saliency_overlay_three_panels():
    rng = _rng()
    fig = plots.saliency_overlay(rng.random((9, 9, 1)), rng.random((9, 9)), title="7")
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["image", "saliency", "overlay"]
    assert _suptitle(fig) == "7"


@pytest.mark.parametrize("overlay", [True, False])
def test_saliency_grid_one_row_per_image_one_column_per_map(overlay):
    rng = _rng()
    images = rng.random((3, 8, 8, 1))
    maps = {"vanilla": rng.random((3, 8, 8)), "gradcam": rng.random((3, 8, 8))}
    fig = plots.saliency_grid(images, maps, row_titles=["a", "b", "c"], overlay=overlay)
    assert len(fig.axes) == 9
    assert [ax.get_title() for ax in fig.axes[:3]] == ["image", "vanilla", "gradcam"]
    assert [fig.axes[i].get_ylabel() for i in (0, 3, 6)] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "function, args, kwargs, error, name",
    [
        (
            plots.overlay_rgb,
            (np.zeros((4, 4)), np.zeros((4, 5))),
            {},
            ValueError,
            "saliency_map",
        ),
        (
            plots.overlay_rgb,
            (np.zeros((4, 4)), np.zeros((4, 4))),
            {"alpha": 1.5},
            ValueError,
            "alpha",
        ),
        (
            plots.overlay_rgb,
            (np.zeros((4, 4)), np.zeros((4, 4))),
            {"cmap": "nope"},
            ValueError,
            "cmap",
        ),
        (
            plots.overlay_rgb,
            (np.zeros((4, 4, 2)), np.zeros((4, 4))),
            {},
            ValueError,
            "image",
        ),
        (plots.saliency_grid, (np.zeros((2, 4, 4)), {}), {}, TypeError, "maps"),
        (
            plots.saliency_grid,
            (np.zeros((2, 4, 4)), {"m": np.zeros((1, 4, 4))}),
            {},
            ValueError,
            "maps",
        ),
        (
            plots.saliency_grid,
            (np.zeros((2, 4, 4)), {"m": np.zeros((2, 4, 4))}),
            {"row_titles": ["one"]},
            ValueError,
            "row_titles",
        ),
    ],
)
def test_saliency_plots_reject_bad_arguments(function, args, kwargs, error, name):
    with pytest.raises(error, match=rf"Received: {name}"):
        function(*args, **kwargs)


@pytest.mark.parametrize(
    "scores, lines, bands",
    [
        (np.array([[0.2, 0.3], [0.5, 0.6], [0.9, 0.9]]), 1, 1),
        ({"a": [[0.1], [0.2], [0.3]], "b": np.ones((3, 4))}, 2, 1),
        ([0.1, 0.5, 0.9], 1, 0),
    ],
)
def test_learning_curve(scores, lines, bands):
    fig = plots.learning_curve([10, 100, 1000], scores, title="curve")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_title() == "curve"
    assert len(ax.lines) == lines and len(ax.collections) == bands
    first = np.asarray(scores["a"] if isinstance(scores, dict) else scores, float)
    np.testing.assert_allclose(
        ax.lines[0].get_ydata(), first.reshape(3, -1).mean(axis=1)
    )
    assert (ax.get_legend() is not None) == isinstance(scores, dict)


@pytest.mark.parametrize(
    "sizes, scores, error, fragment",
    [
        ([10, 10, 100], np.ones((3, 2)), ValueError, "increasing"),
        ([0, 10], np.ones((2, 2)), ValueError, "positive"),
        ([10, 100], np.ones((3, 2)), ValueError, "scores.shape"),
        ([10, 100], {}, ValueError, "scores"),
        ([10, 100], "high", TypeError, "scores"),
    ],
)
def test_learning_curve_rejects(sizes, scores, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        plots.learning_curve(sizes, scores)
    assert "Received:" in str(info.value)


def test_lr_range_marks_the_suggestion():
    class Result:  # the fields of training.LearningRateRange
        learning_rates = np.geomspace(1e-4, 1.0, 20)
        losses = np.linspace(2.0, 0.5, 20)
        smoothed = np.linspace(2.0, 0.6, 20)
        suggestion = 0.01

    fig = plots.lr_range(Result())
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and len(ax.lines) == 3
    assert ax.lines[2].get_xdata()[0] == 0.01
    with pytest.raises(TypeError, match="LearningRateRange"):
        plots.lr_range({"suggestion": 0.1})


GRADIENTS = {"conv1": 0.5, "conv2": 0.05, "dense": 0.01}  # as gradient_norms returns


@pytest.mark.parametrize(
    "panels, options, lines_per_panel",
    [
        ({"one": {"net": GRADIENTS}}, {}, [1]),
        (
            {"a": {"x": [1.0, 0.1, 0.01], "y": GRADIENTS}, "b": {"z": [2.0, 3.0, 4.0]}},
            {
                "styles": {"y": {"linestyle": ":", "color": "tab:red"}},
                "shade": (2, 3),
                "layer_names": ["1", "2", "3\nout"],
                "sharey": True,
                "title": "norms",
            },
            [2, 1],
        ),
    ],
)
def test_gradient_profile(panels, options, lines_per_panel):
    fig = plots.gradient_profile(panels, **options)
    assert [len(ax.lines) for ax in fig.axes] == lines_per_panel
    first = fig.axes[0]
    assert first.get_yscale() == "log" and first.get_title() == next(iter(panels))
    np.testing.assert_array_equal(first.lines[0].get_xdata(), [1, 2, 3])  # from 1
    values = next(iter(next(iter(panels.values())).values()))
    values = list(values.values()) if isinstance(values, dict) else values
    np.testing.assert_allclose(first.lines[0].get_ydata(), values)
    if "styles" in options:
        assert first.lines[1].get_linestyle() == ":"
        assert [t.get_text() for t in first.get_xticklabels()] == ["1", "2", "3\nout"]
        assert len(first.patches) == 1  # the shaded span
        assert fig._suptitle.get_text() == "norms"
    # different series per panel: a legend in each
    assert all(ax.get_legend() is not None for ax in fig.axes) and not fig.legends


def test_gradient_profile_shares_one_legend_when_the_panels_show_the_same_series():
    same = {"before": [1.0, 0.1], "after": [0.5, 0.5]}
    fig = plots.gradient_profile({"input": same, "clean": same})
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["before", "after"]


@pytest.mark.parametrize(
    "panels, options, error, fragment",
    [
        ({}, {}, ValueError, "panels"),
        ({"a": {}}, {}, ValueError, "panels['a']"),
        ({"a": {"x": [1.0, -0.1]}}, {}, ValueError, "norm (>= 0)"),
        ({"a": {"x": [1.0, float("nan")]}}, {}, ValueError, "norm (>= 0)"),
        ({"a": {"x": [1.0, 0.5]}}, {"layer_names": ["1"]}, ValueError, "layer_names"),
        ({"a": {"x": [1.0, 0.5]}}, {"shade": (2, 1)}, ValueError, "shade"),
        ({"a": {"x": [1.0, 0.5]}}, {"styles": {"x": ":"}}, TypeError, "styles"),
    ],
)
def test_gradient_profile_rejects(panels, options, error, fragment):
    with pytest.raises(error, match="Received") as info:
        plots.gradient_profile(panels, **options)
    assert fragment in str(info.value)
