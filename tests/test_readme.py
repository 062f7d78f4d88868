"""The README's first two commands, and CI running exactly the second one."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return block.strip().splitlines()


def test_readme_opens_with_run_and_test_commands():
    run, test = readme_commands()[:2]
    assert run.endswith("python -m gpudot")
    assert test.endswith("python -m coverage run -m pytest && python -m coverage report")


def test_pytest_starts_without_a_coverage_plugin():
    """Coverage is the README command's and ``.ci/run``'s (``coverage run``), never ``addopts``'s;
    it measures the CuPy layer."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "--cov" not in config["tool"]["pytest"]["ini_options"]["addopts"]
    measured = config["tool"]["coverage"]["run"]["include"]
    assert all((ROOT / path.lstrip("*/")).exists() for path in measured), measured


def test_testing_extra_is_exactly_what_the_shipped_suite_needs():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert [requirement.split(">=")[0] for requirement in extras["testing"]] == [
        "pytest",
        "hypothesis",
    ]
    assert "gpudot[testing]" in extras["test"]


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci


def _package_files() -> list[Path]:
    """gpudot's modules but the shipped suite's (gpudot/testing/ is one line of the picture)."""
    package = ROOT / "gpudot"
    return [p for p in package.rglob("*.py") if "testing" not in p.relative_to(package).parts]


def test_architecture_page_is_linked_and_names_existing_modules():
    """docs/architecture.md is reachable from the README, and every module it names exists."""
    assert "(docs/architecture.md)" in (ROOT / "README.md").read_text()
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"(?<![\w./])((?:\w+/)*\w+\.py)\b", page))
    assert len(named) > 20
    names = {path.name for path in (ROOT / "gpudot").rglob("*.py")}
    missing = [
        m
        for m in named
        if not ((ROOT / "gpudot" / m).exists() or (ROOT / m).exists() or m in names)
    ]
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_architecture_picture_shows_every_folder_and_module():
    """The picture of docs/architecture.md matches the folders: each folder of gpudot and each
    module's file is in it, so `ls gpudot` and the page tell the same story."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    picture = page[page.index("```text") : page.index("```", page.index("```text") + 3)]
    files = _package_files()
    folders = {path.parent.name for path in files} - {"gpudot"}
    assert {f for f in folders if f"{f}/" not in picture} == set()
    assert {path.name for path in files if path.name not in picture} - {"__init__.py"} == set()
