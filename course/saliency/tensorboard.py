"""A Keras callback that writes saliency maps to TensorBoard (lecture 11).

The maps of a few fixed images, written every few epochs, show in the IMAGES tab
how the evidence a network uses sharpens as it trains (any of the methods of
:data:`course.saliency.maps.METHODS`: Simonyan et al. 2014, Smilkov et al. 2017,
Springenberg et al. 2015, Kim et al. 2019, Selvaraju et al. 2017, ...).

Used in lecture 11.
"""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

from course import _validate, plots
from course.saliency.maps import METHODS, saliency_map

__all__ = ["SaliencyImages"]


class SaliencyImages(keras.callbacks.Callback):
    """Writes saliency maps of fixed images to TensorBoard while a model trains.

    Each map is laid over its image (``course.plots.overlay_rgb``) and written
    as an image summary ``saliency/<method>`` in ``<log_dir>/saliency``, next to
    the TensorBoard callback's ``train`` and ``validation`` folders; the IMAGES
    tab then shows how the evidence the network uses sharpens epoch by epoch.

    Args:
        images: the images to explain (a few).
        class_index: the class explained, one or one per image (``None``: the
            current prediction).
        method: a key of :data:`~course.saliency.maps.METHODS`, or a sequence of
            them.
        log_dir: the run folder, e.g. ``course.training.callbacks(...).run_dir``.
        every: write every this many epochs, >= 1.
        **map_options: passed to :func:`~course.saliency.maps.saliency_map`.
    """

    def __init__(
        self,
        images,
        class_index,
        method="vanilla",
        log_dir=None,
        every=1,
        **map_options,
    ):
        super().__init__()
        methods = [method] if isinstance(method, str) else list(method)
        for each in methods:
            _validate.choice("method", each, tuple(METHODS))
        _validate.path("log_dir", log_dir)
        self.images = np.asarray(images, dtype=np.float32)
        self.class_index = class_index
        self.methods = methods
        self.log_dir = os.path.join(os.fspath(log_dir), "saliency")
        self.every = _validate.positive_int("every", every)
        self.map_options = map_options
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            for method in self.methods:
                maps = saliency_map(
                    self.model,
                    self.images,
                    self.class_index,
                    method,
                    **self.map_options,
                )
                pictures = np.stack(
                    [
                        plots.overlay_rgb(i, m)
                        for i, m in zip(self.images, maps, strict=True)
                    ]
                )
                tf.summary.image(
                    f"saliency/{method}",
                    pictures,
                    step=epoch,
                    max_outputs=len(pictures),
                )
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
