"""The benchmark suite (benchmarks/run.py): it runs, writes complete JSON, and says what it skipped.

No timing is asserted: only that the numbers exist where they should and nowhere else, and that
where gpudot's and the raw library's results differ, the row says which side disagrees with NumPy.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import fakecupy  # the repository's CuPy stand-in (tests/fakecupy)
import numpy as np
import pytest

import gpudot
from gpudot.backends import lookup
from gpudot.backends.cupy._backend import CupyBackend
from gpudot.testing._inputs import make

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the benchmarks package lives beside gpudot, not inside it

from benchmarks import (  # noqa: E402
    cases,
    goals,
    machine,
    measure,
    oracle,
    plot,
    progress,
    run,
    timing,
)

SMALL_RUN = [
    "--quick",
    "--sizes",
    "2",
    "8",
    "--repeats",
    "2",
    "--dtypes",
    "float64",
    "int8",
    "complex64",
]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One small benchmark run in a subprocess, exactly as a user starts it."""
    out = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), *SMALL_RUN, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads((out / "results.json").read_text())
    return SimpleNamespace(out=out, stdout=completed.stdout, document=document)


def test_json_has_settings_machine_dispatch_and_results(small_run):
    document = small_run.document
    keys = {"schema_version", "command", "settings", "machine", "goals", "dispatch", "results"}
    assert keys | {"plot"} <= set(document)
    assert document["settings"]["sizes"] == [2, 8]
    assert document["settings"]["dtypes"] == ["float64", "int8", "complex64"]
    expected_rows = (
        sum(len(measure.modes(lookup(name))) for name in document["settings"]["backends"])
        * len(cases.CASES)
        * 3
        * 2
    )
    assert len(document["results"]) == expected_rows


def test_numpy_rows_carry_timings_rates_and_identical_bits(small_run):
    rows = [r for r in small_run.document["results"] if r["backend"] == "numpy"]
    assert rows and all(r["status"] == "measured" for r in rows)
    for row in rows:
        assert row["raw"] == f"numpy.{row['func']}"
        assert row["identical"] is True
        assert (row["gpudot_vs_numpy"], row["raw_vs_numpy"], row["note"]) == ("matches",) * 2 + (
            "",
        )
        assert row["gpudot_s"]["min"] <= row["gpudot_s"]["median"] <= row["gpudot_s"]["max"]
        assert row["raw_s"]["q25"] <= row["raw_s"]["median"] <= row["raw_s"]["q75"]
        g, r = row["gpudot_s"], row["raw_s"]
        assert g["min"] / r["max"] <= row["ratio"] <= g["max"] / r["min"]
        seconds = row["gpudot_s"]["median"]
        assert row["gpudot_rate"] == pytest.approx(row["operations"] / seconds / 1e9)
        assert row["unit"] == ("GOP/s" if row["dtype"] == "int8" else "GFLOP/s")


def test_operation_counts_follow_the_shapes(small_run):
    by_key = {(r["case"], r["dtype"], r["n"]): r for r in small_run.document["results"]}
    assert by_key["square", "float64", 8]["operations"] == 2 * 8**3
    assert by_key["square", "complex64", 8]["operations"] == 8 * 8**3
    assert by_key["matrix-vector", "int8", 8]["operations"] == 2 * 8 * 8
    assert by_key["vector-vector", "float64", 8]["operations"] == 2 * 64
    assert by_key["batched", "float64", 2]["operations"] == 2 * 2 * 16**3
    expected = np.dot(np.ones((4, 2, 32)), np.ones((2, 32, 32)))  # every element sums 32 products
    assert by_key["dot-nd", "float64", 2]["operations"] == 2 * expected.size * 32


def test_cuda_rows_say_not_measured_and_carry_no_number(small_run):
    reason = lookup("cupy").unavailable_reason()
    if reason is None:
        pytest.skip("a GPU is usable here: the CUDA rows are measured")
    document = small_run.document
    rows = [r for r in document["results"] + document["dispatch"] if r["backend"] == "cupy"]
    assert {r["mode"] for r in rows} == {"device", "with copies"}
    for row in rows:
        assert row["status"] == f"not measured: {reason}"
        numbers = ("gpudot_s", "raw_s", "gpudot_rate", "raw_rate", "ratio", "calls_per_sample")
        assert all(row.get(key) is None for key in (*numbers, "float32_limit"))
    for mode in ("device", "with copies"):
        dashes = " | ".join("–" * 7)
        assert f"| cupy | {mode} | {dashes} | not measured: {reason} |" in small_run.stdout


def test_dispatch_rows_report_nanoseconds_added(small_run):
    rows = [r for r in small_run.document["dispatch"] if r["backend"] == "numpy"]
    assert [r["n"] for r in rows] == list(run.DISPATCH_SIZES)
    for row in rows:
        assert row["dtype"] == "float64" and row["case"] == "square"
        added = (row["gpudot_s"]["median"] - row["raw_s"]["median"]) * 1e9
        assert row["added_ns"] == pytest.approx(added)
    assert "| added ns/call |" in small_run.stdout


def test_machine_block_names_blas_settings_and_versions(small_run):
    described = small_run.document["machine"]
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"):
        assert described["environment"][name] == os.environ.get(name)
    assert described["versions"]["NumPy"] == np.__version__
    assert described["logical_cores"] == os.cpu_count()
    assert described["blas_kernel"]
    assert "cupy" in described["cuda"]


def test_outputs_table_and_plot_files(small_run):
    assert (small_run.out / "table.md").read_text().strip() in small_run.stdout
    if small_run.document["plot"].startswith("plot skipped"):
        assert not (small_run.out / "throughput.png").exists()
    else:
        assert (small_run.out / "throughput.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_machine_reports_openblas_variables_as_set(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    described = machine.describe([lookup("numpy")])
    assert described["environment"]["OPENBLAS_CORETYPE"] == "Haswell"
    assert described["environment"]["OPENBLAS_L2_SIZE"] is None


def test_machine_without_threadpoolctl_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    described = machine.describe([lookup("numpy")])
    assert "threadpoolctl not installed" in described["thread_pools"]
    assert described["blas_kernel"].startswith("unknown: threadpoolctl not installed")


def test_plot_without_matplotlib_says_skipped(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    row = measure.measure(cases.CASES[0], 4, np.dtype("float64"), lookup("numpy"), "host", 1, 0.0)
    said = plot.plot([row], tmp_path / "p.png")
    assert said == "plot skipped: matplotlib not installed (pip install 'gpudot[bench]')"
    assert not (tmp_path / "p.png").exists()


def test_time_pair_alternates_gpudot_and_raw():
    calls: list[tuple[str, int]] = []

    def sampler(name, seconds):
        def sample(number):
            calls.append((name, number))
            return seconds

        return sample

    pair = timing.time_pair(sampler("gpudot", 2e-3), sampler("raw", 1e-3), 4, min_sample_s=0.01)
    assert calls[:2] == [("gpudot", 1), ("raw", 1)]  # one call each: how long a call takes
    assert [name for name, _ in calls[2:]] == ["gpudot", "raw", "raw", "gpudot"] * 2
    assert {number for _, number in calls[2:]} == {5}  # 5 calls of 2 ms make a 10 ms sample
    assert pair.ratio == pytest.approx(2.0)


def test_ratio_compares_each_sample_with_its_neighbour():
    """Equal products on a machine with slow phases: four of five adjacent pairs agree, so the
    ratio is 1, although the medians of the two sides, taken apart, differ by 20%."""

    def sampler(seconds):
        samples = iter([1.0, *seconds])  # the first call only sizes the samples

        return lambda number: next(samples)

    gpudot, raw = sampler([1.0, 1.0, 1.2, 1.2, 1.2]), sampler([1.0, 1.0, 1.2, 1.2, 1.0])
    pair = timing.time_pair(gpudot, raw, 5, min_sample_s=0.5)
    assert pair.gpudot.median / pair.raw.median == pytest.approx(1.2)
    assert pair.ratio == pytest.approx(1.0)


def test_cuda_sampler_reads_event_times_for_device_and_host_times_for_copies():
    result = SimpleNamespace(gpu_times=np.array([[1.0, 3.0]]), cpu_times=np.array([5.0, 7.0]))
    seen = {}

    def benchmark(func, n_repeat, n_warmup):
        seen.update(func=func, n_repeat=n_repeat, n_warmup=n_warmup)
        return result

    assert timing.cuda_sampler(print, "gpu", benchmark)(2) == 2.0
    assert seen == {"func": print, "n_repeat": 2, "n_warmup": 0}
    assert timing.cuda_sampler(print, "cpu", benchmark)(2) == 6.0


NO_TIME = run.Settings(
    repeats=1,
    min_sample_s=0.0,
    case_budget_s=0.0,
    dispatch_repeats=1,
    dispatch_min_sample_s=0.0,
    goal_repeats=3,
)


def _square_float64_series(sizes):
    reporter = progress.Progress(len(sizes), io.StringIO())
    series = run._series(
        cases.CASES[0], np.dtype("float64"), lookup("numpy"), "host", sizes, NO_TIME, reporter
    )
    return list(series)


def test_series_stops_at_the_budget_and_says_why():
    rows = _square_float64_series([2, 4, 8, 16])
    assert [r.status for r in rows[:2]] == ["measured", "measured"]  # two sizes fix the trend
    assert rows[2].status.startswith("skipped: estimated") and "--case-budget" in rows[2].status
    assert rows[3].status == rows[2].status and rows[3].gpudot_s is None


def test_rows_a_goal_is_judged_on_get_more_pairs_and_no_budget(monkeypatch):
    monkeypatch.setattr(goals, "LARGE_SIZE", 8)  # so that small sizes stand for n >= 1024
    rows = _square_float64_series([2, 4, 8, 16])
    assert [r.status for r in rows] == ["measured"] * 4  # the zero budget skips no goal row
    assert [r.repeats for r in rows] == [1, 1, 3, 3]
    judged = [r for r in rows if goals.judges_throughput(r.case, np.dtype(r.dtype), r.n)]
    assert judged == rows[2:]


def test_time_per_call_extrapolates_the_last_two_sizes():
    assert run._seconds_per_call([(10, 1.0), (100, 1.0)], 10_000) == 1.0  # fixed cost stays fixed
    assert run._seconds_per_call([(1, 0.5), (10, 1.0), (20, 2.0)], 40) == pytest.approx(4.0)


def test_progress_writes_lines_when_not_a_terminal():
    stream = io.StringIO()
    bar = progress.Progress(20, stream, delay_s=0.0)
    for _ in range(20):
        bar.advance("square float64")
    bar.close()
    lines = stream.getvalue().splitlines()
    assert 1 <= len(lines) <= 11 and lines[-1].startswith("[" + "#" * 30 + "] 20/20")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dtypes", "float33"], "unknown dtype 'float33'"),
        (["--backends", "cdua"], "unknown backend 'cdua'"),
        (["--repeats", "0"], "--repeats must be at least 1"),
    ],
)
def test_bad_arguments_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.fixture
def stand_in_cuda(monkeypatch):
    """A CUDA backend over the CuPy stand-in, and a stand-in ``cupyx.profiler.benchmark`` that
    records which clock the benchmark reads (CUDA-event times are 1 s, host times 2 s per call)."""
    clocks: list[str] = []

    def benchmark(func, n_repeat, n_warmup):
        for _ in range(n_repeat):
            func()
        times = SimpleNamespace(gpu_times=np.ones((1, n_repeat)), cpu_times=np.full(n_repeat, 2.0))
        return _RecordingTimes(times, clocks)

    monkeypatch.setitem(sys.modules, "cupyx.profiler", SimpleNamespace(benchmark=benchmark))
    return CupyBackend(module=fakecupy, name="stand-in-cuda"), clocks


class _RecordingTimes:
    def __init__(self, times, clocks):
        self._times, self._clocks = times, clocks

    def __getattr__(self, name):
        self._clocks.append(name)
        return getattr(self._times, name)


@pytest.mark.parametrize(
    ("mode", "clock", "seconds"), [("device", "gpu_times", 1.0), ("with copies", "cpu_times", 2.0)]
)
@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.name)
def test_cuda_modes_time_with_cupyx_benchmark(stand_in_cuda, case, mode, clock, seconds):
    backend, clocks = stand_in_cuda
    assert measure.modes(backend) == ("device", "with copies")
    row = measure.measure(case, 4, np.dtype("float32"), backend, mode, 2, 0.0)
    assert row.status == "measured", row.status
    assert row.raw == f"cupy.{case.func}"
    if case.func == "matmul":  # gpudot's N-D dot is a tensordot: same values, other summation order
        assert row.identical is True
    assert row.gpudot_vs_numpy in ("matches", "within rounding"), row.note
    assert set(clocks) == {clock}
    assert row.gpudot_s["median"] == row.raw_s["median"] == seconds


def test_cuda_backend_skips_dtypes_it_does_not_support(stand_in_cuda):
    backend, _ = stand_in_cuda
    reason = measure.unmeasured_reason(backend, np.dtype("longdouble"))
    assert reason == "not measured: backend 'stand-in-cuda' does not support float128"


def test_goals_are_checked_from_the_rows(small_run):
    document = small_run.document
    dispatch = next(r for r in document["dispatch"] if (r["backend"], r["n"]) == ("numpy", 4))
    goal = next(g for g in document["goals"] if g["backend"] == "numpy")
    assert goal["value"] == dispatch["ratio"] and goal["met"] == (dispatch["ratio"] <= 1.3)
    assert "4x4 float64 <= 1.3" in goal["goal"] and goal["goal"] in small_run.stdout


def test_throughput_goal_takes_the_worst_large_float_row():
    def row(n, dtype, ratio):
        numpy = lookup("numpy")
        made = measure.empty_row(cases.CASES[0], n, np.dtype(dtype), numpy, "host", "measured")
        made.ratio = ratio
        return made

    rows = [
        row(512, "float64", 2.0),
        row(1024, "float64", 1.01),
        row(2048, "float32", 1 / 0.99),
        row(1024, "int8", 3.0),
    ]
    (checked,) = goals.check_goals([], rows)
    assert checked["value"] == pytest.approx(0.99) and checked["met"] is True
    rows.append(row(4096, "float32", 1.05))
    (checked,) = goals.check_goals([], rows)
    assert checked["value"] == pytest.approx(1 / 1.05) and checked["met"] is False


def test_blas_threads_limit_shows_in_the_machine_block():
    pytest.importorskip("threadpoolctl")
    with run.blas_threads(1):
        described = machine.describe([lookup("numpy")])
    assert all(
        pool["num_threads"] == 1
        for pool in described["thread_pools"]
        if pool["internal_api"] == "openblas"
    )
    assert "1 threads" in described["blas_kernel"]


def test_blas_threads_without_threadpoolctl_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(run.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit):
        run.parse_args(["--blas-threads", "1"])
    assert "--blas-threads needs threadpoolctl" in capsys.readouterr().err


def test_committed_results_come_from_the_documented_command():
    arguments = [
        "benchmarks/run.py",
        "--backends",
        "numpy",
        "cupy",
        "--blas-threads",
        "1",
        "--out",
        "benchmarks/results/cpu",
    ]
    documented = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python " + " ".join(arguments)
    assert documented in (ROOT / "benchmarks" / "README.md").read_text()
    document = json.loads((ROOT / "benchmarks" / "results" / "cpu" / "results.json").read_text())
    assert document["command"][1:] == arguments
    environment = document["machine"]["environment"]
    assert environment["OPENBLAS_CORETYPE"] is None and environment["OPENBLAS_L2_SIZE"] is None
    assert document["plot"] == "throughput.png"
    assert (ROOT / "benchmarks" / "results" / "cpu" / "throughput.png").exists()


def test_dask_rows_are_timed_with_the_result_computed(small_run):
    pytest.importorskip("dask.array")
    rows = [r for r in small_run.document["results"] if r["backend"] == "dask"]
    assert rows and {r["mode"] for r in rows} == {"with copies"}
    assert {r["raw"] for r in rows} == {"dask.array.matmul", "dask.array.dot"}
    assert all(r["status"] == "measured" for r in rows)  # a fixed cost does not exhaust the budget
    assert all(g["backend"] != "dask" for g in small_run.document["goals"])


def test_dask_int8_dot_rows_say_raw_dask_disagrees_with_numpy(small_run):
    """`dask.array.dot` sums the blocks' partial products with `sum`, which widens int8 to int64;
    NumPy and gpudot give int8."""
    pytest.importorskip("dask.array")
    rows = [
        r
        for r in small_run.document["results"]
        if (r["backend"], r["case"], r["dtype"]) == ("dask", "dot-nd", "int8")
    ]
    assert rows
    for row in rows:
        assert (row["gpudot_vs_numpy"], row["raw_vs_numpy"]) == ("matches", "disagrees")
        expected = (
            "raw dask.array.dot disagrees with NumPy (int64 result, NumPy gives int8); "
            "gpudot matches NumPy"
        )
        assert row["note"] == expected and f"| {expected} |" in small_run.stdout
    assert "BUG" not in small_run.stdout


def _int8_product():
    """Operands whose int8 product wraps around, and NumPy's product."""
    a = np.arange(-6, 6, dtype=np.int8).reshape(3, 4) * np.int8(37)
    b = np.arange(8, dtype=np.int8).reshape(4, 2) * np.int8(-29)
    return a, b, np.matmul(a, b)


def _verdict(ours, raw, *, numpy_result=None, func="matmul", a=None, b=None):
    if a is None:
        a, b, _ = _int8_product()
    reference = oracle.numpy_reference(func, a, b, numpy_result)
    gpudot_side, raw_side = oracle.compare(ours, reference), oracle.compare(raw, reference)
    return gpudot_side.agreement, raw_side.agreement, oracle.note(gpudot_side, raw_side, "lib.f")


def test_raw_result_of_another_dtype_is_named_as_disagreeing_with_numpy():
    _, _, expected = _int8_product()
    widened = expected.astype(np.int64)  # what dask.array.dot returns for int8
    assert _verdict(expected, widened) == (
        "matches",
        "disagrees",
        "raw lib.f disagrees with NumPy (int64 result, NumPy gives int8); gpudot matches NumPy",
    )


@pytest.mark.parametrize(
    ("wrong", "detail"),
    [
        (lambda x: x.astype(np.int16), "int16 result, NumPy gives int8"),
        (lambda x: x[:, :1], "shape (3, 1), NumPy gives (3, 2)"),
        (
            lambda x: x + np.eye(3, 2, dtype=np.int8),
            "2 of 6 values differ from NumPy's bits; first at [0, 0]: 109 vs NumPy's 108",
        ),
    ],
    ids=["dtype", "shape", "values"],
)
def test_gpudot_result_off_numpy_is_a_bug_in_the_note(wrong, detail):
    _, _, expected = _int8_product()
    ours, raw, said = _verdict(wrong(expected), expected)
    assert (ours, raw) == ("disagrees", "matches")
    assert said.startswith(f"BUG: gpudot disagrees with NumPy ({detail}")
    assert said.endswith("; raw lib.f matches NumPy")


def test_results_with_numpys_bits_on_both_sides_give_no_note():
    _, _, expected = _int8_product()
    assert _verdict(expected.copy(), expected.copy()) == ("matches", "matches", "")


def test_integer_wraparound_is_compared_bit_for_bit():
    a, b, expected = _int8_product()
    unwrapped = np.matmul(a.astype(np.int64), b.astype(np.int64))
    assert not np.array_equal(unwrapped, expected)  # the operands do overflow int8
    assert _verdict(expected, unwrapped.astype(np.int8))[2] == ""
    assert _verdict(expected, unwrapped)[1] == "disagrees"


def _float_product():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 40)), rng.standard_normal((40, 3))
    expected = np.matmul(a, b)
    rounded = expected.copy()
    rounded[1, 2] = np.nextafter(rounded[1, 2], np.inf)  # one unit in the last place
    return a, b, expected, rounded


def test_float_rounding_off_numpys_bits_is_named_but_not_a_bug_where_allowed():
    a, b, expected, rounded = _float_product()
    assert _verdict(expected, rounded, a=a, b=b) == (
        "matches",
        "within rounding",
        "raw lib.f is within rounding of NumPy (1 of 15 values not NumPy's bits); "
        "gpudot matches NumPy",
    )
    ours, _, said = _verdict(rounded, expected, a=a, b=b)
    assert ours == "within rounding" and not said.startswith("BUG")


def test_float_rounding_is_a_bug_where_numpys_bits_are_promised():
    """On the NumPy backend the raw result is NumPy's own: gpudot must give its bits."""
    a, b, expected, rounded = _float_product()
    ours, raw, said = _verdict(rounded, expected, numpy_result=expected, a=a, b=b)
    assert (ours, raw) == ("disagrees", "matches")
    assert said.startswith("BUG: gpudot disagrees with NumPy (1 of 15 values differ from NumPy's")


def test_float_values_beyond_rounding_disagree_on_any_backend():
    a, b, expected, _ = _float_product()
    off = expected.copy()
    off[0, 0] += 1e-6
    ours, _, said = _verdict(off, expected, a=a, b=b)
    assert (
        ours == "disagrees" and "1 of 15 values off by more than rounding; first at [0, 0]" in said
    )


def test_nan_in_the_same_place_as_numpys_matches():
    a, b = np.array([[np.nan, 1.0]]), np.ones((2, 2))
    assert _verdict(np.matmul(a, b), np.matmul(a, b), a=a, b=b)[2] == ""


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.name)
def test_large_products_are_checked_on_numpys_corner_with_numpys_dtype_and_shape(case, monkeypatch):
    monkeypatch.setattr(oracle, "WHOLE_PRODUCT_MADDS", 0)
    monkeypatch.setattr(oracle, "CORNER", 3)
    shape_a, shape_b = case.shapes(5)
    a, b = make(shape_a, "int8", seed=1), make(shape_b, "int8", seed=2)
    whole = np.asarray(getattr(np, case.func)(a, b))
    reference = oracle.numpy_reference(case.func, a, b)
    assert (reference.dtype, reference.shape) == (whole.dtype, whole.shape)
    if case.name != "vector-vector":  # a scalar result is computed whole
        assert reference.where is not None and reference.values.size < whole.size
        assert np.array_equal(reference.values, whole[reference.where])
    assert oracle.compare(whole, reference).agreement == "matches"
    first = np.unravel_index(0, whole.shape)
    wrong = whole.copy()
    wrong[first] += 1
    assert oracle.compare(wrong, reference).agreement == "disagrees"


def test_a_run_where_gpudot_is_wrong_lists_the_rows_first_and_exits_1(
    monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(gpudot, "matmul", lambda a, b: np.matmul(a, b).astype(np.int64))
    argv = ["--quick", "--sizes", "4", "--repeats", "1", "--dtypes", "int8", "--cases", "square"]
    assert run.main([*argv, "--backends", "numpy", "--out", str(tmp_path)]) == 1
    table = (tmp_path / "table.md").read_text()
    first_line, listed = table.splitlines()[0], table.splitlines()[1]
    assert first_line == "BUG: gpudot disagrees with NumPy in 4 row(s):"  # 3 dispatch, 1 result
    assert listed.startswith("- square float64 n=2, numpy (host): BUG: gpudot disagrees with NumPy")
    note = "BUG: gpudot disagrees with NumPy (int64 result, NumPy gives int8); raw numpy.matmul"
    assert f"| {note} matches NumPy |" in table and table in capsys.readouterr().out


#: An internal issue reference ("issue #5", "issue 12", "(#11)"); a colour such as #1f77b4 is not.
ISSUE_NUMBER = re.compile(r"\bissues?\s*#?\d+|(?<![\w&])#\d+\b", re.IGNORECASE)
PUBLISHED = [
    *sorted((ROOT / "benchmarks").glob("*.py")),
    ROOT / "benchmarks" / "README.md",
    *sorted((ROOT / "benchmarks" / "results").glob("*/*.md")),
    *sorted((ROOT / "benchmarks" / "results").glob("*/*.json")),
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "README.md",
]


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: str(p.relative_to(ROOT)))
def test_published_text_names_goals_not_issue_numbers(path):
    found = ISSUE_NUMBER.findall(path.read_text())
    assert not found, f"{path.relative_to(ROOT)} cites {found}: name the goal instead"


def test_benchmark_output_names_goals_not_issue_numbers(small_run):
    assert not ISSUE_NUMBER.findall(small_run.stdout)
    assert not ISSUE_NUMBER.findall(json.dumps(small_run.document["goals"]))


def test_issue_number_pattern_finds_references_and_spares_colours():
    text = "goals of issue #5, Issue 12, see #11; colour #1f77b4, &#8212;"
    assert ISSUE_NUMBER.findall(text) == ["issue #5", "Issue 12", "#11"]


@pytest.mark.parametrize("dtype", ["int8", "float64"])
@pytest.mark.parametrize("chunk", ["4", "budget"])
def test_dask_matmul_script_checks_its_corner_against_numpy(dtype, chunk):
    pytest.importorskip("dask.array")
    from benchmarks import dask_matmul

    a, b = make((8, 8), dtype, seed=1), make((8, 8), dtype, seed=2)
    assert dask_matmul._check(a, b, chunk).agreement in ("matches", "within rounding")


def test_tiny_calls_times_every_family_product_beside_numpy():
    from benchmarks import tiny_calls

    results = tiny_calls.measure(repeats=2, calls=5)
    expected = {name for name, (_, func) in tiny_calls.PRODUCTS.items() if func is not None}
    assert set(results) == expected and {"vdot 4", "matmul 4x4"} <= expected
    assert all(ours > 0 and theirs > 0 and ratio > 0 for ours, theirs, ratio in results.values())


def test_tiny_calls_products_are_numpys():
    from benchmarks import tiny_calls

    for operands, func in tiny_calls.PRODUCTS.values():
        if func is not None:
            ours = getattr(gpudot, func.__name__)(*operands)
            assert np.asarray(ours).tobytes() == np.asarray(func(*operands)).tobytes()


def test_cpu_line_names_the_model_and_simd_features():
    from benchmarks.machine import SIMD_FLAGS, cpu_line, simd_features

    features = simd_features()
    assert set(features) <= set(SIMD_FLAGS)
    line = cpu_line()
    assert all(feature in line for feature in features) and line.endswith(")")


def test_float32_limit_divides_by_the_raw_float32_row_of_the_same_product():
    numpy = lookup("numpy")

    def row(n, dtype, gpudot_s, raw_s):
        made = measure.empty_row(cases.CASES[0], n, np.dtype(dtype), numpy, "host", "measured")
        made.gpudot_s, made.raw_s = {"median": gpudot_s}, {"median": raw_s}
        return made

    float32, float16, other_size = (
        row(64, "float32", 1.1, 1.0),
        row(64, "float16", 3.0, 90.0),
        row(128, "int8", 2.0, 50.0),
    )
    measure.add_float32_limits([float16, float32, other_size])
    assert float16.float32_limit == pytest.approx(3.0)
    assert float32.float32_limit == pytest.approx(1.1)
    assert other_size.float32_limit is None  # no float32 row at n = 128
