"""``python -m gpudot``: the report and ``explain``."""

from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pytest

from gpudot.__main__ import main
from gpudot._tools.explain import MAX_SIDE


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


#: Operands of each dimension pair, as typed on the command line.
EXPLAINED = {
    "vector-vector": ("[1, 3, 5]", "[2, 4, 6]"),
    "matrix-vector": ("[[1, 2], [3, 4], [5, 6]]", "[7, -8]"),
    "vector-matrix": ("[7, -8]", "[[1, 2, 3], [4, 5, 6]]"),
    "matrix-matrix": ("[[1, 2], [3, 4]]", "[[5, 6], [7, 8]]"),
    "floats": ("[[0.5, -1.25]]", "[[2.0], [0.1]]"),
    "empty": ("[]", "[]"),
}
#: What one element is, per (A's ndim, B's ndim); the wording of the other cases must not appear.
WORDING = {
    (1, 1): "The result is a scalar, the inner product: the sum of A[k]×B[k] over k.",
    (2, 1): "Element i is row i of A times B (a matrix times a vector)",
    (1, 2): "Element j is A times column j of B (a vector times a matrix)",
    (2, 2): "Element (i, j) is row i of A times column j of B",
}


def element_lines(a, b):
    """The element lines explain must print, built from NumPy's dot of the same operands."""
    expected = np.dot(a, b)
    rows = a if a.ndim == 2 else a[None]
    columns = b.T if b.ndim == 2 else b[None]
    lines = []
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            index = [k for k, keep in ((i, a.ndim == 2), (j, b.ndim == 2)) if keep]
            label = f"({', '.join(map(str, index))})" if index else "dot(A, B)"
            value = expected[tuple(index)].item()
            pairs = " + ".join(
                f"{x!r}×{y!r}" for x, y in zip(row.tolist(), column.tolist(), strict=True)
            )
            lines.append((label, pairs, value))
    return lines


@pytest.mark.parametrize("case", EXPLAINED)
def test_explain_writes_out_numpys_dot(capsys, case):
    text_a, text_b = EXPLAINED[case]
    a, b = np.array(ast.literal_eval(text_a)), np.array(ast.literal_eval(text_b))
    assert main(["explain", text_a, text_b]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[
        0
    ] == f"dot(A, B) with A of shape {a.shape} and B of shape {b.shape} gives shape " + (
        f"{np.dot(a, b).shape}."
    )
    assert out[1].startswith(WORDING[a.ndim, b.ndim])
    body = [line for line in out if line.startswith(("(", "dot(A, B): "))]
    for line, (label, pairs, value) in zip(body, element_lines(a, b), strict=True):
        assert line.startswith(f"{label}: ")
        assert pairs in line if pairs else "the empty sum" in line
        assert line.endswith(f" = {value!r}")
    assert out[out.index("Result:") + 1 :] == str(np.dot(a, b)).splitlines()


@pytest.mark.parametrize("case", EXPLAINED)
def test_explain_words_only_its_own_case(capsys, case):
    a, b = (np.array(ast.literal_eval(text)) for text in EXPLAINED[case])
    main(["explain", *EXPLAINED[case]])
    out = capsys.readouterr().out
    for dims, wording in WORDING.items():
        assert (wording in out) == (dims == (a.ndim, b.ndim))
    if a.ndim == 1 and b.ndim == 1:
        assert "row i" not in out and "column j" not in out


#: Unparsable or unsupported input, and the plain sentence that must name it.
REFUSED = {
    "unclosed": (
        "[1,2",
        "[3]",
        "A must be a 1-D or 2-D nested list of real numbers such as [[1, 2], [3, 4]], got '[1,2'",
    ),
    "name": (
        "foo",
        "[1]",
        "A must be a 1-D or 2-D nested list of real numbers such as [[1, 2], [3, 4]], got 'foo'",
    ),
    "ragged": ("[1]", "[[1, 2], [3]]", "B must be a 1-D or 2-D nested list of real numbers"),
    "strings": ('["a"]', "[1]", "got '[\"a\"]'"),
    "complex": ("[1j]", "[1]", "got '[1j]'"),
    "dict": ("{[1]: 2}", "[1]", "got '{[1]: 2}'"),
    "scalar": ("3", "[1]", "got '3', which is 0-D"),
    "3-D": ("[[[1]]]", "[1]", "got '[[[1]]]', which is 3-D"),
    "deep": ("[" * 300 + "1" + "]" * 300, "[1]", "got '[[[[[[[[["),
    "too large": ("[1, 2, 3, 4, 5, 6, 7]", "[1]", "too large to explain by hand"),
}
#: Python's own words, which must never reach the user.
INTERNALS = ("Traceback", "never closed", "malformed node", "<ast.", "inhomogeneous", "line 1")


@pytest.mark.parametrize("case", REFUSED)
def test_explain_refuses_in_one_plain_line(capsys, case):
    a, b, message = REFUSED[case]
    assert main(["explain", a, b]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("gpudot explain: error: ") and captured.err.count("\n") == 1
    assert message in captured.err
    assert not any(words in captured.err for words in INTERNALS)


def test_explain_mismatch_keeps_numpys_message(capsys):
    a, b = np.array([1, 2]), np.array([1, 2, 3])
    with pytest.raises(ValueError) as numpy_error:
        np.dot(a, b)
    assert main(["explain", "[1, 2]", "[1, 2, 3]"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gpudot explain: error: {numpy_error.value}\n")
    assert "a's last axis (2) must equal b's only axis (3)" in err


def test_module_entry_point_runs():
    run = subprocess.run(
        [sys.executable, "-m", "gpudot", "explain", "[1]", "[2]"], capture_output=True, text=True
    )
    assert run.returncode == 0 and f"1×2 = 2 = {np.dot([1], [2]).item()!r}" in run.stdout


def test_module_entry_point_refuses_without_a_traceback():
    run = subprocess.run(
        [sys.executable, "-m", "gpudot", "explain", "[1,2", "[3]"], capture_output=True, text=True
    )
    assert run.returncode == 2 and run.stdout == ""
    assert (
        run.stderr.startswith("gpudot explain: error: A must be") and "Traceback" not in run.stderr
    )


@pytest.mark.parametrize("command", [[], ["info"], ["explain"], ["calibrate"], ["selftest"]])
def test_help_is_plain_text(capsys, command):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m gpudot")
    assert "`" not in out and ":func:" not in out and ".. " not in out


def test_help_states_explain_limits_and_selftest_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    assert f"at most {MAX_SIDE} along any axis" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main(["selftest", "--help"])
    assert "3 (no usable CUDA device)" in capsys.readouterr().out


def test_report_states_precision_oom_policy_and_auto_profile(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CUPY_TF32", "1")
    monkeypatch.setenv("GPUDOT_PROFILE", str(tmp_path / "none.json"))
    import sys

    from gpudot._tools.report import report

    report(sys.stdout)
    out = capsys.readouterr().out
    assert "Precision:    highest: GPU float32/complex64 products in full float32, no TF32" in out
    assert "CUPY_TF32 is set; gpudot overrides it per call" in out
    assert "OOM policy:   raise" in out and "documented defaults" in out
