"""``models.googlenet(width=...)``: the narrowed GoogLeNet of lecture 06's
auxiliary-classifier experiment keeps the paper's topology at a fraction of its
filters."""

import keras
import numpy as np
import pytest

from course import models, training
from course.models.inception import TABLE1


@pytest.fixture(autouse=True)
def _fresh_session():
    yield
    keras.backend.clear_session()


def _narrow(**options):
    return models.googlenet(
        stem="cifar", input_shape=(24, 24, 3), num_classes=10, width=0.125, **options
    )


def test_width_scales_every_layer():
    model = _narrow()
    assert model.get_layer("conv1_3x3").filters == 8
    assert model.get_layer("conv2_3x3_reduce").filters == 8
    assert model.get_layer("conv2_3x3").filters == 24
    for row in TABLE1:
        if row == "pool":
            continue
        name, *filters = row
        out = model.get_layer(f"inception_{name}_output").output.shape[-1]
        assert out == sum(
            round(f / 8) for f in (filters[0], filters[2], filters[4], filters[5])
        )
    # Section 5's heads, narrowed alike: 1x1 conv 128 -> 16, FC 1024 -> 128.
    assert model.get_layer("aux1_conv").filters == 16
    assert model.get_layer("aux2_fc").units == 128
    assert [tuple(o.shape) for o in model.outputs] == [(None, 10)] * 3


def test_width_one_is_the_paper():
    assert models.googlenet(aux_classifiers=False, width=1.0).count_params() == (
        models.googlenet(aux_classifiers=False).count_params()
    )


def test_tiny_width_keeps_one_filter():
    model = models.googlenet(
        aux_classifiers=False, stem="cifar", input_shape=(8, 8, 3), width=0.001
    )
    assert model.get_layer("inception_3a_5x5_reduce").filters == 1


def test_aux_heads_add_gradient_below_4d_only():
    # The lecture's measurement in small: the same weights under the main loss alone
    # and with the auxiliary losses (weight 0.3) added.
    keras.utils.set_random_seed(0)
    model = _narrow()
    x = np.random.default_rng(0).random((8, 24, 24, 3), dtype="float32")
    y = np.arange(8) % 10

    def objective(weight):
        def loss(y_true, outputs):
            main, aux1, aux2 = (
                keras.losses.sparse_categorical_crossentropy(y_true, o) for o in outputs
            )
            return main + weight * (aux1 + aux2)

        return loss

    without = training.gradient_norms(model, x, y, objective(0.0))
    with_aux = training.gradient_norms(model, x, y, objective(0.3))
    assert with_aux["inception_3a_3x3"] > without["inception_3a_3x3"]
    np.testing.assert_allclose(
        with_aux["inception_5b_3x3"], without["inception_5b_3x3"], rtol=1e-5
    )


@pytest.mark.parametrize("width", [0, -0.5, float("inf"), "half", None])
def test_bad_width(width):
    with pytest.raises((ValueError, TypeError), match="width"):
        models.googlenet(width=width)
