"""Hyperparameter tuning: a learning-rate range test and a KerasTuner search.

Seed 001 lists what must be tuned - the architecture's hyperparameters (layers,
widths, kernel sizes, regularisation, ...) and the training's (epochs, batch size,
learning rate, optimiser, loss) - and warns that tuning takes days. Two tools cut
that down:

- :func:`lr_range_test` (Smith, "Cyclical Learning Rates for Training Neural
  Networks", WACV 2017, section 3.3): one short run in which the learning rate
  grows exponentially every step; the loss falls fastest a little below the rate
  at which it starts to climb. It answers the most important question - which
  learning rate - in seconds, and leaves the model's weights as they were.
- :func:`search`: a random search with KerasTuner (O'Malley et al., 2019), which
  supports Keras 3. Random search beats grid search when only a few of the
  hyperparameters matter (Bergstra & Bengio, JMLR 2012). Each trial is a
  TensorBoard run of its own with its settings as an HParams session, so the
  search can be read in TensorBoard's HPARAMS tab.

KerasTuner is imported only by :func:`search` (it imports TensorFlow).

Used in lecture 13.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import keras
import numpy as np

from course import _validate
from course.training import runs

__all__ = ["LearningRateRange", "Search", "lr_range_test", "search"]


@dataclass(frozen=True)
class LearningRateRange:
    """What a learning-rate range test measured.

    Attributes:
        learning_rates: the rate of each step.
        losses: the training loss of each step's batch (before its update).
        smoothed: ``losses`` smoothed by an exponential moving average (bias
            corrected), which is what the suggestion is read from.
        suggestion: a tenth of the rate at the smoothed loss's minimum (the
            minimum is where the rate is already too high to keep improving).
        diverged: whether the test stopped early because the smoothed loss
            passed ``stop_factor`` times its minimum.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    diverged: bool


def lr_range_test(
    model,
    x,
    y,
    *,
    min_lr=1e-5,
    max_lr=1.0,
    steps=100,
    batch_size=64,
    smoothing=0.9,
    stop_factor=4.0,
    seed=0,
):
    """Smith's learning-rate range test on a compiled model.

    Every step trains on one batch at a rate ``min_lr * (max_lr / min_lr) **
    (step / (steps - 1))`` and records that batch's loss. The model's weights
    and optimizer state are restored afterwards, so the same model can then be
    trained from its initialisation with the rate found.

    Args:
        model: a compiled model whose optimizer has a settable learning rate
            (a float, not a schedule).
        x: training inputs.
        y: training targets.
        min_lr: first rate, > 0.
        max_lr: last rate, > ``min_lr``.
        steps: steps, >= 5; the data are cycled if they hold fewer batches.
        batch_size: examples per step.
        smoothing: the moving average's factor, in [0, 1).
        stop_factor: stop once the smoothed loss exceeds this many times its
            minimum, > 1.
        seed: seed of the batches' order.

    Returns:
        :class:`LearningRateRange`.

    Raises:
        ValueError: for an uncompiled model, a schedule as learning rate, or
            inconsistent bounds.
    """
    model = _validate.model("model", model)
    if getattr(model, "optimizer", None) is None or not model.compiled:
        raise _validate.error("model", model.name, "to be compiled")
    if not isinstance(model.optimizer.learning_rate, keras.Variable):
        raise _validate.error(
            "model.optimizer.learning_rate",
            model.optimizer.learning_rate,
            "to be a number (a schedule cannot be set step by step)",
        )
    min_lr = _validate.positive("min_lr", min_lr)
    max_lr = _validate.positive("max_lr", max_lr)
    if max_lr <= min_lr:
        raise _validate.relation("min_lr < max_lr", min_lr=min_lr, max_lr=max_lr)
    steps = _validate.positive_int("steps", steps, minimum=5)
    batch_size = _validate.positive_int("batch_size", batch_size)
    smoothing = _validate.fraction("smoothing", smoothing)
    stop_factor = _validate.number(
        "stop_factor", stop_factor, minimum=1, exclusive_minimum=True
    )
    seed = _validate.positive_int("seed", seed, minimum=0)
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y) or len(x) < batch_size:
        raise _validate.relation(
            "as many targets as inputs, and at least batch_size of them",
            **{"len(x)": len(x), "len(y)": len(y), "batch_size": batch_size},
        )
    if not model.optimizer.built:
        # Built now, so that its moments exist to be saved and restored.
        model.optimizer.build(model.trainable_variables)
    saved_weights = model.get_weights()
    saved_optimizer = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
    saved_lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    rates = min_lr * (max_lr / min_lr) ** (np.arange(steps) / (steps - 1))
    rng = np.random.default_rng(seed)
    order = np.concatenate(
        [rng.permutation(len(x)) for _ in range(-(-steps * batch_size // len(x)))]
    )
    losses, smoothed, average, best = [], [], 0.0, np.inf
    diverged = False
    try:
        for step, rate in enumerate(rates):
            model.optimizer.learning_rate.assign(rate)
            batch = order[step * batch_size : (step + 1) * batch_size]
            logs = model.train_on_batch(x[batch], y[batch], return_dict=True)
            loss = float(logs["loss"])
            losses.append(loss)
            average = smoothing * average + (1 - smoothing) * loss
            smoothed.append(average / (1 - smoothing ** (step + 1)))
            best = min(best, smoothed[-1])
            if not np.isfinite(loss) or smoothed[-1] > stop_factor * best:
                diverged = True
                break
    finally:
        model.set_weights(saved_weights)
        for variable, value in zip(
            model.optimizer.variables, saved_optimizer, strict=True
        ):
            variable.assign(value)
        model.optimizer.learning_rate.assign(saved_lr)
    count = len(losses)
    smoothed = np.array(smoothed)
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    return LearningRateRange(
        learning_rates=rates[:count],
        losses=np.array(losses),
        smoothed=smoothed,
        suggestion=float(rates[int(np.argmin(finite))] / 10),
        diverged=diverged,
    )


@dataclass(frozen=True)
class Search:
    """A finished :func:`search`.

    Attributes:
        tuner: the KerasTuner tuner (its ``oracle`` holds every trial).
        best: the best trial's hyperparameter values.
        trials: one dict per trial in the order run: its values, ``score`` (the
            objective) and ``seconds``.
        seconds: wall time of the whole search.
        directory: the tuner's own files (a fresh run folder).
    """

    tuner: object
    best: dict
    trials: list
    seconds: float
    directory: object


def search(
    build,
    x,
    y,
    *,
    validation_data,
    run_name,
    max_trials=8,
    epochs=2,
    batch_sizes=(32, 64, 128),
    objective="val_accuracy",
    seed=0,
    runs_dir=None,
):
    """A KerasTuner random search whose every trial is a TensorBoard run.

    Args:
        build: ``build(hp) -> compiled keras.Model``: the search space, drawn
            with ``hp.Int``, ``hp.Float``, ``hp.Choice`` (KerasTuner's API).
        x: training inputs.
        y: training targets.
        validation_data: ``(x_val, y_val)``: what the objective is measured on
            (never the test set: the search would then be fitted to it).
        run_name: TensorBoard folder of the search; each trial is a run in it.
        max_trials: trials, >= 1.
        epochs: epochs per trial, >= 1.
        batch_sizes: the batch sizes the search draws from (a hyperparameter
            ``batch_size``: KerasTuner tunes ``fit`` arguments through
            ``HyperModel.fit``).
        objective: a logged quantity to maximise, e.g. ``"val_accuracy"``.
        seed: seed of the random search.
        runs_dir: parent of the runs; defaults to ``config.runs_dir()``.

    Returns:
        :class:`Search`.
    """
    build = _validate.function("build", build)
    runs._check_run_name(run_name)
    max_trials = _validate.positive_int("max_trials", max_trials)
    epochs = _validate.positive_int("epochs", epochs)
    batch_sizes = _validate.positive_ints("batch_sizes", batch_sizes)
    objective = _validate.string("objective", objective)
    seed = _validate.positive_int("seed", seed, minimum=0)
    if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
        raise _validate.error(
            "validation_data",
            type(validation_data).__name__,
            "to be (x_val, y_val)",
            TypeError,
        )
    import keras_tuner

    trials = []
    counter = itertools.count()

    class _HyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            return build(hp)

        def fit(self, hp, model, *args, **kwargs):
            batch_size = hp.Choice("batch_size", list(batch_sizes))
            trial = next(counter)
            logged = {"trial": trial, **hp.values}
            callbacks = runs.callbacks(
                run_name,
                monitor=objective,
                backup=False,
                checkpoint=False,
                runs_dir=runs_dir,
                hparams=logged,
            )
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + list(callbacks)
            start = time.perf_counter()
            history = model.fit(*args, batch_size=batch_size, **kwargs)
            values = history.history.get(objective) or [float("nan")]
            trials.append(
                {
                    **hp.values,
                    "score": float(max(values)),
                    "seconds": time.perf_counter() - start,
                }
            )
            return history

    directory = runs.run_dir(f"{run_name}_tuner", runs_dir)
    tuner = keras_tuner.RandomSearch(
        _HyperModel(),
        objective=keras_tuner.Objective(objective, direction="max"),
        max_trials=max_trials,
        seed=seed,
        directory=str(directory),
        project_name="search",
    )
    start = time.perf_counter()
    tuner.search(x, y, epochs=epochs, validation_data=tuple(validation_data), verbose=0)
    seconds = time.perf_counter() - start
    best = dict(tuner.get_best_hyperparameters(1)[0].values)
    return Search(tuner, best, trials, seconds, directory)
