"""Points the course at its repository: ``python tools/set_repository.py URL``.

The URL's one source of truth is ``[project.urls] Repository`` in pyproject.toml;
the README's Colab badges and each notebook's Colab install cell repeat it (a
notebook opened in Colab cannot read pyproject.toml), and
``tests/test_repository.py`` fails when any copy disagrees. This script rewrites
every copy from the new URL, so a fork changes one argument, not twenty files.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
URL = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+")


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not URL.fullmatch(argv[0]):
        print("usage: python tools/set_repository.py https://github.com/OWNER/NAME")
        return 2
    new_url = argv[0]
    pyproject = ROOT / "pyproject.toml"
    old_url = re.search(r'^Repository = "([^"]+)"$', pyproject.read_text(), re.M)[1]
    old_slug = old_url.removeprefix("https://github.com/")
    new_slug = new_url.removeprefix("https://github.com/")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    paths = [pyproject, ROOT / "README.md", *notebooks]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        updated = text.replace(old_url, new_url).replace(
            f"colab.research.google.com/github/{old_slug}/",
            f"colab.research.google.com/github/{new_slug}/",
        )
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
