"""``python -m gpudot``: the report and ``explain``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gpudot.__main__ import main


def test_report_lists_backends_and_passes_its_check(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "NumPy" in out and "BLAS" in out
    assert "numpy          available" in out
    assert "cupy" in out
    assert "PASS  dot([1, 3, 5], [2, 4, 6]) == 44" in out
    assert "FAIL" not in out and "all checks passed" in out


def test_report_flags_a_wrong_backend(capsys, monkeypatch):
    from gpudot.backends import lookup

    numpy_backend = lookup("numpy")
    monkeypatch.setattr(type(numpy_backend), "dot", lambda self, a, b, out=None: 43)
    assert main(["info"]) == 1
    assert "FAIL  dot([1, 3, 5], [2, 4, 6]) == 44" in capsys.readouterr().out


def test_explain_two_by_two_by_hand(capsys):
    assert main(["explain", "[[1, 2], [3, 4]]", "[[5, 6], [7, 8]]"]) == 0
    out = capsys.readouterr().out
    assert "(0, 0): [1, 2] · [5, 7] = 1×5 + 2×7 = 5 + 14 = 19" in out
    assert "(1, 1): [3, 4] · [6, 8] = 3×6 + 4×8 = 18 + 32 = 50" in out
    assert "[[19 22]\n [43 50]]" in out


def test_explain_vectors(capsys):
    assert main(["explain", "[1, 3, 5]", "[2, 4, 6]"]) == 0
    assert "1×2 + 3×4 + 5×6 = 2 + 12 + 30 = 44" in capsys.readouterr().out


@pytest.mark.parametrize(
    "a, b, message",
    [
        ("[1, 2, 3, 4, 5, 6, 7]", "[1]", "too large to explain"),
        ("[[[1]]]", "[1]", "1-D or 2-D"),
        ("[1, 2", "[1]", "nested list"),
        ("[1, 2]", "[1, 2, 3]", "a's last axis (2) must equal b's only axis (3)"),
    ],
)
def test_explain_refuses_clearly(capsys, a, b, message):
    assert main(["explain", a, b]) == 2
    assert message in capsys.readouterr().err


def test_module_entry_point_runs():
    run = subprocess.run(
        [sys.executable, "-m", "gpudot", "explain", "[1]", "[2]"], capture_output=True, text=True
    )
    assert run.returncode == 0 and "1×2 = 2 = 2" in run.stdout


def test_report_states_precision_oom_policy_and_auto_profile(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CUPY_TF32", "1")
    monkeypatch.setenv("GPUDOT_PROFILE", str(tmp_path / "none.json"))
    import sys

    from gpudot._report import report

    report(sys.stdout)
    out = capsys.readouterr().out
    assert "Precision:    highest: GPU float32/complex64 products in full float32, no TF32" in out
    assert "CUPY_TF32 is set; gpudot overrides it per call" in out
    assert "OOM policy:   raise" in out and "documented defaults" in out
