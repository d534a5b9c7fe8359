"""Parameter counts of convolutional layers (lecture 03).

The lecture's formula: a ``k x k`` kernel from ``m`` to ``n`` channels has
``(k^2 m + 1) n`` parameters, so two 3x3 layers (20 weights per channel pair)
see as far as one 5x5 layer (26) with fewer weights; grouped and depthwise
convolutions divide the count further. Lectures 05 and 06 set these counts next
to the published tables; :func:`count_params` splits a model's total into
trainable and frozen parameters (lectures 06 and 07).

Used in lectures 03, 05, 06 and 07.
"""

from __future__ import annotations

import math

from course import _validate

__all__ = ["conv_params", "count_params"]


def _kernel_area(k) -> int:
    """``K``, the product of the kernel sizes (``k * k`` for an integer ``k``)."""
    if _validate.is_int(k):  # A square 2-D kernel, k x k.
        return _validate.positive_int("k", k) ** 2
    if isinstance(k, (tuple, list)) and k and all(_validate.is_int(v) for v in k):
        return math.prod(_validate.shape("k", tuple(k)))
    raise _validate.error("k", k, "to be an integer or a tuple of integers", TypeError)


def conv_params(k, c_in, c_out, bias=True, groups=1, depthwise=False) -> int:
    """Number of parameters of a convolutional layer.

    The lecture's formula: a ``k x k`` kernel from ``m = c_in`` to ``n = c_out``
    channels has ``(k^2 m + 1) n`` parameters, e.g. ``(3^2 * 16 + 1) * 32 = 4640``.
    In general, with ``K`` the product of the kernel sizes::

        K * (c_in / groups) * c_out + (c_out if bias else 0)

    Grouped convolutions (``groups = g``) connect each output channel to
    ``c_in / g`` input channels only. A depthwise convolution is the extreme case
    ``groups = c_in``: with ``depthwise=True`` every input channel gets
    ``c_out / c_in`` filters of its own (Keras' ``depth_multiplier``), so
    ``c_out`` must be a multiple of ``c_in`` and the count is
    ``K * c_out + (c_out if bias else 0)``.

    Args:
        k: kernel size: an integer for a square 2-D ``k x k`` kernel, or a tuple,
            ``(kh, kw)`` (2-D), ``(k,)`` (1-D) or ``(kd, kh, kw)`` (3-D).
        c_in: input channels ``m``.
        c_out: output channels ``n`` (filters; for depthwise, ``c_in`` times the
            depth multiplier).
        bias: whether each output channel has a bias.
        groups: number of groups; must divide ``c_in`` and ``c_out``.
        depthwise: count a depthwise convolution (then ``groups`` must be 1).

    Returns:
        The number of trainable parameters.

    Raises:
        TypeError: for non-integer sizes or non-bool flags.
        ValueError: for sizes < 1, ``groups`` not dividing the channels, or
            ``c_out`` not a multiple of ``c_in`` with ``depthwise=True``.
    """
    area = _kernel_area(k)
    c_in = _validate.positive_int("c_in", c_in)
    c_out = _validate.positive_int("c_out", c_out)
    bias = _validate.boolean("bias", bias)
    groups = _validate.positive_int("groups", groups)
    depthwise = _validate.boolean("depthwise", depthwise)
    biases = c_out if bias else 0
    if depthwise:
        if groups != 1:
            raise _validate.error(
                "groups",
                groups,
                "to be 1 with depthwise=True (a depthwise convolution already has "
                "groups=c_in)",
            )
        if c_out % c_in:
            raise _validate.relation(
                "c_out to be a multiple of c_in for a depthwise convolution (c_out = "
                "c_in * depth_multiplier)",
                c_out=c_out,
                c_in=c_in,
            )
        return area * c_out + biases
    for name, value in (("c_in", c_in), ("c_out", c_out)):
        if value % groups:
            raise _validate.relation(
                f"{name} to be divisible by groups", **{name: value, "groups": groups}
            )
    return area * (c_in // groups) * c_out + biases


def count_params(model) -> dict[str, int]:
    """Trainable and frozen parameter counts of a model or a built layer.

    Keras' ``count_params()`` adds both; the lectures need them apart. Lecture 06
    compares plain and residual nets of equal trainable size and counts the
    weights of each dense layer of a DenseNet block; lecture 07 shows what
    freezing a base leaves to train.

    Args:
        model: a built ``keras.Model`` or ``keras.layers.Layer``.

    Returns:
        ``{"trainable": ..., "non_trainable": ...}``; batch-norm moving statistics
        are always non-trainable.
    """
    import keras  # here, so the size formulas above stay free of Keras

    if not isinstance(model, keras.layers.Layer):
        raise _validate.error("model", model, "to be a keras.Model or layer", TypeError)
    if not model.built:
        raise _validate.error("model", model.name, "to be built (called on an input)")
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    return {"trainable": int(trainable), "non_trainable": int(frozen)}
