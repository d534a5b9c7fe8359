"""Convolution arithmetic: the guide's relationships, Keras' sizes, parameters,
receptive fields and MACs.

Sizes: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
(2016), with the guide's own figure examples. Parameter counts: the lecture
(seed 003): (3^2 * 16 + 1) * 32 = 4640, one 5x5 layer 26 vs two 3x3 layers 20.
"""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from course import arithmetic as A

L = keras.layers

# --------------------------------------------------------------------------
# 1. The guide's relationships, on the guide's own examples
# --------------------------------------------------------------------------

# (relationship, i, k, s, p, d, o)
CONV_TABLE = [
    (1, 4, 3, 1, 0, 1, 2),  # Figure 2.1: no padding, unit strides.
    (1, 5, 3, 1, 0, 1, 3),  # Figure 4.1 (a): "the output size is 3 x 3".
    (2, 5, 4, 1, 2, 1, 6),  # Figure 2.2: arbitrary padding, unit strides.
    (3, 5, 3, 1, 1, 1, 5),  # Figure 2.3: half (same) padding.
    (4, 5, 3, 1, 2, 1, 7),  # Figure 2.4: full padding.
    (5, 5, 3, 2, 0, 1, 2),  # Figure 2.5: no padding, strides.
    (6, 5, 3, 2, 1, 1, 3),  # Figure 2.6: padding and strides.
    (6, 6, 3, 2, 1, 1, 3),  # Figure 2.7: the odd case, same output as i = 5.
    (15, 7, 3, 1, 0, 2, 3),  # Figure 5.1: dilation d = 2.
    (15, 15, 3, 1, 0, 4, 7),  # k_eff = 3 + 2 * 3 = 9.
]


@pytest.mark.parametrize("relationship, i, k, s, p, d, o", CONV_TABLE)
def test_conv_output_size_guide_examples(relationship, i, k, s, p, d, o):
    assert A.conv_output_size(i, k, s=s, p=p, d=d) == o


def test_conv_output_size_special_cases():
    for i in range(1, 30):
        for k in range(1, i + 1):
            assert A.conv_output_size(i, k) == i - k + 1  # Relationship 1.
            for p in range(4):
                assert A.conv_output_size(i, k, p=p) == i - k + 2 * p + 1  # Rel. 2.
            assert A.conv_output_size(i, k, p=k - 1) == i + k - 1  # Rel. 4.
            if k % 2:
                assert A.conv_output_size(i, k, p=k // 2) == i  # Relationship 3.


# (relationship, i', k, s, p, a, o'): the transposes of the examples above.
TRANSPOSED_TABLE = [
    (8, 2, 3, 1, 0, 0, 4),  # Figure 4.1: transpose of i=4, k=3.
    (9, 6, 4, 1, 2, 0, 5),  # Figure 4.2: transpose of i=5, k=4, p=2.
    (10, 5, 3, 1, 1, 0, 5),  # Figure 4.3: half padding.
    (11, 7, 3, 1, 2, 0, 5),  # Figure 4.4: full padding.
    (12, 2, 3, 2, 0, 0, 5),  # Figure 4.5: transpose of i=5, k=3, s=2.
    (13, 3, 3, 2, 1, 0, 5),  # Figure 4.6: transpose of i=5, k=3, s=2, p=1.
    (14, 3, 3, 2, 1, 1, 6),  # Figure 4.7: transpose of i=6, k=3, s=2, p=1, a=1.
]


@pytest.mark.parametrize("relationship, i, k, s, p, a, o", TRANSPOSED_TABLE)
def test_transposed_conv_output_size_guide_examples(relationship, i, k, s, p, a, o):
    assert A.transposed_conv_output_size(i, k, s=s, p=p, a=a) == o


def test_transposed_inverts_conv_sizes():
    """For every direct convolution (i, k, s, p), its transpose with
    a = (i + 2p - k) mod s maps the output size back to i (relationship 14)."""
    checked = 0
    for i in range(1, 25):
        for k in range(1, 8):
            for s in range(1, 5):
                for p in range(0, k):
                    if k > i + 2 * p:
                        continue
                    o = A.conv_output_size(i, k, s=s, p=p)
                    a = (i + 2 * p - k) % s
                    assert A.transposed_conv_output_size(o, k, s=s, p=p, a=a) == i
                    checked += 1
    assert checked > 1500


def test_pool_output_size():
    assert A.pool_output_size(4, 2) == 2  # Default stride = window.
    assert A.pool_output_size(5, 3, s=1) == 3  # Figure 3.1 (average pooling).
    assert A.pool_output_size(5, 3, s=1) == A.conv_output_size(5, 3)
    assert A.pool_output_size(7, 3, s=2, p=1) == 4
    assert A.pool_output_size(28, 2) == 14  # LeNet-5's S2.


# --------------------------------------------------------------------------
# 2. keras_output_size against what Keras layers produce
# --------------------------------------------------------------------------


def _mine(i, k, s, padding, d=1, transposed=False, output_padding=None):
    try:
        return A.keras_output_size(
            i,
            k,
            s=s,
            padding=padding,
            d=d,
            transposed=transposed,
            output_padding=output_padding,
        )
    except ValueError:
        return "error"


def _theirs(layer, input_shape, data_axes):
    """Keras' sizes; "error" if Keras rejects the input or gives a size < 1."""
    try:
        shape = tuple(layer.compute_output_shape(input_shape))
    except ValueError:
        return "error"
    sizes = [shape[a] for a in data_axes]
    return "error" if min(sizes) < 1 else sizes


def _either(sizes):
    """A layer is rejected as a whole when one of its axes is."""
    return "error" if "error" in sizes else sizes


def _fuzz(family, rng):
    """Yields (description, mine, theirs) for one random layer of ``family``."""
    i = [int(v) for v in rng.integers(1, 41, size=2)]
    k = [int(v) for v in rng.integers(1, 10, size=2)]
    s = [int(v) for v in rng.integers(1, 6, size=2)]
    d = [1, 1]
    if family in ("conv1d", "conv2d", "conv2d_transpose") and rng.random() < 0.35:
        d, s = [int(v) for v in rng.integers(1, 5, size=2)], [1, 1]
    if family == "conv1d":
        padding = str(rng.choice(["valid", "same", "causal"]))
        layer = L.Conv1D(1, k[0], strides=s[0], padding=padding, dilation_rate=d[0])
        mine = _either([_mine(i[0], k[0], s[0], padding, d[0])])
        return layer, mine, _theirs(layer, (1, i[0], 1), [1])
    padding = str(rng.choice(["valid", "same"]))
    if family == "conv2d":
        layer = L.Conv2D(1, k, strides=s, padding=padding, dilation_rate=d)
        mine = [_mine(i[a], k[a], s[a], padding, d[a]) for a in (0, 1)]
    elif family == "conv2d_transpose":
        extra = None
        if rng.random() < 0.5:
            extra = [int(rng.integers(0, v)) for v in s]
        layer = L.Conv2DTranspose(
            1, k, strides=s, padding=padding, dilation_rate=d, output_padding=extra
        )
        mine = [
            _mine(i[a], k[a], s[a], padding, d[a], True, extra and extra[a])
            for a in (0, 1)
        ]
    else:
        pool = L.MaxPooling2D if family == "max_pool2d" else L.AveragePooling2D
        default_strides = rng.random() < 0.3
        layer = pool(k, strides=None if default_strides else s, padding=padding)
        s = k if default_strides else s
        mine = [_mine(i[a], k[a], s[a], padding) for a in (0, 1)]
    return layer, _either(mine), _theirs(layer, (1, i[0], i[1], 1), [1, 2])


FUZZ_FAMILIES = {
    "conv1d": 1200,
    "conv2d": 1200,
    "conv2d_transpose": 1200,
    "max_pool2d": 600,
    "avg_pool2d": 600,
}


@pytest.mark.parametrize("family", sorted(FUZZ_FAMILIES))
def test_keras_output_size_fuzz(family):
    """Thousands of random layers: zero disagreements with Keras' own shapes
    (4,800 layers, 8,400 axes in all; rejections must agree too)."""
    rng = np.random.default_rng(sorted(FUZZ_FAMILIES).index(family))
    disagreements, axes, errors = [], 0, 0
    for _ in range(FUZZ_FAMILIES[family]):
        layer, mine, theirs = _fuzz(family, rng)
        axes += 1 if family == "conv1d" else 2
        errors += mine == "error"
        if mine != theirs:
            disagreements.append((layer.get_config(), mine, theirs))
    layers = FUZZ_FAMILIES[family]
    print(f"{family}: {layers} layers, {axes} axes, {errors} rejected by both")
    assert disagreements == []
    assert errors < layers / 4  # Most cases are real layers, not rejections.


# (layer, input shape): symbolic shapes equal the shapes of real outputs.
REAL_CASES = [
    (L.Conv1D(2, 4, strides=3, padding="same"), (1, 11, 1)),
    (L.Conv1D(2, 3, padding="causal", dilation_rate=3), (1, 9, 1)),
    (L.Conv1D(2, 5, strides=2), (1, 12, 2)),
    (L.Conv2D(2, (3, 4), strides=(2, 3), padding="same"), (1, 9, 10, 1)),
    (L.Conv2D(2, 3, dilation_rate=(2, 3)), (1, 11, 13, 1)),
    (L.Conv2DTranspose(2, 3, strides=2), (1, 4, 5, 1)),
    (L.Conv2DTranspose(2, 2, strides=3), (1, 4, 3, 1)),
    (L.Conv2DTranspose(2, 4, strides=2, padding="same"), (1, 5, 3, 1)),
    (L.Conv2DTranspose(2, 3, strides=3, output_padding=(2, 1)), (1, 3, 4, 1)),
    (
        L.Conv2DTranspose(2, 4, strides=(3, 2), padding="same", output_padding=1),
        (1, 3, 4, 1),
    ),
    (L.MaxPooling2D(3, strides=2, padding="same"), (1, 10, 7, 1)),
    (L.AveragePooling2D((2, 3), padding="valid"), (1, 9, 8, 1)),
]


@pytest.mark.parametrize("layer, input_shape", REAL_CASES)
def test_symbolic_shapes_match_real_outputs(layer, input_shape):
    x = np.zeros(input_shape, dtype="float32")
    real = tuple(keras.ops.shape(layer(x)))
    assert real == tuple(layer.compute_output_shape(input_shape))
    config = layer.get_config()
    kernel = config.get("kernel_size", config.get("pool_size"))
    strides = config["strides"] or kernel
    transposed = isinstance(layer, L.Conv2DTranspose)
    for a in range(len(input_shape) - 2):
        # Read from the layer: Keras' get_config leaves output_padding out (3.13).
        extra = getattr(layer, "output_padding", None)
        expected = A.keras_output_size(
            input_shape[1 + a],
            kernel[a],
            s=strides[a],
            padding=config["padding"],
            d=config.get("dilation_rate", (1, 1))[a],
            transposed=transposed,
            output_padding=None if extra is None else extra[a],
        )
        assert real[1 + a] == expected


def test_conv_output_size_matches_keras_valid_and_same():
    for i in range(1, 30):
        for k in range(1, 10):
            for s in range(1, 5):
                if k <= i:
                    assert A.conv_output_size(i, k, s=s) == A.keras_output_size(
                        i, k, s=s
                    )
            if k % 2:
                half = A.conv_output_size(i, k, p=(k - 1) // 2)
                assert half == A.keras_output_size(i, k, padding="same") == i


def test_keras_transposed_formula():
    # valid, no output_padding: (i - 1) s + max(k, s).
    assert A.keras_output_size(4, 3, s=2, transposed=True) == 9
    assert A.keras_output_size(4, 2, s=3, transposed=True) == 12
    # valid with output_padding = the guide's a (relationship 14 with p = 0).
    assert A.keras_output_size(3, 3, s=2, transposed=True, output_padding=1) == 8
    assert A.transposed_conv_output_size(3, 3, s=2, a=1) == 8
    # same: i * s, or (i - 1) s + k % 2 + output_padding.
    assert A.keras_output_size(5, 4, s=2, padding="same", transposed=True) == 10
    assert (
        A.keras_output_size(
            5, 4, s=2, padding="same", transposed=True, output_padding=1
        )
        == 9
    )
    # Dilation enlarges the kernel: k_eff = 3 + 2 = 5.
    assert A.keras_output_size(4, 3, d=2, transposed=True) == 8


# (k, s, a, d, output_padding): None wherever Keras' default adds the same a.
OUTPUT_PADDING_TABLE = [
    (3, 1, 0, 1, None),  # k >= s: the default adds 0
    (3, 2, 0, 1, None),
    (3, 2, 1, 1, 1),
    (2, 3, 1, 1, None),  # k < s: the default adds s - k = 1
    (2, 3, 0, 1, 0),  # ... so a = 0 must be explicit
    (2, 3, 2, 1, 2),
    (1, 2, 1, 1, None),
    (2, 1, 0, 3, None),  # k_eff = 4
]


@pytest.mark.parametrize("k, s, a, d, expected", OUTPUT_PADDING_TABLE)
def test_keras_output_padding_table(k, s, a, d, expected):
    assert A.keras_output_padding(k, s, a, d) == expected


def test_keras_output_padding_gives_relationship_14_in_keras():
    # Every (k, s, a) of small layers: the layer built with the returned argument
    # has the size of relationship 14 (p = 0) at several input sizes.
    for k in range(1, 6):
        for s in range(1, 5):
            for a in range(s):
                extra = A.keras_output_padding(k, s, a)
                layer = L.Conv2DTranspose(1, k, strides=s, output_padding=extra)
                for i in (1, 2, 5):
                    shape = tuple(layer.compute_output_shape((1, i, i, 1)))
                    size = A.transposed_conv_output_size(i, k, s, a=a)
                    assert shape[1:3] == (size, size), (k, s, a, i, extra)


# --------------------------------------------------------------------------
# 3. Parameters
# --------------------------------------------------------------------------

# (layer, input channels, conv_params kwargs)
PARAM_TABLE = [
    (L.Conv2D(32, 3), 16, {"k": 3, "c_in": 16, "c_out": 32}),
    (L.Conv2D(1, 5), 1, {"k": 5, "c_in": 1, "c_out": 1}),
    (L.Conv2D(8, (3, 5), use_bias=False), 4, {"k": (3, 5), "c_in": 4, "c_out": 8}),
    (L.Conv2D(8, 3, groups=2), 4, {"k": 3, "c_in": 4, "c_out": 8, "groups": 2}),
    (L.Conv2D(12, 1, groups=3), 6, {"k": 1, "c_in": 6, "c_out": 12, "groups": 3}),
    (
        L.DepthwiseConv2D(3, depth_multiplier=2),
        3,
        {"k": 3, "c_in": 3, "c_out": 6, "depthwise": True},
    ),
    (
        L.DepthwiseConv2D(5, use_bias=False),
        4,
        {"k": 5, "c_in": 4, "c_out": 4, "depthwise": True, "bias": False},
    ),
    (L.Conv1D(4, 7), 2, {"k": (7,), "c_in": 2, "c_out": 4}),
    (L.Conv3D(2, 3), 1, {"k": (3, 3, 3), "c_in": 1, "c_out": 2}),
    (L.Conv2DTranspose(8, 3, strides=2), 4, {"k": 3, "c_in": 4, "c_out": 8}),
]


@pytest.mark.parametrize("layer, channels, kwargs", PARAM_TABLE)
def test_conv_params_match_keras(layer, channels, kwargs):
    rank = len(kwargs["k"]) if isinstance(kwargs["k"], tuple) else 2
    layer.build((None, *([9] * rank), channels))
    if "bias" not in kwargs and not layer.use_bias:
        kwargs = {**kwargs, "bias": False}
    assert A.conv_params(**kwargs) == layer.count_params()


def test_conv_params_lecture_numbers():
    assert A.conv_params(3, 16, 32) == (3**2 * 16 + 1) * 32 == 4640
    # One 5x5 layer vs two 3x3 layers (one channel in and out): 26 vs 20 weights,
    # for the same 5x5 receptive field.
    assert A.conv_params(5, 1, 1) == 5**2 + 1 == 26
    assert 2 * A.conv_params(3, 1, 1) == 2 * (3**2 + 1) == 20
    assert A.receptive_field([(5, 1)])[-1].size == 5
    assert A.receptive_field([(3, 1), (3, 1)])[-1].size == 5


def test_separable_params_are_depthwise_plus_pointwise():
    layer = L.SeparableConv2D(8, 3)
    layer.build((None, 9, 9, 4))
    depthwise = A.conv_params(3, 4, 4, depthwise=True, bias=False)
    assert depthwise + A.conv_params(1, 4, 8) == layer.count_params() == 76


# --------------------------------------------------------------------------
# 4. Receptive fields
# --------------------------------------------------------------------------


def _chain(input_shape, *layers, name="chain"):
    inputs = keras.Input(input_shape, name="inputs")
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name=name)


def _rows(model, **kwargs):
    return {row.name: row for row in A.receptive_field(model, **kwargs)}


# (model, {layer name: (size, jump, start)})
def _rf_cases():
    return [
        (
            _chain((32, 32, 1), L.Conv2D(1, 3, name="a"), L.Conv2D(1, 3, name="b")),
            {"inputs": (1, 1, 0.0), "a": (3, 1, 1.0), "b": (5, 1, 2.0)},
        ),
        (_chain((32, 32, 1), L.Conv2D(1, 5, name="c5")), {"c5": (5, 1, 2.0)}),
        (
            _chain(
                (32, 32, 1),
                L.Conv2D(1, 3, name="c1"),
                L.MaxPooling2D(2, name="pool"),
                L.Conv2D(1, 3, name="c2"),
            ),
            {"c1": (3, 1, 1.0), "pool": (4, 2, 1.5), "c2": (8, 2, 3.5)},
        ),
        (
            _chain(
                (32, 32, 1),
                L.Conv2D(1, 3, padding="same", name="d1"),
                L.Conv2D(1, 3, dilation_rate=2, padding="same", name="d2"),
                L.Conv2D(1, 3, dilation_rate=4, padding="same", name="d4"),
            ),
            {"d1": (3, 1, 0.0), "d2": (7, 1, 0.0), "d4": (15, 1, 0.0)},
        ),
        (
            _chain(
                (32, 32, 1),
                L.Conv2D(1, 3, strides=2, name="s1"),
                L.Conv2D(1, 3, strides=2, name="s2"),
                L.Conv2D(1, 3, name="s3"),
            ),
            {"s1": (3, 2, 1.0), "s2": (7, 4, 3.0), "s3": (15, 4, 7.0)},
        ),
        (
            _chain(
                (32, 32, 1),
                L.ZeroPadding2D(((2, 0), (1, 1)), name="pad"),
                L.Conv2D(1, 3, name="c"),
                L.Activation("relu", name="relu"),
                L.BatchNormalization(name="bn"),
            ),
            {"pad": (1, 1, -2.0), "c": (3, 1, -1.0), "bn": (3, 1, -1.0)},
        ),
        (
            # 'same' with stride 2 on an even size pads 1 zero *after* the input
            # (none before): start = 1; on an odd size one zero on each side.
            _chain((32, 32, 1), L.Conv2D(1, 3, strides=2, padding="same", name="e")),
            {"e": (3, 2, 1.0)},
        ),
        (
            _chain((33, 33, 1), L.Conv2D(1, 3, strides=2, padding="same", name="o")),
            {"o": (3, 2, 0.0)},
        ),
        (
            _chain(
                (16, 16, 1),
                L.Conv2DTranspose(1, 3, strides=2, name="t"),
                L.Conv2D(1, 3, name="after"),
            ),
            {"t": (2, 0.5, -0.5), "after": (3, 0.5, 0.0)},
        ),
        (
            _chain(
                (16, 16, 3),
                L.Conv2D(4, 3, name="c"),
                L.GlobalAveragePooling2D(name="gap"),
                L.Dense(2, name="dense"),
            ),
            {"c": (3, 1, 1.0), "gap": (16, 14, 7.5)},
        ),
    ]


def test_receptive_field_tables():
    for model, expected in _rf_cases():
        rows = _rows(model)
        for name, (size, jump, start) in expected.items():
            row = rows[name]
            assert (row.size, row.jump, row.start) == (size, jump, start), (
                model.name,
                row,
            )


def test_receptive_field_stops_at_flatten_and_global_pooling():
    model = _chain(
        (16, 16, 3),
        L.Conv2D(4, 3, name="c"),
        L.Flatten(name="flatten"),
        L.Dense(2, name="dense"),
    )
    assert [row.name for row in A.receptive_field(model)] == ["inputs", "c"]
    names = [row.name for row in A.receptive_field(_rf_cases()[-1][0])]
    assert names == ["inputs", "c", "gap"]


def test_receptive_field_same_padding_start():
    # 'same' with stride 2: the odd padding zero goes after the input.
    even = A.receptive_field(_chain((32, 1), L.Conv1D(1, 4, strides=2, padding="same")))
    odd = A.receptive_field(_chain((33, 1), L.Conv1D(1, 4, strides=2, padding="same")))
    assert (even[-1].start, odd[-1].start) == (0.5, 0.5)  # Pads 1 (+1 after).
    three = A.receptive_field(
        _chain((32, 1), L.Conv1D(1, 3, strides=2, padding="same"))
    )
    assert three[-1].start == 1.0  # Total padding 1, all of it after the input.


def test_receptive_field_two_branches_takes_the_largest_path():
    inputs = keras.Input((32, 32, 3), name="inputs")
    a = L.Conv2D(4, 3, padding="same", name="branch3")(inputs)
    b = L.Conv2D(4, 5, padding="same", name="branch5")(inputs)
    b = L.Conv2D(4, 3, padding="same", name="branch5b")(b)
    merged = L.Add(name="add")([a, b])
    merged = L.Concatenate(name="concat")([merged, a])
    outputs = L.Conv2D(4, 1, name="head")(merged)
    model = keras.Model(inputs, outputs, name="two_branches")
    rows = _rows(model)
    assert rows["branch3"].size == 3 and rows["branch5b"].size == 7
    assert rows["add"].size == rows["concat"].size == rows["head"].size == 7
    assert A.receptive_field_size(model) == 7
    names = [row.name for row in A.receptive_field(model)]
    assert names.index("branch5") < names.index("branch5b") < names.index("add")


def test_receptive_field_nested_model_and_axes():
    block = keras.Sequential(
        [L.Conv2D(2, (3, 1), name="tall"), L.Conv2D(2, (1, 5), name="wide")],
        name="block",
    )
    inputs = keras.Input((20, 20, 1), name="inputs")
    outputs = block(L.MaxPooling2D((2, 1), name="pool")(inputs))
    model = keras.Model(inputs, outputs)
    height, width = _rows(model), _rows(model, axis=1)
    assert "block/tall" in height and "block/wide" in height
    assert (height["block/wide"].size, height["block/wide"].jump) == (6, 2)
    assert (width["block/wide"].size, width["block/wide"].jump) == (5, 1)
    with pytest.raises(ValueError, match="axis=2"):
        A.receptive_field(model, axis=2)


def test_receptive_field_of_lenet5():
    from course import models

    rows = _rows(models.lenet5((28, 28, 1)))
    # C1 5, S2 6, C3 6 + 4*2 = 14, S4 16, C5 16 + 4*4 = 32: the whole padded input.
    assert [rows[n].size for n in ("c1_conv", "s2_pool", "c3_conv")] == [5, 6, 14]
    assert (rows["c5_conv"].size, rows["c5_conv"].jump) == (32, 4)
    assert rows["pad"].start == -2.0 and rows["c5_conv"].start == 13.5


def test_receptive_field_list_form():
    rows = A.receptive_field([(3, 1), (2, 2), (3, 1)])
    assert [(r.name, r.size, r.jump) for r in rows] == [
        ("layer1", 3, 1),
        ("layer2", 4, 2),
        ("layer3", 8, 2),
    ]
    assert A.receptive_field_size([(3, 1, 1), (3, 1, 2), (3, 1, 4)]) == 15
    assert A.receptive_field([]) == []


def _back_to_front(layers):
    """The lecture's recursion r_{l-1} = s_l r_l + (k_l - s_l), from r_L = 1."""
    r = 1
    for k, s in reversed(layers):
        r = s * r + (k - s)
    return r


def test_receptive_field_matches_back_to_front_recursion():
    rng = np.random.default_rng(3)
    for _ in range(300):
        layers = [
            (int(k), int(s))
            for k, s in rng.integers(1, 6, size=(int(rng.integers(1, 7)), 2))
        ]
        assert A.receptive_field_size(layers) == _back_to_front(layers)


# Impulse test: with positive kernels, no biases and no activations, output unit
# t of a 1-D model responds to a one-hot input at position q exactly when q lies
# in its receptive field, so the span of responding positions is measurable.
# (name, layers, what is exact for every unit away from the edges): a direct
# convolution's units all have the full span centred at start + t * jump; after a
# transposed convolution the span varies with period s (the largest is r), and
# for k=3, s=2 the centres stay exact.
IMPULSE_MODELS = [
    (
        "conv_pool_dilated_same",
        [
            L.Conv1D(1, 3),
            L.MaxPooling1D(2),
            L.Conv1D(1, 3, dilation_rate=2, padding="same"),
            L.Conv1D(1, 4, strides=2, padding="same"),
            L.AveragePooling1D(3, strides=2, padding="same"),
        ],
        "span",
    ),
    (
        "pad_strided_causal_crop",
        [
            L.ZeroPadding1D((2, 1)),
            L.Conv1D(1, 5, strides=3),
            L.Conv1D(1, 3, padding="causal", dilation_rate=2),
            L.Cropping1D((1, 0)),
            L.Conv1D(1, 2, strides=2, padding="same"),
        ],
        "span",
    ),
    (
        "transposed_k3_s2",
        [L.Conv1D(1, 3), L.Conv1DTranspose(1, 3, strides=2), L.Conv1D(1, 3)],
        "centre",
    ),
    (
        "transposed_k4_s2_same",
        [L.Conv1DTranspose(1, 4, strides=2, padding="same"), L.Conv1D(1, 2)],
        None,
    ),
]


@pytest.mark.parametrize("name, layers, exact", IMPULSE_MODELS)
def test_receptive_field_matches_impulse_responses(name, layers, exact):
    n = 96
    model = _chain((n, 1), *layers, name=name)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            ones = [np.ones_like(weights[0])]
            layer.set_weights(ones + [np.zeros_like(w) for w in weights[1:]])
    impulses = np.eye(n, dtype="float32")[..., None]
    response = keras.ops.convert_to_numpy(model(impulses))
    last = A.receptive_field(model)[-1]
    spans, checked = [], 0
    for t in range(response.shape[1]):
        hit = np.flatnonzero(response[:, t, 0] > 0)
        centre = last.start + t * last.jump
        lo, hi = centre - (last.size - 1) / 2, centre + (last.size - 1) / 2
        if len(hit) and hit[0] > 0 and hit[-1] < n - 1:  # Not clipped at an edge.
            spans.append(hit[-1] - hit[0] + 1)
        if exact and lo >= 0 and hi <= n - 1:
            checked += 1
            assert (hit[0] + hit[-1]) / 2 == centre, (t, hit)
            if exact == "span":
                assert (hit[0], hit[-1]) == (lo, hi), (t, hit)
    assert len(spans) > 5 and max(spans) == last.size
    assert checked > 5 or not exact


def test_receptive_field_rejects_unknown_spatial_layers():
    model = _chain((8, 8, 1), L.Resizing(4, 4, name="resize"))
    with pytest.raises(ValueError, match="resize"):
        A.receptive_field(model)
    with pytest.raises(ValueError, match="interpolation='bilinear'"):
        A.receptive_field(
            _chain((8, 8, 1), L.UpSampling2D(2, interpolation="bilinear"))
        )
    with pytest.raises(ValueError, match="Received: model="):
        A.receptive_field(keras.Sequential([L.Conv2D(1, 3)]))


# --------------------------------------------------------------------------
# 5. Multiply-accumulates
# --------------------------------------------------------------------------


def _nested():
    inner = keras.Sequential([L.Conv2D(4, 1, name="pointwise")], name="inner")
    inputs = keras.Input((6, 6, 2), name="inputs")
    x = L.Conv2D(3, 3, name="outer_conv")(inputs)
    return keras.Model(inputs, inner(x), name="nested")


# (model builder, {layer name: MACs})
MAC_TABLE = [
    # 3x3x3 -> 8 channels, 8x8 outputs.
    (
        lambda: _chain((10, 10, 3), L.Conv2D(8, 3, name="conv")),
        {"conv": 9 * 3 * 8 * 64},
    ),
    (
        lambda: _chain(
            (6, 6, 4), L.Conv2D(8, 3, groups=2, padding="same", name="grouped")
        ),
        {"grouped": 9 * 2 * 8 * 36},
    ),
    (lambda: _chain((7,), L.Dense(5, name="dense")), {"dense": 35}),
    (lambda: _chain((4, 7), L.Dense(5, name="dense")), {"dense": 4 * 35}),
    (
        lambda: _chain((8, 8, 3), L.DepthwiseConv2D(3, depth_multiplier=2, name="dw")),
        {"dw": 9 * 6 * 36},
    ),
    (
        lambda: _chain((8, 8, 3), L.SeparableConv2D(4, 3, name="sep")),
        {"sep": 9 * 3 * 36 + 3 * 4 * 36},
    ),
    (
        lambda: _chain((5, 5, 2), L.Conv2DTranspose(4, 3, strides=2, name="up")),
        {"up": 9 * 2 * 4 * 25},
    ),
    (
        lambda: _chain(
            (8, 8, 1),
            L.Conv2D(2, 3, name="conv"),
            L.BatchNormalization(name="bn"),
            L.MaxPooling2D(2, name="pool"),
            L.Flatten(name="flatten"),
            L.Dense(3, name="dense"),
        ),
        {"conv": 9 * 2 * 36, "dense": 18 * 3},
    ),
    (_nested, {"outer_conv": 9 * 2 * 3 * 16, "inner/pointwise": 3 * 4 * 16}),
]


@pytest.mark.parametrize("build, expected", MAC_TABLE)
def test_count_macs(build, expected):
    model = build()  # Built in the test, not at collection (JAX compiles).
    assert A.count_macs(model, per_layer=True) == expected
    assert A.count_macs(model) == sum(expected.values())


def test_count_macs_lenet5():
    from course import models

    # C1 25*1*6*28^2, C3 25*6*16*10^2, C5 25*16*120, F6 120*84, output 84*10.
    expected = 117_600 + 240_000 + 48_000 + 10_080 + 840
    assert A.count_macs(models.lenet5((28, 28, 1))) == expected == 416_520


def test_count_macs_needs_known_shapes():
    model = _chain((None, None, 3), L.Conv2D(4, 3, name="conv"))
    with pytest.raises(ValueError, match="layer='conv'"):
        A.count_macs(model)


# --------------------------------------------------------------------------
# 6. Bad arguments
# --------------------------------------------------------------------------

BAD_ARGUMENTS = [
    (A.conv_output_size, {"i": 3, "k": 7, "p": 1}, ValueError, "k=7, i=3, p=1"),
    (A.conv_output_size, {"i": 5.0, "k": 3}, TypeError, "i=5.0"),
    (A.conv_output_size, {"i": True, "k": 1}, TypeError, "i=True"),
    (A.conv_output_size, {"i": "5", "k": 3}, TypeError, "i='5'"),
    (A.conv_output_size, {"i": 5, "k": 3, "s": 0}, ValueError, "s=0"),
    (A.conv_output_size, {"i": 5, "k": 3, "p": -1}, ValueError, "p=-1"),
    (A.conv_output_size, {"i": 5, "k": 3, "d": 0}, ValueError, "d=0"),
    (A.conv_output_size, {"i": 5, "k": 3, "d": 3}, ValueError, "k=3, d=3, i=5"),
    (A.conv_output_size, {"i": 5, "k": 0}, ValueError, "k=0"),
    (A.pool_output_size, {"i": 2, "k": 3}, ValueError, "k=3, i=2, p=0"),
    (A.pool_output_size, {"i": 4, "k": 2, "s": 0}, ValueError, "s=0"),
    (A.pool_output_size, {"i": 4, "k": 2.0}, TypeError, "k=2.0"),
    (
        A.transposed_conv_output_size,
        {"i": 3, "k": 3, "s": 2, "a": 2},
        ValueError,
        "a=2, s=2",
    ),
    (A.transposed_conv_output_size, {"i": 1, "k": 1, "p": 1}, ValueError, "p=1"),
    (A.transposed_conv_output_size, {"i": 3, "k": 3, "a": -1}, ValueError, "a=-1"),
    (A.keras_output_size, {"i": 5, "k": 3, "padding": "full"}, ValueError, "'full'"),
    (A.keras_output_size, {"i": 5, "k": 3, "padding": 1}, TypeError, "padding=1"),
    (
        A.keras_output_size,
        {"i": 5, "k": 3, "padding": "causal", "transposed": True},
        ValueError,
        "padding='causal'",
    ),
    (A.keras_output_size, {"i": 5, "k": 3, "s": 2, "d": 2}, ValueError, "s=2, d=2"),
    (
        A.keras_output_size,
        {"i": 5, "k": 3, "s": 2, "transposed": True, "output_padding": 2},
        ValueError,
        "output_padding=2, s=2",
    ),
    (
        A.keras_output_size,
        {"i": 5, "k": 3, "output_padding": 0},
        ValueError,
        "output_padding=0",
    ),
    (A.keras_output_size, {"i": 5, "k": 3, "transposed": 1}, TypeError, "transposed=1"),
    (A.keras_output_size, {"i": 2, "k": 3}, ValueError, "k=3, i=2"),
    (
        A.keras_output_size,
        {"i": 1, "k": 2, "padding": "same", "transposed": True, "output_padding": 0},
        ValueError,
        "output_padding=0",
    ),
    (A.keras_output_padding, {"k": 3, "s": 2, "a": 2}, ValueError, "a=2, s=2"),
    (A.keras_output_padding, {"k": 0}, ValueError, "k=0"),
    (A.keras_output_padding, {"k": 3, "a": 0.0}, TypeError, "a=0.0"),
    (A.conv_params, {"k": 3, "c_in": 6, "c_out": 8, "groups": 4}, ValueError, "c_in=6"),
    (
        A.conv_params,
        {"k": 3, "c_in": 4, "c_out": 6, "groups": 4},
        ValueError,
        "c_out=6, groups=4",
    ),
    (
        A.conv_params,
        {"k": 3, "c_in": 4, "c_out": 6, "depthwise": True},
        ValueError,
        "c_out=6, c_in=4",
    ),
    (
        A.conv_params,
        {"k": 3, "c_in": 4, "c_out": 8, "groups": 2, "depthwise": True},
        ValueError,
        "groups=2",
    ),
    (A.conv_params, {"k": 2.5, "c_in": 1, "c_out": 1}, TypeError, "k=2.5"),
    (A.conv_params, {"k": (3, 0), "c_in": 1, "c_out": 1}, ValueError, "k=(3, 0)"),
    (A.conv_params, {"k": 3, "c_in": 0, "c_out": 1}, ValueError, "c_in=0"),
    (A.conv_params, {"k": 3, "c_in": 1, "c_out": 1, "bias": 1}, TypeError, "bias=1"),
    (A.receptive_field, {"model_or_layers": [(3, 0)]}, ValueError, "layers[0][1]=0"),
    (A.receptive_field, {"model_or_layers": [(3,)]}, TypeError, "layers[0]=(3,)"),
    (
        A.receptive_field,
        {"model_or_layers": [(3, 1, 1.5)]},
        TypeError,
        "layers[0][2]=1.5",
    ),
    (
        A.receptive_field,
        {"model_or_layers": "conv"},
        TypeError,
        "model_or_layers='conv'",
    ),
    (A.receptive_field, {"model_or_layers": 42}, TypeError, "model_or_layers=42"),
    (
        A.receptive_field,
        {"model_or_layers": [(3, 1)], "axis": -1},
        ValueError,
        "axis=-1",
    ),
    (A.count_macs, {"model": "m"}, TypeError, "model='m'"),
]


@pytest.mark.parametrize("function, kwargs, error, fragment", BAD_ARGUMENTS)
def test_bad_arguments(function, kwargs, error, fragment):
    with pytest.raises(error) as info:
        function(**kwargs)
    assert "Received:" in str(info.value)
    assert fragment in str(info.value)


def test_count_macs_per_layer_must_be_bool():
    with pytest.raises(TypeError, match="per_layer=1"):
        A.count_macs(MAC_TABLE[0][0](), per_layer=1)


# --------------------------------------------------------------------------
# 7. No TensorFlow
# --------------------------------------------------------------------------


def test_arithmetic_imports_no_tensorflow():
    """Importing the module imports neither TensorFlow nor Keras; walking a
    model under JAX does not import TensorFlow either."""
    pytest.importorskip("jax")
    code = (
        "import sys\n"
        "import course.arithmetic as A\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
        "import keras\n"
        "x = keras.Input((8, 8, 1))\n"
        "m = keras.Model(x, keras.layers.Conv2D(2, 3)(x))\n"
        "assert A.receptive_field_size(m) == 3 and A.count_macs(m) == 648\n"
        "print('tensorflow' in sys.modules)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert output.strip().splitlines()[-2:] == ["False False", "False"]


def test_count_params_splits_trainable_and_frozen_for_models_and_layers():

    inputs = keras.Input((4, 4, 2), name="x")
    conv = keras.layers.Conv2D(3, 3, name="conv")
    norm = keras.layers.BatchNormalization(name="norm")
    model = keras.Model(inputs, norm(conv(inputs)), name="net")
    assert A.count_params(conv) == {"trainable": 3 * 3 * 2 * 3 + 3, "non_trainable": 0}
    assert A.count_params(model) == {"trainable": 57 + 6, "non_trainable": 6}
    with pytest.raises(ValueError, match="to be built"):
        A.count_params(keras.layers.Dense(2, name="unbuilt"))
    with pytest.raises(TypeError, match="Received: model=3"):
        A.count_params(3)
