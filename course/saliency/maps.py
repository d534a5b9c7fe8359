"""``saliency_map``, the front door of lecture 11's saliency methods.

One function with every method's options, for the notebook's side-by-side
comparisons: it checks every argument, then hands the images to the method's own
class (:mod:`course.saliency.gradients`, :mod:`course.saliency.cam`) with only the
options that method uses. The tables here list the methods in the order the
lecture presents them.

Used in lectures 11 and 13.
"""

from __future__ import annotations

from course import _validate
from course.saliency import cam, gradients, surgery
from course.saliency.base import SaliencyMethod, check_layer, check_option

__all__ = [
    "CAM_METHODS",
    "GRADIENT_METHODS",
    "METHODS",
    "METHOD_CLASSES",
    "saliency_map",
]

#: Every method's class, by its key.
METHOD_CLASSES: dict[str, type[SaliencyMethod]] = {
    technique.name: technique
    for technique in (
        gradients.Vanilla,
        gradients.SmoothGrad,
        gradients.GuidedBackprop,
        gradients.RectifiedGradient,
        cam.GradCAM,
        cam.GradCAMPlusPlus,
        cam.ScoreCAM,
        cam.FasterScoreCAM,
    )
}
#: Every method, with what it computes.
METHODS = {name: technique.description for name, technique in METHOD_CLASSES.items()}
#: Methods that backpropagate to the pixels (``reduce`` applies to them).
GRADIENT_METHODS = tuple(
    name
    for name, technique in METHOD_CLASSES.items()
    if issubclass(technique, gradients.GradientMethod)
)
#: Methods that weight the feature maps of one convolutional layer (``layer``).
CAM_METHODS = tuple(
    name
    for name, technique in METHOD_CLASSES.items()
    if issubclass(technique, cam.CamMethod)
)


def saliency_map(
    model,
    images,
    class_index=None,
    method="vanilla",
    *,
    layer=None,
    backprop=None,
    reduce="max",
    normalize=True,
    smooth_samples=20,
    smooth_noise=0.2,
    percentile=98.0,
    max_channels=10,
    batch_size=32,
    seed=0,
):
    """Saliency maps of ``images`` for one class each, by any of :data:`METHODS`.

    Works on built Sequential, Functional and nested Keras 3 models (see
    :func:`~course.saliency.surgery.as_functional`), under mixed precision too;
    the model is not changed. Class scores are logits
    (:func:`~course.saliency.surgery.linear_output`); Score-CAM applies the
    softmax to them itself, as in its paper. Every option is checked, used or
    not; the method's class (:data:`METHOD_CLASSES`) then gets only its own.

    Args:
        model: a classifier with one input and one ``(batch, classes)`` output.
        images: a batch ``(N, *input_shape)`` or one image ``input_shape``.
        class_index: the class whose score is explained, one for all images or
            one per image; ``None`` takes each image's predicted class.
        method: a key of :data:`METHODS`.
        layer: CAM methods only: name of the layer whose feature maps are
            weighted (nested layers included;
            :func:`~course.saliency.surgery.feature_layers` lists them).
            ``None`` takes the last non-pooling layer with a feature map of more
            than one position - the last convolutional stage.
        backprop: ``"gradcam"`` only: the ReLUs' backward rule above the layer,
            ``None`` (Grad-CAM as published), ``"guided"`` or ``"deconvnet"``
            (seed 004's keras-vis ``backprop_modifier``; see
            :class:`~course.saliency.cam.GradCAM`).
        reduce: gradient methods only: ``"max"`` (Simonyan et al.) or
            ``"mean"`` of the per-channel magnitudes. A CAM has no colour
            channels to reduce, so CAM methods do not use it.
        normalize: scale each map to [0, 1] (a constant map becomes zeros).
        smooth_samples: noisy copies per image for SmoothGrad, >= 1.
        smooth_noise: SmoothGrad noise standard deviation as a fraction of each
            image's value range (the paper: 10-20%).
        percentile: Rectified Gradient's threshold percentile q in [0, 100).
        max_channels: feature maps kept by Faster Score-CAM, >= 1.
        batch_size: batch size of Score-CAM's masked predictions, >= 1.
        seed: seed of SmoothGrad's noise.

    Returns:
        float32 maps of shape ``(N, height, width)``, finite.

    Raises:
        TypeError: for arguments of the wrong type.
        ValueError: an unknown method, a class index outside ``[0, classes)``,
            a layer that does not exist or has no 4-D output, ``layer`` given to
            a gradient method, images of the wrong shape; messages list the
            allowed values.
    """
    model = surgery.check_model(model)
    _validate.choice("method", method, tuple(METHODS))
    reduce = check_option("reduce", reduce)
    normalize = _validate.boolean("normalize", normalize)
    if layer is not None and method not in CAM_METHODS:
        raise _validate.error(
            "layer",
            layer,
            f"to be None for the gradient method {method!r}: only {CAM_METHODS} "
            "use a layer",
        )
    backprop = check_option("backprop", backprop)
    if backprop is not None and "backprop" not in METHOD_CLASSES[method].options:
        raise _validate.error(
            "backprop",
            backprop,
            f"to be None for the method {method!r}: only "
            "'gradcam' takes a backward rule",
        )
    options = {"layer": check_layer(model, layer), "reduce": reduce}
    options["backprop"] = backprop
    for name, value in (
        ("smooth_samples", smooth_samples),
        ("smooth_noise", smooth_noise),
        ("percentile", percentile),
        ("max_channels", max_channels),
        ("batch_size", batch_size),
        ("seed", seed),
    ):
        options[name] = check_option(name, value)
    technique = METHOD_CLASSES[method]
    own = {name: options[name] for name in technique.options}
    return technique(model, **own)(images, class_index, normalize=normalize)
