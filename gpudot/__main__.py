"""Command line: ``python -m gpudot [info | explain A B | calibrate | selftest | warmup]``.

The ``--help`` texts below are plain text; ``selftest``'s states its exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gpudot._tools.explain import MAX_SIDE

#: ``--help`` texts: plain text, as a terminal shows it (the docstrings are reStructuredText).
_DESCRIPTION = "gpudot's command line; with no command it runs the report (info)."
_EXPLAIN = (
    "Show how each element of dot(A, B) is formed: the pairs, their products and their sum. "
    f"A and B are 1-D or 2-D nested lists of real numbers, at most {MAX_SIDE} along any axis."
)
_SELFTEST_EXITS = (
    "Check exactness and measure speed on each CUDA device. The JSON report is written in every "
    "case, also without a usable device. Exits 0 (all checks passed), 1 (a check failed) or 3 "
    "(no usable CUDA device)."
)
_NO_KERNELS = (
    "nothing to compile: numba is not installed or GPUDOT_DISABLE_NUMBA is set "
    "(results are the same without it, float16 and bfloat16 products slower)"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m gpudot", description=_DESCRIPTION)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("info", help="versions, backends and a short check of each (the default)")
    explain = commands.add_parser(
        "explain",
        help="show how each element of dot(A, B) is formed",
        description=_EXPLAIN,
        epilog='example: python -m gpudot explain "[[1, 2], [3, 4]]" "[5, 6]"',
    )
    explain.add_argument("a", metavar="A", help='a 1-D or 2-D nested list, e.g. "[[1, 2], [3, 4]]"')
    explain.add_argument("b", metavar="B", help='a 1-D or 2-D nested list, e.g. "[[5, 6], [7, 8]]"')
    calibrate = commands.add_parser("calibrate", help="measure this machine for backend 'auto'")
    calibrate.add_argument("--output", type=Path, help="profile file (default: the user cache dir)")
    selftest = commands.add_parser(
        "selftest", help="exactness and speed on each CUDA device", description=_SELFTEST_EXITS
    )
    selftest.add_argument(
        "--json",
        type=Path,
        default=Path("gpudot-selftest.json"),
        help="where to write the JSON report (default: %(default)s)",
    )
    selftest.add_argument("--quick", action="store_true", help="small measurement sizes")
    commands.add_parser("warmup", help="compile the numba kernels now (cached on disk)")
    args = parser.parse_args(argv)

    if args.command == "warmup":
        from gpudot.backends.numpy._kernels._load import warmup

        compiled = warmup()
        print("\n".join(f"compiled {name}" for name in compiled) or _NO_KERNELS)
        return 0

    if args.command == "selftest":
        from gpudot._tools.selftest import run as run_selftest

        return run_selftest(args.json, args.quick, sys.stdout)

    if args.command == "calibrate":
        from gpudot._dispatch.calibration import run

        return run(args.output, sys.stdout)

    if args.command == "explain":
        from gpudot._tools.explain import explain as explain_dot
        from gpudot._tools.explain import parse_operand

        try:
            lines = list(explain_dot(parse_operand(args.a, "A"), parse_operand(args.b, "B")))
        except ValueError as error:  # a usage error: one line, exit code 2, as argparse does
            print(f"gpudot explain: error: {error}", file=sys.stderr)
            return 2
        print("\n".join(lines))
        return 0
    from gpudot._tools.report import report

    return report(sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
