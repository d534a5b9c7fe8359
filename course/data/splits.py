"""Stratified, seeded selection of examples: the one splitter every loader uses.

Held-out sets and small training subsets must keep every class and repeat from
run to run, or the lectures' comparisons of models would be unfair. Both
functions start from :func:`class_pools`, each class's examples in a seeded random
order:

- :func:`stratified_split` holds out the first examples of every pool (the MNIST
  sample of :func:`course.data.mnist`, lectures 00, 02, 04, 07, 08, 11 and 12;
  the flower photos of :func:`course.data.flowers`, lecture 07);
- :func:`stratified_subset` deals the pools out in turn, one example of each
  class per round (lecture 07's training subsets, through
  :func:`course.transfer.stratified_subset`).

Used in lecture 07.
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

    Per class, the examples are shuffled (:func:`class_pools`), cut to the first
    ``max_per_class``, and the first ones held out for testing.

    Args:
        labels: integer labels, shape ``(n,)``.
        holdout: an int is the number of test examples in all, the same for every
            class (a multiple of the number of classes); a float in (0, 1) the
            share of each class, rounded, with at least one test and one training
            example per class.
        seed: seed of the shuffles.
        max_per_class: keep at most this many examples per class (None: all).

    Returns:
        ``(train, test)``: ``int64`` indices into ``labels``, each shuffled.
    """
    max_per_class = _validate.integer(
        "max_per_class", max_per_class, minimum=1, allow_none=True
    )
    rng = np.random.default_rng(seed)
    pools = [pool[:max_per_class] for pool in class_pools(labels, rng)]
    counts = _held_out(holdout, pools)
    train = np.concatenate([pool[n:] for pool, n in zip(pools, counts, strict=True)])
    test = np.concatenate([pool[:n] for pool, n in zip(pools, counts, strict=True)])
    return rng.permutation(train), rng.permutation(test)


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
