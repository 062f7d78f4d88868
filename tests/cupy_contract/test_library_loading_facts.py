"""How CuPy 14.2 loads the CUDA libraries gpudot's products need: the real wheel and the stand-in.

CuPy's wheels hold no CUDA library. ``nolibs_cp`` is the real wheel where its loader finds none
(this repository's test extra installs the bare wheel) and the stand-in simulating that; the
"present" facts run the real wheel in a fresh interpreter whose ``CUDA_PATH`` holds stand-in
libraries built for the test (`fakecupy._libstubs`): they prove what the loader accepts, not that
NVIDIA's libraries compute (only a GPU run proves that).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fakecupy import _libstubs

NOT_FOUND = 'Failure finding "lib{0}.so.13 or lib{0}.so.12"'


def test_cublas_is_loaded_on_first_access_and_missing_is_an_import_error(nolibs_cp):
    with pytest.raises(ImportError, match=NOT_FOUND.format("cublasLt")):
        nolibs_cp.cuda.cublas  # noqa: B018 - the attribute access is the load


def test_cublas_stays_missing_on_the_next_access(nolibs_cp):
    for _ in range(2):  # a failed load is not cached as a success
        with pytest.raises(ImportError):
            nolibs_cp.cuda.cublas  # noqa: B018


def test_nvrtc_imports_and_fails_on_its_first_call_with_a_runtime_error(nolibs_cp):
    nvrtc = nolibs_cp.cuda.nvrtc  # linked at run time: the binding itself always imports
    with pytest.raises(RuntimeError, match=NOT_FOUND.format("nvrtc")) as error:
        nvrtc.getVersion()
    assert not isinstance(error.value, ImportError)


def test_missing_cuda_headers_fail_every_kernel_compilation(nolibs_cp):
    if nolibs_cp.__name__ == "cupy":
        from cuda.pathfinder import find_nvidia_header_directory  # CuPy's own dependency

        if find_nvidia_header_directory("cudart") is not None:
            pytest.skip("CUDA headers are installed here: their absence cannot be observed")
    with pytest.raises(RuntimeError, match="Failed to find CUDA headers"):
        nolibs_cp._core.core.assemble_cupy_compiler_options(())


PRESENT = """
import json, cupy
facts = {"cublas": cupy.cuda.cublas.__name__}
try:
    facts["nvrtc"] = list(cupy.cuda.nvrtc.getVersion())
except RuntimeError as error:
    facts["nvrtc"] = str(error).splitlines()[0]
facts["include"] = cupy._core.core.assemble_cupy_compiler_options(())[-1]
print(json.dumps(facts))
"""


def run_with_cuda_path(script: str, cuda_path: os.PathLike[str]) -> dict[str, object]:
    """Run ``script`` in a fresh interpreter with ``CUDA_PATH``/``CUDA_HOME`` set; its JSON."""
    environment = {**os.environ, "CUDA_PATH": str(cuda_path), "CUDA_HOME": str(cuda_path)}
    run = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


@pytest.fixture
def bare_wheel(nolibs_cp):
    if nolibs_cp.__name__ != "cupy":
        pytest.skip("a fact of the real wheel's loader: the stand-in has none")
    if reason := _libstubs.can_build():
        pytest.skip(reason)
    return nolibs_cp


def test_the_loader_takes_cublas_nvrtc_and_headers_from_a_cuda_path(bare_wheel, tmp_path):
    major = bare_wheel.cuda.runtime.runtimeGetVersion() // 1000
    root = _libstubs.build(tmp_path / "cuda", major)
    facts = run_with_cuda_path(PRESENT, root)
    assert facts == {
        "cublas": "cupy_backends.cuda.libs.cublas",
        "nvrtc": [12, 9],  # what the stand-in libnvrtc reports: it was loaded and called
        "include": f"-I{root / 'include'}",
    }
