"""The gradient methods of lecture 11: maps backpropagated to the pixels.

Each is the gradient of one class's logit with respect to the input, by
tf-keras-vis 0.8.7's ``Saliency``, through a rebuilt graph
(:func:`course.saliency.surgery.working_model`); the per-channel magnitudes of a
colour image become one map by their maximum or mean (``reduce``).

- :class:`Vanilla`: the plain gradient (Simonyan, Vedaldi & Zisserman, "Deep
  Inside Convolutional Networks: Visualising Image Classification Models and
  Saliency Maps", ICLR workshop 2014; they reduce the channels by the maximum).
- :class:`SmoothGrad`: vanilla maps averaged over noisy copies of each image
  (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017); the noise
  is drawn here, from a seeded generator, so that the maps repeat.
- :class:`GuidedBackprop`: guided backpropagation through every ReLU
  (Springenberg et al., "Striving for Simplicity: The All Convolutional Net",
  ICLR workshop 2015).
- :class:`RectifiedGradient`: Rectified Gradient times the input, each ReLU
  passing only the importance scores above a percentile (Kim et al., "Why are
  Saliency Maps Noisy? Cause of and Solution to Noisy Saliency Maps", 2019).
"""

from __future__ import annotations

import numpy as np
from tf_keras_vis.saliency import Saliency
from tf_keras_vis.utils.scores import CategoricalScore

from course.saliency import surgery
from course.saliency.base import SaliencyMethod, check_option

__all__ = [
    "GradientMethod",
    "GuidedBackprop",
    "RectifiedGradient",
    "SmoothGrad",
    "Vanilla",
]


def _gradients(work, images, classes) -> np.ndarray:
    grads = Saliency(work, clone=False)(
        CategoricalScore(classes),
        images,
        keepdims=True,
        gradient_modifier=None,
        normalize_map=False,
    )
    return np.asarray(grads, dtype=np.float32)


class GradientMethod(SaliencyMethod):
    """A method whose map is a backpropagated gradient, reduced over channels.

    Args:
        model: as for :class:`~course.saliency.base.SaliencyMethod`.
        reduce: ``"max"`` (Simonyan et al.) or ``"mean"`` of the per-channel
            magnitudes.
    """

    options = ("reduce",)
    #: The ReLUs' backward pass: ``None`` (plain), ``"guided"`` or ``"rectified"``.
    rule: str | None = None
    #: The percentile of the ``"rectified"`` rule (unused by the others).
    percentile: float = 98.0

    def __init__(self, model, *, reduce="max"):
        super().__init__(model)
        self.reduce = check_option("reduce", reduce)

    def _working_model(self):
        work, _, _ = surgery.working_model(
            self.model, self.name, rule=self.rule, percentile=self.percentile
        )
        return work

    def _attribution(self, grads: np.ndarray, images: np.ndarray) -> np.ndarray:
        """What the map shows of the gradients (here, the gradients themselves)."""
        return grads

    def _reduce_channels(self, values: np.ndarray) -> np.ndarray:
        magnitude = np.abs(values)
        if self.reduce == "max":
            return magnitude.max(axis=-1)
        return magnitude.mean(axis=-1)

    def compute(self, images, classes):
        grads = _gradients(self._working_model(), images, classes)
        return self._reduce_channels(self._attribution(grads, images))


class Vanilla(GradientMethod):
    """The gradient of the class logit with respect to the pixels.

    Simonyan et al. 2014. Options: ``reduce``.
    """

    name = "vanilla"
    description = "gradient of the class score w.r.t. the pixels (Simonyan et al. 2014)"


class SmoothGrad(GradientMethod):
    """Vanilla maps averaged over noisy copies of each image (Smilkov et al. 2017).

    Args:
        model: as for :class:`~course.saliency.base.SaliencyMethod`.
        reduce: as for :class:`GradientMethod`.
        smooth_samples: noisy copies per image, >= 1.
        smooth_noise: noise standard deviation as a fraction of each image's
            value range (the paper: 10-20%).
        seed: seed of the noise.
    """

    name = "smoothgrad"
    description = "vanilla maps averaged over noisy copies (Smilkov et al. 2017)"
    options = ("reduce", "smooth_samples", "smooth_noise", "seed")

    def __init__(
        self, model, *, reduce="max", smooth_samples=20, smooth_noise=0.2, seed=0
    ):
        super().__init__(model, reduce=reduce)
        self.smooth_samples = check_option("smooth_samples", smooth_samples)
        self.smooth_noise = check_option("smooth_noise", smooth_noise)
        self.seed = check_option("seed", seed)

    def compute(self, images, classes):
        samples = self.smooth_samples
        rng = np.random.default_rng(self.seed)
        axes = tuple(range(1, images.ndim))
        spread = images.max(axis=axes, keepdims=True) - images.min(
            axis=axes, keepdims=True
        )
        sigma = self.smooth_noise * np.where(spread > 0, spread, 1.0)
        noisy = images[None] + rng.normal(size=(samples,) + images.shape) * sigma
        grads = _gradients(
            self._working_model(),
            noisy.reshape((-1,) + images.shape[1:]).astype(np.float32),
            list(classes) * samples,
        )
        maps = self._reduce_channels(grads)
        return maps.reshape((samples, len(images)) + maps.shape[1:]).mean(axis=0)


class GuidedBackprop(GradientMethod):
    """The gradient through ReLUs that pass only positive gradients of active units.

    Springenberg et al. 2015. Options: ``reduce``.
    """

    name = "guided"
    description = "guided backpropagation through the ReLUs (Springenberg et al. 2015)"
    rule = "guided"


class RectifiedGradient(GradientMethod):
    """Rectified Gradient times the input (Kim et al. 2019).

    Args:
        model: as for :class:`~course.saliency.base.SaliencyMethod`.
        reduce: as for :class:`GradientMethod`.
        percentile: the threshold percentile q in [0, 100) of each ReLU's
            importance scores (activation times gradient).
    """

    name = "rectified"
    description = (
        "Rectified Gradient times input, percentile threshold (Kim et al. 2019)"
    )
    options = ("reduce", "percentile")
    rule = "rectified"

    def __init__(self, model, *, reduce="max", percentile=98.0):
        super().__init__(model, reduce=reduce)
        self.percentile = check_option("percentile", percentile)

    def _attribution(self, grads, images):
        # Kim et al. show the rectified gradient times the input.
        return grads * images
