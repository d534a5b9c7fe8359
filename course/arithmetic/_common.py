"""What every part of :mod:`course.arithmetic` shares: the dilated kernel size.

Checks, including rules between several arguments (``k <= i + 2p``, ``a < s``,
through ``_validate.relation``), go through :mod:`course._validate`.
"""

from __future__ import annotations


def effective_kernel(k: int, d: int) -> int:
    """``k_eff = k + (k - 1)(d - 1)``: the span of a kernel dilated by ``d``
    (Dumoulin & Visin, 2016, relationship 15)."""
    return k + (k - 1) * (d - 1)
