"""Convolutional autoencoders: shapes, codes, training-only noise, errors."""

import keras
import numpy as np
import pytest

from course import models

X = np.random.default_rng(0).random((4, 16, 16, 1), dtype=np.float32)


@pytest.mark.parametrize(
    "kwargs, code_shape",
    [
        ({"filters": (4, 8), "latent_dim": 2}, (None, 2)),
        ({"filters": (4, 8)}, (None, 4, 4, 8)),
        ({"filters": (4,), "input_shape": (16, 24, 3)}, (None, 8, 12, 4)),
    ],
)
def test_autoencoder_shapes_and_code(kwargs, code_shape):
    settings = {"input_shape": (16, 16, 1)} | kwargs
    model = models.autoencoder(**settings)
    assert model.output_shape == (None, *settings["input_shape"])
    assert models.encoder_of(model).output_shape == code_shape
    assert model.get_layer("reconstruction").activation.__name__ == "sigmoid"


def test_input_noise_acts_only_in_training():
    model = models.autoencoder((16, 16, 1), (4,), input_noise=0.5)
    noise = model.get_layer("input_noise")
    np.testing.assert_array_equal(noise(X, training=False), X)
    assert not np.allclose(keras.ops.convert_to_numpy(noise(X, training=True)), X)


def test_autoencoder_learns_to_reconstruct():
    keras.utils.set_random_seed(0)
    model = models.autoencoder((16, 16, 1), (8,))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    before = model.evaluate(X, X, verbose=0)
    model.fit(X, X, epochs=30, batch_size=4, verbose=0)
    assert model.evaluate(X, X, verbose=0) < 0.5 * before


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"input_shape": (18, 16, 1)}, ValueError, "multiples of 4"),
        ({"filters": ()}, ValueError, "filters"),
        ({"filters": (4, -1)}, ValueError, "filters"),
        ({"latent_dim": 0}, ValueError, "latent_dim"),
        ({"input_noise": -0.1}, ValueError, "input_noise"),
    ],
)
def test_autoencoder_rejects_bad_arguments(kwargs, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        models.autoencoder(**({"input_shape": (16, 16, 1)} | kwargs))
    assert "Received:" in str(info.value)


def test_encoder_of_needs_an_autoencoder():
    with pytest.raises(TypeError, match="Received:"):
        models.encoder_of("model")
    with pytest.raises(ValueError, match="Received:"):
        models.encoder_of(models.lenet5())
