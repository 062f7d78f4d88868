"""The cost model behind ``"auto"``: predicted seconds for one product on the CPU and on a GPU.

Pure functions of a `Profile` (throughputs and bandwidths) and the product's size, so the routing
decision is unit-tested with synthetic profiles and never touches a device. The model is written
out in docs/gpus.md ("Size-aware auto"); the default figures and their source: `gpudot._tuning`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from gpudot import _tuning
from gpudot.backends.numpy._exact import product_cost

__all__ = [
    "DEFAULT_PROFILE",
    "CpuEstimate",
    "Estimate",
    "Profile",
    "cpu_estimate",
    "estimate",
    "product_flops",
]

Device = Literal["cpu", "gpu"]


@dataclass(frozen=True)
class Profile:
    """Throughputs and bandwidths of one machine, as measured by ``python -m gpudot calibrate``.

    Parameters
    ----------
    cpu_flops, gpu_flops : mapping of dtype name to float
        Sustained product throughput in FLOP/s per dtype (a dtype missing on the GPU side is
        never routed there). On the CPU, the NumPy backend's; only the dtypes without an exact
        route (BLAS dtypes, longdouble...) are predicted from it.
    h2d, d2h : float
        Host-to-device and device-to-host copy bandwidth in bytes/s.
    cpu_call, gpu_launch : float
        Fixed seconds per call: NumPy's dispatch, and CuPy's launch and synchronisation.
    source : str
        Where the figures come from (``"default"`` or the calibration file and date).
    cpu_route_scale : mapping of dtype name to float
        Per dtype with exact routes: this machine's measured time of the NumPy backend over the
        routes' cost rule's prediction at the calibration size (the rule's ns are for its
        reference machine). Missing dtypes: 1.
    """

    cpu_flops: Mapping[str, float]
    gpu_flops: Mapping[str, float]
    h2d: float
    d2h: float
    cpu_call: float
    gpu_launch: float
    source: str = "default"
    cpu_route_scale: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The profile as JSON-ready data (see `from_dict`)."""
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in vars(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, object], source: str | None = None) -> Profile:
        """Build a profile from `to_dict` data; ``ValueError`` names a missing or bad field."""
        try:
            cpu = {str(k): float(v) for k, v in dict(data["cpu_flops"]).items()}  # type: ignore[call-overload]
            gpu = {str(k): float(v) for k, v in dict(data["gpu_flops"]).items()}  # type: ignore[call-overload]
            scalars = {key: float(data[key]) for key in ("h2d", "d2h", "cpu_call", "gpu_launch")}  # type: ignore[arg-type]
            scale = {str(k): float(v) for k, v in dict(data.get("cpu_route_scale", {})).items()}  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"invalid gpudot profile: bad or missing field {error}") from None
        positive = (*cpu.values(), *gpu.values(), *scale.values(), scalars["h2d"], scalars["d2h"])
        if any(value <= 0 for value in positive):
            raise ValueError("invalid gpudot profile: throughputs and bandwidths must be positive")
        source = source or str(data.get("source", "file"))
        return cls(cpu, gpu, source=source, cpu_route_scale=scale, **scalars)


#: Documented defaults (`gpudot._tuning`), used where no calibration profile exists: NumPy's
#: OpenBLAS on a small multi-core CPU for the BLAS dtypes, the exact routes' cost rule for
#: integers, bool and float16 (no throughput needed), and an assumed data-centre GPU on PCIe 4.
DEFAULT_PROFILE = Profile(
    cpu_flops=dict(_tuning.DEFAULT_CPU_FLOPS),
    gpu_flops=dict(_tuning.DEFAULT_GPU_FLOPS),
    h2d=_tuning.DEFAULT_H2D,
    d2h=_tuning.DEFAULT_D2H,
    cpu_call=_tuning.DEFAULT_CPU_CALL,
    gpu_launch=_tuning.DEFAULT_GPU_LAUNCH,
)


def product_flops(m: int, n: int, k: int, batch: int, dtype: np.dtype) -> float:
    """Floating-point operations of a ``batch`` of (m, k) @ (k, n) products (complex counts 4x)."""
    return 2.0 * batch * m * n * k * (4 if dtype.kind == "c" else 1)


def _time(seconds: float) -> str:
    """Seconds in words: "38 us", "1.3 ms", "2.1 s"."""
    if seconds == float("inf"):
        return "unknown"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


@dataclass(frozen=True)
class CpuEstimate:
    """Predicted seconds of a product on gpudot's NumPy backend, and the path it takes."""

    seconds: float
    path: str


def cpu_estimate(
    profile: Profile,
    dtype: np.dtype,
    m: int,
    n: int,
    k: int,
    batch: int = 1,
    *,
    func: str = "matmul",
    vector: bool = False,
    operands: np.dtype | None = None,
) -> CpuEstimate:
    """Predict gpudot's NumPy backend on a (batch of) (m, k) @ (k, n) ``func`` product (one
    operand 1-D where ``vector``; ``operands``: their dtype where narrower than ``dtype``).

    Dtypes with exact routes: the routes' cost rule (`gpudot.backends.numpy._exact.product_cost`,
    the same numbers the backend picks its route with), scaled by ``profile.cpu_route_scale``.
    Others: flops over ``profile.cpu_flops`` (infinite when the profile has no figure for the
    dtype).
    """
    rule = product_cost(dtype, m, n, k, batch, func=func, vector=vector, operands=operands)
    if rule is not None:
        scale = profile.cpu_route_scale.get(dtype.name, 1.0)
        return CpuEstimate(profile.cpu_call + rule.ns * 1e-9 * scale, rule.describe(dtype))
    rate = profile.cpu_flops.get(dtype.name)
    flops = product_flops(m, n, k, batch, dtype)
    return CpuEstimate(
        profile.cpu_call + flops / rate if rate else float("inf"), f"NumPy's {dtype}"
    )


@dataclass(frozen=True)
class Estimate:
    """Predicted seconds on each side, the chosen device and the reason, for one product."""

    cpu: float
    gpu: float
    device: Device
    reason: str = field(compare=False)


def estimate(
    profile: Profile,
    dtype: np.dtype,
    m: int,
    n: int,
    k: int,
    batch: int = 1,
    *,
    host_bytes: int,
    result_bytes: int,
    cpu: CpuEstimate | None = None,
    func: str = "matmul",
) -> Estimate:
    """Predict a product's time on the CPU and the GPU and choose the faster one.

    Parameters
    ----------
    profile : Profile
        Machine figures.
    dtype : numpy.dtype
        Compute dtype of the product.
    m, n, k, batch : int
        Output rows, output columns, contracted length and number of stacked products.
    host_bytes : int
        Bytes of operands that live on the host (copied to the GPU if it is chosen).
    result_bytes : int
        Bytes of the result (copied back to the host if the GPU is chosen for host operands).
    cpu : CpuEstimate, optional
        The CPU side as the CPU backend predicts it (``NumpyBackend.estimate_seconds``); by
        default `cpu_estimate` under ``profile``.
    func : str
        ``"matmul"`` or ``"dot"`` (they differ only for bfloat16 on the CPU).

    Returns
    -------
    Estimate
    """
    host = cpu or cpu_estimate(profile, dtype, m, n, k, batch, func=func)
    gpu_rate = profile.gpu_flops.get(dtype.name)
    gpu = float("inf")
    if gpu_rate:
        copies = host_bytes / profile.h2d + result_bytes / profile.d2h
        gpu = profile.gpu_launch + product_flops(m, n, k, batch, dtype) / gpu_rate + copies
    cpu_words = f"{_time(host.seconds)} ({host.path})"
    if gpu < host.seconds:
        reason = f"GPU predicted faster: {_time(gpu)} incl. copies vs CPU {cpu_words}"
        return Estimate(host.seconds, gpu, "gpu", reason)
    reason = f"CPU predicted faster: {cpu_words} vs GPU {_time(gpu)} incl. copies"
    return Estimate(host.seconds, gpu, "cpu", reason)
