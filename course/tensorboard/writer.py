"""An event-file writer for TensorBoard's dashboards that needs no TensorFlow.

Keras' ``TensorBoard`` callback writes scalars, graphs and histograms through
``tf.summary``. The course's own summaries - run provenance (text), comparison
settings (HParams), pictures during training (images) and final figures
(scalars) - go through this writer instead: it builds the summary protocol
buffers of TensorBoard's plugins itself and hands them to TensorBoard's own
``EventFileWriter``, so it works on every Keras backend (JAX included) wherever
the ``tensorboard`` package is installed. It does not need TensorFlow (that
writer uses TensorFlow's file system when TensorFlow is installed and its own
stand-in otherwise).
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.image import metadata as image_metadata
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorboard.plugins.text import metadata as text_metadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

from course import _validate

__all__ = ["EventWriter", "to_uint8_images"]


def to_uint8_images(images):
    """Images as ``(n, height, width, channels)`` uint8 with 1, 3 or 4 channels.

    Floats are read as values in [0, 1] (clipped); a 3-D array is a batch of grey
    images.

    Raises:
        ValueError: for another rank or channel count.
    """
    array = np.asarray(images)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4) or not array.size:
        raise _validate.error(
            "images",
            array,
            "to be a non-empty batch (n, height, width[, channels]) with 1, 3 or 4 "
            "channels",
        )
    if array.dtype != np.uint8:
        array = np.round(np.clip(array.astype(np.float64), 0, 1) * 255).astype(np.uint8)
    return array


def _png(image):
    """PNG bytes of one ``(height, width, channels)`` uint8 image."""
    from PIL import Image

    mode = {1: "L", 3: "RGB", 4: "RGBA"}[image.shape[-1]]
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if mode == "L" else image, mode).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


class EventWriter:
    """Writes scalar, text, image and raw summaries into one TensorBoard run folder.

    Each writer owns one event file in ``log_dir`` (TensorBoard reads every
    ``events.out.tfevents.*`` file of a folder as the same run). Use it as a
    context manager, or call :meth:`close`; :meth:`flush` makes what was written
    visible to a running TensorBoard.

    Args:
        log_dir: the run's folder (created if missing).
    """

    def __init__(self, log_dir):
        log_dir = _validate.path("log_dir", log_dir)
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        self.log_dir = Path(log_dir)
        self._writer = EventFileWriter(os.fspath(log_dir))

    def summary(self, summary, step=0):
        """Writes a ready ``Summary`` protocol buffer at ``step``."""
        step = _validate.integer("step", step, minimum=0)
        event = event_pb2.Event(wall_time=time.time(), step=step, summary=summary)
        self._writer.add_event(event)

    def _value(self, tag, metadata, array, step):
        tag = _validate.string("tag", tag)
        value = summary_pb2.Summary.Value(
            tag=tag, metadata=metadata, tensor=tensor_util.make_tensor_proto(array)
        )
        self.summary(summary_pb2.Summary(value=[value]), step)

    def scalar(self, tag, value, step=0):
        """A point of the curve ``tag`` (the SCALARS tab)."""
        value = _validate.number("value", value)
        metadata = scalar_metadata.create_summary_metadata(
            display_name=tag, description=""
        )
        self._value(tag, metadata, np.float32(value), step)

    def text(self, tag, markdown, step=0):
        """A markdown text (the TEXT tab)."""
        markdown = _validate.string("markdown", markdown)
        metadata = text_metadata.create_summary_metadata(
            display_name=tag, description=""
        )
        self._value(
            tag, metadata, np.array(markdown.encode("utf-8"), dtype=object), step
        )

    def images(self, tag, images, step=0, max_outputs=8):
        """A batch of images (the IMAGES tab), at most ``max_outputs`` of them.

        ``images`` as for :func:`to_uint8_images`. Stored as the image plugin's
        tensor: width, height, then one PNG per image.
        """
        array = to_uint8_images(images)
        max_outputs = _validate.positive_int("max_outputs", max_outputs)
        height, width = array.shape[1:3]
        pictures = [_png(image) for image in array[:max_outputs]]
        data = np.array(
            [str(width).encode(), str(height).encode(), *pictures], dtype=object
        )
        metadata = image_metadata.create_summary_metadata(
            display_name=tag, description="", converted_to_tensor=True
        )
        self._value(tag, metadata, data, step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
