"""The lecture <-> module map: ``curriculum.LECTURES`` against what each notebook
really calls and what each module's docstring says.

A notebook's modules are found by resolving every ``<course module>.<name>`` it
uses to the module that defines ``<name>`` (``models.resnet`` -> the ResNet
module), so a builder moved to another file, a notebook that starts using a new
module, or a docstring naming the wrong lecture all fail here.
"""

import ast
import importlib
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from course import curriculum

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {p.stem: p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
USED_IN = re.compile(r"Used in (every lecture|lectures? (\d\d(?:(?:, | and )\d\d)*))\.")


def _code(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    lines = [
        line
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if not line.lstrip().startswith(("!", "%"))  # shell and magic lines
    ]
    return "\n".join(lines)


def _defining_module(obj, name: str, module: types.ModuleType) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return obj.__module__
    # A constant re-exported by a package: the submodule that assigns it.
    assigns = re.compile(rf"^{re.escape(name)}\s*(:[^=]*)?=", re.MULTILINE)
    for candidate in [module.__name__] + sorted(
        m for m in sys.modules if m.startswith(module.__name__ + ".")
    ):
        source = getattr(sys.modules[candidate], "__file__", None)
        if source and assigns.search(Path(source).read_text()):
            return candidate
    return module.__name__


def used_modules(path: Path) -> set[str]:
    """The ``course`` modules whose functions, classes and modules a notebook uses."""
    tree = ast.parse(_code(path))
    aliases: dict[str, str] = {}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "course"
        ):
            package = importlib.import_module(node.module)
            for alias in node.names:
                try:
                    obj = importlib.import_module(f"{node.module}.{alias.name}")
                except ModuleNotFoundError:  # not a module: a function or constant
                    obj = getattr(package, alias.name)
                name = _defining_module(obj, alias.name, package)
                found.add(name)
                if isinstance(obj, types.ModuleType):
                    aliases[alias.asname or alias.name] = name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            module = importlib.import_module(aliases[node.value.id])
            obj = getattr(module, node.attr)
            found.add(_defining_module(obj, node.attr, module))
    # A package's __init__ only re-exports: the defining submodules count.
    return {
        name
        for name in found
        if not name.rsplit(".", 1)[-1].startswith("_")
        and not hasattr(sys.modules[name], "__path__")
    }


USED = {stem: used_modules(path) for stem, path in NOTEBOOKS.items()}


def test_every_lecture_lists_the_modules_its_notebook_uses():
    expected = {
        lecture.notebook: tuple(sorted(USED[lecture.notebook] - set(curriculum.SHARED)))
        for lecture in curriculum.LECTURES
    }
    listed = {lecture.notebook: lecture.modules for lecture in curriculum.LECTURES}
    assert listed == expected, "\n".join(f"{k}: {v}" for k, v in expected.items())


def test_shared_modules_are_used_by_every_lecture():
    assert set(curriculum.SHARED) == set.intersection(*USED.values())


def _lectures_of(module) -> set[str] | str | None:
    match = USED_IN.search(" ".join((module.__doc__ or "").split()))
    if match is None:
        return None
    if match.group(1) == "every lecture":
        return "every"
    return set(re.findall(r"\d\d", match.group(2)))


MODULES = sorted(
    {name for used in USED.values() for name in used}
    | {
        "course." + ".".join(p.relative_to(ROOT / "course").with_suffix("").parts)
        for p in (ROOT / "course").rglob("*.py")
        if not p.name.startswith("_") and p.name != "__main__.py"
    }
)


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_names_the_lectures_that_use_it(name):
    lectures = {
        lecture.notebook[:2]
        for lecture in curriculum.LECTURES
        if name in lecture.modules
    }
    said = _lectures_of(importlib.import_module(name))
    if name in curriculum.SHARED:
        assert said == "every", f'{name}: docstring should say "Used in every lecture."'
    elif lectures:
        assert said == lectures, (
            f"{name}: docstring should say lectures {sorted(lectures)}"
        )
    else:
        assert said is None, f"{name} is used by no notebook; its docstring says {said}"


def _architecture_tool():
    spec = importlib.util.spec_from_file_location(
        "architecture", ROOT / "tools" / "architecture.py"
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_architecture_document_draws_the_current_layout():
    """docs/architecture.md's module table is what tools/architecture.py draws."""
    assert _architecture_tool().main(["--check"]) == 0, (
        "run: python tools/architecture.py --write"
    )


def test_modules_drawn_as_portable_import_no_tensorflow():
    """What the document's backend column claims, measured: under JAX, importing
    every module it does not mark "TensorFlow" leaves TensorFlow unloaded."""
    pytest.importorskip("jax")
    tool = _architecture_tool()
    portable = [
        tool.module_name(path)
        for path in sorted((ROOT / "course").rglob("*.py"))
        if tool.backend(path) != "TensorFlow"
    ]
    assert "course.models.resnets" in portable and "course.pipeline" not in portable
    code = (
        "import importlib, sys\n"
        f"for name in {portable!r}:\n"
        "    importlib.import_module(name)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "KERAS_BACKEND": "jax"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert output.strip().splitlines()[-1] == "False"
