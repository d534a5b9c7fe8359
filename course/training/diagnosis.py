"""The numbers of a training curve and the verdict on a fit.

``summarize_history`` turns the curves in a ``History`` into the numbers a lecture
discusses (best epoch, final and best values, train/validation gaps);
``diagnose_fit`` applies the lecture's rules of thumb to call a run underfitting,
a good fit or overfitting. Both read the History through
``course.training.history``, the parser ``plots.training_curves`` uses too.

Used in lecture 02.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from course import _validate
from course.training import history as _history

# Substrings marking a metric where larger is better (as Keras' own "auto" mode
# guesses from the name); every other metric, the loss included, is minimised.
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fmeasure", "iou")
# Logged by LR schedulers; a hyperparameter, not a quality measure.
_NOT_METRICS = ("lr", "learning_rate")

FIT_VERDICTS = ("underfitting", "good fit", "overfitting")


def _higher_is_better(name: str) -> bool:
    base = name.removeprefix("val_").lower()
    return any(token in base for token in _HIGHER_IS_BETTER)


def _best_index(name: str, values: np.ndarray) -> int | None:
    if np.all(np.isnan(values)):
        return None
    # nan* ignores epochs where training diverged to NaN.
    return int(
        np.nanargmax(values) if _higher_is_better(name) else np.nanargmin(values)
    )


def _epoch_curves(history: Any) -> dict[str, np.ndarray]:
    """Every curve of ``history``, all of the same length."""
    curves = _history.curves(history)
    _history.epochs(curves)
    return curves


def summarize_history(history: Any) -> dict[str, Any]:
    """The numbers to read off a training curve.

    Args:
        history: what ``model.fit`` returned, or a dict such as
            ``{"loss": [...], "val_loss": [...], "accuracy": [...]}`` with one
            value per epoch.

    Returns:
        A dict with

        - ``"epochs"``: number of epochs recorded.
        - ``"monitor"``: ``"val_loss"`` when present, else ``"loss"``.
        - ``"best_epoch"``: 1-based epoch with the lowest ``monitor`` (``None`` if
          it is NaN throughout).
        - ``"final"``: ``{name: value at the last epoch}`` for every curve.
        - ``"best"``: ``{name: best value}`` for every metric, the maximum for
          accuracy-like metrics (accuracy, AUC, precision, recall, F1, IoU), the
          minimum for the others (losses, errors). Learning rates are left out.
        - ``"gap"``: ``{name: train - val at the last epoch}`` for every metric
          logged both with and without ``val_``, e.g. ``"loss"`` and
          ``"accuracy"``. Overfitting shows as a positive accuracy gap and a
          negative loss gap.

    Raises:
        TypeError: if ``history`` is neither a History nor a dict of number lists.
        ValueError: if it is empty, has no ``loss`` or its curves differ in length.
    """
    curves = _epoch_curves(history)
    _history.require(curves, "loss")
    monitor = "val_loss" if "val_loss" in curves else "loss"
    best_index = _best_index(monitor, curves[monitor])
    final = {name: float(values[-1]) for name, values in curves.items()}
    best = {}
    for name, values in curves.items():
        if name in _NOT_METRICS:
            continue
        index = _best_index(name, values)
        best[name] = math.nan if index is None else float(values[index])
    gap = {
        name: float(values[-1] - curves[f"val_{name}"][-1])
        for name, values in curves.items()
        if not name.startswith("val_")
        and name not in _NOT_METRICS
        and f"val_{name}" in curves
    }
    return {
        "epochs": _history.epochs(curves),
        "monitor": monitor,
        "best_epoch": None if best_index is None else best_index + 1,
        "final": final,
        "best": best,
        "gap": gap,
    }


def _threshold(name: str, value: Any, **bounds: Any) -> float | None:
    # diagnose_fit has always answered a bad threshold, of any type, with a
    # ValueError; _validate says TypeError for a wrong type, so it is converted.
    try:
        return _validate.number(name, value, minimum=0, **bounds)
    except TypeError as error:
        raise ValueError(str(error)) from None


def _validation_loss_turned_up(curves: Mapping[str, np.ndarray], rise: float) -> bool:
    """Whether the validation loss ended ``rise`` above its minimum while the
    training loss kept falling (the other sign of overfitting)."""
    if "loss" not in curves or "val_loss" not in curves:
        return False
    val_loss, loss = curves["val_loss"], curves["loss"]
    best = _best_index("val_loss", val_loss)
    if best is None or best == val_loss.size - 1:
        return False
    turned_up = val_loss[-1] - val_loss[best] > rise * abs(val_loss[best])
    still_learning = loss[-1] < loss[best]
    return bool(turned_up and still_learning)


def diagnose_fit(
    history: Any,
    metric: str = "accuracy",
    *,
    gap: float = 0.05,
    low: float | None = 0.8,
    rise: float = 0.1,
) -> str:
    """Labels a training run "underfitting", "good fit" or "overfitting".

    The rules are the lecture's rules of thumb, applied to the last epoch of a
    higher-is-better ``metric`` (train value ``t``, validation value ``v``) and to
    the loss curves, checked in this order:

    1. **Underfitting** if the model does not even fit its training data:
       ``t < low``. A model that fits neither set is struggling to learn at all,
       whatever its train/validation gap.
    2. **Overfitting** if the model does clearly better on the data it trained on:
       ``t - v > gap``; or if the validation loss has turned up, ending more than
       ``rise`` (relative) above its minimum, while the training loss is still
       lower than at that minimum (memorising the training set instead of
       learning what generalises).
    3. **Underfitting** if it does clearly better on validation than on training,
       ``v - t > gap`` (typical of too much regularisation or too few epochs).
    4. **Good fit** otherwise.

    ``low`` depends on how hard the task is: set it to the training accuracy a
    capable model reaches on your data (the 0.8 default suits MNIST-like tasks;
    ``None`` switches the rule off). The last epoch is used as is, so smooth noisy
    curves or train longer before reading much into a borderline verdict.

    Note that Keras logs the training metric while training: with dropout active
    and batch norm on batch statistics, and averaged over an epoch of changing
    weights. For regularised models that understates the training accuracy; to
    compare like with like, evaluate the training set after ``fit`` as well.

    Args:
        history: what ``model.fit`` returned, or a dict of per-epoch lists; it
            must hold ``metric`` and ``"val_" + metric``.
        metric: a metric where higher is better, such as ``"accuracy"``.
        gap: largest train/validation difference still counted as a good fit.
        low: smallest training value not counted as underfitting, or ``None``.
        rise: relative rise of the validation loss above its minimum that counts
            as overfitting.

    Returns:
        One of ``"underfitting"``, ``"good fit"``, ``"overfitting"``.

    Raises:
        TypeError: if ``history`` or ``metric`` has the wrong type.
        ValueError: if a curve is missing, ``metric`` is not higher-is-better, or a
            threshold is out of range.
    """
    curves = _epoch_curves(history)
    metric = _validate.string("metric", metric)
    if metric.startswith("val_") or not _higher_is_better(metric):
        raise _validate.error(
            "metric",
            metric,
            "to be a training metric where higher is better, such as 'accuracy'",
        )
    hint = f" (fit with validation data and metrics=[{metric!r}])"
    for name in (metric, f"val_{metric}"):
        _history.require(curves, name, hint)
    gap = _threshold("gap", gap, maximum=1)
    low = _threshold("low", low, maximum=1, allow_none=True)
    rise = _threshold("rise", rise)

    train = float(curves[metric][-1])
    val = float(curves[f"val_{metric}"][-1])
    if math.isnan(train) or math.isnan(val):
        raise _validate.relation(
            "finite values at the last epoch", **{metric: train, f"val_{metric}": val}
        )

    if low is not None and train < low:
        return "underfitting"
    if train - val > gap or _validation_loss_turned_up(curves, rise):
        return "overfitting"
    if val - train > gap:
        return "underfitting"
    return "good fit"


def epochs_to_reach(curve: Any, target: Any) -> int:
    """The first epoch (counted from 1) whose value is at or below ``target``.

    Krizhevsky et al. (2012, Figure 1) compare ReLU and tanh by the epochs each
    needs to reach a training error. This reads that number off a per-epoch
    curve (a ``History``'s); lecture 05 measures it to a fraction of an epoch
    with :class:`course.training.ErrorProbe`. A curve that never gets there
    returns ``len(curve) + 1``, so "not reached within the run" still sorts last.

    Args:
        curve: the per-epoch values of one metric (a list or 1-D array), e.g.
            a training error that falls.
        target: the value to reach.

    Returns:
        The epoch number, from 1 to ``len(curve) + 1``.
    """
    target = _validate.number("target", target)
    values = _history.curve("curve", curve)
    hits = np.flatnonzero(values <= target)
    return int(hits[0]) + 1 if hits.size else len(values) + 1
