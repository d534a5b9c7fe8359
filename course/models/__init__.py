"""Model builders, one file per family, in the style of Keras Applications.

Every builder returns a Functional ``keras.Model`` with every layer named, takes
the shared vocabulary ``input_shape``, ``num_classes``, ``classifier_activation``
and ``name``, and validates its arguments before building anything.
"""

from course.models.lenet import lenet5
from course.models.mlp import mlp, perceptron

__all__ = ["lenet5", "mlp", "perceptron"]
