"""Model builders, one file per family, in the style of Keras Applications.

Every builder returns a Functional ``keras.Model`` with every layer named, takes
the shared vocabulary ``input_shape``, ``num_classes``, ``classifier_activation``
and ``name``, and validates its arguments before building anything.
"""

from course.models.lenet import lenet5
from course.models.mlp import mlp, perceptron

__all__ = ["lenet5", "mlp", "perceptron"]
from course.models.alexnet import alexnet, zfnet
from course.models.atrous import (
    context_module,
    dilated_conv_block,
    equal_weight_net,
    widths_for_budget,
)
from course.models.autoencoder import autoencoder, encoder_of
from course.models.densenet import dense_block, dense_layer, densenet, transition_block
from course.models.googlenet import googlenet, inception_module
from course.models.highway import highway_net
from course.models.resnet import (
    bottleneck_block,
    cifar_plain_net,
    cifar_resnet,
    plain_net,
    residual_block,
    resnet,
)
from course.models.unet import (
    conv_block,
    fcn,
    patch_classifier,
    unet,
    unet_output_size,
    unet_plus_plus,
    valid_unet_sizes,
)
from course.models.vgg import small_vgg, vgg, vgg_block

__all__ += [
    "alexnet",
    "autoencoder",
    "bottleneck_block",
    "conv_block",
    "context_module",
    "cifar_plain_net",
    "cifar_resnet",
    "dense_block",
    "dense_layer",
    "dilated_conv_block",
    "fcn",
    "densenet",
    "encoder_of",
    "equal_weight_net",
    "googlenet",
    "highway_net",
    "inception_module",
    "patch_classifier",
    "plain_net",
    "residual_block",
    "resnet",
    "small_vgg",
    "transition_block",
    "unet",
    "unet_output_size",
    "unet_plus_plus",
    "valid_unet_sizes",
    "vgg",
    "vgg_block",
    "widths_for_budget",
    "zfnet",
]
