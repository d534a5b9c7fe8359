"""training.build_state: variables made before fit, training unchanged."""

import keras
import numpy as np
import pytest

from course import training

RNG = np.random.default_rng(0)
X = RNG.normal(size=(96, 6)).astype("float32")
LABELS = (X[:, 0] + X[:, 1] > 0).astype("int64")


def _net(loss, metrics, dropout=0.3, optimizer="adam", seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6,), name="inputs")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    hidden = keras.layers.BatchNormalization(name="norm")(hidden)
    hidden = keras.layers.Dropout(dropout, name="dropout")(hidden)
    units = 2 if loss == "sparse_categorical_crossentropy" else 6
    outputs = keras.layers.Dense(units, name="outputs")(hidden)
    model = keras.Model(inputs, outputs, name="net")
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


# (loss, metrics, targets, optimizer): a classifier, a regression without metrics,
# a reconstruction with two metrics and a stateless-looking optimizer.
CASES = [
    ("sparse_categorical_crossentropy", ["accuracy"], LABELS, "adam"),
    ("mse", None, X, "adam"),
    ("mse", ["mae", "mse"], X, "sgd"),
]


@pytest.mark.parametrize("loss, metrics, targets, optimizer", CASES)
def test_build_state_creates_the_variables_and_changes_no_training(
    loss, metrics, targets, optimizer
):
    reference = _net(loss, metrics, optimizer=optimizer)
    built = _net(loss, metrics, optimizer=optimizer)
    before = [w.copy() for w in built.get_weights()]
    assert training.build_state(built, X, targets) is built
    # Only TensorFlow's fit builds the state while tracing; elsewhere it is left alone.
    assert built.optimizer.built == (keras.backend.backend() == "tensorflow")
    for old, new in zip(before, built.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # BN statistics did not move
    for metric in built.metrics:  # the probe example is not counted
        for variable in metric.variables:
            assert not np.any(keras.ops.convert_to_numpy(variable))
    histories = []
    for model in (reference, built):
        keras.utils.set_random_seed(7)  # same batch order and dropout masks
        histories.append(
            model.fit(X, targets, epochs=2, batch_size=32, verbose=0).history
        )
    assert histories[0] == histories[1]
    for a, b in zip(reference.get_weights(), built.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_build_state_twice_is_harmless():
    model = _net("mse", ["mae"])
    training.build_state(model, X, X)
    variables = [v.path for v in model.optimizer.variables]
    training.build_state(model, X, X)
    assert [v.path for v in model.optimizer.variables] == variables


@pytest.mark.parametrize(
    "model, x, y, error, fragment",
    [
        ("not a model", X, LABELS, TypeError, "model"),
        (None, X, LABELS, ValueError, "compiled"),  # built below, not compiled
        ("net", X[:0], LABELS[:0], ValueError, "len(x)=0"),
        ("net", X, LABELS[:5], ValueError, "len(y)=5"),
    ],
)
def test_build_state_rejects(model, x, y, error, fragment):
    if model is None:
        inputs = keras.Input((6,), name="inputs")
        model = keras.Model(inputs, keras.layers.Dense(2, name="d")(inputs), name="raw")
    elif model == "net":
        model = _net("sparse_categorical_crossentropy", ["accuracy"])
    with pytest.raises(error, match="Received") as raised:
        training.build_state(model, x, y)
    assert fragment in str(raised.value)
