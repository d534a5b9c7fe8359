"""Classic CNN builders against published figures: parameters, MACs, Table 1.

Large models are built symbolically (no forward pass) one at a time and freed;
only small-input variants are called on data.
"""

import math

import keras
import numpy as np
import pytest

from course import layers, models
from course.arithmetic import conv_params, count_macs, receptive_field_size


@pytest.fixture(autouse=True)
def _fresh_session():
    yield
    keras.backend.clear_session()  # free each big model before the next one


def trainable(model) -> int:
    """Learnable parameters: Keras' count_params() minus batch norm's moving
    means and variances, i.e. what torchvision's num_params counts."""
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def _numpy(variable):
    """A variable's value as NumPy, without Keras' deprecated ``__array__`` path."""
    return keras.ops.convert_to_numpy(keras.ops.copy(variable))


def dense_params(n_in, n_out):
    return n_in * n_out + n_out


# AlexNet, computed from the paper's Figure 2 widths (96, 256, 384, 384, 256), a
# 6x6x256 pool5 at 227x227 and 4096-4096-1000 dense layers (no single published
# count exists for either layout; the lecture says "~60M"):
_ALEXNET_DENSE = dense_params(6 * 6 * 256, 4096) + dense_params(4096, 4096)
_ALEXNET_DENSE += dense_params(4096, 1000)  # 58,631,144
# two-GPU layout: conv2, conv4, conv5 grouped (each GPU sees its own half).
ALEXNET_GROUPED = _ALEXNET_DENSE + (
    conv_params(11, 3, 96)
    + conv_params(5, 96, 256, groups=2)
    + conv_params(3, 256, 384)
    + conv_params(3, 384, 384, groups=2)
    + conv_params(3, 384, 256, groups=2)
)
# one stream with the same widths.
ALEXNET_SINGLE = _ALEXNET_DENSE + (
    conv_params(11, 3, 96)
    + conv_params(5, 96, 256)
    + conv_params(3, 256, 384)
    + conv_params(3, 384, 384)
    + conv_params(3, 384, 256)
)
# ZFNet, Zeiler & Fergus (2014) Figure 3: conv1 96@7x7, then AlexNet's widths dense.
ZFNET = _ALEXNET_DENSE + (
    conv_params(7, 3, 96)
    + conv_params(5, 96, 256)
    + conv_params(3, 256, 384)
    + conv_params(3, 384, 384)
    + conv_params(3, 384, 256)
)


def _googlenet_paper_params():
    """GoogLeNet without auxiliary heads from the rows of Szegedy et al.'s Table 1,
    with convolution biases and no batch norm (the paper's network)."""
    total = conv_params(7, 3, 64) + conv_params(1, 64, 64) + conv_params(3, 64, 192)
    channels = 192
    for row in models.GOOGLENET_TABLE1:
        if row == "pool":
            continue
        _, n1, r3, n3, r5, n5, proj = row
        total += conv_params(1, channels, n1) + conv_params(1, channels, r3)
        total += conv_params(3, r3, n3) + conv_params(1, channels, r5)
        total += conv_params(5, r5, n5) + conv_params(1, channels, proj)
        channels = n1 + n3 + n5 + proj
    return total + dense_params(channels, 1000)


GOOGLENET_PAPER = _googlenet_paper_params()  # 6,998,552

# (builder, kwargs, counting convention, expected parameters, source).
# "all": Keras' count_params(); "trainable": learnable weights only (without batch
# norm's moving statistics), torchvision's num_params convention.
TORCHVISION = "torchvision.models weights meta num_params (pytorch.org/vision/stable)"
PARAMETERS = [
    # torchvision.models.alexnet ("one weird trick" widths 64/192/384/256/256):
    # AlexNet_Weights.IMAGENET1K_V1 num_params 61,100,840.
    (
        models.alexnet,
        {"filters": models.ALEXNET_TORCHVISION_FILTERS},
        "all",
        61_100_840,
        TORCHVISION,
    ),
    (models.alexnet, {"grouped": True}, "all", ALEXNET_GROUPED, "computed: 60,965,224"),
    (models.alexnet, {}, "all", ALEXNET_SINGLE, "computed: 62,378,344"),
    (models.zfnet, {}, "all", ZFNET, "computed: 62,357,608"),
    # torchvision vgg11/13/16/19 (configurations A, B, D, E).
    (models.vgg, {"depth": 11}, "all", 132_863_336, TORCHVISION),
    (models.vgg, {"depth": 13}, "all", 133_047_848, TORCHVISION),
    (models.vgg, {"depth": 16}, "all", 138_357_544, TORCHVISION),
    (models.vgg, {"depth": 19}, "all", 143_667_240, TORCHVISION),
    # torchvision densenet121/169/201 (learnable parameters only).
    (models.densenet, {"depth": 121}, "trainable", 7_978_856, TORCHVISION),
    (models.densenet, {"depth": 169}, "trainable", 14_149_480, TORCHVISION),
    (models.densenet, {"depth": 201}, "trainable", 20_013_928, TORCHVISION),
    # The paper's GoogLeNet has no batch norm. torchvision's googlenet (6,624,904)
    # adds batch norm, drops the conv biases and uses 3x3 kernels in its "5x5"
    # branches, so it cannot be matched; this is Table 1 counted with conv_params.
    (
        models.googlenet,
        {"aux_classifiers": False},
        "all",
        GOOGLENET_PAPER,
        "computed: 6,998,552",
    ),
]


@pytest.mark.paper_scale
@pytest.mark.parametrize(
    "builder, kwargs, convention, expected, source",
    PARAMETERS,
    ids=[f"{row[0].__name__}-{row[3]}" for row in PARAMETERS],
)
def test_parameter_counts(builder, kwargs, convention, expected, source):
    model = builder(**kwargs)
    count = trainable(model) if convention == "trainable" else model.count_params()
    assert count == expected, source


def test_computed_counts_are_the_stated_ones():
    assert (ALEXNET_GROUPED, ALEXNET_SINGLE, ZFNET) == (
        60_965_224,
        62_378_344,
        62_357_608,
    )
    assert GOOGLENET_PAPER == 6_998_552


# ResNets, torchvision num_params (learnable only, shortcut B) and He et al. (2016)
# Table 1 FLOPs (multiply-adds): 1.8, 3.6, 3.8, 7.6, 11.3 billion. Our bottlenecks
# put the stride on the first 1x1 conv, as the paper does, and land within 1.8%
# (1.81, 3.66, 3.86, 7.57, 11.28e9); torchvision's v1.5 bottlenecks (stride on the
# 3x3) list 4.09, 7.80, 11.51 GFLOPS for 50/101/152.
RESNETS = [
    (18, 11_689_512, 1.8e9),
    (34, 21_797_672, 3.6e9),
    (50, 25_557_032, 3.8e9),
    (101, 44_549_160, 7.6e9),
    (152, 60_192_808, 11.3e9),
]


@pytest.mark.paper_scale
@pytest.mark.parametrize("depth, params, flops", RESNETS)
def test_resnet_parameters_and_macs(depth, params, flops):
    model = models.resnet(depth)
    assert trainable(model) == params  # torchvision num_params
    # count_params() also counts the moving mean and variance of every BN layer.
    bn = [layer for layer in model.layers if "_bn" in layer.name]
    moving = sum(2 * layer.input.shape[-1] for layer in bn)
    assert model.count_params() == params + moving
    assert count_macs(model) == pytest.approx(flops, rel=0.03)
    assert model.get_layer("conv5_block1_out").output.shape[1:3] == (7, 7)


@pytest.mark.paper_scale
def test_resnet_shortcut_options():
    """Option A has no parameters beyond the plain net; B adds 3 projections, C
    one per block (He et al. 2016, section 4.1, Table 3)."""
    names = {}
    counts = {}
    for option in ("A", "B", "C"):
        model = models.resnet(18, shortcut=option)
        names[option] = [layer.name for layer in model.layers]
        counts[option] = trainable(model)
        keras.backend.clear_session()
    plain = models.plain_net(18)
    projections = [
        conv_params(1, c, 2 * c, bias=False) + 2 * 2 * c for c in (64, 128, 256)
    ]
    assert counts["B"] == 11_689_512
    assert counts["A"] == counts["B"] - sum(projections) == trainable(plain)
    assert not any("_0_conv" in name for name in names["A"])
    assert sum(name.endswith("_0_conv") for name in names["B"]) == 3
    assert sum(name.endswith("_0_conv") for name in names["C"]) == 8
    assert sum(name.endswith("_0_pad") for name in names["A"]) == 3
    plain_names = [layer.name for layer in plain.layers]
    assert not any(name.endswith(("_add", "_0_conv")) for name in plain_names)


def test_bottleneck_stride_on_first_1x1():
    inputs = keras.Input((56, 56, 256))
    outputs = models.bottleneck_block(inputs, 128, stride=2, name="b")
    block = keras.Model(inputs, outputs)
    assert block.get_layer("b_1_conv").strides == (2, 2)
    assert block.get_layer("b_2_conv").strides == (1, 1)
    assert block.get_layer("b_1_conv").output.shape[1:] == (28, 28, 128)
    assert outputs.shape[1:] == (28, 28, 512)
    assert block.get_layer("b_0_conv").use_bias is False


# Szegedy et al. (2015), Table 1: output size and depth of every inception module,
# and its "ops" (multiply-adds). 5a's 54M does not follow from its own row
# (1,042,432 weights at 7x7 = 51.1M) and is left out.
GOOGLENET_TABLE1 = [
    ("3a", 28, 256, 128e6),
    ("3b", 28, 480, 304e6),
    ("4a", 14, 512, 73e6),
    ("4b", 14, 512, 88e6),
    ("4c", 14, 512, 100e6),
    ("4d", 14, 528, 119e6),
    ("4e", 14, 832, 170e6),
    ("5a", 7, 832, None),
    ("5b", 7, 1024, 71e6),
]


@pytest.mark.paper_scale
def test_googlenet_table1():
    model = models.googlenet(aux_classifiers=False)
    macs = count_macs(model, per_layer=True)
    for module, size, depth, ops in GOOGLENET_TABLE1:
        output = model.get_layer(f"inception_{module}_output").output
        assert tuple(output.shape[1:]) == (size, size, depth), module
        if ops is not None:
            total = sum(
                v for k, v in macs.items() if k.startswith(f"inception_{module}_")
            )
            assert total == pytest.approx(ops, rel=0.01), module
    # Table 1: conv2 (3x3 reduce 64, 3x3 192) 360M ops; linear 1M.
    assert macs["conv2_3x3_reduce"] + macs["conv2_3x3"] == pytest.approx(
        360e6, rel=0.01
    )
    assert macs["predictions"] == pytest.approx(1e6, rel=0.03)
    assert model.get_layer("conv2_3x3").output.shape[1:] == (56, 56, 192)


def test_googlenet_auxiliary_classifiers():
    model = models.googlenet()
    assert [tuple(o.shape) for o in model.outputs] == [(None, 1000)] * 3
    assert [o._keras_history.operation.name for o in model.outputs] == [
        "predictions",
        "aux1_predictions",
        "aux2_predictions",
    ]
    # Section 5: 5x5/3 average pool on 14x14 gives 4x4, 1x1 conv 128, FC 1024.
    for index, module in ((1, "4a"), (2, "4d")):
        pool = model.get_layer(f"aux{index}_pool")
        assert (
            pool.input.shape
            == model.get_layer(f"inception_{module}_output").output.shape
        )
        assert pool.output.shape[1:] == (
            4,
            4,
            model.get_layer(f"inception_{module}_output").output.shape[-1],
        )
        assert model.get_layer(f"aux{index}_conv").output.shape[1:] == (4, 4, 128)
        assert model.get_layer(f"aux{index}_fc").count_params() == 2048 * 1024 + 1024
        assert model.get_layer(f"aux{index}_dropout").rate == 0.7


# Receptive fields: google-research/receptive_field README (Araujo, Norris & Sim,
# "Computing receptive fields of convolutional neural networks", Distill 2019):
# alexnet_v2 195, vgg_16 212 (at their last feature maps, pool5).
@pytest.mark.parametrize(
    "builder, kwargs, layer, size",
    [
        (models.alexnet, {}, "pool5", 195),
        (models.vgg, {"depth": 16}, "block5_pool", 212),
    ],
)
def test_receptive_fields(builder, kwargs, layer, size):
    model = builder(include_top=False, **kwargs)
    assert model.output.shape == model.get_layer(layer).output.shape
    assert receptive_field_size(model) == size
    assert receptive_field_size(model, axis=1) == size


def test_alexnet_two_gpu_layout():
    model = models.alexnet(grouped=True)
    assert [model.get_layer(f"conv{i}").groups for i in range(1, 6)] == [1, 2, 1, 2, 2]
    sizes = {n: model.get_layer(n).output.shape[1] for n in ("conv1", "pool1", "pool2")}
    assert sizes == {"conv1": 55, "pool1": 27, "pool2": 13}
    assert model.get_layer("pool5").output.shape[1:] == (6, 6, 256)
    assert isinstance(model.get_layer("conv1_norm"), layers.LocalResponseNormalization)
    names = [layer.name for layer in models.alexnet().layers]
    assert "conv1_norm" not in names


def test_zfnet_sizes_follow_figure_3():
    model = models.zfnet(include_top=False)
    sizes = [
        model.get_layer(n).output.shape[1]
        for n in ("conv1", "pool1", "conv2", "pool2", "conv5", "pool5")
    ]
    assert sizes == [110, 55, 26, 13, 13, 6]
    assert model.get_layer("conv1").kernel_size == (7, 7)


@pytest.mark.paper_scale
def test_densenet_structure():
    model = models.densenet(121, include_top=False)
    # Huang et al. Table 1: 56, 28, 14, 7; DenseNet-BC channels 64 + 6 * 32 = 256,
    # halved to 128 by pool2, ..., 1024 at the end.
    assert model.get_layer("conv2_block6_concat").output.shape[1:] == (56, 56, 256)
    assert model.get_layer("pool2_conv").output.shape[-1] == 128
    assert model.get_layer("pool4_pool").output.shape[1:] == (7, 7, 512)
    assert model.output.shape[1:] == (7, 7, 1024)


# Small inputs: every builder works at 32x32 (CIFAR) with the documented stem.
SMALL = [
    (models.alexnet, {"stem": "cifar", "grouped": True}),
    (models.zfnet, {"stem": "cifar"}),
    (models.vgg, {"depth": 11, "batch_norm": True}),
    (models.resnet, {"depth": 18, "stem": "cifar", "shortcut": "A"}),
    (models.resnet, {"depth": 50, "stem": "cifar", "shortcut": "C"}),
    (models.plain_net, {"depth": 18, "stem": "cifar"}),
    (models.googlenet, {"stem": "cifar"}),
    (models.googlenet, {"aux_classifiers": False}),  # imagenet stem, 32x32
    (models.densenet, {"depth": 121, "stem": "cifar"}),
]


@pytest.mark.parametrize("builder, kwargs", SMALL)
def test_small_inputs(builder, kwargs):
    model = builder(input_shape=(32, 32, 3), num_classes=10, **kwargs)
    assert isinstance(model, keras.Model) and not isinstance(model, keras.Sequential)
    outputs = model.outputs
    assert all(tuple(o.shape) == (None, 10) for o in outputs)
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names))
    assert not any(
        name.startswith(("conv2d", "dense", "dropout_", "flatten_", "batch_norm"))
        for name in names
    )


@pytest.mark.parametrize(
    "builder, kwargs, shape",
    [
        (models.alexnet, {"stem": "cifar", "grouped": True}, (32, 32, 3)),
        (models.resnet, {"depth": 18, "stem": "cifar", "shortcut": "A"}, (32, 32, 3)),
        (models.highway_net, {"num_layers": 3}, (28, 28)),
    ],
)
def test_small_forward_pass(builder, kwargs, shape):
    """Grouped convolutions, LRN, option-A padding and highway layers run."""
    model = builder(input_shape=shape, num_classes=10, **kwargs)
    batch = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
    probabilities = keras.ops.convert_to_numpy(model(batch))
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)


def test_include_top_false_returns_feature_maps():
    assert models.resnet(18, include_top=False).output_shape == (None, 7, 7, 512)
    keras.backend.clear_session()
    assert models.resnet(50, include_top=False).output_shape == (None, 7, 7, 2048)
    keras.backend.clear_session()
    model = models.googlenet(aux_classifiers=False, include_top=False)
    assert model.output_shape == (None, 7, 7, 1024)
    assert models.vgg(11, include_top=False).output_shape == (None, 7, 7, 512)


def test_highway_net_parameters():
    model = models.highway_net(input_shape=(784,), num_layers=10, units=50)
    # 784 -> 50 plain layer, 10 highway layers of [W_H | W_T] 50 x 100 + 100
    # biases, 50 -> 10 softmax.
    assert model.count_params() == 785 * 50 + 10 * (50 * 100 + 100) + 51 * 10
    bias = _numpy(model.get_layer("highway1").bias)
    np.testing.assert_array_equal(bias[:50], 0.0)
    np.testing.assert_array_equal(bias[50:], -2.0)
    assert count_macs(model) == 784 * 50 + 10 * 50 * 100 + 50 * 10


#: He et al. (CVPR 2016), Table 6: parameters of the CIFAR-10 ResNets (option A).
CIFAR_RESNETS = [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)]


@pytest.mark.paper_scale
@pytest.mark.parametrize("depth, millions", CIFAR_RESNETS)
def test_cifar_resnet_parameters_and_depth(depth, millions):
    residual = models.cifar_resnet(depth)
    plain = models.cifar_plain_net(depth)
    params = trainable(residual)
    assert float(f"{params / 1e6:.2g}") == millions  # Table 6 prints 2 digits
    assert trainable(plain) == params  # option A shortcuts have no weights
    weighted = [
        layer.name
        for layer in plain.layers
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
    ]
    assert len(weighted) == depth  # 6n + 2 weighted layers
    n = (depth - 2) // 6
    assert residual.get_layer(f"conv4_block{n}_out").output.shape[1:] == (8, 8, 64)
    assert sum(layer.name.endswith("_add") for layer in residual.layers) == 3 * n
    assert not any(layer.name.endswith("_add") for layer in plain.layers)
    keras.backend.clear_session()


def test_cifar_nets_take_width_and_activation():
    model = models.cifar_plain_net(
        8, width=4, activation="sigmoid", input_shape=(8, 8, 1), num_classes=3
    )
    assert model.output_shape == (None, 3)
    assert model.get_layer("conv4_block1_2_conv").filters == 16
    relu_named = model.get_layer("conv2_block1_1_relu")  # the name stays stable
    assert relu_named.activation is keras.activations.sigmoid
    assert model.get_layer("conv4_block1_out").activation is keras.activations.sigmoid
    projected = models.cifar_resnet(14, shortcut="B", width=4, input_shape=(8, 8, 3))
    assert sum(layer.name.endswith("_0_conv") for layer in projected.layers) == 2


BAD_ARGUMENTS = [
    (models.cifar_resnet, {"depth": 21}, ValueError, "depth=21"),
    (models.cifar_resnet, {"depth": 2}, ValueError, "depth=2"),
    (models.cifar_resnet, {"activation": "swishy"}, ValueError, "activation='swishy'"),
    (models.cifar_resnet, {"activation": None}, TypeError, "activation=None"),
    (models.cifar_plain_net, {"width": 0}, ValueError, "width=0"),
    (models.cifar_plain_net, {"input_shape": (3, 3, 3)}, ValueError, "at least 4x4"),
    (models.resnet, {"depth": 20}, ValueError, "depth=20"),
    (models.resnet, {"shortcut": "D"}, ValueError, "shortcut='D'"),
    (models.resnet, {"stem": "mnist"}, ValueError, "stem='mnist'"),
    (models.resnet, {"input_shape": (16, 16, 3)}, ValueError, "at least 32x32"),
    (
        models.resnet,
        {"input_shape": (4, 4, 3), "stem": "cifar"},
        ValueError,
        "at least 8x8",
    ),
    (models.resnet, {"num_classes": 0}, ValueError, "num_classes=0"),
    (models.resnet, {"include_top": 1}, TypeError, "include_top=1"),
    (models.plain_net, {"depth": 35}, ValueError, "depth=35"),
    (models.vgg, {"depth": 17}, ValueError, "depth=17"),
    (models.vgg, {"batch_norm": "yes"}, TypeError, "batch_norm='yes'"),
    (models.vgg, {"input_shape": (31, 64, 3)}, ValueError, "at least 32x32"),
    (models.vgg, {"input_shape": (32, 32)}, ValueError, "input_shape=(32, 32)"),
    (models.vgg, {"num_classes": 2.5}, TypeError, "num_classes=2.5"),
    (models.alexnet, {"input_shape": (64, 64, 3)}, ValueError, "at least 67x67"),
    (
        models.alexnet,
        {"input_shape": (14, 14, 3), "stem": "cifar"},
        ValueError,
        "at least 15x15",
    ),
    (models.alexnet, {"grouped": "no"}, TypeError, "grouped='no'"),
    (models.alexnet, {"filters": (96, 256)}, ValueError, "filters=(96, 256)"),
    (
        models.alexnet,
        {"grouped": True, "filters": (96, 255, 384, 384, 256)},
        ValueError,
        "filters=(96, 255, 384, 384, 256)",
    ),
    (models.zfnet, {"input_shape": (52, 52, 3)}, ValueError, "at least 53x53"),
    (models.googlenet, {"input_shape": (64, 64, 3)}, ValueError, "at least 65x65"),
    (
        models.googlenet,
        {"input_shape": (31, 31, 3), "aux_classifiers": False},
        ValueError,
        "at least 32x32",
    ),
    (
        models.googlenet,
        {"include_top": False},
        ValueError,
        "aux_classifiers=True",
    ),
    (models.googlenet, {"num_classes": -1}, ValueError, "num_classes=-1"),
    (models.densenet, {"depth": 264}, ValueError, "depth=264"),
    (models.densenet, {"growth_rate": 0}, ValueError, "growth_rate=0"),
    (
        models.densenet,
        {"input_shape": (7, 7, 3), "stem": "cifar"},
        ValueError,
        "at least 8x8",
    ),
    (models.highway_net, {"num_layers": 0}, ValueError, "num_layers=0"),
    (models.highway_net, {"transform_bias": "-2"}, TypeError, "transform_bias='-2'"),
]


@pytest.mark.parametrize("builder, kwargs, error, fragment", BAD_ARGUMENTS)
def test_bad_arguments(builder, kwargs, error, fragment):
    with pytest.raises(error) as info:
        builder(**kwargs)
    assert "Received:" in str(info.value)
    assert fragment in str(info.value)


def test_block_helpers_bad_arguments():
    x = keras.Input((8, 8, 16))
    with pytest.raises(ValueError, match="shortcut='D'"):
        models.residual_block(x, 16, shortcut="D")
    with pytest.raises(ValueError, match="filters=0"):
        models.bottleneck_block(x, 0)
    with pytest.raises(ValueError, match="pool_proj=0"):
        models.inception_module(x, 8, 8, 8, 8, 8, 0, name="m")
    with pytest.raises(ValueError, match="compression=0"):
        models.transition_block(x, 0.0, name="t")


# ---- course.layers added for these networks -------------------------------------


def _lrn_reference(a, n=5, k=2.0, alpha=1e-4, beta=0.75):
    """Krizhevsky et al. (2012), section 3.3, written out channel by channel."""
    out = np.empty_like(a)
    channels = a.shape[-1]
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        out[..., i] = (
            a[..., i] / (k + alpha * (a[..., lo : hi + 1] ** 2).sum(-1)) ** beta
        )
    return out


def test_local_response_normalization_matches_the_paper():
    a = np.random.default_rng(1).normal(0, 30, (2, 3, 3, 7)).astype(np.float32)
    layer = layers.LocalResponseNormalization(name="lrn")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(a)), _lrn_reference(a), rtol=1e-5
    )
    small = layers.LocalResponseNormalization(size=3, bias=1.0, alpha=0.5, beta=0.5)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(small(a)),
        _lrn_reference(a, n=3, k=1.0, alpha=0.5, beta=0.5),
        rtol=1e-5,
    )
    restored = layers.LocalResponseNormalization.from_config(small.get_config())
    assert (restored.size, restored.alpha) == (3, 0.5)
    with pytest.raises(ValueError, match="size=4"):
        layers.LocalResponseNormalization(size=4)


def test_channel_padding_appends_zeros():
    x = np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3)
    y = keras.ops.convert_to_numpy(layers.ChannelPadding(2)(x))
    np.testing.assert_array_equal(y[..., :3], x)
    np.testing.assert_array_equal(y[..., 3:], 0.0)
    with pytest.raises(ValueError, match="padding=0"):
        layers.ChannelPadding(0)


def test_highway_layer_is_a_gated_mix():
    x = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    layer = layers.Highway(activation="tanh", transform_bias=-2.0, name="hw")
    layer.build(x.shape)
    kernel = np.random.default_rng(3).normal(size=(3, 6)).astype(np.float32)
    bias = np.linspace(-1, 1, 6, dtype=np.float32)
    layer.set_weights([kernel, bias])
    z = x @ kernel + bias
    h, t = np.tanh(z[:, :3]), 1 / (1 + np.exp(-z[:, 3:]))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)), h * t + x * (1 - t), rtol=1e-5
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.transform_gate(x)), t, rtol=1e-5
    )
    with pytest.raises(ValueError, match="Received: layer='unbuilt'"):
        layers.Highway(name="unbuilt").transform_gate(x)
    fresh = layers.Highway(transform_bias=-3.0)
    fresh.build((None, 3))
    np.testing.assert_array_equal(_numpy(fresh.bias)[3:], -3.0)
    restored = layers.Highway.from_config(fresh.get_config())
    assert restored.transform_bias == -3.0


# Scaled-down builders (lecture 05 trains them on 32x32 images).
def dense(n_in, n_out):
    return n_in * n_out + n_out


def test_alexnet_fc_units_and_filters_scale_down():
    model = models.alexnet(
        stem="cifar",
        filters=(24, 64, 96, 96, 64),
        fc_units=1024,
        input_shape=(32, 32, 3),
        num_classes=10,
    )
    convs = (
        conv_params(3, 3, 24)
        + conv_params(5, 24, 64)
        + conv_params(3, 64, 96)
        + conv_params(3, 96, 96)
        + conv_params(3, 96, 64)
    )
    assert model.get_layer("pool5").output.shape[1:] == (3, 3, 64)
    assert model.count_params() == convs + dense(576, 1024) + dense(1024, 1024) + dense(
        1024, 10
    )
    assert model.get_layer("fc7").units == 1024


def test_vgg_widths_and_fc_units_scale_down():
    model = models.vgg(
        11,
        widths=(16, 32, 64, 128, 128),
        fc_units=1024,
        input_shape=(32, 32, 3),
        num_classes=10,
    )
    convs = (
        conv_params(3, 3, 16)
        + conv_params(3, 16, 32)
        + conv_params(3, 32, 64)
        + conv_params(3, 64, 64)
        + conv_params(3, 64, 128)
        + 3 * conv_params(3, 128, 128)
    )
    assert model.count_params() == convs + dense(128, 1024) + dense(1024, 1024) + dense(
        1024, 10
    )
    assert model.count_params() == 1_769_066


def test_zfnet_fc_units():
    model = models.zfnet(
        stem="cifar", fc_units=256, input_shape=(32, 32, 3), num_classes=10
    )
    assert model.get_layer("fc6").units == 256


@pytest.mark.parametrize(
    "builder, kwargs, error, fragment",
    [
        (models.vgg, {"widths": (64, 128)}, ValueError, "widths=(64, 128)"),
        (models.vgg, {"widths": (64, 128, 256, 512, 0)}, ValueError, "widths="),
        (models.vgg, {"fc_units": 0}, ValueError, "fc_units=0"),
        (models.alexnet, {"fc_units": 0}, ValueError, "fc_units=0"),
        (models.zfnet, {"fc_units": -1}, ValueError, "fc_units=-1"),
    ],
)
def test_bad_scaling_arguments(builder, kwargs, error, fragment):
    with pytest.raises(error) as info:
        builder(**kwargs)
    assert "Received:" in str(info.value) and fragment in str(info.value)
    keras.backend.clear_session()


@pytest.mark.parametrize(
    "kwargs, output_shape, params",
    [
        ({"widths": (4, 8), "include_top": False}, (None, 7, 7, 8), None),
        ({"widths": (4, 8, 16), "num_classes": 3}, (None, 3), None),
        (
            {"widths": (4,), "convs_per_block": 1, "num_classes": 2},
            (None, 2),
            4 * 9 + 16 + 10,
        ),
        # flatten: the 14x14x4 map has its own weights per position (784 * 2 + 2)
        (
            {
                "widths": (4,),
                "convs_per_block": 1,
                "num_classes": 2,
                "pooling": "flatten",
            },
            (None, 2),
            4 * 9 + 16 + 14 * 14 * 4 * 2 + 2,
        ),
        ({"widths": (4, 8), "dropout": 0.5, "pooling": "flatten"}, (None, 10), None),
    ],
)
def test_small_vgg(kwargs, output_shape, params):
    model = models.small_vgg((28, 28, 1), **kwargs)
    assert model.output_shape == output_shape
    names = [layer.name for layer in model.layers]
    assert "block1_conv1" in names and "block1_bn1" in names and "block1_pool" in names
    norms = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and all(layer.momentum == pytest.approx(0.9) for layer in norms)
    if params is not None:
        # conv 1->4 without bias (36), BN gamma/beta/mean/var (16), dense 4->2 (10)
        assert model.count_params() == params
    pooling = kwargs.get("pooling", "avg") if kwargs.get("include_top", True) else None
    assert ("avg_pool" in names) == (pooling == "avg")
    assert ("flatten" in names) == (pooling == "flatten")
    dropout = [layer for layer in model.layers if layer.name == "dropout"]
    assert len(dropout) == (1 if kwargs.get("dropout") else 0)
    if dropout:
        assert dropout[0].rate == kwargs["dropout"]
        assert names[-2:] == ["dropout", "predictions"]


def test_small_vgg_with_augmentation_in_front():
    pipeline = keras.Sequential([keras.layers.Identity()], name="identity_aug")
    pipeline.build((None, 28, 28, 1))
    inputs = keras.Input((28, 28, 1))
    augmentation = keras.Model(inputs, pipeline(inputs), name="aug")
    model = models.small_vgg(augmentation=augmentation, widths=(4,))
    assert model.layers[1].name == "aug"


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"input_shape": (4, 4, 1)}, ValueError, "input_shape"),
        ({"widths": ()}, ValueError, "widths"),
        ({"widths": (4, 0)}, ValueError, "widths"),
        ({"convs_per_block": 0}, ValueError, "convs_per_block"),
        ({"batch_norm_momentum": 1.0}, ValueError, "batch_norm_momentum"),
        ({"pooling": "max"}, ValueError, "pooling"),
        ({"dropout": 1.0}, ValueError, "dropout"),
        ({"dropout": "half"}, TypeError, "dropout"),
        ({"include_top": 1}, TypeError, "include_top"),
        ({"augmentation": "flip"}, TypeError, "augmentation"),
    ],
)
def test_small_vgg_rejects_bad_arguments(kwargs, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        models.small_vgg(**kwargs)
    assert "Received:" in str(info.value)
