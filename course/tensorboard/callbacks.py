"""Pictures and gradients during training, written to TensorBoard each epoch.

:class:`ImageSummaries` renders a fixed batch of held-out inputs through the
model at the end of every ``every``-th epoch and writes the picture to the IMAGES
tab, so a student scrubs through the epochs and watches reconstructions sharpen
(lectures 08, 10), predicted masks approach the truth (09) or the confusion
matrix empty its off-diagonal cells (04). The renderers below build those
pictures with NumPy and matplotlib only.

:class:`GradientNorms` writes the norm of the loss gradient of every layer's
kernel on a fixed batch as scalars ``gradient_norm/<NN>_<layer>``: in lecture
06, where the plain net's gradients shrink or explode from layer to layer and
the residual net's do not.

Both are Keras callbacks without TensorFlow: they run on every backend.

Used in lectures 04, 06, 08, 09 and 10.
"""

from __future__ import annotations

import keras
import numpy as np

from course import _validate
from course.tensorboard.writer import EventWriter

__all__ = [
    "GradientNorms",
    "ImageSummaries",
    "confusion_matrix",
    "figure_image",
    "masks",
    "reconstructions",
]

#: Grey pixels between the panels of one picture.
_GAP = 2


def _side_by_side(*panels):
    """Joins same-sized image batches left to right, with a thin grey gap."""
    batches = [np.asarray(p, dtype=np.float32) for p in panels]
    batches = [b[..., None] if b.ndim == 3 else b for b in batches]
    channels = max(b.shape[-1] for b in batches)
    batches = [
        np.repeat(b, channels, axis=-1) if b.shape[-1] == 1 else b for b in batches
    ]
    gap = np.full(batches[0].shape[:2] + (_GAP, channels), 0.5, np.float32)
    pieces = []
    for batch in batches:
        pieces += [np.clip(batch, 0, 1), gap]
    return np.concatenate(pieces[:-1], axis=2)


def _predict(model, inputs):
    return keras.ops.convert_to_numpy(model(inputs, training=False))


def reconstructions(inputs, targets=None):
    """A renderer: each input beside the model's output (and its target).

    For autoencoders and denoisers (images in [0, 1]): input | output, or input
    | output | target when ``targets`` (e.g. the clean images) are given.
    """
    inputs = np.asarray(inputs, dtype=np.float32)

    def render(model):
        panels = [inputs, _predict(model, inputs)]
        if targets is not None:
            panels.append(np.asarray(targets, dtype=np.float32))
        return _side_by_side(*panels)

    return render


def masks(inputs, truth):
    """A renderer for segmentation: image | true mask | predicted probability.

    The image is scaled to its own range; the last panel is the predicted
    foreground probability, so uncertain outlines show as grey.
    """
    inputs = np.asarray(inputs, dtype=np.float32)
    truth = np.asarray(truth, dtype=np.float32)
    low, high = inputs.min(), inputs.max()
    shown = (inputs - low) / (high - low) if high > low else inputs

    def render(model):
        probability = _predict(model, inputs)[..., :1]
        return _side_by_side(
            shown[..., :1], truth.reshape(probability.shape), probability
        )

    return render


def figure_image(figure):
    """A matplotlib figure as one ``(1, height, width, 3)`` uint8 image; closes it."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)  # renders off screen, whatever the backend
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return pixels[None]


def confusion_matrix(inputs, labels, class_names):
    """A renderer: the confusion matrix of the model on ``(inputs, labels)``.

    Drawn by :func:`course.plots.confusion_matrix`, titled with the accuracy.
    """
    from course import plots

    labels = np.asarray(labels).astype(int).ravel()
    names = [str(name) for name in class_names]

    def render(model):
        predicted = _predict(model, inputs).argmax(axis=-1)
        accuracy = float(np.mean(predicted == labels))
        title = f"accuracy {accuracy:.3f} on {len(labels)} images"
        return figure_image(
            plots.confusion_matrix(labels, predicted, names, title=title)
        )

    return render


class _EventCallback(keras.callbacks.Callback):
    """A callback with one event file for the whole of ``fit``.

    One file per training, flushed after every write so that a running
    TensorBoard shows each epoch as it ends, and closed when training ends.
    (One file per write would do, but TensorBoard orders the files of a folder
    by name, and names made within one second do not sort in time.)
    """

    def _write(self, write):
        if getattr(self, "_writer", None) is None:
            self._writer = EventWriter(self.log_dir)
        write(self._writer)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if getattr(self, "_writer", None) is not None:
            self._writer.close()
            self._writer = None


class ImageSummaries(_EventCallback):
    """Writes a picture of the model's behaviour to TensorBoard while it trains.

    Args:
        log_dir: the run folder (``training.callbacks(...).run_dir``); the
            pictures land in it, beside the run's provenance.
        render: ``render(model) -> images``, e.g. :func:`reconstructions`,
            :func:`masks` or :func:`confusion_matrix`; images as for
            :func:`course.tensorboard.writer.to_uint8_images`.
        tag: the image tag, e.g. ``"reconstructions"``.
        every: write every this many epochs (and after the first), >= 1.
        max_outputs: images kept per step.
    """

    def __init__(self, log_dir, render, tag="images", every=1, max_outputs=8):
        super().__init__()
        self.log_dir = _validate.path("log_dir", log_dir)
        self.render = _validate.function("render", render)
        self.tag = _validate.string("tag", tag)
        self.every = _validate.positive_int("every", every)
        self.max_outputs = _validate.positive_int("max_outputs", max_outputs)

    def on_epoch_end(self, epoch, logs=None):
        if epoch and (epoch + 1) % self.every:
            return
        pictures = self.render(self.model)
        self._write(
            lambda writer: writer.images(
                self.tag, pictures, epoch + 1, self.max_outputs
            )
        )


class GradientNorms(_EventCallback):
    """Writes the gradient norm of every layer's kernel on a fixed batch.

    Uses :func:`course.training.gradient_norms` (loss gradient with respect to
    each convolutional or dense kernel, input to output). The layers are
    numbered so that TensorBoard lists them in depth order.

    Args:
        log_dir: the run folder.
        inputs: a fixed batch of inputs.
        targets: their targets (as ``loss`` expects them).
        every: write every this many epochs (and at the start), >= 1.
        loss: as for :func:`course.training.gradient_norms`.
    """

    def __init__(
        self, log_dir, inputs, targets, every=1, loss="sparse_categorical_crossentropy"
    ):
        super().__init__()
        self.log_dir = _validate.path("log_dir", log_dir)
        self.inputs, self.targets, self.loss = inputs, targets, loss
        self.every = _validate.positive_int("every", every)

    def _log(self, step):
        from course.training.gradients import gradient_norms

        norms = gradient_norms(self.model, self.inputs, self.targets, self.loss)

        def write(writer):
            for index, (layer, norm) in enumerate(norms.items()):
                writer.scalar(f"gradient_norm/{index:02d}_{layer}", norm, step)

        self._write(write)

    def on_train_begin(self, logs=None):
        self._log(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self._log(epoch + 1)
