"""Stand-ins of the CUDA libraries for the *real* CuPy wheel's loader: tiny shared objects built
here, so that a test sees the loader succeed without gigabytes of NVIDIA wheels.

CuPy 14.2 finds cuBLAS, cuBLASLt and NVRTC with ``cuda.pathfinder`` (site-packages, conda, the
system's loader, then ``$CUDA_PATH/lib64``) and the CUDA headers the same way
(``cupy_backends/cuda/libs/__init__.py``, ``_cnvrtc.pxi``, ``cupy/_core/core.pyx``). The folder
built here is laid out as a CUDA Toolkit: ``lib64/`` with libcublasLt, libcublas exporting every
symbol the wheel's cuBLAS binding links against (under the library's symbol version, so the binding
imports), libnvrtc with ``nvrtcVersion`` (reporting 12.9), and ``include/cuda_runtime.h``. Calling
a cuBLAS function of the stand-in does nothing: it proves loading, never arithmetic.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

__all__ = ["LIBRARIES", "build", "can_build"]

#: What `build` can lay out; a test leaves one out to see the loader fail on it alone.
LIBRARIES = ("cublas", "nvrtc", "headers")

_NVRTC = """
int nvrtcVersion(int *major, int *minor) { *major = 12; *minor = 9; return 0; }
const char *nvrtcGetErrorString(int status) { return "stand-in NVRTC"; }
"""


def can_build() -> str | None:
    """Why the stand-ins cannot be built here (no C compiler or ``nm``), or ``None``."""
    missing = [tool for tool in ("cc", "nm") if shutil.which(tool) is None]
    return f"building stand-in CUDA libraries needs {' and '.join(missing)}" if missing else None


def _shared_object(lib64: Path, soname: str, source: str) -> None:
    sources = lib64.parent / "src"
    sources.mkdir(exist_ok=True)
    c_file, version_script = sources / f"{soname}.c", sources / f"{soname}.map"
    c_file.write_text(source)
    version_script.write_text(f"{soname} {{ global: *; }};\n")  # the real libraries' version node
    subprocess.run(
        ["cc", "-shared", "-fPIC", "-o", str(lib64 / soname), str(c_file),
         f"-Wl,-soname,{soname}", f"-Wl,--version-script={version_script}"],
        check=True, capture_output=True,
    )  # fmt: skip


def _cublas_symbols(major: int) -> list[str]:
    """The cuBLAS functions the wheel's binding imports, read from its dynamic symbol table."""
    spec = importlib.util.find_spec("cupy_backends.cuda.libs.cublas")
    assert spec is not None and spec.origin is not None, "the CuPy wheel has no cuBLAS binding"
    origin = spec.origin
    table = subprocess.run(
        ["nm", "-D", "--undefined-only", str(origin)], check=True, capture_output=True, text=True
    ).stdout
    suffix = f"@libcublas.so.{major}"
    names = (line.split()[-1] for line in table.splitlines() if line.strip())
    return [name.removesuffix(suffix) for name in names if name.endswith(suffix)]


def build(root: Path, major: int, libraries: tuple[str, ...] = LIBRARIES) -> Path:
    """Lay out ``libraries`` for CUDA ``major`` under ``root`` (a ``CUDA_PATH``); return it."""
    lib64 = root / "lib64"
    lib64.mkdir(parents=True)
    if "cublas" in libraries:
        lt_source = "int cublasLtGetVersion(void) { return 0; }\n"
        _shared_object(lib64, f"libcublasLt.so.{major}", lt_source)
        functions = "".join(f"void {name}(void) {{}}\n" for name in _cublas_symbols(major))
        _shared_object(lib64, f"libcublas.so.{major}", functions)
    if "nvrtc" in libraries:
        _shared_object(lib64, f"libnvrtc.so.{major}", _NVRTC)
    if "headers" in libraries:
        (root / "include").mkdir()
        (root / "include" / "cuda_runtime.h").write_text("/* stand-in: found, never compiled */\n")
    return root
