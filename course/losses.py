"""Segmentation losses (soft Dice, log-Dice, pixel-weighted cross-entropy), and one
objective for a net with several outputs.

Lecture 09 trains its U-Net with binary cross-entropy, again with `LogDiceLoss` (the
segmentation row of seed 001's loss table) and with `PixelWeightedCrossentropy`, the
U-Net paper's own loss with the weight map of `course.segmentation.unet_weight_map`;
`DiceLoss` is left to its exercise 3. Lecture 06 measures GoogLeNet's auxiliary
classifiers with `multi_output_loss`. The papers:

* soft Dice: Milletari, Navab & Ahmadi, "V-Net: Fully convolutional neural networks
  for volumetric medical image segmentation", 3DV 2016. Here the per-class scores are
  averaged with equal weights; Sudre et al., "Generalised Dice overlap as a deep
  learning loss function for highly unbalanced segmentations", DLMIA 2017, weight
  the classes by their inverse squared volume instead;
* log-Dice: Wong et al., "3D segmentation with exponential logarithmic loss for
  highly unbalanced object sizes", MICCAI 2018 (exponent 1);
* pixel-weighted cross-entropy: Ronneberger, Fischer & Brox, "U-Net: Convolutional
  Networks for Biomedical Image Segmentation", MICCAI 2015, eq. 1;
* auxiliary classifiers: Szegedy et al., "Going deeper with convolutions", CVPR 2015,
  section 5 (the auxiliary losses added to the main one with weight 0.3).

Only ``keras``, ``keras.ops`` and ``numpy`` are used, so every loss runs on the
TensorFlow, JAX and PyTorch backends. Each loss exists as a function (returning one
value per image or per pixel, like ``keras.losses.categorical_crossentropy``) and as a
``keras.losses.Loss`` subclass for ``model.compile(loss=...)``; all are registered
under the package name ``"course"`` so that models saved with them load again.

Shapes follow the two cases of the lecture table (seed 001, "Segmentation"):

* binary: ``y_true`` and ``y_pred`` of shape ``(B, H, W, 1)``, ``y_pred`` holding
  sigmoid probabilities;
* multi-class: ``y_true`` one-hot and ``y_pred`` softmax probabilities, both of shape
  ``(B, H, W, C)``.

Used in lectures 06 and 09.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from course import _validate

__all__ = [
    "DiceLoss",
    "LogDiceLoss",
    "PixelWeightedCrossentropy",
    "dice_loss",
    "log_dice_loss",
    "multi_output_loss",
    "pixel_weighted_crossentropy",
    "soft_dice",
    "with_weight_channel",
]


def _tensors(y_true, y_pred):
    """``y_true`` and ``y_pred`` as tensors of ``y_pred``'s dtype, rank checked."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    # Rank is static on every backend, so this check also runs while tracing.
    if len(y_pred.shape) < 3:
        raise _validate.error(
            "y_pred",
            y_pred,
            "to have shape (batch, ..., channels) with at least one spatial axis",
        )
    return y_true, y_pred


def soft_dice(y_true, y_pred, smooth: float = 1.0):
    """Soft Dice coefficient per image, averaged over the channels (classes).

    For every image ``b`` and class ``c`` with ``A = y_true[b, ..., c]`` and
    ``B = y_pred[b, ..., c]``::

        dice[b, c] = (2 * sum(A * B) + smooth) / (sum(A) + sum(B) + smooth)

    where the sums run over the spatial axes; the result is the mean over ``c``.
    Probabilities are used as they are (no threshold), which keeps the coefficient
    differentiable (Milletari, Navab & Ahmadi, "V-Net", 3DV 2016, eq. 1, without the
    squares in the denominator). ``smooth`` keeps the ratio defined for empty masks and
    makes an empty prediction of an empty target score 1.

    Args:
        y_true: targets, shape ``(B, H, W, C)`` (any number of spatial axes), values in
            [0, 1]: a binary mask (``C == 1``) or one-hot labels.
        y_pred: probabilities of the same shape (sigmoid for ``C == 1``, softmax
            otherwise).
        smooth: non-negative number added to numerator and denominator.

    Returns:
        Tensor of shape ``(B,)`` with the soft Dice of each image, in [0, 1].
    """
    smooth = _validate.non_negative("smooth", smooth)
    y_true, y_pred = _tensors(y_true, y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise _validate.error(
            "y_true", y_true, f"to have the shape of y_pred, {tuple(y_pred.shape)}"
        )
    spatial = tuple(range(1, len(y_pred.shape) - 1))
    intersection = ops.sum(y_true * y_pred, axis=spatial)  # (B, C)
    sizes = ops.sum(y_true, axis=spatial) + ops.sum(y_pred, axis=spatial)
    per_class = (2.0 * intersection + smooth) / (sizes + smooth)
    return ops.mean(per_class, axis=-1)


@keras.saving.register_keras_serializable(package="course")
def dice_loss(y_true, y_pred, smooth: float = 1.0):
    """Soft Dice loss ``1 - soft_dice(y_true, y_pred, smooth)`` per image.

    Args:
        y_true: binary mask ``(B, H, W, 1)`` or one-hot labels ``(B, H, W, C)``.
        y_pred: sigmoid or softmax probabilities of the same shape.
        smooth: non-negative smoothing term, see `soft_dice`.

    Returns:
        Tensor of shape ``(B,)``; Keras averages it over the batch when the function
        is passed to ``model.compile(loss=dice_loss)``.
    """
    return 1.0 - soft_dice(y_true, y_pred, smooth)


@keras.saving.register_keras_serializable(package="course")
def log_dice_loss(y_true, y_pred, smooth: float = 1.0):
    """Log-Dice loss ``-log(soft_dice(y_true, y_pred, smooth))`` per image.

    The logarithm makes the gradient grow as the Dice coefficient falls, which helps
    small structures (Wong et al., "3D segmentation with exponential logarithmic loss
    for highly unbalanced object sizes", MICCAI 2018, with exponent 1). With
    ``smooth > 0`` the coefficient is positive and the loss finite.

    Args:
        y_true: binary mask ``(B, H, W, 1)`` or one-hot labels ``(B, H, W, C)``.
        y_pred: sigmoid or softmax probabilities of the same shape.
        smooth: non-negative smoothing term, see `soft_dice`.

    Returns:
        Tensor of shape ``(B,)``, >= 0.
    """
    dice = soft_dice(y_true, y_pred, smooth)
    # The floor only matters for smooth=0 with disjoint masks, where log(0) = -inf.
    return -ops.log(ops.maximum(dice, keras.config.epsilon()))


def _split_weight_channel(y_true, y_pred):
    y_true, y_pred = _tensors(y_true, y_pred)
    if (
        len(y_true.shape) != len(y_pred.shape)
        or y_true.shape[-1] is None
        or y_pred.shape[-1] is None
        or y_true.shape[-1] != y_pred.shape[-1] + 1
    ):
        raise _validate.error(
            "y_true",
            y_true,
            f"to have the shape of y_pred, {tuple(y_pred.shape)}, with one extra last "
            "channel holding the weight map, i.e. (B, H, W, C + 1); build it with "
            "course.losses.with_weight_channel(targets, weights)",
        )
    return y_true[..., :-1], y_true[..., -1], y_pred


@keras.saving.register_keras_serializable(package="course")
def pixel_weighted_crossentropy(y_true, y_pred, from_logits: bool = False):
    """Cross-entropy weighted pixel by pixel by a weight map carried in ``y_true``.

    Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image
    Segmentation", MICCAI 2015, eq. 1: ``E = sum_x w(x) log p_l(x)(x)`` (maximised;
    here its negative is minimised). The weight map ``w`` (e.g. from
    `course.segmentation.unet_weight_map`) travels as an extra last channel of
    ``y_true``, so the loss works with ``model.fit`` on arrays, generators and
    ``tf.data`` without ``sample_weight``; build the targets with
    `with_weight_channel`. Metrics compiled next to this loss see the weight channel
    too; to keep plain targets instead, use ``keras.losses.CategoricalCrossentropy``
    (or ``BinaryCrossentropy``) and pass the weight map of shape ``(B, H, W)`` as
    ``sample_weight`` to ``model.fit``, which Keras 3 applies per pixel and averages
    the same way.

    Args:
        y_true: ``(B, H, W, C + 1)``: one-hot targets (``C >= 2``) or a binary mask
            (``C == 1``) followed by the weight map.
        y_pred: ``(B, H, W, C)``: softmax probabilities (``C >= 2``) or sigmoid
            probabilities (``C == 1``); logits if ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.

    Returns:
        Tensor of shape ``(B, H, W)``: ``w(x) * cross-entropy(x)``. Keras averages it
        over all pixels, i.e. the paper's sum divided by the pixel count, which keeps
        the learning rate independent of the image size.
    """
    targets, weights, y_pred = _split_weight_channel(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        per_pixel = ops.binary_crossentropy(targets, y_pred, from_logits=from_logits)
        per_pixel = per_pixel[..., 0]
    else:
        per_pixel = ops.categorical_crossentropy(
            targets, y_pred, from_logits=from_logits, axis=-1
        )
    return weights * per_pixel


def with_weight_channel(targets, weights) -> np.ndarray:
    """Appends a weight map to segmentation targets as their last channel.

    Args:
        targets: ``(B, H, W, C)`` one-hot labels or ``(B, H, W, 1)`` binary masks.
        weights: ``(B, H, W)`` or ``(B, H, W, 1)`` non-negative pixel weights.

    Returns:
        ``float32`` array of shape ``(B, H, W, C + 1)`` for `PixelWeightedCrossentropy`.
    """
    targets = np.asarray(targets, dtype=np.float32)
    weights = np.asarray(weights, dtype=np.float32)
    if targets.ndim < 3:
        raise _validate.error("targets", targets, "to have shape (B, H, W, C)")
    if weights.shape == targets.shape[:-1]:
        weights = weights[..., None]
    if weights.shape != targets.shape[:-1] + (1,):
        raise _validate.error(
            "weights",
            weights,
            f"to have shape {targets.shape[:-1]} (targets without their channel axis)",
        )
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise _validate.error(
            "weights.min()", float(np.min(weights)), "to be >= 0, every weight finite"
        )
    return np.concatenate([targets, weights], axis=-1)


@keras.saving.register_keras_serializable(package="course")
class DiceLoss(keras.losses.Loss):
    """Soft Dice loss as a Keras loss; see `dice_loss`.

    Args:
        smooth: non-negative smoothing term.
        name: loss name (default: the function's, ``"dice_loss"``).
        reduction: Keras reduction of the per-image values (default: batch mean).
        dtype: computation dtype.
    """

    # The per-image loss this class reduces; LogDiceLoss swaps it.
    _function = staticmethod(dice_loss)

    def __init__(
        self,
        smooth: float = 1.0,
        name: str | None = None,
        reduction: str = "sum_over_batch_size",
        dtype=None,
    ):
        name = name or self._function.__name__
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.smooth = _validate.non_negative("smooth", smooth)

    def call(self, y_true, y_pred):
        return self._function(y_true, y_pred, self.smooth)

    def get_config(self):
        return {**super().get_config(), "smooth": self.smooth}


@keras.saving.register_keras_serializable(package="course")
class LogDiceLoss(DiceLoss):
    """Log-Dice loss as a Keras loss; see `log_dice_loss`.

    Same arguments as `DiceLoss`; the default name is ``"log_dice_loss"``.
    """

    _function = staticmethod(log_dice_loss)


@keras.saving.register_keras_serializable(package="course")
class PixelWeightedCrossentropy(keras.losses.Loss):
    """U-Net pixel-weighted cross-entropy as a Keras loss.

    See `pixel_weighted_crossentropy` for the ``(B, H, W, C + 1)`` target layout and
    the ``sample_weight`` alternative.

    Args:
        from_logits: whether the model outputs logits.
        name: loss name.
        reduction: Keras reduction of the per-pixel values (default: mean).
        dtype: computation dtype.
    """

    def __init__(
        self,
        from_logits: bool = False,
        name: str = "pixel_weighted_crossentropy",
        reduction: str = "sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = _validate.boolean("from_logits", from_logits)

    def call(self, y_true, y_pred):
        return pixel_weighted_crossentropy(y_true, y_pred, self.from_logits)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


def multi_output_loss(loss, weights):
    """One loss over several outputs: ``sum_i weights[i] * loss(y, outputs[i])``.

    GoogLeNet trains its main classifier together with two auxiliary ones, all
    predicting the same label, on "main + 0.3 x (aux1 + aux2)" (Szegedy et al.,
    CVPR 2015, section 5). ``model.compile(loss=[loss] * n, loss_weights=weights)``
    minimises the same sum; this function gives it as one callable for the tools
    that take a single ``loss(y_true, y_pred)``, such as
    `course.training.gradient_norms` and `course.tensorboard.GradientNorms`, so a
    gradient can be measured under exactly the objective the net is trained on.

    Args:
        loss: a Keras loss name or per-example callable ``loss(y_true, y_pred)``,
            applied to every output.
        weights: one weight >= 0 per output, in the order of ``model.outputs``.

    Returns:
        A callable ``(y_true, outputs) -> per-example loss``, where ``outputs`` is
        the list of the model's outputs and ``y_true`` the one target they share.

    Raises:
        ValueError: if ``loss`` names no Keras loss, or ``weights`` is empty or
            holds a negative number.
    """
    if isinstance(loss, str):
        try:
            per_example = keras.losses.get(loss)
        except ValueError:
            per_example = None
        if per_example is None:
            raise _validate.error("loss", loss, "to name a Keras loss")
    else:
        per_example = _validate.function("loss", loss)
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__"):
        raise _validate.error(
            "weights", weights, "to be a sequence of numbers", TypeError
        )
    if len(weights) == 0:
        raise _validate.error("weights", weights, "to hold one weight per output")
    weights = tuple(
        _validate.number(f"weights[{i}]", w, minimum=0) for i, w in enumerate(weights)
    )

    def objective(y_true, outputs):
        if len(outputs) != len(weights):
            raise _validate.relation(
                "one output per weight",
                **{"len(outputs)": len(outputs), "len(weights)": len(weights)},
            )
        return sum(
            w * per_example(y_true, output)
            for w, output in zip(weights, outputs, strict=True)
        )

    return objective
