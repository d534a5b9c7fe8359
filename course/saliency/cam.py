"""The class activation map (CAM) methods of lecture 11: weighted feature maps.

Each weights the feature maps of one convolutional layer (``layer``, nested layers
included; by default the last convolutional stage) and upsamples the sum to the
image, by tf-keras-vis 0.8.7's own ``Gradcam``, ``GradcamPlusPlus`` and
``Scorecam``, run on a rebuilt graph that marks the chosen layer
(:func:`course.saliency.surgery.working_model`).

- :class:`GradCAM`: the maps weighted by their spatially averaged gradients
  (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
  Gradient-based Localization", ICCV 2017).
- :class:`GradCAMPlusPlus`: Grad-CAM++, each location's gradient weighted with
  higher-order terms (Chattopadhay et al., WACV 2018).
- :class:`ScoreCAM` and :class:`FasterScoreCAM`: Score-CAM (Wang et al., CVPRW
  2020): each map, upsampled, masks the image and is weighted by the class
  probability of the masked image - no gradients; the faster variant keeps only
  the ``max_channels`` maps of largest variance. Score-CAM applies the softmax to
  the logits itself, as in its paper.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np

from course import _validate
from course.saliency import surgery
from course.saliency.base import SaliencyMethod, check_layer, check_option

with warnings.catch_warnings():
    # tf-keras-vis 0.8.7 imports zoom from a SciPy namespace that SciPy now
    # marks deprecated; the function itself is unchanged.
    warnings.simplefilter("ignore", DeprecationWarning)
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.scores import CategoricalScore

__all__ = ["CamMethod", "FasterScoreCAM", "GradCAM", "GradCAMPlusPlus", "ScoreCAM"]


class CamMethod(SaliencyMethod):
    """A method that weights the feature maps of one layer.

    Args:
        model: as for :class:`~course.saliency.base.SaliencyMethod`.
        layer: name of the layer whose feature maps are weighted (nested layers
            included; :func:`~course.saliency.surgery.feature_layers` lists
            them). ``None`` takes the last non-pooling layer with a feature map
            of more than one position - the last convolutional stage.
    """

    options = ("layer",)
    #: The tf-keras-vis class that computes the map.
    visualizer = Gradcam
    #: The ReLUs' backward rule above the layer (see :class:`GradCAM`).
    backprop: str | None = None

    def __init__(self, model, *, layer=None):
        super().__init__(model)
        self.layer = check_layer(self.model, layer)

    def _feature_layer(self) -> str:
        """The layer to weight: :attr:`layer`, checked, or the default one."""
        # A plain rebuild finds the feature maps; the working model marks one.
        _, _, tensors, operations = surgery.rebuild(self.model)
        if self.layer is None:
            return surgery.default_feature_layer(tensors, operations)
        if self.layer not in tensors or not surgery.is_feature_map(tensors[self.layer]):
            shape = tuple(getattr(tensors.get(self.layer), "shape", ()))
            raise _validate.error(
                "layer",
                self.layer,
                "to name a layer with a 4-D output (batch, height, width, "
                f"channels), not of shape {shape}: "
                f"{surgery.listed(surgery.feature_names(tensors))}",
            )
        return self.layer

    def compute(self, images, classes):
        layer = self._feature_layer()
        work, tensors, operations = surgery.working_model(
            self.model, self.name, rule=self.backprop, mark=layer
        )
        cam = self._cam(
            work,
            CategoricalScore(classes),
            images,
            tensors[layer],
            penultimate_layer=operations["cam_features"],
            seek_penultimate_conv_layer=False,
            normalize_cam=False,
        )
        cam = np.asarray(cam, dtype=np.float32)
        if cam.ndim == 2:
            cam = cam[None]
        return cam

    def _cam(self, work, score, images, features, **common):
        """The tf-keras-vis map of ``work`` (``features``: the chosen layer's)."""
        return self.visualizer(work, clone=False)(score, images, **common)


class GradCAM(CamMethod):
    """Feature maps weighted by their averaged gradients (Selvaraju et al. 2017).

    Args:
        model: as for :class:`~course.saliency.base.SaliencyMethod`.
        layer: as for :class:`CamMethod`.
        backprop: how the gradient passes the ReLUs between the layer and the
            class score: ``None`` (plain backpropagation, Grad-CAM as
            published), ``"guided"`` (Springenberg et al.'s rule) or
            ``"deconvnet"`` (Zeiler & Fergus' rule: only positive gradients, the
            keras-vis ``backprop_modifier="relu"`` of seed 004). Either rule
            stops the negative gradients at every ReLU on the way down, so
            little of the evidence *against* the class reaches the weights of
            the feature maps.
    """

    name = "gradcam"
    description = "feature maps weighted by averaged gradients (Selvaraju et al. 2017)"
    options = ("layer", "backprop")

    def __init__(self, model, *, layer=None, backprop=None):
        super().__init__(model, layer=layer)
        self.backprop = check_option("backprop", backprop)


class GradCAMPlusPlus(CamMethod):
    """Grad-CAM with higher-order location weights (Chattopadhay et al. 2018).

    Options: ``layer``.
    """

    name = "gradcam++"
    description = (
        "Grad-CAM with higher-order location weights (Chattopadhay et al. 2018)"
    )
    visualizer = GradcamPlusPlus


class ScoreCAM(CamMethod):
    """Feature maps weighted by the score of the masked image (Wang et al. 2020).

    Args:
        model: as for :class:`~course.saliency.base.SaliencyMethod`.
        layer: as for :class:`CamMethod`.
        batch_size: batch size of the masked images' predictions, >= 1.
    """

    name = "scorecam"
    description = (
        "feature maps weighted by the score of the masked image (Wang et al. 2020)"
    )
    options = ("layer", "batch_size")
    visualizer = Scorecam

    def __init__(self, model, *, layer=None, batch_size=32):
        super().__init__(model, layer=layer)
        self.batch_size = check_option("batch_size", batch_size)

    def _max_channels(self, features) -> int | None:
        """How many feature maps Score-CAM masks with (``None``: all)."""
        return None

    def _cam(self, work, score, images, features, **common):
        scorer = self.visualizer(work, clone=False)
        scorer.model = _QuietPredict(work)
        return scorer(
            score,
            images,
            max_N=self._max_channels(features),
            batch_size=self.batch_size,
            **common,
        )


class FasterScoreCAM(ScoreCAM):
    """Score-CAM on the ``max_channels`` feature maps of largest variance.

    Args:
        model: as for :class:`~course.saliency.base.SaliencyMethod`.
        layer: as for :class:`CamMethod`.
        max_channels: feature maps kept, >= 1.
        batch_size: as for :class:`ScoreCAM`.
    """

    name = "faster-scorecam"
    description = "Score-CAM on the max_channels maps of largest variance"
    options = ("layer", "max_channels", "batch_size")

    def __init__(self, model, *, layer=None, max_channels=10, batch_size=32):
        super().__init__(model, layer=layer, batch_size=batch_size)
        self.max_channels = check_option("max_channels", max_channels)

    def _max_channels(self, features):
        return min(self.max_channels, int(features.shape[-1]))


class _QuietPredict:
    """A model whose ``predict`` runs eagerly in batches, without progress bars.

    Score-CAM calls ``predict`` on a fresh working model each time; Keras would
    print a progress bar and trace a new ``tf.function`` for every one.
    """

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        return getattr(self._model, name)

    def predict(self, inputs, batch_size=32, **_):
        x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        parts = [
            keras.ops.convert_to_numpy(
                self._model([x[i : i + batch_size]], training=False)
            )
            for i in range(0, len(x), batch_size)
        ]
        return np.concatenate(parts)
