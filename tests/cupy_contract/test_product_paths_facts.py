"""CuPy 14.2's product paths where they differ from NumPy's arithmetic.

Read at cupy/_core/_routines_linalg.pyx (v14.2.0): a product with one output element is
``(a.ravel() * b.ravel()).sum()`` (float16 products rounded to float16, summed by CUB's
``DeviceReduce::Sum<T>``, cupy/cuda/cupy_cub.cu); 2-D float GEMMs are cuBLAS ``gemmEx`` (float16
with a float32 accumulator); batched float16 is widened to float32; integers and bool run CuPy's
own kernel, accumulating in the dtype. The wheel shows without a GPU which accelerator is the
default and the integer kernel's source; the numeric facts run on the stand-in in CI and on real
CuPy where a GPU is usable (``gpu``), so the stand-in's float order cannot drift from cuBLAS's.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _wheel() -> Any:
    return pytest.importorskip("cupy", reason="CuPy is not installed (extra cuda12 or cuda13)")


def test_dtypes_are_numpys_scalar_types(any_cp):
    assert any_cp.float16 is np.float16 and any_cp.float32 is np.float32


def test_cub_is_the_default_routine_accelerator():
    """So a one-output product's sum is CUB's ``DeviceReduce::Sum<T>`` (float16 stays float16),
    which the stand-in models; ``CUPY_ACCELERATORS`` (read at import) changes it."""
    cupy = _wheel()
    if "CUPY_ACCELERATORS" in os.environ:
        pytest.skip("CUPY_ACCELERATORS is set: CuPy's default is not in effect")
    accelerators = cupy._core._accelerator
    assert accelerators.get_routine_accelerators() == [accelerators.ACCELERATOR_CUB]


def test_integer_kernel_accumulates_in_the_dtype_for_bool_and_every_integer(monkeypatch):
    """The NVRTC source, captured before compilation: ``T rC`` and ``rC += rA * rB`` wrap like
    NumPy's loop (and bool is OR of AND), for every dtype the kernel is instantiated for."""
    cupy = _wheel()
    captured: dict[str, Any] = {}

    class Capture:
        def __init__(self, code: str, name_expressions: tuple[str, ...] = (), **_: Any):
            captured.update(code=code, names=list(name_expressions))

        def get_function(self, name: str) -> str:
            return name

    monkeypatch.setattr(cupy, "RawModule", Capture)
    linalg = cupy._core._routines_linalg
    kernel = linalg._tensordot_core_int_kernel_impl((), np.dtype("int8"), "", "k")
    assert kernel == "k<signed char>"
    assert "T rC[THR_N][THR_M];" in captured["code"]
    assert "rC[n][m] += rA[m] * rB[n];" in captured["code"]
    types = ["bool", "signed char", "unsigned char", "short", "unsigned short", "int"]
    types += ["unsigned int", "long", "unsigned long", "long long", "unsigned long long"]
    assert captured["names"] == [f"k<{t}>" for t in types]


def test_float16_one_output_rounds_each_product_to_float16(cp):
    """300 * 300 is inf in float16: NumPy's float32 accumulator gives 0.0, CuPy NaN."""
    a = cp.asarray(np.array([300, 300], np.float16))
    b = cp.asarray(np.array([300, -300], np.float16))
    assert np.isnan(cp.asnumpy(cp.dot(a, b)))
    assert np.isnan(cp.asnumpy(cp.matmul(a[None], b[:, None]))).all()
    assert np.isnan(cp.asnumpy(cp.tensordot(a, b, 1)))


def _float32_exact_row(k: int) -> np.ndarray:
    """1 then ``k - 1`` float16 values in [2^-9, 2^-7): every partial sum is exact in float32
    (20 significant bits), none in float16."""
    rng = np.random.default_rng(3)
    row = np.concatenate([[1.0], rng.uniform(2.0**-9, 2.0**-7, k - 1)]).astype(np.float16)
    running = np.float16(0)
    for value in row:  # a float16 accumulator, any order, loses bits: check this one does
        running = np.float16(running + value)
    assert running != np.float16(row.astype(np.float64).sum())
    return row


@pytest.mark.parametrize("batched", [False, True], ids=["2d", "batched"])
def test_float16_gemms_accumulate_in_float32_and_round_once(cp, batched):
    row = _float32_exact_row(64)
    a, b = np.stack([row, row[::-1]]), np.ones((64, 3), np.float16)
    if batched:
        a, b = np.stack([a, a]), np.stack([b, b])
    result = cp.asnumpy(cp.matmul(cp.asarray(a), cp.asarray(b)))
    assert result.dtype == np.float16
    assert np.all(result == np.float16(row.astype(np.float64).sum()))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64"])
def test_float_gemms_sum_in_an_order_other_than_numpys(cp, dtype):
    """cuBLAS's order is not NumPy's: some element of a long product differs in its last bits,
    every element within the summation-order bound."""
    from gpudot._core.error_bounds import error_bound

    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 512)).astype(dtype)
    b = rng.standard_normal((512, 64)).astype(dtype)
    if dtype.startswith("complex"):
        a, b = a + 1j * a[::-1], b + 1j * b[::-1]
    result = cp.asnumpy(cp.matmul(cp.asarray(a), cp.asarray(b)))
    expected = np.matmul(a, b)
    assert result.dtype == expected.dtype
    assert (result != expected).any()
    difference = np.abs(result.astype(np.complex128) - expected)
    assert np.all(difference <= error_bound(np.matmul, a, b, expected.dtype))


@pytest.mark.parametrize("dtype", [*INTS, "bool"])
def test_integer_and_bool_products_are_numpys_on_every_path(cp, dtype):
    from gpudot.testing._inputs import hard_values

    a = hard_values((5, 300), dtype, "alternating" if dtype != "bool" else "small", 1)
    b = hard_values((300, 4), dtype, "max" if dtype != "bool" else "small", 2)
    device_a, device_b = cp.asarray(a), cp.asarray(b)
    for got, expected in [
        (cp.matmul(device_a, device_b), a @ b),  # the 2-D kernel
        (cp.matmul(device_a[None], device_b[None]), (a @ b)[None]),  # the batched kernel
        (cp.dot(device_a[0], device_b[:, 0]), np.dot(a[0], b[:, 0])),  # one output element
    ]:
        host = cp.asnumpy(got)
        assert host.dtype == np.asarray(expected).dtype
        assert host.tobytes() == np.asarray(expected).tobytes()
