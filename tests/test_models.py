"""Builders: published parameter counts, shapes, named layers, bad arguments."""

import keras
import numpy as np
import pytest

from course import layers, models

# Parameter counts. LeNet-5: 61,706 as given in the lecture (seed 002) for the
# common reading of LeCun et al. (1998) with a fully connected C3 and no trainable
# subsampling coefficients: 156 + 2,416 + 48,120 + 10,164 + 850.
MODEL_LIST = [
    (models.lenet5, {"input_shape": (32, 32, 1)}, (32, 32, 1), 10, 61_706),
    (models.lenet5, {"input_shape": (28, 28, 1)}, (28, 28, 1), 10, 61_706),
    (models.lenet5, {"input_shape": (29, 31, 1)}, (29, 31, 1), 10, 61_706),
    (
        models.lenet5,
        {"input_shape": (28, 28, 1), "num_classes": 2},
        (28, 28, 1),
        2,
        61_026,
    ),
    (
        models.lenet5,
        {"input_shape": (32, 32, 3), "pooling": "max"},
        (32, 32, 3),
        10,
        62_006,
    ),
    (models.perceptron, {"num_inputs": 2}, (2,), 1, 3),
    (
        models.mlp,
        {"input_shape": (8, 8), "num_classes": 10},
        (8, 8),
        10,
        64 * 64 + 64 + 650,
    ),
    (
        models.mlp,
        {
            "input_shape": (64,),
            "num_classes": 10,
            "hidden_units": (32,),
            "batch_norm": True,
        },
        (64,),
        10,
        64 * 32 + 4 * 32 + 330,
    ),
    (
        models.mlp,
        {
            "input_shape": (4,),
            "num_classes": 3,
            "hidden_units": (5,),
            "activation": "maxout",
        },
        (4,),
        3,
        (4 * 10 + 10) + (5 * 3 + 3),
    ),
    (
        models.mlp,
        {"input_shape": (4,), "num_classes": 3, "hidden_units": ()},
        (4,),
        3,
        15,
    ),
]


@pytest.mark.parametrize(
    "builder, kwargs, input_shape, num_outputs, params", MODEL_LIST
)
def test_builders(builder, kwargs, input_shape, num_outputs, params):
    model = builder(**kwargs)
    assert isinstance(model, keras.Model) and not isinstance(model, keras.Sequential)
    assert model.count_params() == params
    assert model.output_shape == (None, num_outputs)
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names))
    # Every layer carries a name the builder chose, not Keras' generated default.
    assert not any(
        name.startswith(("conv2d", "dense", "dropout_", "flatten_")) for name in names
    )
    batch = np.random.default_rng(0).random((2, *input_shape), dtype=np.float32)
    assert model(batch).shape == (2, num_outputs)


def test_lenet5_layer_names_and_sizes():
    model = models.lenet5((28, 28, 1))
    assert model.get_layer("pad").output.shape[1:3] == (32, 32)
    assert model.get_layer("c1_conv").output.shape[1:] == (28, 28, 6)
    assert model.get_layer("s2_pool").output.shape[1:] == (14, 14, 6)
    assert model.get_layer("c3_conv").output.shape[1:] == (10, 10, 16)
    assert model.get_layer("s4_pool").output.shape[1:] == (5, 5, 16)
    assert model.get_layer("c5_conv").output.shape[1:] == (1, 1, 120)
    assert model.get_layer("f6_dense").count_params() == 10_164
    assert "pad" not in [layer.name for layer in models.lenet5().layers]


BAD_ARGUMENTS = [
    (
        models.lenet5,
        {"input_shape": (27, 28, 1)},
        ValueError,
        "input_shape=(27, 28, 1)",
    ),
    (models.lenet5, {"input_shape": (8, 8, 1)}, ValueError, "at least 28x28"),
    (models.lenet5, {"input_shape": (32, 32)}, ValueError, "input_shape=(32, 32)"),
    (
        models.lenet5,
        {"input_shape": (32, 32, 1, 1)},
        ValueError,
        "input_shape=(32, 32, 1, 1)",
    ),
    (models.lenet5, {"input_shape": (32, 0, 1)}, ValueError, "input_shape=(32, 0, 1)"),
    (models.lenet5, {"input_shape": "32x32"}, TypeError, "input_shape='32x32'"),
    (models.lenet5, {"num_classes": 0}, ValueError, "num_classes=0"),
    (models.lenet5, {"num_classes": 2.5}, TypeError, "num_classes=2.5"),
    (models.lenet5, {"pooling": "median"}, ValueError, "pooling='median'"),
    (models.perceptron, {"num_inputs": -1}, ValueError, "num_inputs=-1"),
    (models.perceptron, {"activation": 3}, TypeError, "activation=3"),
    (
        models.mlp,
        {"input_shape": (4,), "num_classes": 3, "dropout": 1.0},
        ValueError,
        "dropout=1.0",
    ),
    (
        models.mlp,
        {"input_shape": (4,), "num_classes": 3, "l2": -0.1},
        ValueError,
        "l2=-0.1",
    ),
    (
        models.mlp,
        {"input_shape": (4,), "num_classes": 3, "hidden_units": 8},
        ValueError,
        "hidden_units=8",
    ),
    (
        models.mlp,
        {"input_shape": (4,), "num_classes": 3, "hidden_units": (8, 0)},
        ValueError,
        "hidden_units=(8, 0)",
    ),
    (
        models.mlp,
        {"input_shape": (4,), "num_classes": 3, "activation": "swish2"},
        ValueError,
        "activation='swish2'",
    ),
    (
        models.mlp,
        {"input_shape": (4,), "num_classes": 3, "batch_norm": 1},
        TypeError,
        "batch_norm=1",
    ),
    (
        models.mlp,
        {"input_shape": (4,), "num_classes": 3, "kernel_initializer": "he_weird"},
        ValueError,
        "kernel_initializer='he_weird'",
    ),
]


@pytest.mark.parametrize(
    "initializer, variance",
    [("glorot_uniform", 2 / (400 + 400)), ("he_normal", 2 / 400)],
)
def test_mlp_hidden_kernels_follow_their_initializer(initializer, variance):
    keras.utils.set_random_seed(0)
    net = models.mlp((400,), 3, (400, 400), kernel_initializer=initializer)
    kernel = net.get_layer("hidden2_dense").get_weights()[0]
    # Glorot: 2 / (fan_in + fan_out); He: 2 / fan_in (truncated normal: 1% off).
    assert np.var(kernel) == pytest.approx(variance, rel=0.05)


@pytest.mark.parametrize("builder, kwargs, error, fragment", BAD_ARGUMENTS)
def test_bad_arguments(builder, kwargs, error, fragment):
    with pytest.raises(error) as info:
        builder(**kwargs)
    assert "Received:" in str(info.value)
    assert fragment in str(info.value)


def test_maxout_takes_the_max_of_its_pieces():
    layer = layers.Maxout(2, num_pieces=3, name="maxout")
    x = np.array([[1.0, -2.0]], dtype=np.float32)
    layer.build(x.shape)
    kernel = np.arange(12, dtype=np.float32).reshape(2, 6) - 5.0
    bias = np.linspace(-1, 1, 6, dtype=np.float32)
    layer.set_weights([kernel, bias])
    affine = (x @ kernel + bias).reshape(1, 2, 3)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)), affine.max(-1), rtol=1e-6
    )
    restored = layers.Maxout.from_config(layer.get_config())
    assert (restored.units, restored.num_pieces) == (2, 3)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [({"units": 0}, "units=0"), ({"units": 3, "num_pieces": 1}, "num_pieces=1")],
)
def test_maxout_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match="Received: " + fragment):
        layers.Maxout(**kwargs)


def test_builders_import_no_tensorflow():
    """Builders, layers, activations and plots run on any backend: under JAX,
    building and calling LeNet-5 must not import TensorFlow at all."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from course import activations, augment, layers, models, plots\n"
        "import numpy as np\n"
        "model = models.lenet5((28, 28, 1))\n"
        "model(np.zeros((1, 28, 28, 1), 'float32'))\n"
        "models.mlp((4,), 2, activation='maxout')\n"
        "augment.digit_augmentation()\n"
        "print('tensorflow' in sys.modules)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    pytest.importorskip("jax")
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert output.strip().splitlines()[-1] == "False"
