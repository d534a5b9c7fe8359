"""ErrorProbe: the training error of the current weights, every few steps."""

import math

import keras
import numpy as np
import pytest

from course import config, training


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)  # three classes
    return x, y


def _model():
    config.set_seed(0)
    inputs = keras.Input((6,), name="inputs")
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(inputs)
    model = keras.Model(inputs, outputs, name="tiny")
    model.compile(
        optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy"
    )
    return model


def test_probe_points_fall_on_fractions_of_an_epoch_and_change_nothing():
    x, y = _data()
    probe = training.ErrorProbe(x[:32], y[:32], every=2)
    model = _model()
    model.fit(x, y, batch_size=8, epochs=2, callbacks=[probe], verbose=0)
    # 8 steps an epoch, a point every 2 steps and one before the first step.
    assert probe.epochs == [i / 4 for i in range(9)]
    assert len(probe.errors) == 9 and all(0 <= e <= 1 for e in probe.errors)
    last = np.mean(model.predict(x[:32], verbose=0).argmax(-1) != y[:32])
    assert probe.errors[-1] == pytest.approx(last)
    assert probe.errors[-1] < probe.errors[0]  # it learned
    # Measuring does not touch the weights: same run without the probe.
    twin = _model()
    twin.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    "errors, target, expected",
    [
        ([0.9, 0.5, 0.2, 0.3], 0.25, 0.5),
        ([0.9, 0.5], 0.5, 0.25),
        ([0.9], 0.1, math.inf),
    ],
)
def test_epochs_to_reads_the_first_crossing(errors, target, expected):
    x, y = _data(4)
    probe = training.ErrorProbe(x, y)
    probe.epochs = [i / 4 for i in range(len(errors))]
    probe.errors = errors
    assert probe.epochs_to(target) == expected


@pytest.mark.parametrize(
    "kwargs, name, error",
    [
        ({"y": np.zeros((4, 3))}, "y", ValueError),
        ({"y": np.zeros(4, "float32")}, "y", ValueError),
        ({"y": np.zeros(3, "int64")}, "len\\(x\\)", ValueError),
        ({"every": 0}, "every", ValueError),
        ({"batch_size": 1.5}, "batch_size", TypeError),
    ],
)
def test_bad_probe_arguments_name_themselves(kwargs, name, error):
    x, y = _data(4)
    options = {"x": x, "y": y, **kwargs}
    with pytest.raises(error, match=rf"Received: {name}"):
        training.ErrorProbe(**options)
