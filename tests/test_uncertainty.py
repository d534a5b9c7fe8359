"""Monte Carlo dropout: what it averages, what it refuses. Backend-independent."""

import keras
import numpy as np
import pytest

from course import models, uncertainty


@pytest.mark.parametrize(
    "probabilities, expected",
    [
        ([[1.0, 0.0]], [0.0]),
        ([[0.5, 0.5]], [np.log(2)]),
        ([[0.25] * 4, [1.0, 0, 0, 0]], [np.log(4), 0.0]),
    ],
)
def test_predictive_entropy(probabilities, expected):
    np.testing.assert_allclose(uncertainty.predictive_entropy(probabilities), expected)


@pytest.mark.parametrize(
    "probabilities, fragment",
    [
        ([0.5, 0.5], "probabilities.shape"),
        ([[0.5, 0.2]], "summing to 1"),
        ([[1.5, -0.5]], "summing to 1"),
        ([[np.nan, 1.0]], "summing to 1"),
    ],
)
def test_predictive_entropy_rejects_non_distributions(probabilities, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        uncertainty.predictive_entropy(probabilities)
    assert "Received:" in str(info.value)


def _net(dropout, seed=0):
    keras.utils.set_random_seed(seed)
    return models.small_vgg(
        (8, 8, 1), num_classes=3, widths=(4,), convs_per_block=1, dropout=dropout
    )


def test_mc_dropout_samples_dropout_and_keeps_batch_norm_in_inference():
    net = _net(0.5)
    images = np.random.default_rng(0).random((6, 8, 8, 1)).astype("float32")
    norm = net.get_layer("block1_bn1")
    moving_mean = keras.ops.convert_to_numpy(norm.moving_mean).copy()
    result = uncertainty.mc_dropout(net, images, samples=8, batch_size=4)
    assert result.probabilities.shape == (6, 3) and result.samples == 8
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(result.mutual_information >= 0)
    assert np.all(result.mutual_information <= result.entropy + 1e-9)
    # Dropout was on: the passes disagreed somewhere.
    assert result.mutual_information.max() > 1e-4
    # Batch norm ran on its moving statistics, which stayed as they were, and is
    # trainable again afterwards.
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(norm.moving_mean), moving_mean
    )
    assert norm.trainable
    np.testing.assert_array_equal(
        result.predictions, result.probabilities.argmax(axis=1)
    )


@pytest.mark.parametrize(
    "make, kwargs, error, fragment",
    [
        (lambda: _net(0.0), {}, ValueError, "dropout layer"),
        (
            lambda: keras.Sequential(
                [
                    keras.Input((4,)),
                    keras.layers.GaussianNoise(0.1),
                    keras.layers.Dropout(0.5),
                ]
            ),
            {},
            ValueError,
            "gaussian_noise",
        ),
        (lambda: _net(0.5), {"samples": 1}, ValueError, "samples"),
        (lambda: _net(0.5), {"batch_size": 0}, ValueError, "batch_size"),
        (lambda: "net", {}, TypeError, "model"),
    ],
)
def test_mc_dropout_rejects(make, kwargs, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        uncertainty.mc_dropout(make(), np.zeros((2, 8, 8, 1), "float32"), **kwargs)
    assert "Received:" in str(info.value)
