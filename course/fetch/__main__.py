"""``python -m course.fetch``: see :mod:`course.fetch.cli`."""

from course.fetch.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
