"""The README's first two commands, and CI running exactly the second one."""

from __future__ import annotations

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
    assert test.endswith("python -m pytest --cov=gpudot.backends._cupy --cov-report=term-missing")


def test_pytest_starts_without_pytest_cov():
    """Coverage flags live in the README command and ``.ci/run``, never in ``addopts``."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "--cov" not in config["tool"]["pytest"]["ini_options"]["addopts"]


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
