"""Reading what ``model.fit`` returned: the one parser of training histories.

``model.fit`` returns a ``keras.callbacks.History`` whose ``history`` attribute maps
each logged quantity to one value per epoch, ``{"loss": [...], "val_loss": [...],
"accuracy": [...]}``. The course reads such curves in two places, which share this
parser so that they accept the same inputs and fail with the same messages:

- ``training.summarize_history`` and ``training.diagnose_fit`` (lecture 02), which
  need every curve, all of one length;
- ``plots.training_curves`` (every lecture that trains, 00-10), which draws only the
  requested metrics and can overlay several runs given as ``{label: history}``.

A run is a ``History`` (anything with a ``history`` dict, so no Keras import is
needed to recognise one) or a plain dict. A curve is a list, tuple, NumPy array or
backend tensor of numbers, non-empty and flat; it is returned as a float64 array.

The module imports only NumPy (Keras only to convert a tensor NumPy cannot read),
so ``course.plots`` can use it on any backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from course import _validate

_ONE_RUN = "to be a keras.callbacks.History or a dict of per-epoch lists"
_RUNS = (
    "to be a keras.callbacks.History, a dict of per-epoch lists or a dict mapping "
    "run labels to those"
)


def logs(value: Any) -> Mapping | None:
    """The ``{name: values}`` mapping of a History or a dict, else ``None``."""
    logged = getattr(value, "history", None)
    if isinstance(logged, Mapping):  # a keras.callbacks.History, or alike
        return logged
    if isinstance(value, Mapping):
        return value
    return None


def _run(value: Any, name: str, expected: str = _ONE_RUN) -> dict[str, Any]:
    """The logs of one run as a new dict, checked to be a non-empty mapping."""
    logged = logs(value)
    if logged is None:
        raise _validate.error(name, value, expected, TypeError)
    if not logged:
        raise _validate.error(
            name, logged, "to hold at least one metric (was fit() run?)"
        )
    return dict(logged)


def _to_float_array(values: Any) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        # A list of backend tensors NumPy cannot read itself (e.g. torch on a GPU).
        import keras

        return np.asarray(
            [keras.ops.convert_to_numpy(v) for v in values], dtype=np.float64
        )


def curve(name: str, values: Any) -> np.ndarray:
    """One curve as a non-empty 1-D float64 array, one value per epoch.

    Args:
        name: how the curve is named in messages, e.g. ``"history['loss']"``.
        values: a list, tuple, NumPy array or tensor of numbers.

    Raises:
        TypeError: if ``values`` is not a sequence of numbers.
        ValueError: if it is empty or not flat.
    """
    sequence = isinstance(values, (Sequence, np.ndarray)) or hasattr(values, "shape")
    if not sequence or isinstance(values, (str, bytes)):
        raise _validate.error(name, values, "to be a list of numbers", TypeError)
    try:
        array = _to_float_array(values)
    except (TypeError, ValueError):
        raise _validate.error(
            name, values, "to be a list of numbers", TypeError
        ) from None
    if array.ndim != 1 or array.size == 0:
        raise _validate.error(name, values, "to be a non-empty flat list")
    return array


def curves(
    history: Any, keys: Iterable[str] | None = None, *, name: str = "history"
) -> dict[str, np.ndarray]:
    """The curves of one run, checked, as float64 arrays.

    Args:
        history: a ``keras.callbacks.History`` or a dict of per-epoch lists.
        keys: the curves to read, all present in ``history`` (the caller says
            what a missing one means); ``None`` reads every curve, whose names
            must then be strings.
        name: how ``history`` is named in messages.

    Returns:
        ``{key: array}`` in the order of ``keys`` (or of the history).

    Raises:
        TypeError: if ``history`` is not a History or dict, or a curve is not a
            sequence of numbers.
        ValueError: if ``history`` is empty, or a curve is empty or not flat.
    """
    logged = _run(history, name)
    if keys is None:
        keys = list(logged)
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(
                    f"Expected {name} keys to be metric names. "
                    f"{_validate.received('key', key)}"
                )
    return {key: curve(f"{name}[{key!r}]", logged[key]) for key in keys}


def epochs(curves: Mapping[str, np.ndarray]) -> int:
    """The number of epochs, checked to be the length of every curve."""
    lengths = {key: len(values) for key, values in curves.items()}
    if len(set(lengths.values())) != 1:
        raise _validate.relation(
            "every history curve to have one value per epoch", lengths=lengths
        )
    return next(iter(lengths.values()))


def require(curves: Mapping[str, Any], key: str, hint: str = "") -> None:
    """Raises a ``ValueError`` naming the keys there are if ``key`` is missing."""
    if key not in curves:
        raise _validate.relation(
            f"history to contain {key!r}{hint}", **{"history keys": sorted(curves)}
        )


def runs(history: Any, name: str = "history") -> dict[str | None, dict[str, Any]]:
    """One run or several, as ``{label: logs}``; a single run has label ``None``.

    Several runs are a dict whose every value is a History or a dict, e.g.
    ``{"dropout": history1, "L2": history2}``; labels become strings. Only the
    shape is checked here; read the curves of each run with :func:`curves`.

    Raises:
        TypeError: if ``history`` is none of those, or mixes runs and curves.
        ValueError: if ``history`` or one of its runs is empty.
    """
    single = _run(history, name, _RUNS)
    if isinstance(history, Mapping):
        nested = [logs(value) is not None for value in history.values()]
        if all(nested):
            return {
                str(label): _run(run, f"{name}[{label!r}]")
                for label, run in history.items()
            }
        if any(nested):
            raise _validate.error(
                name,
                history,
                "to map either metrics to lists or run labels to histories, not both",
                TypeError,
            )
    return {None: single}
