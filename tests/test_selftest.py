"""python -m gpudot selftest: its logic over the CuPy stand-in, and the no-GPU exit code."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

import gpudot
from gpudot.__main__ import main
from gpudot._tools import selftest as _selftest
from gpudot.backends import lookup


@pytest.mark.parametrize("where", [None, "chosen.json"])
def test_without_a_gpu_it_says_why_writes_the_report_and_exits_3(
    capsys, tmp_path, monkeypatch, where
):
    reason = lookup("cuda").unavailable_reason()
    if reason is None:
        pytest.skip("CUDA is usable here: the no-GPU report needs a machine without one")
    monkeypatch.chdir(tmp_path)
    assert main(["selftest", *(["--json", where] if where else [])]) == _selftest.EXIT_NO_GPU == 3
    printed = capsys.readouterr().out
    assert f"no usable CUDA device: {reason}" in printed
    report = tmp_path / (where or "gpudot-selftest.json")
    assert f"JSON report written to {report.name}" in printed
    data = json.loads(report.read_text())
    assert (data["status"], data["exit_code"]) == ("no_gpu", 3)
    assert data["reason"] == f"no usable CUDA device: {reason}"
    assert data["checked"] == [] and data["devices"] == []
    assert data["not_checked"][: len(_selftest.check_names())] == _selftest.check_names()
    assert len(data["not_checked"]) == len(_selftest.check_names()) + 1  # and the figures
    assert (data["gpudot"], data["numpy"]) == (gpudot.__version__, np.__version__)
    assert data["cupy"].startswith("cupy-cuda") or data["cupy"] == "not installed"


def test_over_the_stand_in_every_check_passes_and_figures_are_labelled(standin, tmp_path):
    out = io.StringIO()
    report = tmp_path / "report.json"
    assert _selftest.selftest(standin.devices, out, report, _selftest.QUICK) == 0
    text = out.getvalue()
    assert text.count("NOT GPU figures") == 2 and "FAIL" not in text
    assert "all checks passed" in text and "float32 tf32 TFLOP/s" in text
    data = json.loads(report.read_text())
    assert (data["status"], data["exit_code"], data["reason"], data["not_checked"]) == (
        "passed",
        0,
        None,
        [],
    )
    assert data["checked"][:-1] == _selftest.check_names()
    assert [d["device"] for d in data["devices"]] == ["cuda:0", "cuda:1"]
    first = data["devices"][0]
    assert first["standin"] is True and first["name"] == standin.xp.MACHINE.device_name
    assert first["float32 compute type under 'highest'"] == "COMPUTE_TYPE_DEFAULT"
    assert len(first["checks"]) == 15 and all(c["passed"] for c in first["checks"])
    assert set(first["figures"]) >= {"H2D GB/s", "D2H GB/s", "float16 TFLOP/s", "int8 TFLOP/s"}


@pytest.mark.parametrize("fault", ["wrong-integers", "tf32-always", "raises"])
def test_a_wrong_device_result_fails_its_check_and_exits_1(standin, monkeypatch, fault, tmp_path):
    real = standin.xp.matmul

    def faulty(a, b, out=None):
        if fault == "raises" and a.dtype == np.bool_:
            raise RuntimeError("kernel compile failed")
        if fault == "tf32-always":
            standin.xp._core.set_compute_type(
                np.float32, standin.xp._core._routines_linalg.COMPUTE_TYPE_TF32
            )
        result = real(a, b, out)
        if fault == "wrong-integers" and a.dtype == np.int32:
            result[(0,) * result.ndim] = 0
        return result

    monkeypatch.setattr(standin.xp, "matmul", faulty)
    out = io.StringIO()
    report = tmp_path / "report.json"
    assert _selftest.selftest(standin.devices[:1], out, report, _selftest.QUICK) == 1
    data = json.loads(report.read_text())
    assert (data["status"], data["exit_code"]) == ("failed", 1) and "failed" in data["reason"]
    failed = [line for line in out.getvalue().splitlines() if "FAIL " in line]
    expected = {
        "wrong-integers": "int32 batched overflow",
        "tf32-always": "no TF32",
        "raises": "bool 2-D and batched: raised RuntimeError",
    }[fault]
    assert any(expected in line for line in failed), failed


def test_only_the_installed_cupy_gives_gpu_figures(standin):
    cupy = pytest.importorskip("cupy")  # the real wheel: it imports without a driver
    assert _selftest.is_installed_cupy(cupy) is True
    assert _selftest.is_installed_cupy(standin.xp) is False
    assert _selftest.is_installed_cupy(np) is False


def test_a_stand_in_that_calls_itself_cupy_is_still_labelled(standin, monkeypatch, tmp_path):
    """Not what the module says of itself decides, but where it was installed from."""
    monkeypatch.setattr(standin.xp, "__version__", "14.2.0")
    out = io.StringIO()
    assert _selftest.selftest(standin.devices[:1], out, tmp_path / "r.json", _selftest.QUICK) == 0
    assert out.getvalue().count("NOT GPU figures") == 1
    assert json.loads((tmp_path / "r.json").read_text())["devices"][0]["standin"] is True
