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


def test_architecture_page_is_linked_and_names_existing_modules():
    """docs/architecture.md is reachable from the README, and every module it names exists."""
    assert "(docs/architecture.md)" in (ROOT / "README.md").read_text()
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"\b((?:backends/|_exact/)?_[a-z_]+\.py)\b", page))
    assert len(named) > 20
    places = [ROOT / "gpudot" / sub for sub in ("", "backends", "_exact", "testing")]
    missing = [m for m in named if not any((place / m).exists() for place in places)]
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"
