"""benchmarks/gpu_check.py, the prepared GPU command: end to end over the CuPy stand-in, so that
the command a GPU machine runs once cannot rot; a failing or hung part fails the run and the
parts after it still run; without a GPU it exits 3 and says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import fakecupy
import pytest

from benchmarks import gpu_check
from gpudot.backends import lookup

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--bench-sizes", "32", "64", "--auto-sizes", "16", "32"]
#: Loaded by every process of the command (``PYTHONPATH``): breaks the stand-in's int8 matmul.
FAULT = """
import os, sys, time
sys.path.insert(0, {tests!r})
import fakecupy
real = fakecupy.matmul
def faulty(a, b, out=None):
    if str(a.dtype) == "int8":
        if os.environ["GPU_CHECK_FAULT"] == "hang":
            time.sleep(600)
        raise RuntimeError("injected: the int8 kernel failed to compile")
    return real(a, b, out)
fakecupy.matmul = faulty
"""


def _run(tmp: Path, *args: str, env: dict[str, str] | None = None) -> SimpleNamespace:
    out = tmp / "out"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp,
        env={**os.environ, "GPUDOT_DISABLE_NUMBA": "1", **(env or {})},
    )
    report = out / "gpu-check.json"
    document = json.loads(report.read_text()) if report.exists() else None
    return SimpleNamespace(
        code=done.returncode, stdout=done.stdout, stderr=done.stderr, report=document, out=out
    )


@pytest.fixture(scope="module")
def standin_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("gpu-check"), "--standin", *SMALL)


def _part(report: dict, name: str) -> dict:
    return next(entry for entry in report["parts"] if entry["name"] == name)


def test_over_the_standin_every_part_runs_in_order_and_passes(standin_run):
    report = standin_run.report
    assert standin_run.code == 0, standin_run.stdout + standin_run.stderr
    planned = [part.name for part in gpu_check.parts(gpu_check.parse(SMALL))]
    assert [entry["name"] for entry in report["parts"]] == planned
    assert planned[0] == "device" and planned[-1] == "integer product past 2^31 elements"
    assert planned.index("shipped suite: float16") < planned.index("shipped suite: the rest")
    assert (report["status"], report["exit_code"], report["reason"]) == ("passed", 0, None)
    assert report["standin"] is True and report["failed"] == [] and report["not_run"] == []
    for entry in report["parts"]:
        assert entry["status"] in ("passed", "skipped"), entry
        assert entry["duration_s"] >= 0 and entry["command"]
        if entry["status"] == "skipped":  # only for what the stand-in lacks
            assert "stand-in" in entry["reason"] and report["skipped"][entry["name"]]
    assert sorted(p.name for p in standin_run.out.iterdir()) == ["gpu-check.json", "gpu-check.log"]


def test_the_report_names_the_gpu_and_the_versions(standin_run):
    gpu = standin_run.report["gpu"]
    assert gpu["name"] == fakecupy.MACHINE.device_name
    assert gpu["cupy"] == fakecupy.__version__ and gpu["gpudot_probe"] == "usable"
    assert (gpu["cuda_runtime"], gpu["cuda_driver_api"]) == (
        fakecupy.MACHINE.runtime_version,
        fakecupy.MACHINE.driver_version,
    )
    assert set(gpu) >= {"driver", "cublas", "compute_capability", "memory_total"}
    assert standin_run.report["gpudot_from"] == str(ROOT / "gpudot")
    assert set(standin_run.report["packages"]) >= {"numba", "torch", "ml_dtypes", "hypothesis"}
    packages = standin_run.report["packages"]
    missing = standin_run.report["missing_optional_packages"]
    assert set(missing) == {n for n, v in packages.items() if v is None} - {"pytest", "hypothesis"}


def test_a_missing_optional_package_is_named_with_the_skips_it_caused():
    packages = {"numba": None, "torch": "2.13.0", "dask": None, "pytest": None}
    entries = [
        {"name": "suite", "results": {"skip_reasons": ["SKIPPED [2] t.py:3: numba is missing"]}},
        {"name": "case", "status": "skipped", "reason": "needs numba"},
    ]
    assert gpu_check._missing(packages, entries) == {
        "numba": ["suite: SKIPPED [2] t.py:3: numba is missing", "case: needs numba"],
        "dask": [],
    }


def test_the_suites_ran_on_the_cuda_backend_and_the_selftest_report_is_inside(standin_run):
    report = standin_run.report
    for name in ("shipped suite: float16", "shipped suite: the rest", "contract suite: gpu facts"):
        entry = _part(report, name)
        assert "--gpudot-backend=cuda" in entry["command"] or "-m gpu" in entry["command"]
        counts = entry["results"]["counts"]
        assert counts["passed"] > 0 and counts["deselected"] > 0 and "failed" not in counts
    assert "-k float16" in _part(report, "shipped suite: float16")["command"]
    selftest = _part(report, "self-test (--quick)")["results"]["report"]
    assert selftest["status"] == "passed" and selftest["devices"][0]["standin"] is True


def test_the_cases_report_their_findings(standin_run):
    report = standin_run.report
    half = _part(report, "float16 one output")["results"]
    assert half["gpudot dot (device)"] == half["gpudot vecdot"] == 0.0
    assert "4096-long dot: error, bound" in half
    tf32 = _part(report, "CUPY_TF32=1")["results"]
    assert tf32["CUPY_TF32"] == "1" and tf32["gpudot float32 2049 @ eye(64)"] == [2049.0]
    memory = _part(report, "out of memory in a fresh thread")["results"]
    assert set(memory) >= {
        "gpudot policy 'raise', device operands",
        "gpudot policy 'cpu', device operands",
        "gpudot policy 'cpu', host operands",
        "raw cupy.matmul",
    }
    split = _part(report, "split blocks after free_all_blocks")["results"]
    assert isinstance(split["split block kept"], bool)
    tiled = _part(report, "tiled against untiled")["results"]["float32 128x128"]
    assert tiled["under 'raise' at that limit"].startswith("gpudot._errors.DeviceMemoryError")
    assert tiled["under 'tile'"] == "returned" and isinstance(tiled["identical bits"], bool)
    devices = _part(report, "operands on another GPU")["results"]  # the stand-in has two
    assert devices["gpudot cuda:0, policy 'allow'"] == "returned NumPy's result on device 0"
    last = _part(report, "integer product past 2^31 elements")["results"]
    assert last["index limit tested"] == 1 << 16  # scaled down over the stand-in
    assert last["gpudot operand of rows*k elements"] == "NumPy's bits"


def test_the_benchmark_rows_and_autos_choices_are_measured(standin_run):
    rows = _part(standin_run.report, "benchmarks: CUDA rows")["results"]["rows"]
    assert [(r["dtype"], r["n"]) for r in rows] == [
        (d, n) for d in ("float32", "float16", "int8") for n in (32, 64)
    ]
    assert all(r["status"] == "measured" and r["gpudot_ms"] > 0 and r["raw_ms"] > 0 for r in rows)
    assert all(r["identical"] for r in rows)
    auto = _part(standin_run.report, "benchmarks: auto's choices")["results"]["rows"]
    assert all(r["auto_chose"] in ("numpy", "cuda") and r["reason"] for r in auto)
    assert "NOT GPU figures" in standin_run.stdout and "gpudot/raw" in standin_run.stdout
    planned = len(gpu_check.parts(gpu_check.parse(SMALL)))
    assert standin_run.stdout.rstrip().splitlines()[-1].startswith(f"PASSED: {planned} part(s) run")


@pytest.mark.parametrize("fault", ["raise", "hang"])
def test_a_failing_or_hung_part_fails_the_run_and_the_next_part_still_runs(tmp_path, fault):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(FAULT.format(tests=str(ROOT / "tests")))
    pythonpath = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    only = ["--only", "library", "float16 one output", "--part-limit", "8"]
    run = _run(
        tmp_path, "--standin", *only, env={"PYTHONPATH": pythonpath, "GPU_CHECK_FAULT": fault}
    )
    assert run.code == gpu_check.EXIT_FAILED == 1, run.stdout + run.stderr
    library = _part(run.report, "library")
    assert library["status"] == "failed"
    if fault == "hang":
        assert library["reason"].startswith("timed out after 8 s")
    else:
        assert "injected: the int8 kernel failed to compile" in library["reason"]
    assert _part(run.report, "float16 one output")["status"] == "passed"
    assert (run.report["status"], run.report["failed"]) == ("failed", ["library"])
    assert "FAILED   library" in run.stdout


def test_without_a_gpu_it_exits_3_and_says_why(tmp_path):
    pytest.importorskip("cupy")
    reason = lookup("cuda").unavailable_reason()
    if reason is None:
        pytest.skip("a CUDA device is usable here")
    run = _run(tmp_path)
    assert run.code == gpu_check.EXIT_NO_GPU == 3, run.stdout + run.stderr
    report = run.report
    assert (report["status"], report["standin"]) == ("no_gpu", False)
    assert reason in report["reason"] and reason in run.stdout
    assert report["not_run"] == [p.name for p in gpu_check.parts(gpu_check.parse([]))][1:]


def test_an_unknown_part_is_a_usage_error(tmp_path):
    run = _run(tmp_path, "--only", "no such part")
    assert run.code == gpu_check.EXIT_USAGE == 2 and "unknown part(s)" in run.stderr


def test_pytest_counts_read_the_closing_line_or_the_lines_of_a_stopped_run():
    stopped = "t.py::a[x y] PASSED [ 1%]\nt.py::b FAILED [ 2%]\nt.py::c SKIPPED (why) [ 3%]\n"
    assert gpu_check._pytest_counts(stopped) == {"passed": 1, "failed": 1, "skipped": 1}
    closing = "== 3 failed, 97 passed, 1 skipped, 2 errors, 1435 deselected in 2.98s =="
    assert gpu_check._pytest_counts(stopped + closing) == {
        "failed": 3,
        "passed": 97,
        "skipped": 1,
        "error": 2,
        "deselected": 1435,
    }
