"""The suite passes with the oldest pytest the project allows, not only with the newest.

pytest before 9.2 writes a patched method back into an instance's ``__dict__`` on undo (pytest
issue 10644), so a test that patches a shared backend instance breaks a later one that patches
its class. This test runs the whole suite, in a random order, under the oldest allowed pytest: a
fresh venv that holds only that pytest and sees the rest of this environment behind it.
"""

from __future__ import annotations

import re
import site
import subprocess
import venv
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent


def oldest_allowed_pytest() -> str:
    """The lowest version the ``testing`` extra admits, e.g. ``"8.0.0"`` for ``pytest>=8``."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    (floor,) = [re.fullmatch(r"pytest>=([\d.]+)", r) for r in extras["testing"] if "pytest" in r]
    assert floor is not None, extras["testing"]
    return floor.group(1)


@pytest.fixture(scope="module")
def old_pytest_python(tmp_path_factory) -> Path:
    env = tmp_path_factory.mktemp("old-pytest")
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    version = oldest_allowed_pytest()
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", f"pytest=={version}.*"],
        capture_output=True,
        text=True,
        check=False,
    )
    if install.returncode != 0:
        pytest.skip(f"pytest {version} could not be installed here: {install.stderr[-500:]}")
    (own,) = subprocess.run(
        [python, "-c", "import site; print(*site.getsitepackages())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # This environment's packages (gpudot, numpy, dask, the pytest plugins) behind its own, with
    # their own .pth files (gpudot's editable install) processed, also in subprocesses.
    parents = "".join(f"import site; site.addsitedir({d!r})\n" for d in site.getsitepackages())
    Path(own, "parent-environment.pth").write_text(parents)
    return python


def test_the_whole_suite_passes_under_the_oldest_allowed_pytest(old_pytest_python):
    version = subprocess.run(
        [old_pytest_python, "-m", "pytest", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip().startswith(f"pytest {oldest_allowed_pytest()}"), version
    run = subprocess.run(
        [
            old_pytest_python,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-m",
            "not packaging",
            f"--deselect={Path(__file__).relative_to(ROOT)}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    tail = run.stdout[-3000:]
    assert run.returncode == 0, tail
    assert re.search(r"\d+ passed", tail), tail
    assert "Using --randomly-seed=" in run.stdout[:3000], "the suite must run in a random order"
