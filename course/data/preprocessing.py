"""Standardising inputs with the training set's statistics.

Used by lectures 00, 01 and 02 (on the scikit-learn digits and MNIST): the mean
and standard deviation come from the training data only.

Used in lectures 00, 01 and 02.
"""

from __future__ import annotations

import numpy as np

__all__ = ["normalize"]


def normalize(x_train, *others, axis=None):
    """Standardises with the training set's mean and standard deviation.

    The lecture's rule: convert to floating point first, then subtract the mean
    and divide by the standard deviation, both measured on the training data only
    (using test statistics would leak the test set into training).

    Args:
        x_train: training array, any numeric dtype.
        *others: validation/test arrays standardised with the same statistics.
        axis: axes over which the statistics are taken (``None``: all pixels).

    Returns:
        The standardised ``float32`` arrays, ``x_train`` first.
    """
    train = np.asarray(x_train, dtype=np.float32)
    mean = train.mean(axis=axis, keepdims=axis is not None)
    std = train.std(axis=axis, keepdims=axis is not None)
    std = np.where(std > 0, std, 1.0).astype(np.float32)
    results = [(train - mean) / std]
    results += [(np.asarray(x, dtype=np.float32) - mean) / std for x in others]
    return tuple(results) if others else results[0]
