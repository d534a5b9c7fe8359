"""Activation functions and derivatives against Keras and finite differences."""

import keras
import numpy as np
import pytest

from course import activations

X = np.linspace(-6.0, 6.0, 241)
KERAS_EQUIVALENT = {
    "sigmoid": lambda x: keras.activations.sigmoid(x),
    "tanh": lambda x: keras.activations.tanh(x),
    "relu": lambda x: keras.activations.relu(x),
    "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=0.1),
    "elu": lambda x: keras.activations.elu(x, alpha=1.0),
}


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_function_matches_keras(name):
    function, _ = activations.ACTIVATIONS[name]
    expected = keras.ops.convert_to_numpy(KERAS_EQUIVALENT[name](X.astype("float32")))
    np.testing.assert_allclose(function(X), expected, atol=1e-6)


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_derivative_matches_finite_differences(name):
    function, derivative = activations.ACTIVATIONS[name]
    x = X[np.abs(X) > 1e-3]  # away from the kinks at 0
    h = 1e-6
    numeric = (function(x + h) - function(x - h)) / (2 * h)
    np.testing.assert_allclose(derivative(x), numeric, atol=1e-5)


def test_sigmoid_gradient_never_exceeds_a_quarter():
    _, derivative = activations.ACTIVATIONS["sigmoid"]
    assert derivative(X).max() == pytest.approx(0.25)
    assert activations.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    "logits, expected",
    [
        ([0.0, 0.0], [0.5, 0.5]),
        ([1000.0, 1000.0, 1000.0], [1 / 3] * 3),
        ([np.log(1.0), np.log(3.0)], [0.25, 0.75]),
    ],
)
def test_softmax(logits, expected):
    probabilities = activations.softmax(np.array(logits))
    np.testing.assert_allclose(probabilities, expected)
    assert np.argmax(probabilities) == np.argmax(logits) or len(set(logits)) == 1


def test_task_table():
    assert activations.task_head("multilabel").activation == "sigmoid"
    assert activations.task_head("multiclass").loss == "sparse_categorical_crossentropy"
    for head in activations.TASK_HEADS:
        keras.losses.get(head.loss)
        keras.activations.get(head.activation)
    with pytest.raises(ValueError, match="Received: task='clustering'"):
        activations.task_head("clustering")
