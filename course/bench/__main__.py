"""``python -m course.bench``: runs the benchmarks (see :func:`course.bench.main`)."""

import sys

from course.bench.report import main

if __name__ == "__main__":
    sys.exit(main())
