"""What every part of :mod:`course.arithmetic` shares: the dilated kernel size and
the message of a rule that ties several arguments together.

Rules on one argument go through :mod:`course._validate`; a rule between several
(``k <= i + 2p``, ``a < s``) names them all after ``Received:``, in the same
``Expected ... Received: ...`` shape.
"""

from __future__ import annotations


def effective_kernel(k: int, d: int) -> int:
    """``k_eff = k + (k - 1)(d - 1)``: the span of a kernel dilated by ``d``
    (Dumoulin & Visin, 2016, relationship 15)."""
    return k + (k - 1) * (d - 1)


def relation_error(expected: str, **values) -> ValueError:
    """Returns (does not raise) ``ValueError("Expected <expected>. Received: a=1,
    b=2")`` for a rule between the arguments ``values`` (in the order given)."""
    shown = ", ".join(f"{name}={value!r}" for name, value in values.items())
    return ValueError(f"Expected {expected}. Received: {shown}")
