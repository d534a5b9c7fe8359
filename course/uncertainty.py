"""How sure is the net? Monte Carlo dropout as a cheap Bayesian stand-in.

Seed 001 lists Bayesian networks among the "other network types" for when a
confidence score is needed. A Bayesian net keeps a distribution over its weights;
Gal & Ghahramani ("Dropout as a Bayesian Approximation: Representing Model
Uncertainty in Deep Learning", ICML 2016) showed that a net trained with dropout,
run with dropout still on at test time, samples from an approximation of one. The
spread of those samples is the model's uncertainty:

- the *predictive entropy* ``H[mean_t p_t]`` (total uncertainty: high where the
  averaged prediction is flat);
- the *mutual information* ``H[mean_t p_t] - mean_t H[p_t]`` (Houlsby et al.'s
  BALD, 2011): the part due to the weights, high where the samples disagree -
  what should rise on inputs unlike the training data.

Only the dropout layers may be random in those passes: batch normalisation keeps
its moving statistics (a Keras 3 ``BatchNormalization`` whose ``trainable`` is
False runs in inference mode even when called with ``training=True``), and models
with random augmentation or noise layers are refused.

Backend-independent (``keras.ops`` only). Used in lecture 13.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from course import _validate

__all__ = ["MCDropout", "mc_dropout", "predictive_entropy"]

# Layers whose training-mode randomness *is* the Monte Carlo sample.
_DROPOUT = (
    keras.layers.Dropout,
    keras.layers.SpatialDropout1D,
    keras.layers.SpatialDropout2D,
    keras.layers.SpatialDropout3D,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
)
# Layers that are random in training but are not dropout: their noise would be
# counted as the model's uncertainty.
_REFUSED = (keras.layers.GaussianNoise,)


@dataclass(frozen=True)
class MCDropout:
    """Monte Carlo dropout predictions of a batch.

    Attributes:
        probabilities: ``(n, classes)``: the mean over the dropout samples.
        predictions: ``(n,)``: the class of highest mean probability.
        entropy: ``(n,)``: predictive entropy of the mean, in nats.
        mutual_information: ``(n,)``: entropy of the mean minus the mean entropy
            of the samples, in nats, >= 0.
        samples: how many dropout passes were averaged.
    """

    probabilities: np.ndarray
    predictions: np.ndarray
    entropy: np.ndarray
    mutual_information: np.ndarray
    samples: int


def predictive_entropy(probabilities):
    """Entropy ``-sum p log p`` of each row of class probabilities, in nats.

    Args:
        probabilities: ``(n, classes)``, rows summing to 1.

    Returns:
        ``float64 (n,)``, between 0 (certain) and ``log(classes)`` (uniform).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or not p.size:
        raise _validate.error(
            "probabilities.shape", p.shape, "to be (n, classes) and non-empty"
        )
    if (
        not np.all(np.isfinite(p))
        or p.min() < 0
        or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3)
    ):
        raise _validate.error(
            "probabilities",
            "rows outside the simplex",
            "to hold rows of p >= 0 summing to 1",
        )
    # 0 log 0 = 0: the clip only keeps log() finite where p is 0.
    return -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(axis=1)


def _layers(model):
    """Every layer of ``model``, nested models included."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _layers(layer)


def mc_dropout(model, images, samples=30, batch_size=256):
    """Predicts ``images`` ``samples`` times with dropout on, and summarises.

    Args:
        model: a trained classifier with softmax outputs and at least one
            dropout layer (e.g. ``models.small_vgg(dropout=0.5)``).
        images: a batch the model accepts.
        samples: dropout passes, >= 2 (Gal & Ghahramani used 10 to 100).
        batch_size: images per forward pass, >= 1.

    Returns:
        :class:`MCDropout`. The masks come from the dropout layers' own seed
        generators: call ``keras.utils.set_random_seed`` before building the
        model for repeatable results.

    Raises:
        ValueError: for a model without dropout, or with other random layers.
    """
    model = _validate.model("model", model)
    samples = _validate.positive_int("samples", samples, minimum=2)
    batch_size = _validate.positive_int("batch_size", batch_size)
    layers = list(_layers(model))
    names = [layer.name for layer in layers]
    if not any(isinstance(layer, _DROPOUT) for layer in layers):
        raise _validate.error(
            "model", model.name, f"to contain a dropout layer. Its layers: {names}"
        )
    refused = [
        layer.name
        for layer in layers
        if isinstance(layer, _REFUSED) or type(layer).__name__.startswith("Random")
    ]
    if refused:
        raise _validate.error(
            "model",
            model.name,
            "to be random only in its dropout layers; these would add their own "
            f"noise: {refused}",
        )
    images = np.asarray(images)
    norms = [
        layer
        for layer in layers
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
    ]
    draws = []
    try:
        for layer in norms:
            layer.trainable = False
        for _ in range(samples):
            batches = [
                keras.ops.convert_to_numpy(
                    model(images[i : i + batch_size], training=True)
                )
                for i in range(0, len(images), batch_size)
            ]
            draws.append(np.concatenate(batches).astype(np.float64))
    finally:
        for layer in norms:
            layer.trainable = True
    draws = np.stack(draws)
    mean = draws.mean(axis=0)
    entropy = predictive_entropy(mean)
    expected = np.mean([predictive_entropy(d) for d in draws], axis=0)
    return MCDropout(
        probabilities=mean,
        predictions=mean.argmax(axis=1),
        entropy=entropy,
        # Jensen: never negative in exact arithmetic; clip float rounding.
        mutual_information=np.maximum(entropy - expected, 0.0),
        samples=samples,
    )
