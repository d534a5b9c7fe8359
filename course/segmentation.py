"""Masks, instance labels and weight maps for segmentation.

Used in lecture 09. The lecture segments synthetic nuclei three ways (a patch
classifier, a plain fully convolutional network, a U-Net); this module holds what the
masks need:

* `instances_from_mask`, `separate_instances`, `touching_borders`: from a semantic
  mask to instances and back, and the thin background lines between touching nuclei;
* `two_nearest_distances`, `class_weight_map`, `unet_weight_map`: the loss weight map
  of Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image
  Segmentation", MICCAI 2015, eq. 2 (fed to `course.losses.PixelWeightedCrossentropy`);
* `patches_at`, `predict_by_patches`: patch-based segmentation, the method fully
  convolutional networks replaced;
* `object_areas`, `small_object_scores`: how well a prediction finds the smallest
  objects, the ones an overlap score over whole images barely sees.

It imports numpy and ``scipy.ndimage`` only (`predict_by_patches` checks and calls
the Keras model it is given). Label images are 2-D integer arrays with 0 for the
background and 1..N for the objects (instances).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from course import _validate

__all__ = [
    "class_weight_map",
    "instances_from_mask",
    "object_areas",
    "patches_at",
    "predict_by_patches",
    "separate_instances",
    "small_object_scores",
    "ObjectScores",
    "touching_borders",
    "two_nearest_distances",
    "unet_weight_map",
]


def _array(name: str, value, *axes: str) -> np.ndarray:
    """Returns ``value`` as an array with one axis per name in ``axes``."""
    array = np.asarray(value)
    if array.ndim != len(axes):
        raise _validate.error(name, array, f"to have shape ({', '.join(axes)})")
    return array


def _boolean_mask(name: str, mask: np.ndarray) -> np.ndarray:
    """``mask`` as booleans: bool already, or numeric holding only 0 and 1."""
    if mask.dtype != bool:
        if mask.dtype.kind not in "iuf" or not np.isin(mask, (0, 1)).all():
            raise _validate.error(
                f"{name}.dtype",
                mask.dtype,
                "to be bool, or numeric holding only 0 and 1",
            )
        mask = mask.astype(bool)
    return mask


def _label_image(labels) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise _validate.error(
            "labels.dtype",
            labels.dtype,
            "to be an integer type (instance labels: 0 = background, 1..N = objects)",
            TypeError,
        )
    labels = _array("labels", labels, "height", "width")
    if labels.size and labels.min() < 0:
        raise _validate.error("labels.min()", int(labels.min()), "to be >= 0")
    return labels


def two_nearest_distances(labels) -> tuple[np.ndarray, np.ndarray]:
    """Distances of every pixel to the nearest and second-nearest object.

    ``d_k(x)`` is the Euclidean distance from pixel centre ``x`` to the closest pixel
    centre of the k-th nearest object (``scipy.ndimage.distance_transform_edt``, one
    transform per object). A background pixel in a one-pixel gap between two objects
    thus has ``d1 = d2 = 1``; in a two-pixel gap ``d1 = 1, d2 = 2``. Inside an object
    ``d1 = 0``.

    Args:
        labels: ``(H, W)`` integer instance labels.

    Returns:
        ``(d1, d2)``, two ``float64`` arrays of shape ``(H, W)``; ``inf`` where fewer
        than one (``d1``) or two (``d2``) objects exist.
    """
    labels = _label_image(labels)
    d1 = np.full(labels.shape, np.inf)
    d2 = np.full(labels.shape, np.inf)
    for index in np.unique(labels[labels > 0]):
        distance = ndimage.distance_transform_edt(labels != index)
        # Running two smallest values: O(H W) memory however many objects there are.
        d2 = np.minimum(d2, np.maximum(d1, distance))
        d1 = np.minimum(d1, distance)
    return d1, d2


def class_weight_map(labels, class_weights="balanced") -> np.ndarray:
    """Per-pixel class weights ``w_c(x)`` for background and foreground.

    Args:
        labels: ``(H, W)`` integer instance labels (any object counts as foreground).
        class_weights: ``"balanced"``: ``n_pixels / (2 * n_class)`` for each of the
            two classes (scikit-learn's convention, so that the mean weight is 1; a
            class absent from the image gets no pixels and its weight does not
            matter); ``None``: 1 everywhere; a dict ``{0: w_background, 1:
            w_foreground}`` of non-negative numbers.

    Returns:
        ``float32`` array of shape ``(H, W)``.
    """
    labels = _label_image(labels)
    foreground = labels > 0
    if class_weights is None:
        return np.ones(labels.shape, dtype=np.float32)
    if isinstance(class_weights, str):
        _validate.choice("class_weights", class_weights, ("balanced",))
        counts = np.array([np.count_nonzero(~foreground), np.count_nonzero(foreground)])
        weights = labels.size / (2.0 * np.maximum(counts, 1))
    elif isinstance(class_weights, dict):
        if set(class_weights) != {0, 1}:
            raise _validate.error(
                "class_weights",
                class_weights,
                "to have the keys 0 (background) and 1 (foreground)",
            )
        weights = [
            _validate.non_negative(f"class_weights[{key}]", class_weights[key])
            for key in (0, 1)
        ]
    else:
        raise _validate.error(
            "class_weights",
            class_weights,
            'to be "balanced", None or a dict {0: w, 1: w}',
            TypeError,
        )
    return np.where(foreground, weights[1], weights[0]).astype(np.float32)


def unet_weight_map(
    labels, w0: float = 10.0, sigma: float = 5.0, class_weights="balanced"
) -> np.ndarray:
    """U-Net loss weight map that emphasises thin gaps between touching objects.

    Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image
    Segmentation", MICCAI 2015, eq. 2::

        w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))**2 / (2 * sigma**2))

    with ``w_c`` the class-balancing weights (`class_weight_map`) and ``d1``, ``d2``
    the distances to the nearest and second-nearest object (`two_nearest_distances`,
    pixel-centre convention). As in the paper, the border term is added to background
    pixels only: those are the separating lines the network must learn between
    touching cells. With fewer than two objects the border term is 0. The paper used
    ``w0 = 10`` and ``sigma ~ 5`` pixels. Pass the map to
    `course.losses.PixelWeightedCrossentropy` via `course.losses.with_weight_channel`.

    Args:
        labels: ``(H, W)`` integer instance labels, 0 = background, 1..N = objects.
        w0: border weight, >= 0 (0 leaves only the class weights).
        sigma: border width in pixels, > 0.
        class_weights: ``"balanced"``, ``None`` or ``{0: w, 1: w}``, see
            `class_weight_map`.

    Returns:
        ``float32`` array of shape ``(H, W)`` with weights >= 0.
    """
    labels = _label_image(labels)
    w0 = _validate.non_negative("w0", w0)
    sigma = _validate.positive("sigma", sigma)
    weights = class_weight_map(labels, class_weights).astype(np.float64)
    if w0 > 0:
        d1, d2 = two_nearest_distances(labels)
        with np.errstate(invalid="ignore", over="ignore"):
            border = w0 * np.exp(-((d1 + d2) ** 2) / (2.0 * sigma**2))
        border = np.nan_to_num(border, nan=0.0)
        weights += np.where(labels == 0, border, 0.0)
    return weights.astype(np.float32)


def instances_from_mask(mask, min_size: int = 1, connectivity: int = 1) -> np.ndarray:
    """Connected components of a binary mask as instance labels.

    Args:
        mask: ``(H, W)`` boolean or 0/1 mask.
        min_size: components with fewer pixels are dropped (set to background).
        connectivity: 1 for 4-connected, 2 for 8-connected components.

    Returns:
        ``int32`` array of shape ``(H, W)``: 0 = background, objects numbered
        1..N consecutively in raster order of their first pixel.
    """
    mask = _boolean_mask("mask", _array("mask", mask, "height", "width"))
    min_size = _validate.positive_int("min_size", min_size)
    connectivity = _validate.choice("connectivity", connectivity, (1, 2))
    structure = ndimage.generate_binary_structure(2, connectivity)
    labels, count = ndimage.label(mask, structure=structure)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = sizes >= min_size
    keep[0] = False
    # Map kept old labels to 1..N, dropped ones to 0.
    new_ids = np.zeros(count + 1, dtype=np.int32)
    new_ids[keep] = np.arange(1, np.count_nonzero(keep) + 1, dtype=np.int32)
    return new_ids[labels]


def touching_borders(labels, max_distance: float = 2.0) -> np.ndarray:
    """Background pixels lying between two different objects.

    A background pixel is marked when both its nearest and second-nearest objects are
    within ``max_distance`` (pixel-centre distances, see `two_nearest_distances`):
    the separating lines that a segmentation must keep to split touching nuclei.

    Args:
        labels: ``(H, W)`` integer instance labels.
        max_distance: largest distance to the second-nearest object, > 0.

    Returns:
        Boolean array of shape ``(H, W)``.
    """
    labels = _label_image(labels)
    max_distance = _validate.positive("max_distance", max_distance)
    _, d2 = two_nearest_distances(labels)
    return (labels == 0) & (d2 <= max_distance)


def separate_instances(labels) -> np.ndarray:
    """Cuts touching objects apart with a one-pixel background line.

    A semantic mask of touching nuclei is one blob: nothing in it tells a network
    where one nucleus ends. The U-Net paper's training masks therefore keep a thin
    background line between touching cells (and its weight map stresses exactly
    those pixels). Here every object pixel with a 4-neighbour that belongs to a
    *different* object with a larger label becomes background, so each contact
    line loses one pixel and every object keeps its other pixels.

    Args:
        labels: ``(H, W)`` integer instance labels.

    Returns:
        ``int32`` labels of the same shape, with the separating lines set to 0.
    """
    labels = _label_image(labels).astype(np.int32)
    cut = np.zeros(labels.shape, dtype=bool)
    for axis in (0, 1):
        for step in (1, -1):
            neighbour = np.roll(labels, step, axis=axis)
            # np.roll wraps around: ignore the row or column that came from the
            # opposite border.
            edge = [slice(None), slice(None)]
            edge[axis] = 0 if step == 1 else -1
            neighbour[tuple(edge)] = 0
            cut |= (labels > 0) & (neighbour > labels)
    separated = labels.copy()
    separated[cut] = 0
    return separated


def _patch_size(size) -> int:
    size = _validate.positive_int("size", size)
    if size % 2 == 0:
        raise _validate.error("size", size, "to be odd (a patch centred on its pixel)")
    return size


def patches_at(images, index, rows, cols, size=27) -> np.ndarray:
    """Square patches centred on chosen pixels, for patch-based segmentation.

    Images are mirrored at their borders (as the U-Net paper does for its tiles),
    so every pixel, border pixels included, gets a full patch.

    Args:
        images: ``(n, H, W, C)`` images.
        index: ``(m,)`` image of each patch.
        rows: ``(m,)`` centre rows.
        cols: ``(m,)`` centre columns.
        size: odd side of the patches.

    Returns:
        ``(m, size, size, C)`` patches, same dtype as ``images``.
    """
    size = _patch_size(size)
    images = _array("images", images, "n", "height", "width", "channels")
    half = size // 2
    padded = np.pad(images, ((0, 0), (half, half), (half, half), (0, 0)), "reflect")
    index, rows, cols = (np.asarray(a, dtype=np.int64) for a in (index, rows, cols))
    offsets = np.arange(size)
    r = rows[:, None, None] + offsets[None, :, None]
    c = cols[:, None, None] + offsets[None, None, :]
    return padded[index[:, None, None], r, c]


def predict_by_patches(model, image, size=27, batch_size=4096) -> np.ndarray:
    """Segments one image by classifying the patch around every pixel.

    This is the patch-based method fully convolutional networks replaced: one
    forward pass per pixel, each over a patch that overlaps its neighbours' almost
    entirely.

    Args:
        model: a Keras model from ``(batch, size, size, C)`` to ``(batch, 1)``
            foreground probabilities, e.g. ``course.models.patch_classifier``.
        image: ``(H, W, C)`` image.
        size: odd patch side the model expects.
        batch_size: patches per forward pass.

    Returns:
        ``(H, W)`` float32 foreground probabilities.
    """
    model = _validate.model("model", model)
    size = _patch_size(size)
    image = _array("image", image, "height", "width", "channels")
    batch_size = _validate.positive_int("batch_size", batch_size)
    height, width = image.shape[:2]
    rows, cols = np.divmod(np.arange(height * width), width)
    probabilities = np.empty(height * width, dtype=np.float32)
    for start in range(0, height * width, batch_size):
        stop = min(start + batch_size, height * width)
        patches = patches_at(
            image[None],
            np.zeros(stop - start),
            rows[start:stop],
            cols[start:stop],
            size,
        )
        probabilities[start:stop] = np.asarray(
            model.predict(patches, verbose=0), dtype=np.float32
        ).reshape(-1)
    return probabilities.reshape(height, width)


# ------------------------------------------------------------ small objects


def _label_stack(labels) -> list[np.ndarray]:
    """One label image, or a stack or sequence of them, as a list of label images."""
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        return [_label_image(labels)]
    return [_label_image(image) for image in labels]


def object_areas(labels) -> np.ndarray:
    """The area in pixels of every object, image after image.

    Args:
        labels: ``(H, W)`` instance labels, or a stack or sequence of them.

    Returns:
        ``int64`` array with one area per object (labels that do not occur in an
        image are skipped), in image order and then label order.
    """
    areas = [np.bincount(image.ravel())[1:] for image in _label_stack(labels)]
    areas = np.concatenate(areas) if areas else np.zeros(0, np.int64)
    return areas[areas > 0].astype(np.int64)


@dataclass(frozen=True)
class ObjectScores:
    """Pixel scores over a set of objects (`small_object_scores`).

    Attributes:
        recall: the share of the objects' pixels predicted as foreground.
        dice: ``2 * found / (object pixels + predicted pixels near the objects)``.
        count: how many objects were scored.
    """

    recall: float
    dice: float
    count: int


def small_object_scores(labels, masks, max_area, margin: int = 3) -> ObjectScores:
    """Recall and Dice of a predicted mask on the objects no larger than ``max_area``.

    A mean IoU or Dice over whole images is dominated by the large objects; a loss
    said to help the small ones (the log-dice loss, lecture 09) is judged here on
    them alone. Each small object is scored within ``margin`` pixels of itself,
    other objects left out: its pixels found count for recall, and the predicted
    pixels in that neighbourhood that are not the object count against Dice.

    Args:
        labels: ``(H, W)`` instance labels (0 = background), or a stack or sequence.
        masks: predicted foreground, one boolean (or 0/1) ``(H, W)`` mask per label
            image, e.g. ``probabilities[..., 0] > 0.5``.
        max_area: objects with at most this many pixels are scored, > 0. Set it on
            the training images (e.g. a percentile of their `object_areas`), not on
            the images scored.
        margin: width in pixels of the neighbourhood in which predicted pixels
            count against an object, >= 0.

    Returns:
        `ObjectScores` summed over every small object of every image.

    Raises:
        ValueError: if the shapes do not match, ``max_area`` or ``margin`` are out
            of range, or no object is that small.
    """
    images = _label_stack(labels)
    single = isinstance(labels, np.ndarray) and labels.ndim == 2
    masks = [np.asarray(masks)] if single else [np.asarray(mask) for mask in masks]
    if len(masks) != len(images):
        raise _validate.relation(
            "one mask per label image",
            **{"len(masks)": len(masks), "len(labels)": len(images)},
        )
    max_area = _validate.positive("max_area", max_area)
    margin = _validate.integer("margin", margin, minimum=0)
    found = size = predicted = count = 0
    for image, mask in zip(images, masks, strict=True):
        if mask.shape != image.shape:
            raise _validate.relation(
                "masks of the label images' shape",
                **{"mask.shape": mask.shape, "labels.shape": image.shape},
            )
        mask = _boolean_mask("masks", mask)
        areas = np.bincount(image.ravel())
        areas[0] = 0  # the background is not an object
        for index in np.flatnonzero((areas > 0) & (areas <= max_area)):
            region = image == index
            near = region  # the object and the background around it, no other object
            if margin:  # (scipy reads iterations=0 as "dilate until nothing changes")
                grown = ndimage.binary_dilation(region, iterations=margin)
                near = region | (grown & (image == 0))
            found += int(np.sum(mask & region))
            size += int(areas[index])
            predicted += int(np.sum(mask & near))
            count += 1
    if count == 0:
        raise _validate.error(
            "max_area", max_area, "to leave at least one object to score"
        )
    return ObjectScores(
        recall=found / size, dice=2 * found / (size + predicted), count=count
    )
