"""Training helpers, one module per concern; import them all from here.

``from course import training`` gives every name below, as before the package was
split:

- :mod:`course.training.runs`: run folders, the standard callbacks and
  TensorBoard (``run_dir``, ``backup_dir``, ``clear_backup``, ``Callbacks``,
  ``callbacks``, ``show_tensorboard``); every lecture that trains, from 00 on.
- :mod:`course.training.history`: the one parser of a ``History``, a dict of
  per-epoch lists or several runs; shared with ``plots.training_curves``.
- :mod:`course.training.diagnosis`: ``summarize_history`` and ``diagnose_fit``
  (lecture 02), and ``epochs_to_reach``, read off per-epoch curves.
- :mod:`course.training.probes`: ``ErrorProbe``, the training error every few
  steps (lecture 05).
- :mod:`course.training.gradients`: ``gradient_norms`` (lecture 06).
- :mod:`course.training.distribution`: ``distribute`` and ``Distribution``
  (lecture 12).
- :mod:`course.training.determinism`: ``deterministic``, repeatable runs
  (lecture 13).
- :mod:`course.training.tuning`: ``lr_range_test`` and the KerasTuner
  ``search`` (lecture 13).
- :mod:`course.training.state`: ``build_state``, a fresh model's variables made
  before ``fit``, so that TensorFlow traces its train step once (lecture 13).

Used in lectures 00, 01, 02, 04, 05, 06, 07, 08, 09, 10, 11, 12 and 13.

Nothing here imports TensorFlow at import time: ``distribute`` and
``gradient_norms`` import it only when the TensorFlow backend is active, so the
package works on every Keras backend.
"""

# ``time`` is re-exported so that tests can fix the clock of run_dir with
# ``monkeypatch.setattr(training.time, "strftime", ...)``.
import time  # noqa: F401

from course.training.determinism import deterministic
from course.training.diagnosis import (
    FIT_VERDICTS,
    diagnose_fit,
    epochs_to_reach,
    summarize_history,
)
from course.training.distribution import STRATEGIES, Distribution, distribute
from course.training.gradients import gradient_norms
from course.training.probes import ErrorProbe
from course.training.runs import (
    BACKUP_DIRNAME,
    CHECKPOINT_FILENAME,
    HEADLESS_ENV,
    Callbacks,
    backup_dir,
    callbacks,
    clear_backup,
    run_dir,
    show_tensorboard,
)
from course.training.state import build_state
from course.training.tuning import (
    LearningRateRange,
    Search,
    lr_range_test,
    search,
)

__all__ = [
    "BACKUP_DIRNAME",
    "CHECKPOINT_FILENAME",
    "FIT_VERDICTS",
    "HEADLESS_ENV",
    "LearningRateRange",
    "STRATEGIES",
    "Search",
    "Callbacks",
    "Distribution",
    "ErrorProbe",
    "backup_dir",
    "build_state",
    "callbacks",
    "clear_backup",
    "deterministic",
    "diagnose_fit",
    "epochs_to_reach",
    "distribute",
    "gradient_norms",
    "lr_range_test",
    "run_dir",
    "search",
    "show_tensorboard",
    "summarize_history",
]
