"""Download and verify the course datasets: a thin wrapper over ``course.fetch``.

The command everywhere else (hints, notebooks, Colab) is ``python -m course.fetch``,
which needs only the installed package; this script does the same from a checkout,
installed or not. Examples::

    python data_scripts/fetch.py --list
    python data_scripts/fetch.py mnist cifar10 --cache-dir /data/course
"""

import sys
from pathlib import Path

# Let the script run from a plain checkout, without `pip install -e .`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course.fetch import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
