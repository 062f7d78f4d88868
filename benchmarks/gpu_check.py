#!/usr/bin/env python
"""Everything only a GPU can settle, in one command: ``python benchmarks/gpu_check.py --out DIR``.

Runs from a checkout (gpudot on ``sys.path``, nothing installed or built) on a machine with CuPy,
NumPy, pytest and hypothesis, each part in its own process under a time limit, so that a hang or
a spoiled CUDA context costs one part, never the ones after it:

1. ``device``: the GPU's name, driver, CUDA, cuBLAS and CuPy versions (no usable GPU: exit 3);
2. ``library``: a float32 and an int8 64x64 product through raw CuPy and through gpudot;
3. the shipped suite with ``--gpudot-backend=cuda``, float16 cases first;
4. the CuPy contract suite's ``gpu`` facts against the real wheel;
5. the cases where real CuPy departs from NumPy or from the stand-in (`benchmarks.gpu_cases`:
   float16 with one output, ``CUPY_TF32=1``, out of memory in a fresh thread, tiling, operands
   on another GPU, split blocks, pinned memory), the self-test's exactness checks
   (``python -m gpudot selftest --quick``), the CUDA rows of the benchmarks and "auto"'s choices;
6. last, an integer product past 2^31 elements (it may spoil the CUDA context).

Writes ``DIR/gpu-check.json`` (one report: versions, and per part its status, reason, duration
and findings) and ``DIR/gpu-check.log`` (every part's output), prints a summary, and exits 0 when
every part passed or was skipped for a stated reason, 1 when one failed (a time-out is a failure),
3 when no GPU is usable, 2 on a usage error. ``--standin`` runs it all over the CuPy stand-in
(``tests/fakecupy``, installed as ``cupy`` in each child process), as CI does so that it cannot
rot; that report says ``"standin": true`` and its figures are not GPU figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
EXIT_FAILED, EXIT_USAGE, EXIT_NO_GPU = 1, 2, 3
#: Seconds kept back for the last part (the integer product past 2^31) whatever came before.
LAST_PART_RESERVE_S = 60.0
#: Child processes that run over the stand-in start with this: ``tests/fakecupy`` becomes
#: ``cupy`` (with its submodules) before anything imports CuPy, then the module runs as __main__.
STANDIN_BOOT = (
    "import runpy, sys; sys.path[:0] = [{root!r}, {tests!r}]; import fakecupy; "
    "sys.modules.update({{'cupy' + n[8:]: m for n, m in list(sys.modules.items()) "
    "if n == 'fakecupy' or n.startswith('fakecupy.')}}); "
    "module = sys.argv[1]; sys.argv = [module, *sys.argv[2:]]; "
    "runpy.run_module(module, run_name='__main__', alter_sys=True)"
)


@dataclass(frozen=True)
class Part:
    """One step: a child running ``module args`` (``kind`` "pytest", "selftest" or "case")."""

    name: str
    kind: str
    args: tuple[str, ...]
    limit_s: float
    env: dict[str, str] = field(default_factory=dict)


def parts(options: argparse.Namespace) -> list[Part]:
    """The parts in the order they run (the integer product past 2^31 last)."""
    backend = "--gpudot-backend=cuda"
    pytest_args = ("-p", "gpudot.testing.plugin", "-p", "no:cacheprovider", "-v", "-rfEs")
    sizes = {
        "benchmarks: CUDA rows": ("--bench-sizes", *map(str, options.bench_sizes)),
        "benchmarks: auto's choices": ("--auto-sizes", *map(str, options.auto_sizes)),
    }

    def case(name: str, limit_s: float, **env: str) -> Part:
        args = ("benchmarks.gpu_check", "--case", name, *sizes.get(name, ()))
        return Part(name, "case", args, limit_s, env)

    return [
        case("device", 60),
        case("library", 60),
        Part(
            "shipped suite: float16",
            "pytest",
            ("pytest", *pytest_args, backend, "gpudot/testing", "-k", "float16"),
            90,
        ),
        Part(
            "shipped suite: the rest",
            "pytest",
            ("pytest", *pytest_args, backend, "gpudot/testing", "-k", "not float16"),
            150,
        ),
        Part(
            "contract suite: gpu facts",
            "pytest",
            ("pytest", *pytest_args, "tests/cupy_contract", "-m", "gpu"),
            60,
        ),
        case("float16 one output", 45),
        case("CUPY_TF32=1", 45, CUPY_TF32="1"),
        case("out of memory in a fresh thread", 60),
        case("tiled against untiled", 30),
        case("operands on another GPU", 30),
        case("split blocks after free_all_blocks", 30),
        case("pinned memory after a large copy", 45),
        Part("self-test (--quick)", "selftest", ("gpudot", "selftest", "--quick"), 90),
        case("benchmarks: CUDA rows", 120),
        case("benchmarks: auto's choices", 60),
        case("integer product past 2^31 elements", LAST_PART_RESERVE_S),
    ]


# --- running one part ---


def _command(part: Part, standin: bool) -> list[str]:
    if not standin:
        return [sys.executable, "-m", *part.args]
    boot = STANDIN_BOOT.format(root=str(ROOT), tests=str(ROOT / "tests"))
    return [sys.executable, "-c", boot, *part.args]


def _run_child(
    command: list[str], env: dict[str, str], limit_s: float, log: TextIO
) -> tuple[int | None, str]:
    """Run ``command`` in its own process group; ``(exit code or None on time-out, output)``."""
    with tempfile.TemporaryFile("w+", errors="replace") as output:
        child = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            code: int | None = child.wait(timeout=max(limit_s, 1.0))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            code = None
        output.seek(0)
        text = output.read()
    log.write(f"{text}\n")
    log.flush()
    return code, text


def run_part(
    part: Part, options: argparse.Namespace, limit_s: float, log: TextIO
) -> dict[str, Any]:
    """Run ``part`` within ``limit_s`` seconds and return its entry in the report."""
    env = {**os.environ, **part.env, "PYTHONPATH": _pythonpath(), "PYTHONUNBUFFERED": "1"}
    if part.kind == "pytest":
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as where gpudot is not installed
    log.write(f"\n===== {part.name} (limit {limit_s:.0f} s) =====\n$ {' '.join(part.args)}\n")
    entry: dict[str, Any] = {"name": part.name, "command": " ".join(part.args)}
    with tempfile.TemporaryDirectory() as scratch:
        result = Path(scratch) / "result.json"
        args = list(part.args)
        if part.kind == "case":
            args += ["--result", str(result), "--budget", str(limit_s - 5)]
            args += ["--standin"] if options.standin else []
        elif part.kind == "selftest":
            args += ["--json", str(result)]
        started = time.monotonic()
        code, output = _run_child(
            _command(Part(part.name, part.kind, tuple(args), limit_s), options.standin),
            env,
            limit_s,
            log,
        )
        entry["duration_s"] = round(time.monotonic() - started, 2)
        found = _read_json(result)
    judge = {"pytest": _judge_pytest, "selftest": _judge_selftest, "case": _judge_case}[part.kind]
    entry.update(judge(code, output, found, options.standin))
    in_a_measurement = entry.pop("ended_in_a_measurement", False)
    if code is None and not in_a_measurement:
        entry["status"] = "failed"
        entry["reason"] = f"timed out after {limit_s:.0f} s" + (
            f"; {entry['reason']}" if entry.get("reason") else ""
        )
    return entry


def _read_json(path: Path) -> Any:
    """The findings a child wrote, or ``None`` if it wrote none (or was stopped mid-write)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _pythonpath() -> str:
    return os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


_OUTCOME = re.compile(r"^\S+::.* (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b", re.M)
_SUMMARY = re.compile(r"^=+ (.*\d+ \w+.*) in [\d.]+s", re.M)
_COUNT = re.compile(r"(\d+) (\w+)")


def _pytest_counts(output: str) -> dict[str, int]:
    """pytest's closing counts; for a run stopped before its end, its ``-v`` lines counted."""
    closing = _SUMMARY.findall(output)
    if closing:
        counts = {word: int(n) for n, word in _COUNT.findall(closing[-1])}
        return {("error" if word == "errors" else word): n for word, n in counts.items()}
    counts: dict[str, int] = {}
    for outcome in _OUTCOME.findall(output):
        counts[outcome.lower()] = counts.get(outcome.lower(), 0) + 1
    return counts


def _judge_pytest(code: int | None, output: str, _: Any, standin: bool) -> dict[str, Any]:
    counts = _pytest_counts(output)
    summary = [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    skips = [line for line in output.splitlines() if line.startswith("SKIPPED [")]
    entry: dict[str, Any] = {
        "results": {
            "exit_code": code,
            "counts": counts,
            "failures": summary[:50],
            "skip_reasons": skips[:20],
        }
    }
    ran = counts.get("passed", 0) + counts.get("failed", 0) + counts.get("error", 0)
    if code == 0 and ran:
        entry["status"] = "passed"
    elif code == 0 or code == 5:
        why = "no test ran" + (f" ({skips[0]})" if skips else "")
        entry.update(status="skipped" if standin and code == 0 else "failed", reason=why)
    else:
        failed = counts.get("failed", 0) + counts.get("error", 0)
        entry.update(
            status="failed",
            reason=f"pytest exit code {code}: {failed} failed"
            if failed
            else f"pytest exit code {code}: {_tail(output, 3)}",
        )
    return entry


def _judge_selftest(code: int | None, output: str, found: Any, _: bool) -> dict[str, Any]:
    if found is None:
        return {"status": "failed", "reason": f"no report (exit code {code}): {_tail(output, 5)}"}
    failing = [
        f"{device['device']}: {check['check']}: {check['problem']}"
        for device in found.get("devices", [])
        for check in device.get("checks", [])
        if not check["passed"]
    ]
    status = "passed" if code == 0 else "failed"
    reason = None if code == 0 else (found.get("reason") or f"exit code {code}")
    return {
        "status": status,
        "reason": reason,
        "results": {"report": found, "failing checks": failing},
    }


def _judge_case(code: int | None, output: str, found: Any, _: bool) -> dict[str, Any]:
    if found is None:
        return {"status": "failed", "reason": f"exit code {code}, no findings: {_tail(output, 8)}"}
    pending = found.get("results", {}).get("pending")
    if pending is not None:  # a measurement (not a gpudot check) ended or hung the process
        ended = "was stopped at the time limit" if code is None else f"ended (exit code {code})"
        found["results"][pending] = f"the process {ended} during it"
        found["ended_in_a_measurement"] = True
    elif code != 0 and found["status"] == "passed":
        found.update(status="failed", reason=f"exit code {code}: {_tail(output, 5)}")
    return found


# --- a part inside its child process ---


def run_case(options: argparse.Namespace) -> int:
    """``--case NAME``: run one part of `benchmarks.gpu_cases` and write its findings."""
    from benchmarks import gpu_cases

    path = Path(options.result)

    def flush(ctx: gpu_cases.Context, skipped: str | None = None) -> None:
        status = "skipped" if skipped else "failed" if ctx.problems else "passed"
        reason = skipped or "; ".join(ctx.problems) or None
        _write_json(path, {"status": status, "reason": reason, "results": ctx.results})

    try:
        import cupy  # the real one, or the stand-in that STANDIN_BOOT put in its place
    except ImportError as error:
        _write_json(path, {"status": "failed", "reason": f"CuPy: {error}", "results": {}})
        return EXIT_FAILED
    ctx = gpu_cases.Context(
        cupy,
        options.standin,
        options.budget,
        tuple(options.bench_sizes),
        tuple(options.auto_sizes),
        flush=flush,
    )
    try:
        gpu_cases.PARTS[options.case](ctx)
    except gpu_cases.Skip as skip:
        flush(ctx, str(skip))
        return 0
    except Exception as error:
        ctx.results["traceback"] = traceback.format_exc().splitlines()[-12:]
        ctx.problem(f"{type(error).__name__}: {error}")
        flush(ctx)
        return EXIT_FAILED
    flush(ctx)
    return 0


def _write_json(path: Path, document: Any) -> None:
    """Write ``document`` whole or not at all (a child may be stopped at any moment)."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document, indent=1, default=str))
    os.replace(partial, path)


# --- the whole command ---


#: The ``device`` part's findings that the report's ``gpu`` block repeats.
GPU_FIELDS = (
    "name",
    "driver",
    "cuda_driver_api",
    "cuda_runtime",
    "cublas",
    "cupy",
    "cupy_wheels",
    "compute_capability",
    "memory_total",
    "device_count",
    "gpudot_probe",
)


def check(options: argparse.Namespace, stream: TextIO) -> int:
    """Run every part, write the report and the log, print the summary; return the exit code."""
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    report: dict[str, Any] = {
        "tool": "benchmarks/gpu_check.py",
        "standin": options.standin,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "limit_s": options.limit,
        "python": sys.version.split()[0],
    }
    plan = [p for p in parts(options) if not options.only or p.name in {"device", *options.only}]
    with (out / "gpu-check.log").open("w") as log:
        entries = _run_plan(plan, options, log, stream)
    found = entries[0].get("results", {})
    report["gpu"] = {key: found.get(key) for key in GPU_FIELDS}
    report.update({key: found.get(key) for key in ("packages", "numpy", "gpudot", "gpudot_from")})
    report["missing_optional_packages"] = _missing(report["packages"], entries)
    report["parts"] = entries
    report["not_run"] = [p.name for p in plan if p.name not in {e["name"] for e in entries}]
    report["failed"] = [e["name"] for e in entries if e["status"] == "failed"]
    report["skipped"] = {e["name"]: e.get("reason") for e in entries if e["status"] == "skipped"}
    if entries[0]["status"] != "passed":
        code, status, reason = EXIT_NO_GPU, "no_gpu", f"no usable GPU: {entries[0].get('reason')}"
    elif report["failed"]:
        code, status, reason = EXIT_FAILED, "failed", f"failed: {', '.join(report['failed'])}"
    else:
        code, status, reason = 0, "passed", None
    duration = round(time.monotonic() - started, 1)
    report.update(status=status, exit_code=code, reason=reason, duration_s=duration)
    (out / "gpu-check.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    _print_summary(report, out, stream)
    return code


def _run_plan(
    plan: list[Part], options: argparse.Namespace, log: TextIO, stream: TextIO
) -> list[dict[str, Any]]:
    """Run the parts in order within ``options.limit``, the last part's limit kept in reserve;
    stop after ``device`` if it finds no usable GPU."""
    started, entries = time.monotonic(), []
    cap = options.part_limit or float("inf")
    reserve = min(plan[-1].limit_s, cap) if len(plan) > 1 else 0.0
    for index, part in enumerate(plan):
        left = options.limit - (time.monotonic() - started)
        limit = min(part.limit_s, cap, left if index == len(plan) - 1 else left - reserve)
        if limit < 5:
            entry = _failed(part, "not run: the command's time limit was spent")
        else:
            try:
                entry = run_part(part, options, limit, log)
            except Exception as error:  # a fault of this script must not stop the later parts
                entry = _failed(
                    part, f"gpu_check could not run it: {type(error).__name__}: {error}"
                )
        entries.append(entry)
        _print_entry(entry, stream)
        if part.name == "device" and entry["status"] != "passed":
            break
    return entries


def _failed(part: Part, reason: str) -> dict[str, Any]:
    return {"name": part.name, "status": "failed", "duration_s": 0, "reason": reason}


def _missing(
    packages: dict[str, str | None] | None, entries: list[dict[str, Any]]
) -> dict[str, list[str]]:
    """Each optional package not installed, with the skip reasons and parts that name it."""
    missing: dict[str, list[str]] = {}
    for name, version in (packages or {}).items():
        if version is not None or name in ("pytest", "hypothesis"):  # required, not optional
            continue
        mentions = [
            f"{entry['name']}: {reason}"
            for entry in entries
            for reason in [
                entry.get("reason") or "",
                *entry.get("results", {}).get("skip_reasons", []),
            ]
            if name in reason
        ]
        missing[name] = mentions
    return missing


def _print_entry(entry: dict[str, Any], stream: TextIO) -> None:
    reason = f": {entry['reason']}" if entry.get("reason") else ""
    print(
        f"{entry['status'].upper():8} {entry['name']} ({entry.get('duration_s', 0):.1f} s)"
        f"{reason[:2000]}",
        file=stream,
        flush=True,
    )


def _print_summary(report: dict[str, Any], out: Path, stream: TextIO) -> None:
    gpu = report["gpu"]
    label = " [CuPy STAND-IN: not a GPU, figures are NOT GPU figures]" if report["standin"] else ""
    if report["status"] == "no_gpu":
        print(
            f"\nGPU: none usable (CuPy {gpu['cupy']}); not run: {', '.join(report['not_run'])}",
            file=stream,
        )
    else:
        print(
            f"\nGPU: {gpu['name']}{label}; driver {gpu['driver']}, CUDA runtime "
            f"{gpu['cuda_runtime']} (driver API {gpu['cuda_driver_api']}), cuBLAS "
            f"{gpu['cublas']}, CuPy {gpu['cupy']}",
            file=stream,
        )
    for entry in report["parts"]:
        for row in entry.get("results", {}).get("rows", []):
            if row.get("status") != "measured":
                continue
            if "raw_ms" in row:
                print(
                    f"  {row['dtype']:8} n={row['n']:<5} gpudot {row['gpudot_ms']:9.3f} ms  "
                    f"cupy {row['raw_ms']:9.3f} ms  gpudot/raw {row['gpudot_over_raw']:.3f}",
                    file=stream,
                )
            else:
                print(
                    f"  auto {row['dtype']:8} n={row['n']:<5} chose {row['auto_chose']:5} "
                    f"numpy {row['numpy_ms']:9.3f} ms  cuda+copies "
                    f"{row['cuda_with_copies_ms']:9.3f} ms",
                    file=stream,
                )
    missing = ", ".join(report["missing_optional_packages"]) or "none"
    print(f"optional packages missing: {missing}", file=stream)
    print(f"report: {out / 'gpu-check.json'}; log: {out / 'gpu-check.log'}", file=stream)
    print(
        f"{report['status'].upper()}: {len(report['parts'])} part(s) run, failed: "
        f"{', '.join(report['failed']) or 'none'}, skipped: "
        f"{', '.join(report['skipped']) or 'none'} ({report['duration_s']} s)",
        file=stream,
    )


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="gpu-check", help="folder for gpu-check.json and .log")
    parser.add_argument(
        "--limit", type=float, default=290.0, help="seconds for the whole command (default 290)"
    )
    parser.add_argument(
        "--standin",
        action="store_true",
        help="run over the CuPy stand-in tests/fakecupy (CI), not a GPU",
    )
    parser.add_argument("--bench-sizes", type=int, nargs="+", default=[1024, 2048, 4096, 8192])
    parser.add_argument("--auto-sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--only", nargs="+", metavar="PART", help="run these parts (and device)")
    parser.add_argument(
        "--part-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="cap every part's own time limit (tests)",
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)  # inside a child: run this part
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, default=60.0, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    known = [part.name for part in parts(options)]
    unknown = sorted(set(options.only or ()) - set(known))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; the parts: {known}")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    if options.case is not None:
        return run_case(options)
    return check(options, sys.stdout)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
