"""Stratified, seeded selection of examples: the one splitter every loader uses.

Held-out sets and small training subsets must keep every class and repeat from
run to run, or the lectures' comparisons of models would be unfair:

- :func:`stratified_split` draws the same share (or number) of every class for
  testing (the MNIST sample of :func:`course.data.mnist`, lectures 00, 02, 04,
  07, 08, 11 and 12; the flower photos of :func:`course.data.flowers`, lecture 07);
- :func:`stratified_subset` deals :func:`class_pools`, each class's examples in a
  seeded random order, out in turn, one example of each class per round
  (lecture 07's training subsets, through :func:`course.transfer.stratified_subset`).

Used in lectures 07 and 13.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from course import _validate

__all__ = ["class_pools", "stratified_split", "stratified_subset"]


def class_pools(labels, rng: np.random.Generator) -> list[np.ndarray]:
    """The indices of each class's examples, each class shuffled by ``rng``.

    Args:
        labels: integer labels, shape ``(n,)``.
        rng: the generator; one permutation is drawn per class, in class order.

    Returns:
        One ``int64`` array per class present in ``labels``, in sorted class order.
    """
    labels = np.asarray(labels)
    return [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]


def _held_out(holdout, pools: list[np.ndarray]) -> list[int]:
    """How many examples of each pool go to the test side (see stratified_split)."""
    if isinstance(holdout, Integral) and not isinstance(holdout, bool):
        per_class, rest = divmod(_validate.positive_int("holdout", holdout), len(pools))
        if rest or per_class >= min(len(pool) for pool in pools):
            raise _validate.error(
                "holdout",
                holdout,
                f"to be a multiple of the {len(pools)} classes that leaves every "
                "class at least one training example",
            )
        return [per_class] * len(pools)
    fraction = _validate.number("holdout", holdout)
    if not 0 < fraction < 1:
        raise _validate.error("holdout", holdout, "to be an int or in (0, 1)")
    # At least one per side, as long as the class has two examples.
    return [min(len(p) - 1, max(1, round(fraction * len(p)))) for p in pools]


def stratified_split(labels, holdout, seed=0, max_per_class=None):
    """Splits examples into train and test indices with every class on both sides.

    Per class, in class order: keep a seeded random ``max_per_class`` of the
    examples (all when None), then draw the test examples from them at random
    without replacement; the rest train. Both sides are finally shuffled. (This
    is the draw the MNIST sample has always used, so its splits, and every
    notebook output that depends on them, stay as they were.)

    Args:
        labels: integer labels, shape ``(n,)``.
        holdout: an int is the number of test examples in all, the same for every
            class (a multiple of the number of classes); a float in (0, 1) the
            share of each class, rounded, with at least one test and one training
            example per class.
        seed: seed of the draws.
        max_per_class: keep at most this many examples per class (None: all).

    Returns:
        ``(train, test)``: ``int64`` indices into ``labels``, each shuffled.
    """
    max_per_class = _validate.integer(
        "max_per_class", max_per_class, minimum=1, allow_none=True
    )
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    pools = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    if max_per_class is not None:
        pools = [
            rng.choice(pool, size=min(max_per_class, len(pool)), replace=False)
            for pool in pools
        ]
    counts = _held_out(holdout, pools)
    is_test = np.zeros(len(labels), dtype=bool)
    for pool, count in zip(pools, counts, strict=True):
        is_test[rng.choice(pool, size=count, replace=False)] = True
    kept = np.zeros(len(labels), dtype=bool)
    kept[np.concatenate(pools)] = True
    train = np.flatnonzero(kept & ~is_test)
    return rng.permutation(train), rng.permutation(np.flatnonzero(is_test))


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
    size = _validate.positive_int("size", size, minimum=len(np.unique(y)))
    if size > len(y):
        raise _validate.error("size", size, f"<= {len(y)} (the labels given)")
    rng = np.random.default_rng(seed)
    pools = class_pools(y, rng)
    chosen, round_ = [], 0
    while len(chosen) < size:
        for pool in pools:
            if round_ < len(pool) and len(chosen) < size:
                chosen.append(pool[round_])
        round_ += 1
    return rng.permutation(np.asarray(chosen, dtype=np.int64))
