"""training.gradient_norms: exact on a linear model, state-preserving, per backend."""

import re

import keras
import numpy as np
import pytest

from course import training


def _linear_model():
    inputs = keras.Input(shape=(3,), name="inputs")
    outputs = keras.layers.Dense(1, name="dense")(inputs)
    return keras.Model(inputs, outputs, name="linear")


def _stack(depth, activation, batch_norm=False):
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(16,), name="inputs")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(16, activation=activation, name=f"dense_{i}")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
    outputs = keras.layers.Dense(4, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="stack")


def test_matches_the_closed_form_of_a_linear_least_squares_model():
    model = _linear_model()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    kernel, bias = (w.numpy() for w in model.get_layer("dense").weights)
    residual = x @ kernel + bias - y
    expected = np.linalg.norm(2.0 / len(x) * x.T @ residual)
    norms = training.gradient_norms(model, x, y, loss="mean_squared_error")
    assert list(norms) == ["dense"]
    assert norms["dense"] == pytest.approx(expected, rel=1e-5)


def test_sigmoid_stack_vanishes_towards_the_input_relu_much_less():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 16)).astype("float32")
    y = rng.integers(0, 4, size=32)
    ratios = {}
    for activation in ("sigmoid", "relu"):
        norms = training.gradient_norms(_stack(10, activation), x, y)
        assert list(norms) == [f"dense_{i}" for i in range(10)] + ["predictions"]
        ratios[activation] = norms["dense_0"] / norms["predictions"]
    # Each sigmoid layer scales the gradient by at most 1/4 (sigma' <= 1/4).
    assert ratios["sigmoid"] < 1e-3
    assert ratios["relu"] > 100 * ratios["sigmoid"]


def test_leaves_batch_norm_statistics_unchanged():
    model = _stack(2, "relu", batch_norm=True)
    before = [v.numpy().copy() for v in model.non_trainable_variables]
    x = np.random.default_rng(2).normal(3.0, 2.0, size=(16, 16)).astype("float32")
    norms = training.gradient_norms(model, x, np.zeros(16, dtype="int64"))
    assert all(np.isfinite(v) and v > 0 for v in norms.values())
    for old, variable in zip(before, model.non_trainable_variables, strict=True):
        np.testing.assert_array_equal(old, variable.numpy())


@pytest.mark.parametrize(
    "args, error, fragment",
    [
        (("not a model", np.zeros((2, 3)), np.zeros(2)), TypeError, "model='not"),
        ((None, np.zeros((2, 3)), np.zeros(3)), ValueError, "len(x)=2, len(y)=3"),
    ],
)
def test_bad_arguments(args, error, fragment):
    model, x, y = args
    model = _linear_model() if model is None else model
    with pytest.raises(error, match="Received: " + re.escape(fragment)):
        training.gradient_norms(model, x, y)


def test_a_model_without_kernels_is_rejected():
    inputs = keras.Input(shape=(3,), name="inputs")
    model = keras.Model(inputs, keras.layers.ReLU(name="relu")(inputs))
    with pytest.raises(ValueError, match="trainable kernel"):
        training.gradient_norms(model, np.zeros((2, 3)), np.zeros((2, 3)))
