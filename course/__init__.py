"""A tested Keras 3 course on convolutional neural networks.

Import the modules you need, e.g. ``from course import config, data, models``.
Importing the package sets no seed and no global Keras option.
"""

__version__ = "0.1.0"
