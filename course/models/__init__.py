"""Model builders, one module per family, in the style of Keras Applications.

Every builder returns a Functional ``keras.Model`` with every layer named, takes
the shared vocabulary ``input_shape``, ``num_classes``, ``include_top``,
``classifier_activation`` and ``name`` (one rule and one classification head
for all, in :mod:`course.models._common`), and checks its arguments before
building anything. No builder imports TensorFlow: they run on any Keras backend.

- ``perceptrons``: :func:`perceptron`, :func:`mlp` (lectures 01 and 02);
- ``lenet``: :func:`lenet5` (lecture 04);
- ``alexnets``: :func:`alexnet`, :func:`zfnet` (lecture 05);
- ``vggs``: :func:`vgg` (lecture 05), :func:`small_vgg` (lectures 07 and 11);
- ``inception``: :func:`googlenet` (lecture 06);
- ``resnets``: :func:`resnet`, :func:`plain_net`, :func:`cifar_resnet`,
  :func:`cifar_plain_net` (lecture 06);
- ``densenets``: :func:`densenet` (lecture 06);
- ``highway``: :func:`highway_net` (lecture 06);
- ``autoencoders``: :func:`autoencoder`, :func:`encoder_of` (lecture 08);
- ``unets``: :func:`unet`, :func:`fcn`, :func:`unet_plus_plus`,
  :func:`patch_classifier` (lecture 09);
- ``atrous``: :func:`equal_weight_net`, :func:`context_module` (lecture 10).

The modules are named after the families (plural), so that a builder never
shadows its module: ``course.models.resnet`` is the builder and
``course.models.resnets`` the module. The families' tables are exported here
under explicit names (``RESNET_STAGES``, ``GOOGLENET_TABLE1``, ...).
"""

from course.models import atrous
from course.models._common import STEMS
from course.models.alexnets import ALEXNET_LAYERS, ZFNET_LAYERS, alexnet, zfnet
from course.models.alexnets import PAPER_FILTERS as ALEXNET_PAPER_FILTERS
from course.models.alexnets import TORCHVISION_FILTERS as ALEXNET_TORCHVISION_FILTERS
from course.models.atrous import (
    CONTEXT_DILATIONS,
    context_module,
    dilated_conv_block,
    equal_weight_net,
    widths_for_budget,
)
from course.models.atrous import KINDS as ATROUS_KINDS
from course.models.autoencoders import autoencoder, encoder_of
from course.models.densenets import BLOCKS as DENSENET_BLOCKS
from course.models.densenets import BOTTLENECK_WIDTH as DENSENET_BOTTLENECK_WIDTH
from course.models.densenets import COMPRESSION as DENSENET_COMPRESSION
from course.models.densenets import (
    dense_block,
    dense_layer,
    densenet,
    transition_block,
)
from course.models.highway import highway_net
from course.models.inception import AUX_AFTER as GOOGLENET_AUX_AFTER
from course.models.inception import TABLE1 as GOOGLENET_TABLE1
from course.models.inception import googlenet, inception_module
from course.models.lenet import MIN_SIZE as LENET_MIN_SIZE
from course.models.lenet import PAPER_SIZE as LENET_PAPER_SIZE
from course.models.lenet import lenet5
from course.models.perceptrons import ACTIVATIONS as MLP_ACTIVATIONS
from course.models.perceptrons import mlp, perceptron
from course.models.resnets import CIFAR_DEPTHS as CIFAR_RESNET_DEPTHS
from course.models.resnets import CIFAR_WIDTHS as CIFAR_RESNET_WIDTHS
from course.models.resnets import EXPANSION as RESNET_EXPANSION
from course.models.resnets import SHORTCUTS as RESNET_SHORTCUTS
from course.models.resnets import STAGES as RESNET_STAGES
from course.models.resnets import WIDTHS as RESNET_WIDTHS
from course.models.resnets import (
    bottleneck_block,
    cifar_plain_net,
    cifar_resnet,
    plain_net,
    residual_block,
    resnet,
)
from course.models.unets import PADDINGS as UNET_PADDINGS
from course.models.unets import (
    conv_block,
    fcn,
    patch_classifier,
    unet,
    unet_output_size,
    unet_plus_plus,
    valid_unet_sizes,
)
from course.models.vggs import CONFIGURATIONS as VGG_CONFIGURATIONS
from course.models.vggs import WIDTHS as VGG_WIDTHS
from course.models.vggs import small_vgg, vgg, vgg_block

__all__ = [
    # builders
    "alexnet",
    "autoencoder",
    "cifar_plain_net",
    "cifar_resnet",
    "densenet",
    "encoder_of",
    "equal_weight_net",
    "fcn",
    "googlenet",
    "highway_net",
    "lenet5",
    "mlp",
    "patch_classifier",
    "perceptron",
    "plain_net",
    "resnet",
    "small_vgg",
    "unet",
    "unet_plus_plus",
    "vgg",
    "zfnet",
    # blocks and helpers
    "bottleneck_block",
    "context_module",
    "conv_block",
    "dense_block",
    "dense_layer",
    "dilated_conv_block",
    "inception_module",
    "residual_block",
    "transition_block",
    "unet_output_size",
    "valid_unet_sizes",
    "vgg_block",
    "widths_for_budget",
    # the families' tables
    "ALEXNET_LAYERS",
    "ALEXNET_PAPER_FILTERS",
    "ALEXNET_TORCHVISION_FILTERS",
    "ATROUS_KINDS",
    "CIFAR_RESNET_DEPTHS",
    "CIFAR_RESNET_WIDTHS",
    "CONTEXT_DILATIONS",
    "DENSENET_BLOCKS",
    "DENSENET_BOTTLENECK_WIDTH",
    "DENSENET_COMPRESSION",
    "GOOGLENET_AUX_AFTER",
    "GOOGLENET_TABLE1",
    "LENET_MIN_SIZE",
    "LENET_PAPER_SIZE",
    "MLP_ACTIVATIONS",
    "RESNET_EXPANSION",
    "RESNET_SHORTCUTS",
    "RESNET_STAGES",
    "RESNET_WIDTHS",
    "STEMS",
    "UNET_PADDINGS",
    "VGG_CONFIGURATIONS",
    "VGG_WIDTHS",
    "ZFNET_LAYERS",
    # a module the lecture-10 notebook imports whole
    "atrous",
]
