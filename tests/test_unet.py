"""U-Net, the plain FCN and the patch classifier: sizes, parameters, names, errors."""

import keras
import numpy as np
import pytest

from course import models


def conv(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def paper_unet_parameters(base=64, depth=4, channels=1, classes=2):
    """Ronneberger et al. (2015), Fig. 1, counted layer by layer by hand."""
    total, c_in = 0, channels
    for level in range(depth):  # contracting path: two 3x3 convolutions per level
        width = base * 2**level
        total += conv(3, c_in, width) + conv(3, width, width)
        c_in = width
    width = base * 2**depth  # bottleneck
    total += conv(3, c_in, width) + conv(3, width, width)
    for level in range(depth - 1, -1, -1):  # expanding path
        half = base * 2**level
        total += conv(2, width, half)  # 2x2 up-convolution halves the channels
        total += conv(3, 2 * half, half) + conv(3, half, half)  # after the concat
        width = half
    return total + conv(1, width, classes)


@pytest.mark.paper_scale
def test_paper_unet_572_to_388():
    model = models.unet()
    assert model.input_shape == (None, 572, 572, 1)
    assert model.output_shape == (None, 388, 388, 2)
    assert model.count_params() == paper_unet_parameters() == 31_030_658
    convs = [
        layer
        for layer in model.layers
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))
    ]
    # "In total the network has 23 convolutional layers": 18 3x3, 4 up-convs, one 1x1.
    assert len(convs) == 23
    # Sizes along the paper's Fig. 1.
    sizes = {
        "enc1_relu2": 568,
        "enc2_relu2": 280,
        "enc3_relu2": 136,
        "enc4_relu2": 64,
        "bottleneck_relu2": 28,
        "dec4_upconv": 56,
        "dec4_crop": 56,
        "dec1_relu2": 388,
    }
    for name, size in sizes.items():
        assert model.get_layer(name).output.shape[1] == size, name


@pytest.mark.paper_scale
def test_unet_with_32_filters_is_the_unetpp_baseline():
    # Zhou et al., "UNet++" (DLMIA 2018), Table 1: U-Net, 7.76M parameters.
    params = models.unet(base_filters=32, padding="same", input_shape=(96, 96, 1))
    assert round(params.count_params() / 1e6, 2) == 7.76


def unetpp_parameters(base=32, depth=4, channels=1, classes=1, batch_norm=False):
    """UNet++ counted node by node: X(i, j) has j earlier nodes plus one up-conv."""

    def conv3(c_in, c_out):  # batch norm: no bias, but gamma, beta, mean, variance
        return conv(3, c_in, c_out, bias=not batch_norm) + (
            4 * c_out if batch_norm else 0
        )

    total, c_in = 0, channels
    for i in range(depth + 1):  # encoder column X(i, 0)
        width = base * 2**i
        total += conv3(c_in, width) + conv3(width, width)
        c_in = width
    for j in range(1, depth + 1):
        for i in range(depth - j + 1):
            width = base * 2**i
            total += conv(2, 2 * width, width)  # up-conv of X(i+1, j-1)
            total += conv3((j + 1) * width, width) + conv3(width, width)
    return total + conv(1, base, classes)


@pytest.mark.paper_scale
def test_unet_plus_plus_has_the_published_parameter_count():
    # Zhou et al., "UNet++" (DLMIA 2018), Table 1: UNet++, 9.04M parameters.
    model = models.unet_plus_plus(input_shape=(96, 96, 1))
    assert model.count_params() == unetpp_parameters() == 9_041_601
    assert round(model.count_params() / 1e6, 2) == 9.04


@pytest.mark.parametrize(
    "kwargs, nodes",
    [
        ({"input_shape": (32, 32, 1), "base_filters": 4, "depth": 2}, 6),
        ({"input_shape": (16, 24, 3), "base_filters": 2, "depth": 3}, 10),
        (
            {
                "input_shape": (8, 8, 1),
                "base_filters": 2,
                "depth": 1,
                "batch_norm": True,
            },
            3,
        ),
    ],
)
def test_small_unet_plus_plus(kwargs, nodes):
    model = models.unet_plus_plus(num_classes=3, **kwargs)
    depth, base = kwargs["depth"], kwargs["base_filters"]
    channels, bn = kwargs["input_shape"][-1], kwargs.get("batch_norm", False)
    assert model.output_shape == (None, *kwargs["input_shape"][:2], 3)
    assert model.count_params() == unetpp_parameters(base, depth, channels, 3, bn)
    blocks = {
        layer.name.split("_")[0] for layer in model.layers if "_conv" in layer.name
    }
    assert len(blocks) == nodes
    # Node X(0, depth) concatenates every earlier node of its level and one up-conv.
    concat = model.get_layer(f"x0{depth}_concat")
    assert concat.output.shape[-1] == (depth + 1) * base
    if keras.backend.backend() == "tensorflow":  # JAX compiles every op eagerly: slow
        x = np.random.default_rng(0).random((2, *kwargs["input_shape"]))
        np.testing.assert_allclose(np.sum(np.asarray(model(x)), axis=-1), 1, rtol=1e-5)


def test_unet_plus_plus_deep_supervision_has_one_output_per_top_node():
    model = models.unet_plus_plus((16, 16, 1), 1, 2, 3, deep_supervision=True)
    assert len(model.outputs) == 3
    for j, output in enumerate(model.outputs, start=1):
        head = model.get_layer(f"predictions_{j}")
        assert head.output is output and tuple(output.shape) == (None, 16, 16, 1)
        assert head.input is model.get_layer(f"x0{j}_relu2").output
    plain = models.unet_plus_plus((16, 16, 1), 1, 2, 3)
    assert model.count_params() - plain.count_params() == 2 * (2 + 1)


@pytest.mark.parametrize(
    "size, depth, padding, expected",
    [
        (572, 4, "valid", 388),
        (570, 4, "valid", None),
        (188, 2, "valid", 148),  # 188-4=184/2=92-4=88/2=44-4=40 -> 76 -> 148
        (92, 1, "valid", 76),
        (64, 3, "same", 64),
        (60, 3, "same", None),
        (12, 3, "valid", None),
    ],
)
def test_unet_output_size(size, depth, padding, expected):
    assert models.unet_output_size(size, depth, padding) == expected


@pytest.mark.parametrize(
    "kwargs, output_shape",
    [
        (
            {"input_shape": (92, 92, 1), "depth": 1, "base_filters": 4},
            (None, 76, 76, 2),
        ),
        (
            {
                "input_shape": (32, 48, 3),
                "depth": 2,
                "padding": "same",
                "base_filters": 4,
                "num_classes": 1,
            },
            (None, 32, 48, 1),
        ),
        (
            {
                "input_shape": (16, 16, 1),
                "depth": 2,
                "padding": "same",
                "base_filters": 4,
                "batch_norm": True,
            },
            (None, 16, 16, 2),
        ),
    ],
)
def test_small_unets_build(kwargs, output_shape):
    model = models.unet(**kwargs)
    assert model.output_shape == output_shape
    names = {layer.name for layer in model.layers}
    assert {"enc1_conv1", "bottleneck_conv2", "dec1_concat", "predictions"} <= names


@pytest.mark.parametrize("num_classes", [1, 3])
def test_unet_predicts_probabilities(num_classes):
    model = models.unet(
        (16, 16, 1), num_classes, base_filters=2, depth=2, padding="same"
    )
    x = np.random.default_rng(0).random((2, 16, 16, 1), dtype=np.float32)
    y = model.predict(x, verbose=0)
    assert y.shape == (2, 16, 16, num_classes)
    # Softmax sums to one per pixel; a sigmoid lies in (0, 1).
    if num_classes > 1:
        np.testing.assert_allclose(y.sum(-1), 1, rtol=1e-5)
    else:
        assert 0 < y.min() and y.max() < 1


def test_fcn_is_a_unet_without_skips():
    settings = {"input_shape": (32, 32, 1), "base_filters": 4, "depth": 2}
    plain = models.fcn(**settings)
    skip = models.unet(padding="same", num_classes=1, **settings)
    assert plain.output_shape == skip.output_shape == (None, 32, 32, 1)
    assert not any("concat" in layer.name for layer in plain.layers)
    # Each decoder block of the U-Net also reads the skip's channels.
    extra = sum(9 * 4 * 2**level * 4 * 2**level for level in range(2))
    assert skip.count_params() - plain.count_params() == extra


def test_patch_classifier():
    model = models.patch_classifier(27)
    assert model.output_shape == (None, 1)
    assert model.get_layer("block2_pool").output.shape[1:] == (5, 5, 32)


@pytest.mark.parametrize(
    "builder, kwargs, error, fragment",
    [
        (models.unet, {"input_shape": (570, 570, 1)}, ValueError, "556 and 572"),
        (
            models.unet,
            {"input_shape": (60, 60, 1), "padding": "same", "depth": 3},
            ValueError,
            "56 and 64",
        ),
        (models.unet, {"padding": "full"}, ValueError, "padding"),
        (models.unet, {"depth": 0}, ValueError, "depth"),
        (models.unet, {"base_filters": 2.5}, TypeError, "base_filters"),
        (models.unet, {"batch_norm": "yes"}, TypeError, "batch_norm"),
        (models.unet, {"num_classes": 0}, ValueError, "num_classes"),
        (models.fcn, {"input_shape": (30, 30, 1)}, ValueError, "24 and 32"),
        (models.unet_plus_plus, {"input_shape": (40, 40, 1)}, ValueError, "32 and 48"),
        (models.unet_plus_plus, {"deep_supervision": 1}, TypeError, "deep_supervision"),
        (models.unet_plus_plus, {"base_filters": 0}, ValueError, "base_filters"),
        (models.patch_classifier, {"patch_size": 28}, ValueError, "patch_size"),
        (models.patch_classifier, {"patch_size": 7}, ValueError, "patch_size"),
        (models.patch_classifier, {"filters": ()}, ValueError, "filters"),
        (models.unet_output_size, {"size": 0}, ValueError, "size"),
    ],
)
def test_bad_arguments(builder, kwargs, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        builder(**kwargs)
    assert "Received:" in str(info.value)
