"""The environments the course is tested in, and the one students use: Google Colab.

``constraints/colab.txt`` holds Colab's runtime as Google publishes it (every
``name==version`` of its pip freeze, with the date and source in its header). These
tests keep the package's declared dependencies inside that runtime:

- every Colab version lies inside the declared ranges, and every declared floor is a
  version the tests run (``.venv`` installs exactly the constrained versions);
- ``constraints/local.txt``, the few places where the local environment must differ
  from Colab, says why for each line, and the reason is checked;
- resolving the built wheel with its ``colab`` extra for Colab's Python, on top of
  Colab's installed packages, changes none of them (this asks the package index, as
  pip in Colab would; it is skipped only when the index cannot be reached).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
COLAB = ROOT / "constraints" / "colab.txt"
LOCAL = ROOT / "constraints" / "local.txt"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
EXTRAS = PROJECT["optional-dependencies"]
# Packages the course runs with (dev tools aside): their floors must be tested versions.
RUNTIME_EXTRAS = ("cpu", "gpu", "colab")
# Local packages standing in for a Colab package of another name.
_REASON = re.compile(r"#\s*(same-as|python|floor)\s*:\s*(\S*)")
_NETWORK_ERRORS = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Max retries exceeded",
)


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "constraints_tool", ROOT / "tools" / "constraints.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _load_tool()
COLAB_PINS = {key: Version(v) for key, (_, v) in TOOL.read_pins(COLAB).items()}
LOCAL_PINS = {key: Version(v) for key, (_, v) in TOOL.read_pins(LOCAL).items()}
TESTED = {**COLAB_PINS, **LOCAL_PINS}  # what .venv installs


def _header(name):
    match = re.search(rf"^# {name}: (.+)$", COLAB.read_text(), re.M)
    assert match, f"constraints/colab.txt lacks its '# {name}: ...' header line"
    return match.group(1).strip()


def _requirements(*groups):
    """The base requirements and those of the named extras, without self-references."""
    lines = list(PROJECT["dependencies"])
    for group in groups:
        lines += EXTRAS[group]
    return [r for r in map(Requirement, lines) if canonicalize_name(r.name) != "course"]


def _local_reasons():
    reasons = {}
    for line in LOCAL.read_text().splitlines():
        match = TOOL._PIN.match(line)
        if match:
            reason = _REASON.search(line)
            reasons[canonicalize_name(match.group(1))] = (
                (reason.group(1), reason.group(2)) if reason else None
            )
    return reasons


def test_colab_pins_state_their_date_python_and_source():
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", _header("colab-date"))
    assert re.fullmatch(r"3\.\d+\.\d+", _header("colab-python"))
    assert "backend-info" in _header("colab-source")
    # The packages the course is built on are all pinned there.
    assert {"tensorflow", "keras", "numpy", "tensorboard", "ipywidgets"} <= set(
        COLAB_PINS
    )
    assert len(COLAB_PINS) > 100


def test_requires_python_contains_colab_and_this_machine():
    specifier = Requirement(f"python{PROJECT['requires-python']}").specifier
    assert specifier.contains(_header("colab-python"))
    assert specifier.contains(".".join(map(str, sys.version_info[:3])))


@pytest.mark.parametrize("group", [*RUNTIME_EXTRAS, "test", "dev"])
def test_declared_ranges_contain_every_colab_version(group):
    """A range that excluded Colab's version would make pip replace Colab's package."""
    outside = []
    for requirement in _requirements(group):
        name = canonicalize_name(requirement.name)
        # tensorflow-cpu and tensorflow[and-cuda] stand for Colab's tensorflow.
        colab_name = "tensorflow" if name == "tensorflow-cpu" else name
        if colab_name in COLAB_PINS:
            version = COLAB_PINS[colab_name]
            if not requirement.specifier.contains(version, prereleases=True):
                outside.append(
                    f"{requirement} excludes Colab's {colab_name}=={version}"
                )
    assert not outside, "; ".join(outside)


def test_floors_are_the_versions_the_tests_run():
    """Each runtime dependency is installed in .venv at exactly its declared floor."""
    wrong = []
    for requirement in _requirements(*RUNTIME_EXTRAS):
        name = canonicalize_name(requirement.name)
        if name == "tensorflow":  # the gpu extra's name of Colab's own package
            continue
        floors = [
            Version(s.version) for s in requirement.specifier if s.operator == ">="
        ]
        if name not in TESTED:
            wrong.append(f"{requirement}: not pinned in constraints/, so never tested")
        elif floors != [TESTED[name]]:
            wrong.append(f"{requirement}: floor should be the tested {TESTED[name]}")
    assert not wrong, "; ".join(wrong)


def test_nothing_declared_that_the_package_does_not_import():
    source = "\n".join(p.read_text() for p in (ROOT / "course").rglob("*.py"))
    imported = set(re.findall(r"^\s*(?:import|from) ([A-Za-z_][\w]*)", source, re.M))
    module_of = {  # distribution -> module, where the two names differ
        "scikit-learn": "sklearn",
        "scikit-image": "skimage",
        "pillow": "PIL",
        "tf-keras-vis": "tf_keras_vis",
        "keras-tuner": "keras_tuner",
    }
    # tqdm draws pooch's progress bars, which pooch imports only when asked for them.
    indirect = {"tqdm"}
    unused = [
        requirement.name
        for requirement in _requirements()
        if canonicalize_name(requirement.name) not in indirect
        and module_of.get(canonicalize_name(requirement.name), requirement.name)
        not in imported
    ]
    assert not unused, f"declared but never imported by course/: {unused}"
    assert "progressbar=" in source  # tqdm's reason to be declared


def test_every_local_difference_from_colab_says_why():
    reasons = _local_reasons()
    assert reasons, "constraints/local.txt pins nothing"
    for name, reason in reasons.items():
        assert reason is not None, f"{name} in constraints/local.txt has no reason"
        kind, value = reason
        if kind == "same-as":
            assert LOCAL_PINS[name] == COLAB_PINS[canonicalize_name(value)], name
        elif kind == "floor":
            assert name not in COLAB_PINS, f"{name} is pinned by Colab: use its version"
        else:  # python: checked against the index below
            assert name in COLAB_PINS and re.fullmatch(r"3\.\d+", value), name


def test_local_constraints_are_colab_with_the_local_lines_replaced(tmp_path):
    target = tmp_path / "constraints.txt"
    assert TOOL.main(["constraints.py", str(target)]) == 0
    merged = {key: Version(v) for key, (_, v) in TOOL.read_pins(target).items()}
    assert merged == TESTED
    text = target.read_text()
    for name in LOCAL_PINS:
        assert len(re.findall(rf"^{name}==", text, re.M | re.I)) <= 1


# --- Resolution against the package index, as pip in Colab would ------------------


def _pip(args, *, env=None, cwd=None, no_site=False):
    """Runs pip; skips the test when the package index cannot be reached.

    ``no_site`` starts Python with ``-S``: no site-packages, so pip sees as installed
    only what ``PYTHONPATH`` holds.
    """
    result = subprocess.run(
        [sys.executable, *(["-S"] if no_site else []), "-m", "pip", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    if result.returncode and any(e in result.stderr for e in _NETWORK_ERRORS):
        pytest.skip("the package index cannot be reached: " + result.stderr[-300:])
    return result


def _build_wheel(tmp_path, edit_pyproject=None):
    """Builds the course wheel from a copy of the sources (optionally edited)."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(ROOT / "README.md", source)
    shutil.copytree(
        ROOT / "course", source / "course", ignore=shutil.ignore_patterns("__pycache__")
    )
    text = (ROOT / "pyproject.toml").read_text()
    (source / "pyproject.toml").write_text(
        edit_pyproject(text) if edit_pyproject else text
    )
    result = _pip(
        ["wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(source)]
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("course-*.whl")
    return wheel


def _colab_site(folder):
    """A folder of metadata-only distributions: what pip sees installed in Colab."""
    for line in COLAB.read_text().splitlines():
        match = TOOL._PIN.match(line)
        if not match:
            continue
        name, version = match.groups()
        info = folder / f"{re.sub(r'[-_.]+', '_', name)}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        (info / "RECORD").write_text("")
    return folder


def colab_install_changes(wheel, tmp_path):
    """Resolves ``course[colab]`` for Colab's Python on top of Colab's packages.

    pip runs in an interpreter that sees only the metadata of Colab's distributions
    (and pip itself), with ``--python-version`` set to Colab's, so it keeps every
    installed package that satisfies the requirements, exactly as in Colab.

    Returns:
        ``(changed, added)``: ``{name: (colab_version, new_version)}`` for pinned
        packages the install would replace, and ``{name: version}`` for new ones.
    """
    site = _colab_site(tmp_path / "colab-site")
    only_pip = tmp_path / "pip-only"
    only_pip.mkdir()
    import pip

    (only_pip / "pip").symlink_to(Path(pip.__file__).parent, target_is_directory=True)
    report = tmp_path / "report.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(only_pip)]),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    python = ".".join(_header("colab-python").split(".")[:2])
    result = _pip(
        [
            "install",
            "--dry-run",
            "--quiet",
            "--no-user",
            "--report",
            str(report),
            "--python-version",
            python,
            "--only-binary=:all:",
            f"course[colab] @ {wheel.as_uri()}",
        ],
        env=env,
        cwd=tmp_path,
        no_site=True,  # only Colab's distributions are "installed"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    changed, added = {}, {}
    for item in json.loads(report.read_text())["install"]:
        name = canonicalize_name(item["metadata"]["name"])
        version = Version(item["metadata"]["version"])
        if name in COLAB_PINS:
            changed[name] = (str(COLAB_PINS[name]), str(version))
        else:
            added[name] = str(version)
    return changed, added


def _with_dependency(requirement):
    def edit(text):
        return text.replace(
            "dependencies = [\n", f'dependencies = [\n    "{requirement}",\n', 1
        )

    return edit


@pytest.mark.parametrize(
    ("case", "edit", "expected"),
    [
        # The package as declared: Colab keeps every one of its packages.
        ("as declared", None, set()),
        # The check can fail: asking for ipywidgets 8 (as the course once did) would
        # replace Colab's ipywidgets 7.7.1 and its notebook extension.
        (
            "ipywidgets>=8",
            _with_dependency("ipywidgets>=8"),
            {"ipywidgets", "widgetsnbextension"},
        ),
    ],
    ids=["as-declared", "ipywidgets-8"],
)
def test_colab_install_changes_no_pinned_package(tmp_path, case, edit, expected):
    wheel = _build_wheel(tmp_path, edit)
    changed, added = colab_install_changes(wheel, tmp_path)
    print(f"\n{case}: adds {added}; changes {changed}")
    assert "course" in added
    # The negative case names at least the packages it must (pip may pull more along).
    assert set(changed) == expected if not expected else expected <= set(changed), (
        "installing course[colab] in Colab would change its pinned packages: "
        + ", ".join(f"{n} {old} -> {new}" for n, (old, new) in sorted(changed.items()))
    )


@pytest.mark.parametrize(
    "name", [n for n, r in _local_reasons().items() if r and r[0] == "python"]
)
def test_python_version_differences_are_still_needed(tmp_path, name):
    """A local pin that differs because Colab's release needs a newer Python is kept
    only while that release really does not install on this machine's Python."""
    python = ".".join(map(str, sys.version_info[:2]))
    result = _pip(
        [
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            python,
            "-d",
            str(tmp_path),
            f"{name}=={COLAB_PINS[name]}",
        ]
    )
    assert result.returncode != 0, (
        f"Colab's {name}=={COLAB_PINS[name]} installs on Python {python}: "
        "remove its line from constraints/local.txt"
    )
    assert (
        "No matching distribution" in result.stderr
        or "Requires-Python" in result.stderr
    )


def test_readme_names_the_colab_runtime_of_the_pins_file():
    """The README's Colab section quotes constraints/colab.txt, not an older runtime."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Google Colab") :]
    section = section[: section.index("\n## ", 1)]
    expected = [
        _header("colab-date"),
        f"Python {_header('colab-python')}",
        f"TensorFlow {COLAB_PINS['tensorflow']}",
        f"Keras {COLAB_PINS['keras']}",
        f"NumPy {COLAB_PINS['numpy']}",
        f"{len(COLAB_PINS)} pinned packages",
    ]
    missing = [text for text in expected if text not in section]
    assert not missing, f"README's Colab section lacks {missing}"
