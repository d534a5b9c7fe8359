"""Matplotlib figures for the lecture notebooks, one module per topic.

``from course import plots`` gives every figure below, as before the package was
split:

- :mod:`course.plots.curves`: ``training_curves`` (every lecture that trains),
  ``learning_curve`` and ``lr_range`` (lecture 13).
- :mod:`course.plots.images`: ``image_grid``, ``misclassified`` (lectures 00-11).
- :mod:`course.plots.filters`: ``conv_filters``, ``feature_maps`` (lecture 04).
- :mod:`course.plots.confusion`: ``confusion_counts``, ``confusion_matrix``
  (lectures 04, 05).
- :mod:`course.plots.functions`: ``activation_curves``, ``decision_regions``
  (lecture 01).
- :mod:`course.plots.convolution`: ``kernel_sliding``, ``number_grids``
  (lectures 03, 10).
- :mod:`course.plots.gradients`: ``gradient_profile``, the gradient norm per
  layer (lectures 06, 10).
- :mod:`course.plots.saliency`: ``overlay_rgb``, ``saliency_overlay``,
  ``saliency_grid`` (lecture 11; ``course.saliency`` re-exports them).

Every function validates its arguments first, draws one figure with
``matplotlib.pyplot`` and returns the :class:`matplotlib.figure.Figure`; none calls
``plt.show()``. In a notebook with the inline backend the figure appears when the
cell ends, so assign it (``fig = plots.image_grid(x)``) or end the line with ``;``
to avoid drawing it twice. In a script call ``plt.show()`` or ``fig.savefig(path)``.

The package uses only NumPy, matplotlib and Keras (``keras.ops``), never TensorFlow,
so it works with every Keras backend. Inputs may be NumPy arrays, lists or backend
tensors. Images are channels-last: ``(N, H, W)``, ``(N, H, W, 1)`` or
``(N, H, W, 3)``.

Used in lectures 00, 01, 02, 03, 04, 05, 06, 07, 08, 09, 10, 11 and 13.

Invalid arguments raise ``ValueError`` or ``TypeError`` with the message shape of
``course._validate``: ``Expected <name> <what>. Received: <name>=<value!r>``
(``<name>.shape=<shape>`` for arrays).
"""

from course.plots._common import _rescale  # noqa: F401  (tests compare with it)
from course.plots.confusion import confusion_counts, confusion_matrix
from course.plots.convolution import kernel_sliding, number_grids
from course.plots.curves import learning_curve, lr_range, training_curves
from course.plots.filters import conv_filters, feature_maps
from course.plots.functions import activation_curves, decision_regions
from course.plots.gradients import gradient_profile
from course.plots.images import WRONG_COLOR, image_grid, misclassified
from course.plots.saliency import overlay_rgb, saliency_grid, saliency_overlay

__all__ = [
    "WRONG_COLOR",
    "activation_curves",
    "confusion_counts",
    "confusion_matrix",
    "conv_filters",
    "decision_regions",
    "feature_maps",
    "gradient_profile",
    "image_grid",
    "kernel_sliding",
    "learning_curve",
    "lr_range",
    "misclassified",
    "number_grids",
    "overlay_rgb",
    "saliency_grid",
    "saliency_overlay",
    "training_curves",
]
