"""The repository's own promises: one repository URL, matching environments, a
course map in step with notebooks/, notebooks stripped and installable in Colab."""

import json
import re
import tomllib
from pathlib import Path

import pytest

from course import curriculum

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
REPOSITORY = PYPROJECT["project"]["urls"]["Repository"]
README = (ROOT / "README.md").read_text()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MARKER = "# NBVAL_CHECK_OUTPUT"


def _notebook(path):
    return json.loads(path.read_text())


def _source(cell):
    return "".join(cell["source"])


def test_repository_url_is_a_github_repository():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY)


def test_curriculum_matches_the_notebooks_folder():
    assert [lecture.notebook for lecture in curriculum.LECTURES] == [
        p.stem for p in NOTEBOOKS
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_readme_has_a_map_row_and_colab_badge(path):
    owner_repo = REPOSITORY.removeprefix("https://github.com/")
    badge = (
        f"https://colab.research.google.com/github/{owner_repo}/blob/main/"
        f"notebooks/{path.name}"
    )
    rows = [line for line in README.splitlines() if line.startswith(f"| {path.stem} ")]
    assert len(rows) == 1, f"README course map needs one row for {path.stem}"
    assert badge in rows[0]


def test_every_colab_link_uses_the_one_repository_url():
    owner_repo = REPOSITORY.removeprefix("https://github.com/")
    links = re.findall(
        r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", README
    )
    assert links and set(links) == {owner_repo}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_colab_install_cell(path):
    """The first code cell installs `course` only in Colab, from the one URL, and
    pins nothing Colab ships (no tensorflow, keras or numpy on the command line)."""
    code = [c for c in _notebook(path)["cells"] if c["cell_type"] == "code"]
    first = _source(code[0])
    assert f'REPOSITORY = "{REPOSITORY}"' in first
    assert 'find_spec("google.colab")' in first
    # The one pip command installs nothing but the course package itself.
    flat = re.sub(r",\s*\]", "]", re.sub(r"\[\s*", "[", re.sub(r"\s+", " ", first)))
    (command,) = re.findall(r'\[sys\.executable, .*?"\]', flat)
    assert command == (
        '[sys.executable, "-m", "pip", "install", "--quiet", '
        'f"course[colab] @ git+{REPOSITORY}"]'
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stripped_except_checked_cells(path):
    notebook = _notebook(path)
    checked = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        assert cell["execution_count"] is None
        if MARKER in _source(cell):
            checked += 1
            assert cell["metadata"].get("keep_output") is True
            assert cell["outputs"], "a checked cell needs its reference output"
        else:
            assert cell["outputs"] == []
    assert checked >= 1, "each notebook checks at least one deterministic cell"


def _requirement_names(requirements):
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_colab_extra_adds_nothing_colab_ships():
    colab = _requirement_names(PYPROJECT["project"]["optional-dependencies"]["colab"])
    assert not colab & {"tensorflow", "tensorflow-cpu", "keras", "numpy", "tf-keras"}


def test_base_dependencies_exclude_tensorflow():
    base = _requirement_names(PYPROJECT["project"]["dependencies"])
    assert "keras" in base
    assert not {n for n in base if n.startswith("tensorflow") or n == "tf-keras"}


def test_environment_yml_installs_the_same_set():
    """environment.yml installs this package with the extras `make` uses, and its
    Python range equals requires-python, so both list the same packages."""
    text = (ROOT / "environment.yml").read_text()
    makefile = (ROOT / "Makefile").read_text()
    extras = re.search(r"^EXTRAS \?= (\S+)$", makefile, re.M).group(1)
    assert f"-e .[{extras}]" in text
    for extra in extras.split(","):
        assert extra in PYPROJECT["project"]["optional-dependencies"]
    python = re.search(r"^\s*- python(\S+)$", text, re.M).group(1)
    assert python == PYPROJECT["project"]["requires-python"].replace(" ", "")
    # No package is pinned in environment.yml behind pyproject's back.
    listed = [
        entry
        for entry in re.findall(r"^\s*- (\S+)$", text, re.M)
        if entry not in ("conda-forge", "pip:")
    ]
    assert sorted(listed) == sorted([f"python{python}", "pip"])


def test_ci_runs_the_readme_test_command_only():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [
        line
        for line in script.splitlines()
        if line.strip() and not line.startswith(("#", "set "))
    ]
    assert commands == ["exec make test"]
    assert "make test" in README.split("\n\n")[0] or "make test" in README[:400]


def test_keras_3_only():
    offenders = []
    for path in list((ROOT / "course").rglob("*.py")) + NOTEBOOKS:
        text = path.read_text()
        # tf_keras_vis (the saliency library, Keras 3 compatible) is not tf_keras.
        if (
            re.search(r"\btf_keras\b", text)
            or "TF_USE_LEGACY_KERAS" in text
            or "tensorflow.keras" in text
        ):
            offenders.append(path.name)
    assert offenders == []
