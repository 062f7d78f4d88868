"""Optional numba kernels: found lazily, switched off by ``GPUDOT_DISABLE_NUMBA=1`` or `ENABLED`.

Without numba (or switched off) every result is the same, only the pure-array routes compute it.
The first call compiles a kernel and caches it on disk next to its module (numba's
``__pycache__``, or ``NUMBA_CACHE_DIR``); `warmup` does that ahead of time for every module in
`COMPILED` (times: docs/fast-paths.md).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

__all__ = ["COMPILED", "ENABLED", "available", "kernels", "warmup"]

#: Whether compiled kernels may be used (tests flip it to run both ways in one session).
ENABLED = os.environ.get("GPUDOT_DISABLE_NUMBA", "") not in ("1", "true", "yes")

#: What `warmup` compiles: (kernel module, its kernels, the numba signature they are called with).
#: A new kernel module adds one line.
COMPILED: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "gpudot.backends.numpy._kernels._half",
        ("ordered_product", "ordered_product_serial"),
        "(Array(uint16, 3, 'C', readonly=True), Array(uint16, 3, 'C', readonly=True), "
        "float32[:, :, :, ::1], float32[:, :, :, ::1], uint16[:, :, ::1], boolean, int64)",
    ),
    *(
        (
            "gpudot.backends.numpy._kernels._integer",
            ("wrapping_matmul", "wrapping_matmul_serial"),
            f"(uint{bits}[:, :, ::1], uint{bits}[:, :, :, ::1], uint{bits}[:, :, ::1], int64)",
        )
        for bits in (8, 16, 32, 64)
    ),
    *(
        (
            "gpudot.backends.numpy._kernels._vnni",
            ("vnni_product", "vnni_product_serial"),
            f"(Array({element}, 3, 'C', readonly=True), Array({element}, 3, 'C', readonly=True), "
            "int32[:, :, :, ::1], int32[:, :, ::1], int64, int64, boolean, int64, int64)",
        )
        for element in ("uint8", "int16")
    ),
)

#: The kernel modules, by the family `kernels` is asked for.
_MODULES = {
    "ordered": "gpudot.backends.numpy._kernels._half",  # float16 and bfloat16 products, k in order
    "integer": "gpudot.backends.numpy._kernels._integer",  # integer products, wrapping
    "matvec": "gpudot.backends.numpy._kernels._matvec",  # products with one 1-D operand
    "vnni": "gpudot.backends.numpy._kernels._vnni",  # 8- and 16-bit products, VNNI
}
_loaded: dict[str, ModuleType | None] = {}  # by family, None where the import failed
_installed: bool | None = None  # whether numba can be imported, looked up once


def available() -> bool:
    """Whether `kernels` would give the kernels: numba is installed, switched on, and no kernel
    module failed to import; found without importing numba (2 s)."""
    global _installed
    if not ENABLED or None in _loaded.values():
        return False
    if _installed is None:
        _installed = importlib.util.find_spec("numba") is not None
    return _installed


def _start_threads() -> None:
    """Start numba's thread pool with passive OpenMP threads (``OMP_WAIT_POLICY=PASSIVE``: a
    worker sleeps as soon as a kernel ends), unless the user set ``OMP_WAIT_POLICY`` or
    ``GOMP_SPINCOUNT`` (then theirs holds).

    libgomp reads its environment once, when it is loaded: the policy is set for the moment numba
    loads its OpenMP pool and removed at once, so libraries loaded later (PyTorch's own libgomp,
    say) see the user's environment unchanged. Without effect where numba's pool is not OpenMP
    (``NUMBA_THREADING_LAYER`` tbb or workqueue) or the system libgomp was loaded before by
    another library.

    Why passive: on a machine with few cores and other work, spinning workers take the core the
    next parallel kernel (or OpenBLAS's) waits for; the price is a slower wake-up on an idle
    machine (figures: docs/fast-paths.md, "The same speed every time").
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    from numba.np.ufunc import parallel

    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        parallel._launch_threads()
    finally:
        del os.environ["OMP_WAIT_POLICY"]


def kernels(family: str = "ordered") -> ModuleType | None:
    """The compiled-kernel module of ``family`` (``"ordered"``, ``"integer"``, ``"matvec"`` or
    ``"vnni"``), or None when numba is missing or switched off. The ``"vnni"`` module says in
    ``INSTRUCTIONS`` whether this CPU (and `gpudot.backends.numpy._kernels._cpu_features`) lets it
    run."""
    if not ENABLED:
        return None
    if family not in _loaded:
        try:
            _start_threads()
            _loaded[family] = importlib.import_module(_MODULES[family])
        except ImportError:
            _loaded[family] = None
    return _loaded[family]


def warmup() -> list[str]:
    """Compile (or load from numba's disk cache) every kernel gpudot can use, ahead of time.

    The first float16, bfloat16 or integer product of a process otherwise pays it (seconds with a
    cold cache; docs/fast-paths.md); the dot-product kernels are compiled only where the CPU has
    the instructions. Returns the ``module.function`` names compiled, or an empty
    list when numba is not installed or switched off (``GPUDOT_DISABLE_NUMBA=1``): nothing to do,
    and every result is the same without it. A second call finds them compiled and returns at once.
    """
    if kernels() is None:
        return []
    from numba.core.sigutils import normalize_signature

    compiled = []
    for module_name, names, signature in COMPILED:
        module = importlib.import_module(module_name)
        if not getattr(module, "INSTRUCTIONS", True):  # no dot-product instructions here
            continue
        # As a tuple of types: numba's disk cache keys an entry by the signature as given, and a
        # call looks it up by its argument types.
        arguments = tuple(normalize_signature(signature)[0])  # type: ignore[no-untyped-call]
        for name in names:
            getattr(module, name).compile(arguments)
            compiled.append(f"{module_name}.{name}")
    return list(dict.fromkeys(compiled))  # a kernel compiled for several signatures: once
