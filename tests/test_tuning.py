"""Learning-rate range test, KerasTuner search, repeatable runs."""

import keras
import numpy as np
import pytest

from course import training

RNG = np.random.default_rng(0)
X = RNG.normal(size=(256, 6)).astype("float32")
Y = (X[:, 0] + X[:, 1] > 0).astype("int64")


def _net(learning_rate=1e-3, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6,), name="inputs")
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(2, activation="softmax", name="predictions")(hidden)
    model = keras.Model(inputs, outputs, name="net")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_lr_range_test_restores_the_model_and_finds_a_rate_below_divergence():
    model = _net()
    before = [w.copy() for w in model.get_weights()]
    result = training.lr_range_test(
        model, X, Y, min_lr=1e-4, max_lr=100.0, steps=60, batch_size=32, seed=1
    )
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert float(
        keras.ops.convert_to_numpy(model.optimizer.learning_rate)
    ) == pytest.approx(1e-3)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 0
    n = len(result.losses)
    assert n == len(result.learning_rates) == len(result.smoothed) and 5 <= n <= 60
    np.testing.assert_allclose(result.learning_rates[:2], [1e-4, 1e-4 * 10 ** (6 / 59)])
    # A rate of 100 wrecks Adam on this problem: the test stops early.
    assert result.diverged and result.learning_rates[-1] < 100
    assert 1e-5 <= result.suggestion <= 10
    best = result.learning_rates[int(np.argmin(result.smoothed))]
    assert result.suggestion == pytest.approx(best / 10)


def test_lr_range_test_reaches_the_last_rate_when_nothing_diverges():
    result = training.lr_range_test(_net(), X, Y, min_lr=1e-6, max_lr=1e-5, steps=10)
    assert not result.diverged and len(result.losses) == 10
    assert result.learning_rates[-1] == pytest.approx(1e-5)


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"min_lr": 1.0, "max_lr": 0.1}, ValueError, "min_lr < max_lr"),
        ({"steps": 2}, ValueError, "steps"),
        ({"stop_factor": 1.0}, ValueError, "stop_factor"),
        ({"smoothing": 1.0}, ValueError, "smoothing"),
        ({"batch_size": 1000}, ValueError, "batch_size"),
        ({"y": Y[:10]}, ValueError, "len"),
    ],
)
def test_lr_range_test_rejects(kwargs, error, fragment):
    arguments = {"x": X, "y": Y, **kwargs}
    with pytest.raises(error, match=fragment) as info:
        training.lr_range_test(_net(), **arguments)
    assert "Received:" in str(info.value)


def test_lr_range_test_needs_a_compiled_model_with_a_plain_rate():
    uncompiled = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="compiled"):
        training.lr_range_test(uncompiled, X, Y)
    scheduled = _net()
    scheduled.compile(
        optimizer=keras.optimizers.SGD(
            keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
        ),
        loss="sparse_categorical_crossentropy",
    )
    with pytest.raises(ValueError, match="schedule"):
        training.lr_range_test(scheduled, X, Y)


tensorflow_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="KerasTuner and op determinism are TensorFlow's",
)


@tensorflow_only
def test_search_runs_every_trial_as_a_tensorboard_run(tmp_path):
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.hparams import plugin_data_pb2

    def build(hp):
        return _net(hp.Float("learning_rate", 1e-3, 1e-1, sampling="log"))

    result = training.search(
        build,
        X[:192],
        Y[:192],
        validation_data=(X[192:], Y[192:]),
        run_name="search",
        max_trials=3,
        epochs=1,
        batch_sizes=(16, 64),
        seed=0,
        runs_dir=tmp_path,
    )
    assert len(result.trials) == 3 and result.seconds > 0
    assert {"learning_rate", "batch_size", "score", "seconds"} <= set(result.trials[0])
    assert result.best["batch_size"] in (16, 64)
    best_score = max(t["score"] for t in result.trials)
    assert [t for t in result.trials if t["score"] == best_score][0][
        "learning_rate"
    ] == (pytest.approx(result.best["learning_rate"]))
    assert result.directory.parent == tmp_path / "search_tuner"
    runs = sorted((tmp_path / "search").iterdir())
    assert len(runs) == 3
    # Each trial's settings are an HParams session in its own run folder.
    rates = []
    for run in runs:
        for path in run.glob("events.out.tfevents.*"):
            for event in EventFileLoader(str(path)).Load():
                for value in event.summary.value:
                    if value.tag.startswith("_hparams_"):
                        info = plugin_data_pb2.HParamsPluginData.FromString(
                            value.metadata.plugin_data.content
                        ).session_start_info.hparams
                        rates.append(info["learning_rate"].number_value)
                        assert info["trial"].number_value in (0, 1, 2)
    assert sorted(rates) == pytest.approx(
        sorted(t["learning_rate"] for t in result.trials)
    )


@tensorflow_only
@pytest.mark.parametrize("ops", [False, True])
def test_deterministic_repeats_a_run_and_switches_back(ops):
    from tensorflow.python.framework import config as tf_config

    weights = []
    for _ in range(2):
        with training.deterministic(7, ops=ops) as active:
            assert active == ops == tf_config.is_op_determinism_enabled()
            model = _net(seed=7)
            model.fit(X, Y, epochs=1, batch_size=32, verbose=0)
        weights.append(model.get_weights())
    assert not tf_config.is_op_determinism_enabled()
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_deterministic_rejects_a_negative_seed():
    with pytest.raises(ValueError, match="seed"):
        with training.deterministic(-1):
            pass
