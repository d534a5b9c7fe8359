"""TensorBoard as the course's lab notebook: what each run writes beyond Keras' curves.

Keras' ``TensorBoard`` callback (added by :func:`course.training.callbacks`)
logs the loss and metric curves and the graph. This package adds what a
student needs to read a run months later and to compare runs:

- :mod:`~course.tensorboard.provenance`: every run's TEXT tab says which
  notebook, profile, device, versions, data and parameters produced it
  (written by ``training.callbacks`` for every run).
- :mod:`~course.tensorboard.hparams`: the settings of a comparison run
  (``training.callbacks(..., hparams={...})``) and figures measured after
  training (:func:`log_final`), shown together in the HPARAMS tab;
  :func:`log_result` for a row that is only settings and results.
- :mod:`~course.tensorboard.callbacks`: pictures during training
  (:class:`ImageSummaries` with :func:`reconstructions`, :func:`masks`,
  :func:`confusion_matrix`) and per-layer gradient norms
  (:class:`GradientNorms`).
- :mod:`~course.tensorboard.projector`: codes with labels and a sprite for the
  PROJECTOR tab (:func:`write_embeddings`).
- :mod:`~course.tensorboard.server`: the real server on 127.0.0.1 and what its
  data API lists (:class:`TensorBoardServer`, :func:`summarize`).

Everything here writes TensorBoard's event files through the ``tensorboard``
package itself (:mod:`~course.tensorboard.writer`), never through TensorFlow,
so it works with every Keras backend where ``tensorboard`` is installed.
"""

from course.tensorboard.callbacks import (
    GradientNorms,
    ImageSummaries,
    confusion_matrix,
    figure_image,
    masks,
    reconstructions,
)
from course.tensorboard.hparams import (
    hparam_values,
    log_final,
    log_result,
)
from course.tensorboard.projector import CONFIG_NAME, write_embeddings
from course.tensorboard.provenance import (
    PROVENANCE_TAG,
    provenance_text,
    write_provenance,
)
from course.tensorboard.server import TensorBoardServer, summarize
from course.tensorboard.writer import EventWriter, to_uint8_images

__all__ = [
    "CONFIG_NAME",
    "EventWriter",
    "GradientNorms",
    "ImageSummaries",
    "PROVENANCE_TAG",
    "TensorBoardServer",
    "confusion_matrix",
    "figure_image",
    "hparam_values",
    "log_final",
    "log_result",
    "masks",
    "provenance_text",
    "reconstructions",
    "summarize",
    "to_uint8_images",
    "write_embeddings",
    "write_provenance",
]
