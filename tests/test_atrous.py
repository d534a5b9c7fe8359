"""Dilated convolutions, the context module and the equal-weight nets (lecture 10)."""

import keras
import numpy as np
import pytest

from course import arithmetic, models
from course.models import atrous

#: Yu & Koltun (2016), Table 1: receptive field after each layer of the module.
CONTEXT_RECEPTIVE_FIELDS = [3, 5, 9, 17, 33, 65, 67, 67]


def test_context_module_receptive_field_grows_as_in_the_paper():
    module = models.context_module((80, 80, 2), name="context")
    rows = {row.name: row for row in arithmetic.receptive_field(module)}
    names = [f"context_block{i}_conv" for i in range(1, 8)] + ["context_output"]
    assert [rows[name].size for name in names] == CONTEXT_RECEPTIVE_FIELDS
    assert [rows[name].dilation for name in names] == [1, 1, 2, 4, 8, 16, 1, 1]
    assert module.output_shape == (None, 80, 80, 2)


def test_context_module_identity_init_passes_the_input_through():
    module = models.context_module((24, 24, 3), channels=3, identity_init=True)
    x = np.random.default_rng(0).random((2, 24, 24, 3), dtype=np.float32)
    np.testing.assert_allclose(module.predict(x, verbose=0), x, atol=1e-6)


def test_context_module_on_a_tensor():
    inputs = keras.Input((16, 16, 4), name="inputs")
    outputs = models.context_module(inputs, channels=8, dilations=(1, 2), name="ctx")
    model = keras.Model(inputs, outputs)
    assert model.output_shape == (None, 16, 16, 8)
    assert [layer.name for layer in model.layers[1:]] == [
        "ctx_block1_conv",
        "ctx_block2_conv",
        "ctx_output",
    ]
    # Basic module: 3x3 layers of C channels, then a 1x1 layer.
    expected = (9 * 4 * 8 + 8) + (9 * 8 * 8 + 8) + (8 * 8 + 8)
    assert model.count_params() == expected


@pytest.mark.parametrize(
    "count, expected",
    [(7, (1, 1, 2, 4, 8, 16, 1)), (5, (1, 1, 2, 4, 1)), (3, (1, 1, 1))],
)
def test_default_dilations(count, expected):
    assert atrous.default_dilations(count) == expected


@pytest.mark.parametrize(
    "kind, depth, expected",
    [
        ("plain", 8, (1, 2, 4, 8, 4, 2, 1)),
        ("unet", 6, (1, 2, 4, 2, 1)),
        ("atrous", 8, (1,) * 7),
    ],
)
def test_multipliers(kind, depth, expected):
    assert atrous.multipliers(kind, depth) == expected


@pytest.mark.parametrize(
    "kind, widths, channels, expected",
    [
        # Each 3x3 layer from m to n channels: n (9 m + 1); the 1x1 output
        # c (w + 1).
        ("atrous", (2, 2, 2), 1, 2 * (9 + 1) + 2 * (2 * (18 + 1)) + (2 + 1)),
        ("plain", (1, 2, 1), 1, (9 + 1) + 2 * (9 + 1) + (18 + 1) + 2),
        # The U-Net's decoder layer also reads the skip: 2 + 1 input channels.
        ("unet", (1, 2, 1), 1, (9 + 1) + 2 * (9 + 1) + (27 + 1) + 2),
        ("unet", (1, 2, 1), 3, (27 + 1) + 2 * (9 + 1) + (27 + 1) + 3 * (1 + 1)),
    ],
)
def test_weight_count_by_hand(kind, widths, channels, expected):
    assert atrous.weight_count(kind, widths, channels) == expected


# Several budgets, channels and depths: the solver meets every budget within 1%.
BUDGETS = [2_000, 5_000, 20_000, 30_000, 100_000, 1_000_000]


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("channels, depth", [(1, 8), (3, 8), (2, 6), (1, 10)])
def test_widths_meet_the_budget_within_one_percent(budget, channels, depth):
    counts = {}
    for kind in atrous.KINDS:
        widths = models.widths_for_budget(kind, budget, depth, channels)
        assert len(widths) == depth - 1
        counts[kind] = atrous.weight_count(kind, widths, channels)
        assert abs(counts[kind] - budget) <= 0.01 * budget, (kind, widths)
    assert max(counts.values()) <= 1.01 * min(counts.values())


# Built nets: the closed form is what the builder builds, at several input sizes
# and budgets, and the output has the input's shape. On JAX every new kernel shape
# costs seconds of compilation (random initialisers), so the JAX pass builds only
# the widths of the 3,000-weight, one-channel nets; TensorFlow builds them all.
TF_ONLY = pytest.mark.skipif(
    keras.backend.backend() == "jax", reason="new kernel shapes compile slowly on JAX"
)
BUILT_CASES = [
    (3_000, (16, 16, 1), 8),
    (3_000, (32, 48, 1), 8),
    (3_000, (40, 24, 1), 8),
    pytest.param(3_000, (40, 24, 3), 8, marks=TF_ONLY),
    pytest.param(20_000, (8, 16, 1), 8, marks=TF_ONLY),
    pytest.param(3_000, (12, 20, 2), 6, marks=TF_ONLY),
]


@pytest.mark.parametrize("budget, input_shape, depth", BUILT_CASES)
def test_equal_weight_nets_have_equal_weights(budget, input_shape, depth):
    counts = {}
    for kind in atrous.KINDS:
        model = models.equal_weight_net(kind, input_shape, weights=budget, depth=depth)
        widths = models.widths_for_budget(kind, budget, depth, input_shape[-1])
        counts[kind] = model.count_params()
        assert counts[kind] == atrous.weight_count(kind, widths, input_shape[-1])
        assert model.output_shape == (None, *input_shape)
    assert max(counts.values()) <= 1.01 * min(counts.values())
    assert all(abs(count - budget) <= 0.01 * budget for count in counts.values())


@pytest.mark.parametrize("kind", atrous.KINDS)
def test_eight_layers_every_layer_named(kind):
    model = models.equal_weight_net(kind, (32, 32, 1), weights=3_000)
    weighted = [layer.name for layer in model.layers if layer.weights]
    assert weighted == [f"block{i}_conv" for i in range(1, 8)] + ["reconstruction"]
    names = [layer.name for layer in model.layers]
    assert len(set(names)) == len(names)
    assert all(
        not name.startswith(("conv2d", "max_pooling", "up_sampling")) for name in names
    )
    has = {name.split("_")[-1] for name in names}
    assert ("pool" in has) == (kind != "atrous")
    assert ("concat" in has) == (kind == "unet")


def test_atrous_net_dilations_and_receptive_fields():
    model = models.equal_weight_net("atrous", (48, 48, 1), weights=3_000)
    rates = [model.get_layer(f"block{i}_conv").dilation_rate[0] for i in range(1, 8)]
    assert rates == [1, 1, 2, 4, 8, 16, 1]
    sizes = {row.name: row.size for row in arithmetic.receptive_field(model)}
    assert sizes["reconstruction"] == 67
    # The plain net: 3 poolings, 3 nearest upsamplings; the same r for the U-Net
    # (its largest path is the one through the bottleneck).
    for kind in ("plain", "unet"):
        net = models.equal_weight_net(kind, (48, 48, 1), weights=3_000)
        assert arithmetic.receptive_field_size(net) == 52


def test_the_nets_train_and_keep_the_shape():
    x = np.random.default_rng(1).random((4, 16, 16, 1), dtype=np.float32)
    for kind in atrous.KINDS:
        keras.utils.set_random_seed(0)
        model = models.equal_weight_net(kind, (16, 16, 1), weights=3_000)
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
        history = model.fit(x, x, epochs=4, batch_size=4, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0], kind
        assert model.predict(x, verbose=0).shape == x.shape


@pytest.mark.parametrize(
    "kind, batch_size", [("atrous", 1), ("atrous", 3), ("plain", 2), ("plain", 1)]
)
def test_activation_memory_counts_every_map(kind, batch_size):
    model = models.equal_weight_net(kind, (16, 24, 1), weights=3_000)
    widths = models.widths_for_budget(kind, 3_000)
    pixels = 16 * 24
    if kind == "atrous":
        values = pixels * (1 + sum(widths) + 1)
    else:
        w1, w2, w3, w4, w5, w6, w7 = widths
        values = pixels * (
            1
            + w1 * (1 + 1 / 4)  # block1_conv, block1_pool
            + w2 * (1 / 4 + 1 / 16)
            + w3 * (1 / 16 + 1 / 64)
            + w4 / 64
            + w4 / 16  # block5_up
            + w5 * (1 / 16 + 1 / 4)  # block5_conv, block6_up
            + w6 * (1 / 4 + 1)  # block6_conv, block7_up
            + w7
            + 1
        )
    values = int(round(values))
    assert arithmetic.activation_memory(model, batch_size) == 4 * batch_size * values
    per_layer = arithmetic.activation_memory(model, per_layer=True)
    assert per_layer["inputs"] == 4 * pixels
    assert per_layer["block1_conv"] == 4 * pixels * widths[0]
    assert arithmetic.activation_memory(model, bytes_per_value=2) == 2 * values


def test_activation_memory_of_nested_models_and_dtypes():
    inner = keras.Sequential(
        [keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, padding="same", name="c")],
        name="inner",
    )
    inputs = keras.Input((8, 8, 2), name="x")
    outputs = keras.layers.ReLU(name="relu")(inner(inputs))
    model = keras.Model(inputs, outputs)
    per_layer = arithmetic.activation_memory(model, per_layer=True)
    assert per_layer == {"x": 4 * 128, "inner/c": 4 * 256, "relu": 4 * 256}
    half = keras.layers.Conv2D(3, 1, dtype="float16", name="h")
    small = keras.Model(inputs, half(inputs))
    assert arithmetic.activation_memory(small) == 4 * 128 + 2 * 192


def test_atrous_activation_memory_exceeds_the_pooling_nets():
    memory = {
        kind: arithmetic.activation_memory(
            models.equal_weight_net(kind, (64, 64, 1), weights=3_000)
        )
        for kind in atrous.KINDS
    }
    assert memory["atrous"] > memory["unet"] > memory["plain"]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: models.equal_weight_net("dilated"), ValueError, "kind='dilated'"),
        (lambda: models.equal_weight_net(3), TypeError, "kind=3"),
        (
            lambda: models.equal_weight_net("plain", (30, 32, 1)),
            ValueError,
            r"multiples of 8.*24 and 32.*input_shape=\(30, 32, 1\)",
        ),
        (
            lambda: models.equal_weight_net("unet", (32, 32)),
            ValueError,
            r"input_shape=\(32, 32\)",
        ),
        (
            lambda: models.equal_weight_net("atrous", (32, 32, 1), depth=7),
            ValueError,
            "depth=7",
        ),
        (
            lambda: models.equal_weight_net("atrous", (32, 32, 1), depth=2),
            ValueError,
            "depth=2",
        ),
        (
            lambda: models.equal_weight_net("atrous", (32, 32, 1), dilations=(1, 2)),
            ValueError,
            r"dilations=\(1, 2\)",
        ),
        (
            lambda: models.equal_weight_net("plain", (32, 32, 1), dilations=(1,) * 7),
            ValueError,
            "dilations=",
        ),
        (
            lambda: models.equal_weight_net("plain", (32, 32, 1), weights=50),
            ValueError,
            "weights=50",
        ),
        (
            lambda: models.equal_weight_net("plain", (32, 32, 1), weights=2.5e4),
            TypeError,
            "weights=25000.0",
        ),
        (
            lambda: models.equal_weight_net("unet", (32, 32, 1), name=""),
            TypeError,
            "name=''",
        ),
        (
            # Every count of the search is odd here, never exactly 590.
            lambda: models.widths_for_budget("atrous", 590, tolerance=0.0),
            ValueError,
            "closest it gets is 591 weights.*weights=590",
        ),
        (
            lambda: models.widths_for_budget("atrous", 5_000, tolerance=1.5),
            ValueError,
            "tolerance=1.5",
        ),
        (lambda: atrous.weight_count("plain", (2, 2)), ValueError, "widths="),
        (lambda: atrous.weight_count("plain", (2, 0, 2)), ValueError, "widths="),
        (lambda: atrous.default_dilations(2), ValueError, "count=2"),
        (
            lambda: models.context_module("32x32"),
            TypeError,
            "inputs='32x32'",
        ),
        (
            lambda: models.context_module((32, 32, 1), channels=0),
            ValueError,
            "channels=0",
        ),
        (
            lambda: models.context_module((32, 32, 1), identity_init=1),
            TypeError,
            "identity_init=1",
        ),
        (
            lambda: models.dilated_conv_block(
                keras.Input((8, 8, 1)), 4, dilation_rate=0
            ),
            ValueError,
            "dilation_rate=0",
        ),
        (
            lambda: arithmetic.activation_memory("model"),
            TypeError,
            "model='model'",
        ),
        (
            lambda: arithmetic.activation_memory(
                models.equal_weight_net("atrous", (8, 8, 1), weights=3_000), 0
            ),
            ValueError,
            "batch_size=0",
        ),
        (
            lambda: arithmetic.activation_memory(
                keras.Sequential([keras.Input((None, None, 1)), keras.layers.ReLU()])
            ),
            ValueError,
            "shape=",
        ),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "Received:" in str(info.value)
