"""Transfer learning (lecture 07): feature extractors, fine-tuning, pretrained bases.

A network trained on a large source task learns features that serve other tasks:
general ones in its first layers, task-specific ones in its last (Yosinski et
al., "How transferable are features in deep neural networks?", NeurIPS 2014).
Lecture 07 uses that in two ways - a frozen base with a new head, or a base whose
last blocks are fine-tuned - and measures when each pays off. The package holds
one concern per module:

- :mod:`course.transfer.recipe`: the three-step recipe - :func:`feature_extractor`
  (new head on a frozen base), :func:`fine_tune` (unfreeze the last blocks, batch
  norm kept frozen, low rate) and :func:`three_step_transfer`; :func:`count_params`
  (from :mod:`course.arithmetic.parameters`) shows what freezing leaves to train;
- :mod:`course.transfer.bases`: the pretrained bases - :func:`imagenet_base`
  (Keras Applications' MobileNetV2) and :func:`course_base` (a small VGG the
  course pretrains offline on MNIST digits 0-4 and caches with its SHA-256;
  lecture 11 reuses it);
- :mod:`course.transfer.experiments`: the lecture's comparison -
  :data:`METHODS`, :data:`RECOMMENDATION`, :class:`BaseSpec`,
  :func:`run_method`, :func:`transfer_tasks` and :func:`repeat_to`.

:func:`stratified_subset` (the balanced training subsets of the experiment) lives
in :mod:`course.data.splits` and is re-exported here. Everything here runs on
any Keras backend.
"""

from course.arithmetic.parameters import count_params
from course.data.splits import stratified_subset
from course.transfer.bases import (
    BASE_SOURCES,
    COURSE_BASE_SHAPE,
    COURSE_BASE_WIDTHS,
    IMAGENET_ALPHAS,
    IMAGENET_SIDES,
    SOURCE_CLASSES,
    TARGET_CLASSES,
    course_base,
    imagenet_base,
    imagenet_weights_side,
)
from course.transfer.experiments import (
    METHODS,
    RECOMMENDATION,
    BaseSpec,
    base_spec,
    repeat_to,
    run_method,
    transfer_tasks,
)
from course.transfer.recipe import feature_extractor, fine_tune, three_step_transfer

__all__ = [
    "BASE_SOURCES",
    "COURSE_BASE_SHAPE",
    "COURSE_BASE_WIDTHS",
    "IMAGENET_ALPHAS",
    "IMAGENET_SIDES",
    "METHODS",
    "RECOMMENDATION",
    "SOURCE_CLASSES",
    "TARGET_CLASSES",
    "BaseSpec",
    "base_spec",
    "count_params",
    "course_base",
    "feature_extractor",
    "fine_tune",
    "imagenet_base",
    "imagenet_weights_side",
    "repeat_to",
    "run_method",
    "stratified_subset",
    "three_step_transfer",
    "transfer_tasks",
]
