"""The shared argument checks: one table of accepted and rejected values."""

import pathlib

import numpy as np
import pytest

from course import _validate

ACCEPTED = [
    (_validate.boolean, (True,), {}, True),
    (_validate.boolean, (np.bool_(False),), {}, False),
    (_validate.boolean, (None,), {"allow_none": True}, None),
    (_validate.integer, (np.int64(3),), {"minimum": 0}, 3),
    (_validate.integer, (None,), {"allow_none": True}, None),
    (_validate.positive_int, (1,), {}, 1),
    (_validate.number, (2,), {"minimum": 0, "maximum": 2}, 2.0),
    (_validate.positive, (float("inf"),), {}, float("inf")),
    (_validate.non_negative, (0,), {}, 0.0),
    (_validate.fraction, (1.0,), {"inclusive_one": True}, 1.0),
    (_validate.shape, ([28, 28, 1],), {"rank": 3}, (28, 28, 1)),
    (_validate.positive_ints, ((8, 16),), {}, (8, 16)),
    (_validate.choice, ("same", ("same", "valid")), {}, "same"),
    (_validate.string, ("run",), {}, "run"),
    (_validate.path, ("a/b",), {}, pathlib.Path("a/b")),
    (_validate.function, (None,), {"allow_none": True}, None),
]

REJECTED = [
    (_validate.boolean, (1,), {}, TypeError, "to be a bool. Received: x=1"),
    (_validate.boolean, ("yes",), {"allow_none": True}, TypeError, "a bool or None"),
    (_validate.integer, (True,), {}, TypeError, "to be an integer. Received: x=True"),
    (_validate.integer, (5,), {"maximum": 4}, ValueError, "<= 4. Received: x=5"),
    (_validate.positive_int, (0,), {}, ValueError, ">= 1. Received: x=0"),
    (_validate.number, ("1",), {}, TypeError, "to be a number. Received: x='1'"),
    (_validate.number, (float("inf"),), {}, ValueError, "finite number"),
    (_validate.non_negative, (float("nan"),), {}, ValueError, "not NaN"),
    (_validate.positive, (0,), {}, ValueError, "to be > 0. Received: x=0"),
    (_validate.fraction, (1.0,), {}, ValueError, "in [0, 1). Received: x=1.0"),
    (_validate.shape, ((28, 28),), {"rank": 3}, ValueError, "3 entries"),
    (_validate.shape, ("28",), {}, TypeError, "positive integers"),
    (_validate.positive_ints, ((8, 0),), {}, ValueError, "one or more"),
    (_validate.choice, ("full", ("same",)), {}, ValueError, "one of ('same',)"),
    (_validate.choice, ([1], {"a": 1}), {}, ValueError, "Received: x=[1]"),
    (_validate.string, ("  ",), {}, ValueError, "non-empty string"),
    (_validate.path, (3,), {}, TypeError, "to be a path"),
    (_validate.function, (3,), {}, TypeError, "to be a callable. Received: x=3"),
    (_validate.model, ("net",), {}, TypeError, "to be a keras.Model"),
]


@pytest.mark.parametrize(("check", "args", "kwargs", "expected"), ACCEPTED)
def test_accepts_and_converts(check, args, kwargs, expected):
    result = check("x", *args, **kwargs)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("check", "args", "kwargs", "exc", "message"), REJECTED)
def test_rejects_with_the_one_message_shape(check, args, kwargs, exc, message):
    with pytest.raises(exc) as info:
        check("x", *args, **kwargs)
    text = str(info.value)
    assert text.startswith("Expected x ") and "Received: x" in text
    assert message in text


def test_arrays_are_summarised_by_shape():
    error = _validate.error("images", np.zeros((2, 28, 28)), "to be 4-D")
    assert str(error) == "Expected images to be 4-D. Received: images.shape=(2, 28, 28)"


def test_scalars_and_dtypes_print_themselves():
    assert _validate.received("x", np.int64(-1)) == "Received: x=np.int64(-1)"
    assert _validate.received("x.dtype", np.dtype(bool)) == "Received: x.dtype=bool"


def test_model_requires_inputs_when_functional():
    import keras

    model = keras.Sequential([keras.layers.Dense(1, name="dense")], name="unbuilt")
    assert _validate.model("model", model) is model
    with pytest.raises(ValueError, match="built Functional model"):
        _validate.model("model", model, functional=True)


def test_relation_names_every_argument_in_order():
    error = _validate.relation("k <= i + 2p", k=7, i=3, p=1)
    assert isinstance(error, ValueError)
    assert str(error) == "Expected k <= i + 2p. Received: k=7, i=3, p=1"
    error = _validate.relation("equal lengths", TypeError, **{"len(x)": 2})
    assert isinstance(error, TypeError) and str(error).endswith("Received: len(x)=2")
