"""Matplotlib figures for the lecture notebooks.

Every function validates its arguments first, draws one figure with
``matplotlib.pyplot`` and returns the :class:`matplotlib.figure.Figure`; none calls
``plt.show()``. In a notebook with the inline backend the figure appears when the
cell ends, so assign it (``fig = plots.image_grid(x)``) or end the line with ``;``
to avoid drawing it twice. In a script call ``plt.show()`` or ``fig.savefig(path)``.

The module uses only NumPy, matplotlib and Keras (``keras.ops``), never TensorFlow,
so it works with every Keras backend. Inputs may be NumPy arrays, lists or backend
tensors. Images are channels-last: ``(N, H, W)``, ``(N, H, W, 1)`` or
``(N, H, W, 3)``.

Invalid arguments raise ``ValueError`` or ``TypeError`` with a message of the shape
``Expected <what>. Received: <name>=<value!r>`` (``<name>.shape=<shape>`` for
arrays).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = [
    "activation_curves",
    "confusion_counts",
    "confusion_matrix",
    "conv_filters",
    "decision_regions",
    "feature_maps",
    "image_grid",
    "kernel_sliding",
    "misclassified",
    "number_grids",
    "training_curves",
]

WRONG_COLOR = "red"
"""Title colour of a wrongly predicted image."""

_MAX_ANNOTATED_CLASSES = 30

# --------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------


def _received(name: str, value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (str, bytes)):
        return f"Received: {name}.shape={tuple(shape)}"
    return f"Received: {name}={value!r}"


def _error(exc: type[Exception], what: str, name: str, value: Any) -> Exception:
    return exc(f"Expected {what}. {_received(name, value)}")


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if keras.ops.is_tensor(value) or isinstance(value, keras.Variable):
        return np.asarray(keras.ops.convert_to_numpy(value))
    return np.asarray(value)


def _as_array(name: str, value: Any) -> np.ndarray:
    if value is None or isinstance(value, (str, bytes, Mapping)):
        raise _error(TypeError, f"{name} to be an array", name, value)
    try:
        array = _to_numpy(value)
    except Exception as exc:
        raise _error(TypeError, f"{name} to be an array", name, value) from exc
    if not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise _error(
            TypeError,
            f"{name} to be a numeric array, got dtype {array.dtype}",
            name,
            value,
        )
    return array


def _check_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise _error(TypeError, f"{name} to be an integer", name, value)
    if value < minimum:
        raise _error(ValueError, f"{name} to be >= {minimum}", name, value)
    return int(value)


def _check_title(value: Any, name: str = "title") -> str | None:
    if value is not None and not isinstance(value, str):
        raise _error(TypeError, f"{name} to be a string or None", name, value)
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise _error(TypeError, f"{name} to be a bool", name, value)
    return bool(value)


def _check_class_names(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise _error(
            TypeError,
            "class_names to be a sequence of strings or None",
            "class_names",
            value,
        )
    names = [str(name) for name in value]
    if not names:
        raise _error(ValueError, "class_names to be non-empty", "class_names", value)
    return names


def _as_labels(name: str, value: Any, length: int | None = None) -> np.ndarray:
    """Integer class ids of shape ``(N,)``; a 2-D array is reduced by ``argmax``."""
    original = _as_array(name, value)
    array = original
    if array.ndim == 2 and array.shape[1] >= 1:
        array = np.argmax(array, axis=1)
    if array.ndim != 1:
        raise _error(
            ValueError,
            f"{name} to be 1-D integer labels or 2-D one-hot/probabilities",
            name,
            original,
        )
    if length is not None and array.shape[0] != length:
        raise _error(ValueError, f"{name} to have {length} entries", name, original)
    if not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise _error(
                ValueError, f"{name} to hold integer class ids", name, original
            )
    array = array.astype(np.int64)
    if array.size and array.min() < 0:
        raise _error(
            ValueError,
            f"{name} to hold class ids >= 0, found {array.min()}",
            name,
            original,
        )
    return array


def _check_labels_fit(name: str, labels: np.ndarray, names: list[str] | None) -> None:
    if names is not None and labels.size and labels.max() >= len(names):
        raise _error(
            ValueError,
            f"{name} to be < len(class_names)={len(names)}, found {labels.max()}",
            name,
            labels,
        )


def _as_images(value: Any, name: str = "images") -> np.ndarray:
    array = _as_array(name, value)
    if array.ndim == 4 and array.shape[-1] in (1, 3):
        pass
    elif array.ndim != 3:
        raise _error(
            ValueError,
            f"{name} of shape (N, H, W), (N, H, W, 1) or (N, H, W, 3)",
            name,
            array,
        )
    if array.shape[0] < 1 or array.shape[1] < 1 or array.shape[2] < 1:
        raise _error(ValueError, f"at least one non-empty image in {name}", name, array)
    return array


def _rescale(image: np.ndarray) -> np.ndarray:
    """Maps one image linearly to ``[0, 1]`` (a constant image becomes zeros)."""
    image = image.astype(np.float64)
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return np.zeros_like(image)
    low, high = finite.min(), finite.max()
    if high <= low:
        return np.zeros_like(image)
    return np.clip(np.nan_to_num((image - low) / (high - low)), 0.0, 1.0)


def _label_text(label: int, names: list[str] | None) -> str:
    return names[label] if names is not None else str(label)


def _grid(
    count: int, ncols: int, cell: float = 1.6, title_lines: int = 1
) -> tuple[Figure, list[Any]]:
    """A figure with exactly ``count`` axes laid out in rows of ``ncols``."""
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    row_height = cell + 0.15 + 0.18 * title_lines
    fig, axes = plt.subplots(
        nrows, ncols, squeeze=False, figsize=(cell * ncols, row_height * nrows + 0.3)
    )
    flat = list(axes.ravel())
    for ax in flat[count:]:
        fig.delaxes(ax)
    for ax in flat[:count]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, flat[:count]


def _draw_images(
    images: np.ndarray,
    titles: Sequence[str] | None,
    colors: Sequence[str | None] | None,
    ncols: int,
    cmap: str | Colormap,
) -> tuple[Figure, list[Any]]:
    lines = max((t.count("\n") + 1 for t in titles), default=0) if titles else 0
    fig, axes = _grid(len(images), ncols, title_lines=lines)
    for i, (ax, image) in enumerate(zip(axes, images, strict=True)):
        shown = _rescale(image)
        if shown.ndim == 3 and shown.shape[-1] == 1:
            shown = shown[..., 0]
        if shown.ndim == 2:
            ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=1.0)
        else:
            ax.imshow(shown)
        if titles is not None:
            color = colors[i] if colors is not None else None
            style = {"color": color} if color is not None else {}
            ax.set_title(titles[i], fontsize=8, **style)
    return fig, axes


# --------------------------------------------------------------------------------------
# Training curves
# --------------------------------------------------------------------------------------


def _history_dict(name: str, value: Any) -> dict[str, Any] | None:
    """The ``{metric: values}`` dict of a History or a plain dict, else None."""
    if isinstance(value, keras.callbacks.History):
        return dict(value.history)
    if isinstance(getattr(value, "history", None), Mapping):
        return dict(value.history)
    if isinstance(value, Mapping):
        return dict(value)
    return None


def _is_run(value: Any) -> bool:
    return isinstance(value, keras.callbacks.History | Mapping) or isinstance(
        getattr(value, "history", None), Mapping
    )


def _series(name: str, run: str | None, key: str, values: Any) -> np.ndarray:
    where = f"{name}[{run!r}][{key!r}]" if run is not None else f"{name}[{key!r}]"
    try:
        array = np.asarray(
            [float(_to_numpy(v)) for v in values]
            if not isinstance(values, np.ndarray)
            else values,
            dtype=np.float64,
        )
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"Expected {where} to be a sequence of numbers. "
            f"Received: {where}={values!r}"
        ) from exc
    if array.ndim != 1:
        raise ValueError(
            f"Expected {where} to be 1-D (one value per epoch). "
            f"Received: {where}.shape={array.shape}"
        )
    return array


def training_curves(
    history: Any,
    metrics: str | Sequence[str] = ("loss", "accuracy"),
    title: str | None = None,
) -> Figure:
    """Plots training and validation curves, one panel per metric.

    Args:
        history: The ``keras.callbacks.History`` returned by ``model.fit``, its
            ``history`` dict (``{"loss": [...], "val_loss": [...], ...}``, one value
            per epoch), or a dict mapping a run label (e.g. ``"dropout"``) to such a
            History or dict to overlay several runs.
        metrics: A metric name or a sequence of names; each must be a key of every
            run. The validation curve ``"val_" + name`` is drawn when present.
        title: Optional figure title.

    Returns:
        The ``Figure``, with one axes per metric. Each run has its own colour;
        training is solid, validation dashed. The x-axis counts epochs from 1.

    Raises:
        TypeError: If ``history`` is not a History or dict of lists, or ``metrics``
            is not a string or a sequence of strings.
        ValueError: If ``history`` is empty or a metric is missing (the message
            lists the available keys).
    """
    single = _history_dict("history", history)
    if single is None:
        raise _error(
            TypeError,
            "history to be a keras.callbacks.History, a dict of per-epoch lists or a "
            "dict mapping run labels to those",
            "history",
            history,
        )
    if not single:
        raise _error(ValueError, "history to be non-empty", "history", history)
    if isinstance(history, Mapping) and all(_is_run(v) for v in history.values()):
        runs: dict[str | None, dict[str, Any]] = {}
        for label, run in history.items():
            data = _history_dict("history", run)
            if not data:
                raise ValueError(
                    f"Expected history[{label!r}] to be a non-empty history. "
                    f"Received: history[{label!r}]={run!r}"
                )
            runs[str(label)] = data
    elif isinstance(history, Mapping) and any(_is_run(v) for v in history.values()):
        raise _error(
            TypeError,
            "history to map either metrics to lists or run labels to histories, "
            "not both",
            "history",
            history,
        )
    else:
        runs = {None: single}

    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, Sequence) or not all(
        isinstance(m, str) for m in metrics
    ):
        raise _error(
            TypeError,
            "metrics to be a string or a sequence of strings",
            "metrics",
            metrics,
        )
    if not metrics:
        raise _error(ValueError, "at least one metric", "metrics", metrics)
    for label, data in runs.items():
        missing = [m for m in metrics if m not in data]
        if missing:
            where = "history" if label is None else f"history[{label!r}]"
            raise ValueError(
                f"Expected every metric to be a key of {where}; missing {missing}, "
                f"available keys: {sorted(data)}. Received: metrics={tuple(metrics)!r}"
            )
    title = _check_title(title)

    series = {
        label: {
            key: _series("history", label, key, data[key])
            for m in metrics
            for key in (m, f"val_{m}")
            if key in data
        }
        for label, data in runs.items()
    }

    fig, axes = plt.subplots(
        1, len(metrics), squeeze=False, figsize=(5.0 * len(metrics), 3.6)
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        for i, (label, curves) in enumerate(series.items()):
            color = f"C{i % 10}"
            train = curves[metric]
            ax.plot(
                np.arange(1, len(train) + 1),
                train,
                color=color,
                linestyle="-",
                label="train" if label is None else f"{label} (train)",
            )
            val = curves.get(f"val_{metric}")
            if val is not None:
                ax.plot(
                    np.arange(1, len(val) + 1),
                    val,
                    color=color,
                    linestyle="--",
                    label="validation" if label is None else f"{label} (val)",
                )
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------


def image_grid(
    images: Any,
    labels: Any = None,
    predictions: Any = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str | Colormap = "gray",
    title: str | None = None,
) -> Figure:
    """Shows images in a grid, titled with their labels and predictions.

    Args:
        images: Array of shape ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)``
            in any range (float or uint8); each image is rescaled to its own
            min..max for display.
        labels: Optional true class ids of shape ``(N,)`` (or one-hot ``(N, K)``).
        predictions: Optional predicted class ids of shape ``(N,)`` or
            probabilities/logits of shape ``(N, K)`` (reduced by argmax).
        class_names: Optional names indexed by class id.
        ncols: Images per row.
        cmap: Colormap for single-channel images.
        title: Optional figure title.

    Returns:
        The ``Figure``, with one axes per image. With both ``labels`` and
        ``predictions`` the title reads ``"<label>\\npred: <prediction>"`` and is
        red when they differ; with only predictions it reads ``"pred: <p>"``.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If shapes or lengths do not match, or a class id has no name.
    """
    array = _as_images(images)
    n = array.shape[0]
    true = None if labels is None else _as_labels("labels", labels, n)
    pred = None if predictions is None else _as_labels("predictions", predictions, n)
    names = _check_class_names(class_names)
    if true is not None:
        _check_labels_fit("labels", true, names)
    if pred is not None:
        _check_labels_fit("predictions", pred, names)
    ncols = _check_int("ncols", ncols)
    if not isinstance(cmap, str | Colormap):
        raise _error(TypeError, "cmap to be a colormap name or Colormap", "cmap", cmap)
    title = _check_title(title)

    titles: list[str] | None = None
    colors: list[str | None] | None = None
    if true is not None or pred is not None:
        titles, colors = [], []
        for i in range(n):
            parts = []
            if true is not None:
                parts.append(_label_text(int(true[i]), names))
            if pred is not None:
                parts.append(f"pred: {_label_text(int(pred[i]), names)}")
            titles.append("\n".join(parts))
            wrong = true is not None and pred is not None and true[i] != pred[i]
            colors.append(WRONG_COLOR if wrong else None)
    fig, _ = _draw_images(array, titles, colors, ncols, cmap)
    if title is not None:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def misclassified(
    images: Any,
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    max_images: int = 16,
) -> Figure:
    """Shows the first wrongly predicted images, titled ``"true -> predicted"``.

    Args:
        images: Array of shape ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)``.
        y_true: True class ids of shape ``(N,)`` (or one-hot ``(N, K)``).
        y_pred: Predicted class ids of shape ``(N,)`` or probabilities of shape
            ``(N, K)`` (reduced by argmax).
        class_names: Optional names indexed by class id.
        max_images: At most this many mistakes are shown, in dataset order.

    Returns:
        The ``Figure``: one axes per shown mistake (titles in red), or a single
        empty axes with the text ``"no mistakes"`` when every prediction is right.
        The figure title counts the mistakes.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If shapes or lengths do not match, or a class id has no name.
    """
    array = _as_images(images)
    n = array.shape[0]
    true = _as_labels("y_true", y_true, n)
    pred = _as_labels("y_pred", y_pred, n)
    names = _check_class_names(class_names)
    _check_labels_fit("y_true", true, names)
    _check_labels_fit("y_pred", pred, names)
    max_images = _check_int("max_images", max_images)

    wrong = np.flatnonzero(true != pred)
    if wrong.size == 0:
        fig, ax = plt.subplots(figsize=(3.0, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center", fontsize=12)
        fig.suptitle(f"0 of {n} misclassified")
        return fig
    shown = wrong[:max_images]
    titles = [
        f"{_label_text(int(true[i]), names)} -> {_label_text(int(pred[i]), names)}"
        for i in shown
    ]
    fig, _ = _draw_images(
        array[shown], titles, [WRONG_COLOR] * len(shown), ncols=8, cmap="gray"
    )
    fig.suptitle(f"{wrong.size} of {n} misclassified (showing {len(shown)})")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# Inside a CNN
# --------------------------------------------------------------------------------------


def conv_filters(layer_or_kernel: Any, max_filters: int = 32, ncols: int = 8) -> Figure:
    """Shows the kernels of a Conv2D layer, one small image per output filter.

    With 3 input channels (a first layer on RGB images) each filter is drawn in
    colour. Otherwise the filter is averaged over its input channels (for a
    single input channel that is channel 0 itself) and drawn with a diverging
    colormap. Both use a colour scale symmetric around zero, shared by all shown
    filters: zero is mid-grey (RGB) or white (``"RdBu_r"``).

    Args:
        layer_or_kernel: A built ``keras.layers.Conv2D`` (any layer with a 4-D
            ``kernel``) or an array of shape ``(kh, kw, c_in, c_out)``.
        max_filters: Show the first ``min(max_filters, c_out)`` filters.
        ncols: Filters per row.

    Returns:
        The ``Figure``: one axes per shown filter, plus a colorbar axes when
        ``c_in != 3``.

    Raises:
        TypeError: If ``layer_or_kernel`` is neither a layer nor an array.
        ValueError: If the layer is not built or the kernel is not 4-D.
    """
    name = "layer_or_kernel"
    label = "kernel"
    if isinstance(layer_or_kernel, keras.layers.Layer):
        layer = layer_or_kernel
        if not layer.built:
            raise _error(
                ValueError,
                "a built layer (call it on data or build the model first)",
                name,
                layer_or_kernel,
            )
        if not isinstance(getattr(layer, "kernel", None), keras.Variable):
            raise _error(
                TypeError, "a Conv2D layer with a kernel", name, layer_or_kernel
            )
        kernel = np.asarray(layer.kernel.numpy())
        label = layer.name
    else:
        kernel = _as_array(name, layer_or_kernel)
    if kernel.ndim != 4 or 0 in kernel.shape:
        raise _error(
            ValueError, "a 4-D kernel of shape (kh, kw, c_in, c_out)", name, kernel
        )
    max_filters = _check_int("max_filters", max_filters)
    ncols = _check_int("ncols", ncols)

    kh, kw, c_in, c_out = kernel.shape
    count = min(max_filters, c_out)
    shown = kernel[..., :count].astype(np.float64)
    scale = float(np.max(np.abs(shown))) or 1.0
    fig, axes = _grid(count, ncols, cell=1.0)
    image = None
    for i, ax in enumerate(axes):
        if c_in == 3:
            ax.imshow(np.clip(0.5 + shown[..., i] / (2.0 * scale), 0.0, 1.0))
        else:
            image = ax.imshow(
                shown[..., i].mean(axis=-1), cmap="RdBu_r", vmin=-scale, vmax=scale
            )
        ax.set_title(str(i), fontsize=7)
    note = "RGB" if c_in == 3 else ("channel 0" if c_in == 1 else "mean over inputs")
    fig.suptitle(
        f"{label}: {count} of {c_out} filters, {kh}x{kw}x{c_in} ({note})", fontsize=10
    )
    fig.tight_layout()
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8)
    return fig


def feature_maps(
    model: keras.Model,
    layer_name: str,
    image: Any,
    max_maps: int = 16,
    ncols: int = 8,
) -> Figure:
    """Shows the activations (feature maps) of one layer for one image.

    Builds ``keras.Model(model.inputs, model.get_layer(layer_name).output)`` and
    runs it on the image (inference mode).

    Args:
        model: A built single-input Keras model (Functional or Sequential).
        layer_name: Name of a layer with channels-last 4-D output
            ``(1, H', W', C')``, e.g. a ``Conv2D`` or pooling layer.
        image: One image of shape ``(H, W, C)`` or ``(1, H, W, C)`` matching the
            model's input.
        max_maps: Show the first ``min(max_maps, C')`` channels.
        ncols: Maps per row.

    Returns:
        The ``Figure``, with one axes per shown channel, each scaled to its own
        min..max (``"viridis"``).

    Raises:
        TypeError: If ``model`` is not a Keras model or ``layer_name`` not a string.
        ValueError: If the layer does not exist (the message lists the model's
            layer names), its output is not 4-D, or the image has the wrong shape.
    """
    if not isinstance(model, keras.Model):
        raise _error(TypeError, "model to be a keras.Model", "model", model)
    if not isinstance(layer_name, str):
        raise _error(TypeError, "layer_name to be a string", "layer_name", layer_name)
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise _error(
            ValueError, f"layer_name to be one of {names}", "layer_name", layer_name
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs or len(inputs) != 1:
        raise _error(
            ValueError,
            "model to be built with exactly one input (e.g. start it with keras.Input)",
            "model",
            model,
        )
    original = _as_array("image", image)
    array = original[None] if original.ndim == 3 else original
    if array.ndim != 4 or array.shape[0] != 1:
        raise _error(
            ValueError, "image of shape (H, W, C) or (1, H, W, C)", "image", original
        )
    max_maps = _check_int("max_maps", max_maps)
    ncols = _check_int("ncols", ncols)

    layer = model.get_layer(layer_name)
    output = layer.output
    if len(output.shape) != 4:
        raise ValueError(
            f"Expected layer {layer_name!r} to output 4-D feature maps "
            f"(batch, height, width, channels), got {tuple(output.shape)}. "
            f"Received: layer_name={layer_name!r}"
        )
    extractor = keras.Model(inputs, output)
    maps = _to_numpy(extractor([array.astype("float32")], training=False))[0]
    height, width, channels = maps.shape
    count = min(max_maps, channels)
    fig, axes = _grid(count, ncols, cell=1.4)
    for i, ax in enumerate(axes):
        ax.imshow(_rescale(maps[..., i]), cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_title(f"ch {i}", fontsize=7)
    fig.suptitle(
        f"{layer_name}: {count} of {channels} maps, {height}x{width}", fontsize=10
    )
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


def confusion_counts(
    y_true: Any, y_pred: Any, num_classes: int | None = None
) -> np.ndarray:
    """Counts (true, predicted) pairs.

    Args:
        y_true: True class ids of shape ``(N,)`` (or one-hot ``(N, K)``).
        y_pred: Predicted class ids of shape ``(N,)`` or probabilities/logits of
            shape ``(N, K)`` (reduced by argmax).
        num_classes: Number of classes ``K``; default: the largest id seen + 1
            (or the width of a 2-D input, if larger).

    Returns:
        Integer array of shape ``(K, K)``: entry ``[i, j]`` counts samples of true
        class ``i`` predicted as ``j`` (rows: true, columns: predicted).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If lengths differ, ids are negative or not integers, or an id
            is ``>= num_classes``.
    """
    true_array = _as_array("y_true", y_true)
    pred_array = _as_array("y_pred", y_pred)
    true = _as_labels("y_true", true_array)
    pred = _as_labels("y_pred", pred_array, len(true))
    if num_classes is None:
        if true.size == 0:
            raise _error(
                ValueError,
                "num_classes to be given when there are no labels",
                "num_classes",
                num_classes,
            )
        widths = [a.shape[1] for a in (true_array, pred_array) if a.ndim == 2]
        num_classes = max([int(true.max()) + 1, int(pred.max()) + 1, *widths])
    num_classes = _check_int("num_classes", num_classes)
    for name, labels in (("y_true", true), ("y_pred", pred)):
        if labels.size and labels.max() >= num_classes:
            raise _error(
                ValueError,
                f"{name} to be < num_classes={num_classes}, found {labels.max()}",
                name,
                labels,
            )
    flat = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    title: str | None = None,
) -> Figure:
    """Plots the annotated confusion matrix (rows: true, columns: predicted).

    Args:
        y_true: True class ids of shape ``(N,)`` (or one-hot ``(N, K)``).
        y_pred: Predicted class ids of shape ``(N,)`` or probabilities/logits of
            shape ``(N, K)`` (reduced by argmax).
        class_names: Optional names; their number fixes ``K``.
        normalize: If True, divide each row by its total, so the diagonal is the
            recall of each class (rows without samples stay 0).
        title: Optional title (default ``"Confusion matrix"``).

    Returns:
        The ``Figure``, with the matrix axes and a colorbar axes. Cells are
        annotated with counts (or fractions with 2 decimals) when
        ``K <= 30``.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If lengths differ or ids do not fit ``class_names``.
    """
    names = _check_class_names(class_names)
    normalize = _check_bool("normalize", normalize)
    title = _check_title(title)
    counts = confusion_counts(
        y_true, y_pred, num_classes=None if names is None else len(names)
    )
    k = counts.shape[0]
    if names is None:
        names = [str(i) for i in range(k)]
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(
            counts,
            totals,
            out=np.zeros(counts.shape, dtype=np.float64),
            where=totals > 0,
        )
    else:
        values = counts

    size = min(14.0, max(4.0, 0.45 * k + 2.5))
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(
        values, cmap="Blues", vmin=0, vmax=1 if normalize else max(1, values.max())
    )
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    if not normalize:
        colorbar.locator = MaxNLocator(integer=True)
        colorbar.update_ticks()
    ticks = np.arange(k)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    rotate = max(len(n) for n in names) > 3
    ax.set_xticklabels(
        names, rotation=45 if rotate else 0, ha="right" if rotate else "center"
    )
    ax.set_yticklabels(names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= _MAX_ANNOTATED_CLASSES:
        threshold = (1.0 if normalize else max(1, values.max())) / 2.0
        for i in range(k):
            for j in range(k):
                value = values[i, j]
                text = f"{value:.2f}" if normalize else str(int(value))
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > threshold else "black",
                )
    if title is None:
        title = "Confusion matrix" + (
            " (normalized by true class)" if normalize else ""
        )
    ax.set_title(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# Activation functions
# --------------------------------------------------------------------------------------


def activation_curves(
    functions: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any] | None]],
    x: Any = None,
) -> Figure:
    """Plots activation functions and their derivatives side by side.

    Args:
        functions: Dict mapping a name (e.g. ``"relu"``) to a pair ``(f, df)`` of
            callables taking and returning arrays shaped like ``x`` (NumPy or
            ``keras.ops``; a scalar result is broadcast). ``df`` may be None to
            skip the derivative.
        x: 1-D array of at least 2 points; default ``np.linspace(-5, 5, 401)``.

    Returns:
        The ``Figure`` with two axes: ``f(x)`` (left) and ``f'(x)`` (right), one
        colour and legend entry per function.

    Raises:
        TypeError: If ``functions`` is not a dict of ``(f, df)`` callables.
        ValueError: If ``functions`` is empty, ``x`` is not 1-D with >= 2 finite
            points, or a function returns the wrong shape.
    """
    if not isinstance(functions, Mapping):
        raise _error(
            TypeError, "functions to be a dict name -> (f, df)", "functions", functions
        )
    if not functions:
        raise _error(ValueError, "functions to be non-empty", "functions", functions)
    for name, pair in functions.items():
        if (
            not isinstance(pair, tuple | list)
            or len(pair) != 2
            or not callable(pair[0])
            or not (pair[1] is None or callable(pair[1]))
        ):
            raise TypeError(
                f"Expected functions[{name!r}] to be a pair (f, df) of callables "
                f"(df may be None). Received: functions[{name!r}]={pair!r}"
            )
    if x is None:
        grid = np.linspace(-5.0, 5.0, 401)
    else:
        grid = _as_array("x", x).astype(np.float64)
        if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
            raise _error(
                ValueError, "x to be 1-D with at least 2 finite points", "x", grid
            )

    curves: list[tuple[str, np.ndarray, np.ndarray | None]] = []
    for name, (f, df) in functions.items():
        evaluated = []
        for which, fn in (("f", f), ("df", df)):
            if fn is None:
                evaluated.append(None)
                continue
            result = np.asarray(_to_numpy(fn(grid)), dtype=np.float64)
            try:
                result = np.broadcast_to(result, grid.shape)
            except ValueError as exc:
                raise ValueError(
                    f"Expected {which} of functions[{name!r}] to return an array of "
                    f"shape {grid.shape}. Received: {which}(x).shape={result.shape}"
                ) from exc
            evaluated.append(result)
        curves.append((str(name), evaluated[0], evaluated[1]))

    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8))
    for i, (name, values, derivative) in enumerate(curves):
        color = f"C{i % 10}"
        axes[0].plot(grid, values, color=color, label=name)
        if derivative is not None:
            axes[1].plot(grid, derivative, color=color, label=name)
    for ax, heading in zip(axes, ("f(x)", "f'(x)"), strict=True):
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.axvline(0.0, color="0.6", linewidth=0.8)
        ax.set_title(heading)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def decision_regions(
    panels: Mapping[str, tuple[Any, Any]],
    x: Any,
    resolution: int = 161,
    margin: float = 0.5,
) -> Figure:
    """Shows what a 2-input binary classifier answers over the whole plane.

    One panel per model: its output probability as colour, the 0.5 contour (the
    decision line, omitted when the output is constant) and the data points
    coloured by their target. Used for the logic gates of lecture 01, where one
    perceptron draws one straight line and XOR needs two.

    Args:
        panels: title -> ``(model, y)``; ``model`` maps ``(n, 2)`` float32 inputs to
            ``(n, 1)`` probabilities, ``y`` holds the targets of ``x``, shape ``(n,)``.
        x: points of shape ``(n, 2)``.
        resolution: grid points per axis, >= 2.
        margin: how far the grid extends beyond the points, >= 0.

    Returns:
        The figure, one axes per panel.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise _error(
            TypeError,
            "panels to be a non-empty dict title -> (model, y)",
            "panels",
            panels,
        )
    points = _as_array("x", x).astype("float32")
    if points.ndim != 2 or points.shape[1] != 2:
        raise _error(ValueError, "x of shape (n, 2)", "x", points)
    resolution = _check_int("resolution", resolution, minimum=2)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin < 0:
        raise _error(ValueError, "margin to be a number >= 0", "margin", margin)
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    g1, g2 = np.meshgrid(
        np.linspace(low[0], high[0], resolution),
        np.linspace(low[1], high[1], resolution),
    )
    plane = np.stack([g1.ravel(), g2.ravel()], axis=1).astype("float32")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.6))
    for ax, (title, (model, y)) in zip(
        np.atleast_1d(axes), panels.items(), strict=True
    ):
        targets = _as_array("y", y).reshape(-1)
        if targets.shape[0] != points.shape[0]:
            raise _error(ValueError, f"y of length {points.shape[0]}", "y", targets)
        output = _to_numpy(model(plane)).reshape(g1.shape)
        ax.contourf(g1, g2, output, levels=np.linspace(0, 1, 11), cmap="coolwarm")
        if np.ptp(output) > 1e-3:  # a constant output has no 0.5 line to draw
            ax.contour(g1, g2, output, levels=[0.5], colors="black")
        ax.scatter(
            *points.T,
            c=targets,
            cmap="coolwarm",
            s=120,
            edgecolors="black",
            vmin=0,
            vmax=1,
        )
        ax.set(title=str(title), xlabel="x1", ylabel="x2")
    fig.tight_layout()
    return fig


def kernel_sliding(i: int, k: int, s: int = 1, p: int = 0, d: int = 1, frames: int = 4):
    """Stepped frames of a ``k x k`` kernel sliding over an ``i x i`` input.

    Each frame shows the zero-padded input (padding grey, input white), the
    kernel's taps for one output position (blue; spread out by the dilation ``d``)
    and the output grid with that position highlighted (orange). The output size
    is ``arithmetic.conv_output_size(i, k, s, p, d)`` (Dumoulin & Visin, 2016).

    Args:
        i: input size. k: kernel size. s: stride. p: padding on each side.
        d: dilation. frames: number of output positions shown, spread evenly.

    Returns:
        The figure, one axes per frame.
    """
    from matplotlib.colors import ListedColormap

    from course import arithmetic

    o = arithmetic.conv_output_size(i, k, s, p, d)  # validates i, k, s, p, d
    frames = _check_int("frames", frames)
    cells = ListedColormap(["#c8c8c8", "white", "#4c72b0", "#fbe3cc", "#dd8452"])
    n = i + 2 * p
    fig, axes = plt.subplots(1, frames, figsize=(3.0 * frames, 2.2), squeeze=False)
    positions = np.linspace(0, o * o - 1, frames).astype(int)
    for ax, index in zip(axes[0], positions, strict=True):
        row, col = divmod(int(index), o)
        # Codes: 0 padding, 1 input, 2 kernel taps, 3 output, 4 current output;
        # NaN leaves the gap between the input and the output grid empty.
        canvas = np.full((max(n, o), n + 1 + o), np.nan)
        canvas[:n, :n] = 0
        canvas[p : p + i, p : p + i] = 1
        taps = d * np.arange(k)
        canvas[np.ix_(row * s + taps, col * s + taps)] = 2
        canvas[:o, n + 1 :] = 3
        canvas[row, n + 1 + col] = 4
        mesh = ax.pcolormesh(
            np.ma.masked_invalid(canvas),
            cmap=cells,
            vmin=-0.5,
            vmax=4.5,
            edgecolors="black",
            linewidth=0.5,
        )
        mesh.set_clip_on(False)
        ax.set(aspect="equal", title=f"output ({row}, {col})")
        ax.invert_yaxis()
        ax.axis("off")
    fig.suptitle(f"i={i}, k={k}, s={s}, p={p}, d={d}: {o}x{o} output")
    fig.tight_layout()
    return fig


def number_grids(panels: Mapping[str, Any], cmap: str = "Blues") -> Figure:
    """Small 2-D arrays side by side with every value written in its cell.

    For worked examples: a pooling window, the partial sums of a transposed
    convolution, a kernel. All panels share one colour scale.

    Args:
        panels: title -> 2-D array.
        cmap: matplotlib colormap name.

    Returns:
        The figure, one axes per panel.
    """
    if not isinstance(panels, Mapping) or not panels:
        raise _error(
            TypeError,
            "panels to be a non-empty dict title -> 2-D array",
            "panels",
            panels,
        )
    arrays = {str(t): _as_array("panels", v) for t, v in panels.items()}
    for array in arrays.values():
        if array.ndim != 2:
            raise _error(ValueError, "2-D arrays in panels", "panels", array)
    low = min(float(a.min()) for a in arrays.values())
    high = max(float(a.max()) for a in arrays.values())
    fig, axes = plt.subplots(
        1, len(arrays), figsize=(2.4 * len(arrays), 2.6), squeeze=False
    )
    for ax, (title, array) in zip(axes[0], arrays.items(), strict=True):
        ax.imshow(array, cmap=cmap, vmin=low, vmax=high if high > low else low + 1)
        for (r, c), value in np.ndenumerate(array):
            ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=8)
        ax.set(title=title, xticks=[], yticks=[])
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# Saliency maps (lecture 11)
# --------------------------------------------------------------------------------------

__all__ += ["overlay_rgb", "saliency_grid", "saliency_overlay"]


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)):
        raise _error(TypeError, "alpha to be a number in [0, 1]", "alpha", alpha)
    if not 0.0 <= float(alpha) <= 1.0:
        raise _error(ValueError, "alpha to be in [0, 1]", "alpha", alpha)
    return float(alpha)


def _check_cmap(cmap: Any) -> Colormap:
    import matplotlib

    if isinstance(cmap, Colormap):
        return cmap
    if not isinstance(cmap, str) or cmap not in matplotlib.colormaps:
        raise _error(ValueError, "cmap to be a matplotlib colormap name", "cmap", cmap)
    return matplotlib.colormaps[cmap]


def _image_and_map(image: Any, saliency_map: Any) -> tuple[np.ndarray, np.ndarray]:
    picture = _as_array("image", image)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    if picture.ndim not in (2, 3) or (picture.ndim == 3 and picture.shape[-1] != 3):
        raise _error(
            ValueError,
            "image of shape (H, W), (H, W, 1) or (H, W, 3)",
            "image",
            picture,
        )
    heat = _as_array("saliency_map", saliency_map)
    if heat.ndim == 3 and heat.shape[-1] == 1:
        heat = heat[..., 0]
    if heat.shape != picture.shape[:2]:
        raise _error(
            ValueError,
            f"saliency_map of shape {picture.shape[:2]} (the image's height and width)",
            "saliency_map",
            heat,
        )
    return picture, heat


def overlay_rgb(
    image: Any, saliency_map: Any, alpha: float = 0.5, cmap: str | Colormap = "jet"
) -> np.ndarray:
    """A saliency map laid over its image, as an RGB array (no figure).

    The image is shown in grey (a colour image keeps its colours), each scaled to
    [0, 1]; the map, also scaled to [0, 1], is coloured by ``cmap`` and blended in
    with weight ``alpha``. ``course.saliency.SaliencyImages`` writes these arrays
    to TensorBoard.

    Args:
        image: ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``.
        saliency_map: ``(H, W)`` map, any range.
        alpha: weight of the coloured map, in [0, 1].
        cmap: matplotlib colormap (name or object).

    Returns:
        float32 array ``(H, W, 3)`` in [0, 1].
    """
    picture, heat = _image_and_map(image, saliency_map)
    alpha = _check_alpha(alpha)
    colormap = _check_cmap(cmap)
    base = _rescale(picture)
    if base.ndim == 2:
        base = np.repeat(base[..., None], 3, axis=-1)
    colored = colormap(_rescale(heat))[..., :3]
    return ((1.0 - alpha) * base + alpha * colored).astype(np.float32)


def saliency_overlay(
    image: Any,
    saliency_map: Any,
    alpha: float = 0.5,
    cmap: str | Colormap = "jet",
    title: str | None = None,
) -> Figure:
    """One image, its saliency map and the two overlaid, side by side.

    Args:
        image: ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``.
        saliency_map: ``(H, W)`` map, e.g. from ``course.saliency.saliency_map``.
        alpha: weight of the map in the overlay, in [0, 1].
        cmap: matplotlib colormap of the map.
        title: figure title.

    Returns:
        The figure, three axes.
    """
    picture, heat = _image_and_map(image, saliency_map)
    blended = overlay_rgb(picture, heat, alpha, cmap)
    title = _check_title(title)
    fig, axes = _grid(3, 3, cell=2.2)
    shown = _rescale(picture)
    axes[0].imshow(shown, cmap="gray" if shown.ndim == 2 else None, vmin=0, vmax=1)
    axes[1].imshow(_rescale(heat), cmap=_check_cmap(cmap), vmin=0, vmax=1)
    axes[2].imshow(blended)
    for ax, name in zip(axes, ("image", "saliency", "overlay"), strict=True):
        ax.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def saliency_grid(
    images: Any,
    maps: Mapping[str, Any],
    row_titles: Sequence[str] | None = None,
    alpha: float = 0.5,
    cmap: str | Colormap = "jet",
    overlay: bool = True,
    title: str | None = None,
) -> Figure:
    """Saliency maps side by side: one row per image, one column per map.

    Rows can be different images (methods compared) or one image repeated
    (classes or layers compared); the first column shows the image.

    Args:
        images: ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)``.
        maps: column title -> maps ``(N, H, W)``, e.g. method -> maps.
        row_titles: one label per row (e.g. the class explained), or None.
        alpha: weight of the maps in the overlays, in [0, 1].
        cmap: matplotlib colormap of the maps.
        overlay: draw each map over its image (else the map alone).
        title: figure title.

    Returns:
        The figure, ``N x (1 + len(maps))`` axes.
    """
    pictures = _as_images(images)
    if not isinstance(maps, Mapping) or not maps:
        raise _error(
            TypeError, "maps to be a non-empty dict title -> maps", "maps", maps
        )
    columns = {str(k): _as_array("maps", v) for k, v in maps.items()}
    for array in columns.values():
        if array.shape != pictures.shape[:3]:
            raise _error(
                ValueError,
                f"every entry of maps to have shape {pictures.shape[:3]} (N, H, W)",
                "maps",
                array,
            )
    if row_titles is not None:
        if isinstance(row_titles, str) or len(row_titles) != len(pictures):
            raise _error(
                ValueError,
                f"row_titles to hold {len(pictures)} labels",
                "row_titles",
                row_titles,
            )
    _check_alpha(alpha)
    colormap = _check_cmap(cmap)
    overlay = _check_bool("overlay", overlay)
    title = _check_title(title)
    ncols = 1 + len(columns)
    fig, axes = _grid(len(pictures) * ncols, ncols, cell=1.7)
    for row, picture in enumerate(pictures):
        shown = _rescale(picture)
        if shown.ndim == 3 and shown.shape[-1] == 1:
            shown = shown[..., 0]
        first = axes[row * ncols]
        first.imshow(shown, cmap="gray" if shown.ndim == 2 else None, vmin=0, vmax=1)
        if row_titles is not None:
            first.set_ylabel(str(row_titles[row]), fontsize=8)
        for col, (name, array) in enumerate(columns.items(), start=1):
            ax = axes[row * ncols + col]
            if overlay:
                ax.imshow(overlay_rgb(picture, array[row], alpha, colormap))
            else:
                ax.imshow(_rescale(array[row]), cmap=colormap, vmin=0, vmax=1)
            if row == 0:
                ax.set_title(name, fontsize=8)
    axes[0].set_title("image", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
