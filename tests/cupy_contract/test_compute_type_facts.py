"""CuPy 14.2's compute-type slot (``cupy/_core/_routines_linalg.pyx``) and the Array API casts
gpudot's algorithms call, on the real wheel wherever it can answer without a device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest


@pytest.fixture
def slot(any_cp):
    """``any_cp``'s float32/complex64 compute type, restored afterwards (no device needed)."""
    saved = any_cp._core.get_compute_type(np.float32)
    yield any_cp._core._routines_linalg
    any_cp._core.set_compute_type(np.float32, saved)


def test_compute_type_names(any_cp):
    constants = any_cp._core._routines_linalg
    names = {value: constants.compute_type_to_str(value) for value in range(8)}
    assert names == {
        0: "COMPUTE_TYPE_TBD",
        1: "COMPUTE_TYPE_DEFAULT",
        2: "COMPUTE_TYPE_PEDANTIC",
        3: "COMPUTE_TYPE_FP16",
        4: "COMPUTE_TYPE_FP32",
        5: "COMPUTE_TYPE_FP64",
        6: "COMPUTE_TYPE_BF16",
        7: "COMPUTE_TYPE_TF32",
    }
    assert constants.compute_type_to_str(99) == 99  # an unknown value comes back as it is


def test_float32_and_complex64_share_one_slot_without_a_device(any_cp, slot):
    any_cp._core.set_compute_type(np.complex64, slot.COMPUTE_TYPE_PEDANTIC)
    assert any_cp._core.get_compute_type(np.float32) == slot.COMPUTE_TYPE_PEDANTIC
    any_cp._core.set_compute_type(np.float32, slot.COMPUTE_TYPE_DEFAULT)
    assert any_cp._core.get_compute_type(np.complex64) == slot.COMPUTE_TYPE_DEFAULT


def test_unknown_compute_types_and_dtypes_are_refused(any_cp, slot):
    with pytest.raises(ValueError, match="Unknown compute type: 99"):
        any_cp._core.set_compute_type(np.float32, 99)
    with pytest.raises(TypeError, match="dtype is not supported: int32"):
        any_cp._core.get_compute_type(np.dtype("int32"))  # a dtype: CuPy reads its .name


FIRST_READ = """
import json, os
import numpy as np
import {module} as cp
os.environ["CUPY_TF32"] = "0"  # after the import: CuPy has not read it yet
print(json.dumps(cp._core.get_compute_type(np.float32)))
"""


@pytest.mark.parametrize("module", ["cupy", "fakecupy"])
def test_cupy_tf32_is_read_at_the_first_read_not_at_import(module):
    if module == "cupy":
        pytest.importorskip("cupy")
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environment = {**os.environ, "CUPY_TF32": "1"}
    environment["PYTHONPATH"] = os.pathsep.join(
        path for path in (tests, os.environ.get("PYTHONPATH", "")) if path
    )
    run = subprocess.run(
        [sys.executable, "-c", FIRST_READ.format(module=module)],
        env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == 1  # COMPUTE_TYPE_DEFAULT: CUPY_TF32=1 at import was not read


@pytest.fixture
def pre_ampere(cp):
    """``cp`` on a GPU older than compute capability 8.0 (the stand-in simulates 7.5)."""
    if cp.__name__ == "cupy":
        if int(cp.cuda.Device().compute_capability) >= 80:
            pytest.skip("needs a GPU older than compute capability 8.0")
        yield cp
        return
    with cp.simulate(compute_capability=75):
        yield cp


def test_tf32_below_compute_capability_8_warns_and_keeps_default(pre_ampere):
    core = pre_ampere._core
    saved = core.get_compute_type(np.float32)
    try:
        with pytest.warns(UserWarning, match="only available on GPUs with compute capability 8.0"):
            core.set_compute_type(np.float32, core._routines_linalg.COMPUTE_TYPE_TF32)
        assert core.get_compute_type(np.float32) == core._routines_linalg.COMPUTE_TYPE_DEFAULT
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            core.set_compute_type(np.float32, saved)


def test_compute_capability_is_a_string_of_digits(cp):
    capability = cp.cuda.Device(0).compute_capability
    assert isinstance(capability, str) and capability.isdigit()


def test_astype_and_permute_dims_are_module_functions(any_cp):
    assert any_cp.permute_dims is any_cp.transpose
    with pytest.raises(TypeError, match="Input should be a CuPy array"):
        any_cp.astype(np.ones(2), np.float32)


def test_astype_and_permute_dims_on_device_arrays(cp):
    x = cp.asarray(np.arange(24).reshape(2, 3, 4))
    np.testing.assert_array_equal(
        cp.asnumpy(cp.permute_dims(x, (2, 0, 1))), np.arange(24).reshape(2, 3, 4).transpose(2, 0, 1)
    )
    cast = cp.astype(x, np.float32)
    assert cast.dtype == np.float32 and isinstance(cast, cp.ndarray)
