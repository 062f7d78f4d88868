"""The pytest plugin cannot go green by accident: exit codes and reasons, run in a subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gpudot.backends import lookup
from gpudot.testing.plugin import EXIT_UNAVAILABLE

SUITE = """
import numpy as np
import gpudot

def test_product(backend):
    assert backend.to_numpy(gpudot.matmul(np.eye(2), np.eye(2))).tolist() == np.eye(2).tolist()
"""


@pytest.fixture
def run_suite(tmp_path):
    """Run a one-test suite taking ``backend`` in a fresh pytest (no repository conftest)."""
    (tmp_path / "test_suite.py").write_text(SUITE)

    def run(*options: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", *options]
        return subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )

    return run


def _cupy_reason() -> str:
    reason = lookup("cupy").unavailable_reason()
    if reason is None:
        pytest.skip("CuPy can run here: the unusable-backend paths need a machine without a GPU")
    return reason


def test_unknown_backend_is_one_usage_error_naming_the_valid_ones(run_suite):
    result = run_suite("--gpudot-backend=nosuch")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--gpudot-backend=nosuch: unknown backend 'nosuch'" in result.stderr
    for name in ("auto", "numpy", "cupy", "dask"):  # the built-in ones, in the subprocess
        assert repr(name) in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert len((result.stdout + result.stderr).splitlines()) <= 5


def test_named_backend_that_cannot_run_stops_the_run_before_any_test(run_suite):
    reason = _cupy_reason()
    result = run_suite("--gpudot-backend=cuda")
    assert result.returncode == EXIT_UNAVAILABLE
    assert f"backend 'cupy' cannot run here: {reason}" in result.stdout
    assert "--gpudot-allow-unavailable" in result.stdout
    assert "passed" not in result.stdout and "skipped" not in result.stdout


def test_allow_unavailable_skips_with_the_reason_once(run_suite):
    reason = _cupy_reason()
    result = run_suite(
        "--gpudot-backend=cuda", "--gpudot-backend=numpy", "--gpudot-allow-unavailable"
    )
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "1 passed, 1 skipped" in result.stdout
    assert result.stdout.count(reason) == 2  # the folded skip line and the closing summary


def test_without_the_option_unusable_backends_are_skipped_and_reported_once(run_suite):
    reason = _cupy_reason()
    result = run_suite()
    assert result.returncode == pytest.ExitCode.OK, result.stdout
    assert "passed" in result.stdout
    assert result.stdout.count(f"backend 'cupy' cannot run here: {reason}") == 2


def test_a_usable_named_backend_runs(run_suite):
    result = run_suite("--gpudot-backend=numpy")
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "skipped" not in result.stdout


def test_a_failing_case_fails_the_run(run_suite, tmp_path):
    (tmp_path / "test_suite.py").write_text(SUITE.replace("np.eye(2).tolist()", "[[0.0]]"))
    result = run_suite("--gpudot-backend=numpy")
    assert result.returncode == pytest.ExitCode.TESTS_FAILED
