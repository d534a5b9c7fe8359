"""Overlap metrics for segmentation and image-quality metrics for denoising.

Used in lectures 08 and 09.

* `IoU` and `Dice`: stateful ``keras.metrics.Metric`` subclasses that accumulate
  per-class intersections and sizes over batches, so the value after an epoch is the
  dataset-level score rather than the mean of per-batch scores (for
  ``model.compile(metrics=...)``).
* `iou`, `dice`: the same scores as plain numpy functions; lecture 09 scores its
  patch classifier, FCN and U-Net with them.
* `mean_over_images`: a per-image score averaged over a batch, as the papers
  report it (one score per test image, then the mean).
* `psnr`, `ssim`, `snr`, `cnr`: image quality; lecture 08 compares its denoising
  autoencoder with a Gaussian filter by PSNR, SSIM and CNR (seed 003 quotes SNR, CNR
  and SSIM for the OCT denoising of Devalla et al., "A deep learning approach to
  denoise optical coherence tomography images of the optic nerve head", Scientific
  Reports 9, 2019); `course.saliency`'s sanity checks (lecture 11) compare saliency
  maps by `ssim` (Wang et al. 2004).

``keras.ops`` and numpy only, so every metric runs on the TensorFlow, JAX and PyTorch
backends; `ssim` wraps scikit-image.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from course import _validate

__all__ = [
    "IoU",
    "Dice",
    "iou",
    "dice",
    "psnr",
    "ssim",
    "snr",
    "cnr",
    "mean_over_images",
]


def _iou_terms(intersection, true_size, pred_size):
    """IoU ``|A & B| / |A | B|`` as (numerator, denominator), from the three counts."""
    return intersection, true_size + pred_size - intersection


def _dice_terms(intersection, true_size, pred_size):
    """Dice ``2 |A & B| / (|A| + |B|)`` as (numerator, denominator)."""
    return 2.0 * intersection, true_size + pred_size


class _OverlapMetric(keras.metrics.Metric):
    """Accumulates per-class intersection, target size and prediction size.

    A subclass names its score's formula (``_terms``, one of the ``_*_terms``
    functions that the numpy `iou` and `dice` use too) and its default name.
    """

    _terms = None
    _default_name = None

    def __init__(
        self, num_classes: int = 1, threshold: float = 0.5, name=None, dtype=None
    ):
        super().__init__(name=name or self._default_name, dtype=dtype)
        self.num_classes = _validate.positive_int("num_classes", num_classes)
        self.threshold = _validate.fraction("threshold", threshold)
        shape = (self.num_classes,)
        self.intersection = self.add_variable(
            shape=shape, initializer="zeros", name="intersection"
        )
        self.true_size = self.add_variable(
            shape=shape, initializer="zeros", name="true_size"
        )
        self.pred_size = self.add_variable(
            shape=shape, initializer="zeros", name="pred_size"
        )

    def _masks(self, y_true, y_pred):
        # Binary: threshold both; multi-class: argmax both (y_true may also hold
        # integer labels of shape (B, H, W) or (B, H, W, 1)), then one-hot.
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.convert_to_tensor(y_true)
        if y_pred.shape[-1] != self.num_classes:
            raise _validate.error(
                "y_pred", y_pred, f"to have num_classes={self.num_classes} channels"
            )
        if self.num_classes == 1:
            true = ops.cast(y_true > 0.5, self.dtype)
            pred = ops.cast(y_pred > self.threshold, self.dtype)
            return ops.reshape(true, (-1, 1)), ops.reshape(pred, (-1, 1))
        if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] != 1:
            labels = ops.argmax(y_true, axis=-1)
        else:
            labels = ops.cast(ops.reshape(y_true, ops.shape(y_pred)[:-1]), "int32")
        true = ops.one_hot(ops.reshape(labels, (-1,)), self.num_classes)
        pred = ops.one_hot(
            ops.reshape(ops.argmax(y_pred, axis=-1), (-1,)), self.num_classes
        )
        return ops.cast(true, self.dtype), ops.cast(pred, self.dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch.

        Args:
            y_true: ``(B, H, W, 1)`` binary mask, or ``(B, H, W, C)`` one-hot labels
                (or ``(B, H, W)`` integer labels) for ``num_classes = C >= 2``.
            y_pred: ``(B, H, W, num_classes)`` probabilities.
            sample_weight: optional weights broadcastable to ``(B, H, W)`` (e.g.
                ``(B,)`` per image or ``(B, H, W)`` per pixel).
        """
        true, pred = self._masks(y_true, y_pred)
        if sample_weight is not None:
            weight = ops.cast(ops.convert_to_tensor(sample_weight), self.dtype)
            pixel_shape = ops.shape(y_pred)[:-1]
            while len(weight.shape) < len(pixel_shape):
                weight = ops.expand_dims(weight, -1)
            weight = ops.reshape(ops.broadcast_to(weight, pixel_shape), (-1, 1))
            true, pred = true * weight, pred * weight
            overlap = true * ops.cast(pred > 0, self.dtype)
        else:
            overlap = true * pred
        self.intersection.assign_add(ops.sum(overlap, axis=0))
        self.true_size.assign_add(ops.sum(true, axis=0))
        self.pred_size.assign_add(ops.sum(pred, axis=0))

    def result(self):
        numerator, denominator = self._terms(
            self.intersection, self.true_size, self.pred_size
        )
        present = denominator > 0
        # A class absent from both target and prediction is not scored; if no class is
        # present at all, the (empty) prediction is perfect.
        scores = ops.where(present, numerator / ops.maximum(denominator, 1e-12), 0.0)
        count = ops.sum(ops.cast(present, self.dtype))
        return ops.where(
            count > 0, ops.sum(scores) / ops.maximum(count, 1.0), ops.ones(())
        )

    def reset_state(self):
        for variable in (self.intersection, self.true_size, self.pred_size):
            variable.assign(ops.zeros(variable.shape, dtype=variable.dtype))

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "threshold": self.threshold,
        }


@keras.saving.register_keras_serializable(package="course")
class IoU(_OverlapMetric):
    """Intersection over union (Jaccard index), ``|A & B| / |A | B|``, as a metric.

    Binary (``num_classes=1``): probabilities above ``threshold`` are foreground and
    the foreground IoU is reported. Multi-class: the argmax of the prediction is
    compared with the argmax of the one-hot target and the IoU is averaged over the
    classes present in target or prediction (mean IoU). Intersections and unions are
    summed over all batches since the last reset.

    Args:
        num_classes: 1 for sigmoid masks, C >= 2 for softmax outputs.
        threshold: foreground threshold for the binary case, in [0, 1).
        name: metric name (default ``"iou"``).
        dtype: accumulator dtype.
    """

    _terms = staticmethod(_iou_terms)
    _default_name = "iou"


@keras.saving.register_keras_serializable(package="course")
class Dice(_OverlapMetric):
    """Dice coefficient (F1 score), ``2 |A & B| / (|A| + |B|)``, as a metric.

    Same arguments, thresholding, class averaging and accumulation as `IoU`; the
    default name is ``"dice"``.
    """

    _terms = staticmethod(_dice_terms)
    _default_name = "dice"


def _same_shape(name: str, array, reference_name: str, reference) -> None:
    """Raises unless ``array`` has the shape of ``reference``."""
    if array.shape != reference.shape:
        raise _validate.error(
            name, array, f"to have the shape of {reference_name}, {reference.shape}"
        )


def _overlap(y_true, y_pred, threshold, terms) -> float:
    """One overlap score of two binary masks; 1.0 when both are empty."""
    threshold = _validate.fraction("threshold", threshold)
    true, pred = np.asarray(y_true), np.asarray(y_pred)
    _same_shape("y_pred", pred, "y_true", true)
    for name, array in (("y_true", true), ("y_pred", pred)):
        if array.dtype.kind not in "biuf":
            raise _validate.error(
                f"{name}.dtype",
                array.dtype,
                "to be boolean or numeric (a mask)",
                TypeError,
            )
    true, pred = true > threshold, pred > threshold
    numerator, denominator = terms(
        np.count_nonzero(true & pred), np.count_nonzero(true), np.count_nonzero(pred)
    )
    return 1.0 if denominator == 0 else numerator / denominator


def iou(y_true, y_pred, threshold: float = 0.5) -> float:
    """Intersection over union of two binary masks (lecture 09, Jaccard index).

    ``J(A, B) = |A & B| / |A | B|``; values above ``threshold`` are foreground, so
    boolean masks, 0/1 masks and probabilities are all accepted. Two empty masks give
    1.0.

    Args:
        y_true: target mask, any shape.
        y_pred: predicted mask or probabilities, same shape.
        threshold: foreground threshold in [0, 1).

    Returns:
        IoU in [0, 1] as a Python float.
    """
    return _overlap(y_true, y_pred, threshold, _iou_terms)


def dice(y_true, y_pred, threshold: float = 0.5) -> float:
    """Dice coefficient ``2 |A & B| / (|A| + |B|)`` of two binary masks.

    Related to IoU by ``dice = 2 J / (1 + J)``. Two empty masks give 1.0. Arguments
    as for `iou`.

    Returns:
        Dice coefficient in [0, 1] as a Python float.
    """
    return _overlap(y_true, y_pred, threshold, _dice_terms)


def _image_pair(reference, image):
    reference = np.asarray(reference, dtype=np.float64)
    image = np.asarray(image, dtype=np.float64)
    _same_shape("image", image, "reference", reference)
    if reference.size == 0:
        raise _validate.error("reference", reference, "to be a non-empty image")
    return reference, image


def psnr(reference, image, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB.

    ``PSNR = 10 log10(data_range**2 / MSE)`` with ``MSE = mean((reference -
    image)**2)``; identical images give ``inf``. Same value as
    ``skimage.metrics.peak_signal_noise_ratio``.

    Args:
        reference: clean image, any shape.
        image: test image (e.g. denoised), same shape.
        data_range: peak-to-peak range of the pixel values (1.0 for [0, 1] floats,
            255 for 8-bit images).

    Returns:
        PSNR in dB as a Python float.
    """
    data_range = _validate.positive("data_range", data_range)
    reference, image = _image_pair(reference, image)
    mse = float(np.mean((reference - image) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))


def ssim(reference, image, data_range: float = 1.0) -> float:
    """Mean structural similarity (MSSIM) of two images.

    Wang, Bovik, Sheikh & Simoncelli, "Image quality assessment: from error visibility
    to structural similarity", IEEE TIP 13(4), 2004:
    ``SSIM(x, y) = (2 mu_x mu_y + c1)(2 sigma_xy + c2) / ((mu_x^2 + mu_y^2 + c1)
    (sigma_x^2 + sigma_y^2 + c2))`` over 7x7 windows, averaged over the image (and
    over channels). Wraps ``skimage.metrics.structural_similarity``.

    Args:
        reference: clean image ``(H, W)`` or ``(H, W, C)``, H and W >= 7.
        image: test image of the same shape.
        data_range: peak-to-peak range of the pixel values.

    Returns:
        Mean SSIM in [-1, 1] as a Python float; 1.0 for identical images.
    """
    from skimage.metrics import structural_similarity

    data_range = _validate.positive("data_range", data_range)
    reference, image = _image_pair(reference, image)
    if reference.ndim not in (2, 3) or min(reference.shape[:2]) < 7:
        raise _validate.error(
            "reference",
            reference,
            "to have shape (H, W) or (H, W, C) with H, W >= 7 (the SSIM window is 7x7)",
        )
    channel_axis = -1 if reference.ndim == 3 else None
    return float(
        structural_similarity(
            reference, image, data_range=data_range, channel_axis=channel_axis
        )
    )


def snr(reference, image) -> float:
    """Signal-to-noise ratio in dB, with the reference taken as the signal.

    ``SNR = 10 log10(sum(reference**2) / sum((image - reference)**2))``: the power of
    the clean signal over the power of the residual noise. Identical images give
    ``inf``. (Other papers, e.g. in OCT, use ``20 log10(mean / std)`` of a single
    image; values computed with different definitions are not comparable.)

    Args:
        reference: clean image, any shape.
        image: noisy or denoised image, same shape.

    Returns:
        SNR in dB as a Python float.
    """
    reference, image = _image_pair(reference, image)
    signal = float(np.sum(reference**2))
    noise = float(np.sum((image - reference) ** 2))
    if signal == 0:
        raise _validate.error(
            "power of reference", signal, "to be > 0 (an all-zero reference has none)"
        )
    return float("inf") if noise == 0 else float(10.0 * np.log10(signal / noise))


def cnr(image, foreground_mask, background_mask) -> float:
    """Contrast-to-noise ratio ``|mean_fg - mean_bg| / std_bg``.

    The contrast between a region of interest (e.g. a tissue layer) and the background,
    in units of the background noise standard deviation (population std, ``ddof=0``);
    this is the form used for OCT images (e.g. Devalla et al., Scientific Reports 9,
    2019, reported in seed 003; some authors divide by ``sqrt(var_fg + var_bg)``
    instead). A noise-free background gives ``inf`` (or 0.0 without contrast).

    Args:
        image: image, any shape.
        foreground_mask: boolean mask of the region of interest, same shape.
        background_mask: boolean mask of the background region, same shape.

    Returns:
        CNR as a Python float (>= 0).
    """
    image = np.asarray(image, dtype=np.float64)
    masks = []
    for name, mask in (
        ("foreground_mask", foreground_mask),
        ("background_mask", background_mask),
    ):
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise _validate.error(f"{name}.dtype", mask.dtype, "to be bool", TypeError)
        _same_shape(name, mask, "image", image)
        if not mask.any():
            raise _validate.error(name, mask, "to select at least one pixel (a True)")
        masks.append(mask)
    foreground, background = image[masks[0]], image[masks[1]]
    contrast = abs(float(foreground.mean()) - float(background.mean()))
    noise = float(background.std())
    if noise == 0:
        return float("inf") if contrast > 0 else 0.0
    return contrast / noise


def mean_over_images(metric, *batches, **kwargs) -> float:
    """The mean of a per-image metric over a batch of images.

    Image-quality and overlap scores are reported per test image and then averaged
    (not computed once over the whole stack, which would weight large objects and
    bright images more): ``mean_over_images(psnr, clean, denoised)`` is the mean
    of ``psnr(clean[i], denoised[i])``.

    Args:
        metric: a function of one image from each batch, e.g. `psnr`, `ssim`,
            `iou`, `dice` or `cnr`.
        *batches: arrays (or sequences) of the same length, one image per entry.
        **kwargs: passed to ``metric`` (e.g. ``data_range=255``).

    Returns:
        The mean score as a Python float.
    """
    _validate.function("metric", metric)
    if not batches:
        raise _validate.error("batches", batches, "to hold at least one batch")
    lengths = [len(batch) for batch in batches]
    if len(set(lengths)) != 1 or lengths[0] == 0:
        raise _validate.error(
            "batches", lengths, "to have the same, non-zero number of images"
        )
    scores = [metric(*images, **kwargs) for images in zip(*batches, strict=True)]
    return float(np.mean(scores))
