"""Saliency maps and their sanity checks, on top of tf-keras-vis (lecture 11).

Which pixels made a classifier say "7"? Every method here answers with one map per
image, the size of the image, scaled to [0, 1]. Each method is a small class with
only its own options, in the manner of tf-keras-vis; :func:`saliency_map` is the
front door that takes any of them by name (:data:`METHODS`):

- ``vanilla`` (:class:`Vanilla`): the gradient of the class score with respect to
  the pixels (Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional
  Networks: Visualising Image Classification Models and Saliency Maps", ICLR
  workshop 2014).
- ``smoothgrad`` (:class:`SmoothGrad`): vanilla maps averaged over noisy copies
  (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017).
- ``guided`` (:class:`GuidedBackprop`): guided backpropagation (Springenberg et
  al., "Striving for Simplicity: The All Convolutional Net", ICLR workshop 2015).
- ``rectified`` (:class:`RectifiedGradient`): Rectified Gradient times the input
  (Kim et al., "Why are Saliency Maps Noisy? Cause of and Solution to Noisy
  Saliency Maps", 2019).
- ``gradcam`` (:class:`GradCAM`, Selvaraju et al., ICCV 2017), ``gradcam++``
  (:class:`GradCAMPlusPlus`, Chattopadhay et al., WACV 2018), ``scorecam`` and
  ``faster-scorecam`` (:class:`ScoreCAM`, :class:`FasterScoreCAM`, Wang et al.,
  CVPRW 2020): weighted feature maps of one convolutional layer.

The package's modules, one concern each:

- :mod:`~course.saliency.surgery`: rebuilt graphs that share the model's weights
  (:func:`as_functional`, :func:`linear_output`, the guided and rectified ReLUs),
  and :func:`find_layer`, :func:`feature_layers`;
- :mod:`~course.saliency.base`: :class:`SaliencyMethod`, the checks every method
  shares; :mod:`~course.saliency.gradients` and :mod:`~course.saliency.cam`: the
  methods; :mod:`~course.saliency.maps`: :func:`saliency_map` and the tables;
- :mod:`~course.saliency.sanity`: the similarities and the sanity checks of
  Adebayo et al., "Sanity Checks for Saliency Maps" (NeurIPS 2018), and
  :func:`mass_inside`, how much of a map lies on a region (lecture 13);
- :mod:`~course.saliency.tensorboard`: :class:`SaliencyImages`, maps written to
  TensorBoard during training.

The plots of maps (:func:`overlay_rgb`, :func:`saliency_overlay`,
:func:`saliency_grid`) live in ``course.plots``, which needs no TensorFlow, and are
re-exported here. This package is TensorFlow-only (tf-keras-vis is), unlike the
course's builders.
"""

from course.plots import overlay_rgb, saliency_grid, saliency_overlay
from course.saliency.base import BACKPROP_RULES, REDUCTIONS, SaliencyMethod
from course.saliency.cam import (
    CamMethod,
    FasterScoreCAM,
    GradCAM,
    GradCAMPlusPlus,
    ScoreCAM,
)
from course.saliency.gradients import (
    GradientMethod,
    GuidedBackprop,
    RectifiedGradient,
    SmoothGrad,
    Vanilla,
)
from course.saliency.maps import (
    CAM_METHODS,
    GRADIENT_METHODS,
    METHOD_CLASSES,
    METHODS,
    saliency_map,
)
from course.saliency.sanity import (
    SIMILARITY_THRESHOLD,
    cascading_randomization,
    label_randomization_check,
    map_ssim,
    mass_inside,
    randomization_summary,
    rank_correlation,
)
from course.saliency.surgery import (
    as_functional,
    feature_layers,
    find_layer,
    linear_output,
)
from course.saliency.tensorboard import SaliencyImages

__all__ = [
    "CAM_METHODS",
    "GRADIENT_METHODS",
    "METHODS",
    "METHOD_CLASSES",
    "BACKPROP_RULES",
    "REDUCTIONS",
    "SIMILARITY_THRESHOLD",
    "CamMethod",
    "FasterScoreCAM",
    "GradCAM",
    "GradCAMPlusPlus",
    "GradientMethod",
    "GuidedBackprop",
    "RectifiedGradient",
    "SaliencyImages",
    "SaliencyMethod",
    "ScoreCAM",
    "SmoothGrad",
    "Vanilla",
    "as_functional",
    "cascading_randomization",
    "feature_layers",
    "find_layer",
    "label_randomization_check",
    "linear_output",
    "map_ssim",
    "mass_inside",
    "overlay_rgb",
    "randomization_summary",
    "rank_correlation",
    "saliency_grid",
    "saliency_map",
    "saliency_overlay",
]
