"""The sanity checks of saliency maps (lecture 11), and the similarities they use.

Adebayo et al., "Sanity Checks for Saliency Maps" (NeurIPS 2018): a map that barely
changes when the network's weights are randomised (:func:`cascading_randomization`,
summed up by :func:`randomization_summary`), or when the network was trained on
shuffled labels (:func:`label_randomization_check`), cannot be explaining what the
network learned. Maps are compared as they compare them: by Spearman rank
correlation (:func:`rank_correlation`) and structural similarity
(:func:`map_ssim`).

:func:`mass_inside` asks the other question a map can answer: how much of its
weight falls on a region - lecture 13's scanner mark, which a net that learnt the
shortcut looks at.

Used in lectures 11 and 13.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from course import _validate
from course.saliency import surgery
from course.saliency.base import check_images, normalize_maps, predicted_classes
from course.saliency.maps import METHODS, saliency_map

__all__ = [
    "SIMILARITY_THRESHOLD",
    "cascading_randomization",
    "label_randomization_check",
    "map_ssim",
    "mass_inside",
    "randomization_summary",
    "rank_correlation",
]

#: Mean SSIM of trained and randomised maps from which :func:`randomization_summary`
#: says the maps survive the randomisation (a map this alike ignores the weights).
SIMILARITY_THRESHOLD = 0.5


# ---------------------------------------------------------------- similarities


def mass_inside(maps, masks) -> np.ndarray:
    """The share of each map's total weight that lies inside its mask.

    Compare it with the mask's share of the image: a map that ignores the
    region puts about that much there by chance, one that relies on it far more.
    Use raw maps (``saliency_map(..., normalize=False)``): scaling a map to
    [0, 1] subtracts its minimum, which changes the shares.

    Args:
        maps: non-negative maps ``(N, H, W)``.
        masks: booleans ``(N, H, W)`` (or ``(H, W)``, one mask for all).

    Returns:
        ``float64 (N,)`` shares in [0, 1]; 0 for an all-zero map.

    Raises:
        ValueError: for negative maps or masks of another shape.
    """
    maps = np.asarray(maps, dtype=np.float64)
    masks = np.asarray(masks)
    if maps.ndim != 3 or not maps.size:
        raise _validate.error("maps.shape", maps.shape, "to be (N, height, width)")
    if masks.shape not in (maps.shape, maps.shape[1:]) or masks.dtype != bool:
        raise _validate.relation(
            "boolean masks of the maps' shape, or one of the image's",
            **{"maps.shape": maps.shape, "masks": f"{masks.dtype} {masks.shape}"},
        )
    if not np.all(np.isfinite(maps)) or maps.min() < 0:
        raise _validate.error(
            "maps", f"min {maps.min()}", "to be finite and non-negative"
        )
    total = maps.sum(axis=(1, 2))
    inside = (maps * np.broadcast_to(masks, maps.shape)).sum(axis=(1, 2))
    return np.divide(inside, total, out=np.zeros_like(total), where=total > 0)


def _pair(a, b):
    a = np.asarray(keras.ops.convert_to_numpy(a), dtype=np.float64)
    b = np.asarray(keras.ops.convert_to_numpy(b), dtype=np.float64)
    if a.shape != b.shape or a.size < 2:
        raise _validate.error(
            "b",
            b,
            f"to be a map of the same shape as a, {a.shape}, with at least two values",
        )
    return a, b


def rank_correlation(a, b) -> float:
    """Spearman rank correlation of two maps, as Adebayo et al. compare them.

    Args:
        a: a map, any shape.
        b: a map of the same shape.

    Returns:
        The correlation in [-1, 1]; 1.0 for equal maps, 0.0 when only one of
        them is constant (no ranking to agree with).
    """
    from scipy.stats import spearmanr

    a, b = _pair(a, b)
    if np.array_equal(a, b):
        return 1.0
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def map_ssim(a, b) -> float:
    """Structural similarity of two 2-D maps, each first scaled to [0, 1].

    Args:
        a: a map ``(H, W)``, H and W >= 7.
        b: a map of the same shape.

    Returns:
        Mean SSIM (``course.metrics.ssim``, 7x7 windows).
    """
    from course import metrics

    a, b = _pair(a, b)
    if a.ndim != 2:
        raise _validate.error("a", a, "to be a 2-D map (H, W), as b")
    scaled = normalize_maps(np.stack([a, b]))
    return metrics.ssim(scaled[0], scaled[1], data_range=1.0)


def _similarities(reference, maps) -> dict:
    """Both similarities of two sets of maps, averaged over the maps."""
    pairs = list(zip(reference, maps, strict=True))
    return {
        "rank_correlation": float(np.mean([rank_correlation(r, m) for r, m in pairs])),
        "ssim": float(np.mean([map_ssim(r, m) for r, m in pairs])),
    }


# ------------------------------------------------- model-parameter randomisation


def _clone(model) -> keras.Model:
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _randomizable(model) -> list[str]:
    """Layers with a kernel, output first: the cascade's order."""
    names = [
        layer.name
        for layer in surgery.all_layers(model)
        if not surgery.is_graph(layer)
        and any("kernel" in weight.name for weight in layer.trainable_weights)
    ]
    return names[::-1]


def _reinitialize(layer, seed: int) -> None:
    """Draws the layer's weights again from its own initialisers."""
    for index, weight in enumerate(layer.weights):
        if not weight.trainable:
            continue
        initializer = getattr(layer, f"{weight.name}_initializer", None)
        if initializer is None and weight.name.endswith("_kernel"):
            initializer = getattr(
                layer, weight.name.replace("_kernel", "_initializer"), None
            )
        if initializer is not None:
            config = initializer.get_config()
            if "seed" in config:
                config["seed"] = seed + index
            initializer = initializer.__class__.from_config(config)
            value = initializer(tuple(weight.shape), dtype=weight.dtype)
        else:
            values = keras.ops.convert_to_numpy(weight)
            rng = np.random.default_rng(seed + index)
            value = rng.normal(0.0, float(np.std(values)) or 0.05, values.shape)
        weight.assign(keras.ops.cast(value, weight.dtype))


def _step(name, count, reference, maps) -> dict:
    """One entry of :func:`cascading_randomization`'s list."""
    return {
        "layer": name,
        "randomized": count,
        **_similarities(reference, maps),
        "maps": maps,
    }


def cascading_randomization(
    model,
    images,
    class_index=None,
    method="vanilla",
    *,
    layers=None,
    seed=0,
    **map_options,
):
    """Adebayo et al.'s model-parameter randomisation test, cascading.

    Starting from the output, the weights of one layer after another are drawn
    again from their initialisers (on a copy; ``model`` is untouched) until every
    convolutional and dense layer is random - batch-norm scales and statistics
    stay as trained unless ``layers`` names them - and after each step the maps
    are computed again and compared with the trained model's maps. A method that
    explains the network must give maps that drift away; maps that stay similar show
    what the method computes regardless of the learned weights (Adebayo et al.
    found guided backpropagation to be the clearest case).

    Args:
        model: the trained classifier.
        images: the images to explain.
        class_index: as for :func:`~course.saliency.maps.saliency_map` (``None``:
            the trained model's predictions, kept fixed for the randomised
            models).
        method: a key of :data:`~course.saliency.maps.METHODS`.
        layers: names of the layers to randomise, in this order; default every
            layer with a kernel (convolutional and dense), output first.
        seed: seed of the new weights.
        **map_options: passed to :func:`~course.saliency.maps.saliency_map`
            (``layer``, ``reduce``, ...).

    Returns:
        A list of dicts, one per step: ``{"layer": the layer randomised last,
        "randomized": layers randomised so far, "rank_correlation": ..., "ssim":
        ..., "maps": the maps}``, similarities averaged over the images. The
        first entry, ``layer=None``, compares the trained maps with themselves
        (1.0).

    Raises:
        ValueError: as :func:`~course.saliency.maps.saliency_map`, or for an
            unknown layer in ``layers``.
    """
    model = surgery.check_model(model)
    seed = _validate.integer("seed", seed, minimum=0)
    images = check_images(model, images)
    if class_index is None:
        class_index = predicted_classes(model, images)
    reference = saliency_map(
        model, images, class_index, method, seed=seed, **map_options
    )
    if layers is None:
        layers = _randomizable(model)
    elif isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
        raise _validate.error(
            "layers", layers, "to be a non-empty list of layer names", TypeError
        )
    for name in layers:
        surgery.find_layer(model, name)
    clone = _clone(model)
    steps = [_step(None, 0, reference, reference)]
    for count, name in enumerate(layers, start=1):
        _reinitialize(surgery.find_layer(clone, name), seed + 1000 * count)
        maps = saliency_map(
            clone, images, class_index, method, seed=seed, **map_options
        )
        steps.append(_step(name, count, reference, maps))
    return steps


def randomization_summary(steps, threshold=SIMILARITY_THRESHOLD) -> dict:
    """One verdict from :func:`cascading_randomization`'s steps.

    Args:
        steps: the list it returned.
        threshold: mean SSIM over the randomisation steps at or above which the
            maps count as surviving the randomisation, in [0, 1].

    Returns:
        ``{"rank_correlation": mean, "ssim": mean, "final_rank_correlation":
        ..., "final_ssim": ..., "verdict": "changes" or "survives"}``, means
        over every step after the trained model's own.
    """
    threshold = _validate.fraction("threshold", threshold, inclusive_one=True)
    if (
        not isinstance(steps, Sequence)
        or len(steps) < 2
        or not all(isinstance(step, dict) and "ssim" in step for step in steps)
    ):
        raise _validate.error(
            "steps", steps, "to be the list returned by cascading_randomization"
        )
    rank = float(np.mean([step["rank_correlation"] for step in steps[1:]]))
    ssim = float(np.mean([step["ssim"] for step in steps[1:]]))
    return {
        "rank_correlation": rank,
        "ssim": ssim,
        "final_rank_correlation": float(steps[-1]["rank_correlation"]),
        "final_ssim": float(steps[-1]["ssim"]),
        "verdict": "survives" if ssim >= threshold else "changes",
    }


# ------------------------------------------------------------ data randomisation


def _trained(build_model, x, labels, *, epochs, batch_size, learning_rate, seed):
    """A fresh network from ``build_model``, trained on ``labels``, and its accuracy."""
    keras.utils.set_random_seed(seed)
    net = build_model()
    net.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    net.fit(x, labels, batch_size=batch_size, epochs=epochs, verbose=0)
    return net, float(net.evaluate(x, labels, verbose=0)[1])


def label_randomization_check(
    build_model,
    x,
    y,
    images,
    class_index,
    methods=("vanilla",),
    *,
    epochs=5,
    batch_size=64,
    learning_rate=1e-3,
    seed=0,
    **map_options,
):
    """Adebayo et al.'s data randomisation test: true labels against shuffled ones.

    Two copies of one architecture are trained the same way, one on ``y`` and
    one on a random permutation of ``y``, which only memorisation can fit. Maps
    of the two are compared per method: a method whose maps stay alike cannot be
    explaining the relation between images and labels that the first network
    learned.

    Args:
        build_model: callable returning a fresh, uncompiled classifier.
        x: training images.
        y: integer training labels.
        images: the images to explain.
        class_index: the class explained, one or one per image.
        methods: one method or a sequence of keys of
            :data:`~course.saliency.maps.METHODS`.
        epochs: training epochs of each network, >= 1.
        batch_size: batch size, >= 1.
        learning_rate: Adam learning rate, > 0.
        seed: seed of the initialisation, the permutation and the maps.
        **map_options: passed to :func:`~course.saliency.maps.saliency_map`.

    Returns:
        ``{"train_accuracy": {"true": ..., "random": ...}, "methods": {method:
        {"rank_correlation": ..., "ssim": ...}}}``; the training accuracies say
        how far the shuffled labels were memorised.
    """
    build_model = _validate.function("build_model", build_model)
    methods = [methods] if isinstance(methods, str) else list(methods)
    for method in methods:
        _validate.choice("methods", method, tuple(METHODS))
    training = {
        "epochs": _validate.positive_int("epochs", epochs),
        "batch_size": _validate.positive_int("batch_size", batch_size),
        "learning_rate": _validate.positive("learning_rate", learning_rate),
        "seed": _validate.integer("seed", seed, minimum=0),
    }
    seed = training["seed"]
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y).astype(np.int64)
    if len(x) != len(y) or len(x) == 0:
        raise _validate.error(
            "y", y, f"to hold one label per example of x ({len(x)}), at least one"
        )
    shuffled = np.random.default_rng(seed).permutation(y)
    trained, accuracy = {}, {}
    for kind, labels in (("true", y), ("random", shuffled)):
        trained[kind], accuracy[kind] = _trained(build_model, x, labels, **training)
    report = {}
    for method in methods:
        maps = {
            kind: saliency_map(
                net, images, class_index, method, seed=seed, **map_options
            )
            for kind, net in trained.items()
        }
        report[method] = _similarities(maps["true"], maps["random"])
    return {"train_accuracy": accuracy, "methods": report}
