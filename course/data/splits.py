"""Stratified, seeded selection of examples: the one splitter every loader uses.

Lectures 02, 07 and 13 compare models on subsets of a dataset; a subset that
dropped a class, or changed with the run, would make those comparisons unfair.
"""

from __future__ import annotations

import numpy as np

from course import _validate

__all__ = ["stratified_subset"]


def stratified_subset(y, size, seed=0):
    """Indices of ``size`` examples with the classes as balanced as possible.

    Args:
        y: integer labels, shape ``(n,)``.
        size: number of indices, from the number of classes to ``n``.
        seed: seed of the choice within each class.

    Returns:
        ``int64`` indices into ``y``, shuffled.
    """
    y = np.asarray(y)
    classes = np.unique(y)
    size = _validate.positive_int("size", size, minimum=len(classes))
    if size > len(y):
        raise _validate.error("size", size, f"<= {len(y)} (the labels given)")
    rng = np.random.default_rng(seed)
    pools = [rng.permutation(np.flatnonzero(y == c)) for c in classes]
    chosen, round_ = [], 0
    while len(chosen) < size:
        for pool in pools:
            if round_ < len(pool) and len(chosen) < size:
                chosen.append(pool[round_])
        round_ += 1
    return rng.permutation(np.asarray(chosen, dtype=np.int64))
