"""The release artefacts: ``python -m build`` makes an sdist and a wheel that work on their own.

Built once per session; the wheel is installed into a fresh virtual environment (with only pytest
and hypothesis beside it) and must pass the shipped conformance suite from a directory outside
the repository, and the sdist must carry everything the repository's own tests need. Slow (about
a minute): deselect with ``-m "not packaging"``; CI runs it.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.packaging


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd``; fail the test with its output if it fails."""
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {result.returncode}:\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist and wheel that ``python -m build`` makes from this checkout."""
    pytest.importorskip("build", reason="needs the 'build' package (in the test extra)")
    outdir = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", outdir, ROOT, cwd=outdir)
    (sdist,), (wheel,) = outdir.glob("*.tar.gz"), outdir.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="session")
def fresh_python(dists, tmp_path_factory) -> Path:
    """The python of a new venv holding the wheel, pytest and hypothesis only."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv, cwd=venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", dists["wheel"], "pytest", "hypothesis", cwd=venv)
    return python


def test_wheel_ships_the_package_its_suite_and_types_but_not_repo_tests(dists):
    names = zipfile.ZipFile(dists["wheel"]).namelist()
    for needed in ["gpudot/py.typed", "gpudot/testing/plugin.py", "gpudot/testing/test_dot_matmul.py",
                   "gpudot/backends/_cupy.py"]:
        assert needed in names
    assert not [name for name in names if name.startswith(("tests/", "docker/", "benchmarks/"))]
    assert [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(dists["wheel"]).read(metadata).decode()
    for field in ["License-Expression: BSD-3-Clause", "Requires-Python: >=3.10",
                  "Provides-Extra: cuda12", "Keywords:", "Classifier: Typing :: Typed"]:
        assert field in text


def test_sdist_carries_every_tracked_file(dists):
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: no list of tracked files to compare with")
    with tarfile.open(dists["sdist"]) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    missing = set(listed.stdout.split()) - members - {".gitignore"}
    assert not missing, f"the sdist lacks {sorted(missing)} (add them to MANIFEST.in)"


def test_wheel_passes_the_shipped_conformance_suite_in_a_fresh_venv(fresh_python, tmp_path):
    where = run(fresh_python, "-c", "import gpudot; print(gpudot.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(fresh_python.parent.parent)
    result = run(fresh_python, "-m", "pytest", "--pyargs", "gpudot.testing", "-p",
                 "no:cacheprovider", "-q", cwd=tmp_path)
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_repository_tests_run_from_the_sdist(dists, fresh_python, tmp_path):
    with tarfile.open(dists["sdist"]) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (source,) = tmp_path.iterdir()
    result = run(fresh_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                 "-m", "not packaging", "tests/test_readme.py", "tests/test_docker.py",
                 "tests/test_backend_state.py", cwd=source)
    assert " passed" in result.stdout and " failed" not in result.stdout
