"""Output sizes along one axis: the guide's relationships and Keras' rules (lecture 03).

The formulas follow Dumoulin & Visin, "A guide to convolution arithmetic for deep
learning" (arXiv:1603.07285, 2016); each function names the guide's relationship
it implements, in the guide's notation (see :mod:`course.arithmetic`).
:func:`conv_output_size`, :func:`pool_output_size` and
:func:`transposed_conv_output_size` take an explicit, symmetric padding ``p``;
:func:`keras_output_size` is what Keras layers produce with ``padding="valid" |
"same" | "causal"``, and :func:`keras_output_padding` the ``output_padding`` that
makes a Keras transposed convolution follow relationship 14. Lecture 10 checks its
atrous (dilated) layers with :func:`keras_output_size`, and ``course.models`` sizes
AlexNet's layers with it.

Used in lectures 03 and 10.
"""

from __future__ import annotations

from course import _validate
from course.arithmetic._common import effective_kernel

__all__ = [
    "conv_output_size",
    "keras_output_padding",
    "keras_output_size",
    "pool_output_size",
    "transposed_conv_output_size",
]

_PADDINGS = ("valid", "same", "causal")


def _check_kernel_fits(i: int, k: int, p: int, d: int) -> int:
    """Returns ``k_eff``, raising unless it fits in the padded input ``i + 2p``."""
    k_eff = effective_kernel(k, d)
    if k_eff > i + 2 * p:
        if d == 1:
            raise _validate.relation(
                "k <= i + 2p (the kernel must fit in the padded input)", k=k, i=i, p=p
            )
        raise _validate.relation(
            "k + (k - 1)(d - 1) <= i + 2p (the dilated kernel must fit in the "
            "padded input)",
            k=k,
            d=d,
            i=i,
            p=p,
        )
    return k_eff


def conv_output_size(i, k, s=1, p=0, d=1) -> int:
    """Output size of a convolution along one axis.

    Implements the guide's general case, relationship 6, with dilation
    (relationship 15)::

        o = floor((i + 2p - k_eff) / s) + 1,   k_eff = k + (k - 1)(d - 1)

    which contains the special cases:

    - relationship 1 (no padding, unit stride): ``o = i - k + 1``;
    - relationship 2 (padding ``p``, unit stride): ``o = i - k + 2p + 1``;
    - relationship 3 (half or "same" padding, odd ``k``, ``p = floor(k / 2)``,
      unit stride): ``o = i``;
    - relationship 4 (full padding, ``p = k - 1``, unit stride): ``o = i + k - 1``;
    - relationship 5 (no padding, stride ``s``): ``o = floor((i - k) / s) + 1``.

    Args:
        i: input size, >= 1.
        k: kernel size, >= 1.
        s: stride, >= 1.
        p: zero padding added to *each* side, >= 0.
        d: dilation rate, >= 1 (``d - 1`` zeros between kernel taps).

    Returns:
        The output size ``o`` (>= 1).

    Raises:
        TypeError: if an argument is not an integer (floats and bools included).
        ValueError: if ``i, k, s, d < 1``, ``p < 0`` or the (dilated) kernel does
            not fit in the padded input, ``k_eff > i + 2p``.
    """
    i = _validate.positive_int("i", i)
    k = _validate.positive_int("k", k)
    s = _validate.positive_int("s", s)
    p = _validate.integer("p", p, minimum=0)
    d = _validate.positive_int("d", d)
    k_eff = _check_kernel_fits(i, k, p, d)
    return (i + 2 * p - k_eff) // s + 1


def pool_output_size(i, k, s=None, p=0) -> int:
    """Output size of a pooling layer along one axis.

    Implements the guide's relationship 7, ``o = floor((i - k) / s) + 1`` for any
    kind of pooling (max, average, ...); the window slides exactly like a
    convolution kernel, so padding enters as for a convolution::

        o = floor((i + 2p - k) / s) + 1

    Args:
        i: input size, >= 1.
        k: pooling window size, >= 1.
        s: stride, >= 1; ``None`` (the default, as in Keras) means ``s = k``,
            non-overlapping windows.
        p: zero padding on each side, >= 0.

    Returns:
        The output size ``o`` (>= 1).

    Raises:
        TypeError: if an argument is not an integer.
        ValueError: if ``i, k, s < 1``, ``p < 0`` or ``k > i + 2p``.
    """
    i = _validate.positive_int("i", i)
    k = _validate.positive_int("k", k)
    s = k if s is None else _validate.positive_int("s", s)
    p = _validate.integer("p", p, minimum=0)
    _check_kernel_fits(i, k, p, 1)
    return (i + 2 * p - k) // s + 1


def transposed_conv_output_size(i, k, s=1, p=0, a=0, d=1) -> int:
    """Output size of a transposed convolution along one axis.

    The transposed convolution of the direct convolution ``(k, s, p)`` maps an
    input of size ``i'`` back to the size the direct convolution started from.
    Implements the guide's relationship 14 (with ``k`` replaced by ``k_eff`` for
    a dilated kernel)::

        o' = s (i' - 1) + a + k_eff - 2p

    where ``a = (i + 2p - k) mod s`` is the number of input rows the direct
    convolution's stride skipped at the bottom/right edge; ``a`` picks one of the
    ``s`` input sizes that a strided convolution maps to the same output size.
    The special cases are:

    - relationship 8 (``s = 1, p = 0``): ``o' = i' + (k - 1)`` (a full-padded
      direct convolution, ``p' = k - 1``);
    - relationship 9 (``s = 1``): ``o' = i' + (k - 1) - 2p`` (``p' = k - p - 1``);
    - relationship 10 (half padding): ``o' = i'``;
    - relationship 11 (full padding, ``p = k - 1``): ``o' = i' - (k - 1)``;
    - relationship 12 (``p = 0``, ``i - k`` a multiple of ``s``):
      ``o' = s (i' - 1) + k``;
    - relationship 13 (``i + 2p - k`` a multiple of ``s``, so ``a = 0``):
      ``o' = s (i' - 1) + k - 2p``.

    ``a`` plays the role of Keras' and PyTorch's ``output_padding``.

    Args:
        i: input size ``i'`` of the transposed convolution, >= 1.
        k: kernel size, >= 1.
        s: stride of the direct convolution (zeros inserted between inputs:
            ``s - 1``), >= 1.
        p: padding of the direct convolution, >= 0.
        a: extra rows at the bottom/right edge, ``0 <= a < s``.
        d: dilation rate, >= 1.

    Returns:
        The output size ``o'`` (>= 1).

    Raises:
        TypeError: if an argument is not an integer.
        ValueError: if ``i, k, s, d < 1``, ``p < 0``, ``a`` is outside
            ``[0, s - 1]``, or the padding ``p`` would crop everything
            (``o' < 1``).
    """
    i = _validate.positive_int("i", i)
    k = _validate.positive_int("k", k)
    s = _validate.positive_int("s", s)
    p = _validate.integer("p", p, minimum=0)
    a = _validate.integer("a", a, minimum=0)
    d = _validate.positive_int("d", d)
    if a >= s:
        raise _validate.relation(
            "0 <= a < s (a counts the input rows that the direct convolution's "
            "stride skipped)",
            a=a,
            s=s,
        )
    size = s * (i - 1) + a + effective_kernel(k, d) - 2 * p
    if size < 1:
        raise _validate.relation(
            "p small enough to leave an output, s (i - 1) + a + k_eff - 2p >= 1",
            p=p,
            i=i,
            k=k,
            s=s,
            a=a,
            d=d,
        )
    return size


def keras_output_size(
    i, k, s=1, padding="valid", d=1, transposed=False, output_padding=None
) -> int:
    """Output size of a Keras convolution or pooling layer along one axis.

    Keras does not take an explicit padding ``p`` but a mode; with
    ``k_eff = k + (k - 1)(d - 1)``:

    - ``"valid"`` (no padding): ``o = floor((i - k_eff) / s) + 1
      = ceil((i - k_eff + 1) / s)``, relationship 15 with ``p = 0``;
    - ``"same"``: ``o = ceil(i / s)``; Keras pads ``max((o - 1) s + k_eff - i, 0)``
      zeros in total, the odd one at the end (so ``p`` is not always symmetric);
    - ``"causal"`` (``Conv1D`` only): ``k_eff - 1`` zeros at the start, so again
      ``o = ceil(i / s)``.

    Pooling layers (``MaxPooling*``, ``AveragePooling*``) follow the same two
    formulas with ``d = 1``; pass ``s = k`` for their default strides.

    With ``transposed=True`` (``Conv*DTranspose``), the rule Keras 3 applies is
    ``_get_output_shape_given_tf_padding`` in
    ``keras/src/backend/common/backend_utils.py`` (used by
    ``compute_conv_transpose_output_shape``):

    - ``"valid"``: ``o' = (i - 1) s + k_eff + output_padding``, where
      ``output_padding=None`` means ``max(k_eff, s) - k_eff``, i.e.
      ``o' = (i - 1) s + max(k_eff, s)``; this is relationship 12 (``a`` being
      ``output_padding``, relationship 14 with ``p = 0``);
    - ``"same"``: ``o' = i s`` when ``output_padding`` is ``None``, otherwise
      ``o' = (i - 1) s + (k_eff mod 2) + output_padding``.

    Like Keras, this rejects ``s > 1`` together with ``d > 1``, ``"causal"``
    outside plain convolutions, and ``output_padding >= s``.

    Args:
        i: input size, >= 1.
        k: kernel (or pooling window) size, >= 1.
        s: stride, >= 1.
        padding: ``"valid"``, ``"same"`` or ``"causal"``.
        d: dilation rate, >= 1.
        transposed: whether the layer is a transposed convolution.
        output_padding: ``None`` or an integer in ``[0, s - 1]`` (transposed
            layers only).

    Returns:
        The size Keras gives the output along this axis (>= 1).

    Raises:
        TypeError: if a size is not an integer or ``transposed`` not a bool.
        ValueError: for sizes < 1, an unknown padding, a combination Keras
            rejects, or a kernel that does not fit a ``"valid"`` input.
    """
    i = _validate.positive_int("i", i)
    k = _validate.positive_int("k", k)
    s = _validate.positive_int("s", s)
    d = _validate.positive_int("d", d)
    transposed = _validate.boolean("transposed", transposed)
    padding = _validate.choice(
        "padding", _validate.string("padding", padding), _PADDINGS
    )
    if s > 1 and d > 1:
        raise _validate.relation(
            "s == 1 or d == 1 (Keras does not support strides > 1 together with "
            "dilation_rate > 1)",
            s=s,
            d=d,
        )
    k_eff = effective_kernel(k, d)
    if not transposed:
        if output_padding is not None:
            raise _validate.error(
                "output_padding", output_padding, "to be None unless transposed=True"
            )
        if padding == "valid":
            _check_kernel_fits(i, k, 0, d)
            return (i - k_eff) // s + 1
        return -(-i // s)
    if padding == "causal":
        raise _validate.error(
            "padding",
            padding,
            "to be 'valid' or 'same' for a transposed convolution (Keras allows "
            "'causal' only in Conv1D)",
        )
    if output_padding is not None:
        output_padding = _validate.integer("output_padding", output_padding, minimum=0)
        if output_padding >= s:
            raise _validate.relation(
                "output_padding < s (Keras' rule)", output_padding=output_padding, s=s
            )
    if padding == "valid":
        extra = max(k_eff, s) - k_eff if output_padding is None else output_padding
        return (i - 1) * s + k_eff + extra
    if output_padding is None:
        return i * s
    size = (i - 1) * s + k_eff % 2 + output_padding
    if size < 1:
        raise _validate.relation(
            "a positive output size, (i - 1) s + (k_eff mod 2) + output_padding >= 1",
            i=i,
            k=k,
            s=s,
            d=d,
            output_padding=output_padding,
        )
    return size


def keras_output_padding(k, s=1, a=0, d=1) -> int | None:
    """The ``output_padding`` to give a ``"valid"`` Keras transposed convolution.

    A ``"valid"`` ``Conv2DTranspose`` with ``output_padding=a`` followed by
    cropping ``p`` on each side is the guide's relationship 14,
    ``o' = s (i' - 1) + a + k_eff - 2p``. Keras' default ``output_padding=None``
    adds ``max(k_eff, s) - k_eff`` instead of ``a`` (see
    :func:`keras_output_size`), which is ``0`` whenever ``k_eff >= s``. This
    returns ``None`` wherever that default gives the same size and ``a``
    otherwise: Keras before 3.11 rejects an explicit ``output_padding=0``, and
    the default works on every version.

    Args:
        k: kernel size, >= 1.
        s: stride, >= 1.
        a: the extra rows wanted, ``0 <= a < s``.
        d: dilation rate, >= 1.

    Returns:
        ``None`` or ``a``; either gives a layer whose output has size
        ``keras_output_size(i, k, s, "valid", d, True, a)`` for every ``i``.

    Raises:
        TypeError: if an argument is not an integer.
        ValueError: if ``k, s, d < 1`` or ``a`` is outside ``[0, s - 1]``.
    """
    k = _validate.positive_int("k", k)
    s = _validate.positive_int("s", s)
    a = _validate.integer("a", a, minimum=0)
    d = _validate.positive_int("d", d)
    if a >= s:
        rule = "0 <= a < s (Keras' rule for output_padding)"
        raise _validate.relation(rule, a=a, s=s)
    k_eff = effective_kernel(k, d)
    return None if a == max(k_eff, s) - k_eff else a
