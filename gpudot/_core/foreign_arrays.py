"""PyTorch tensors (and other libraries' arrays) as operands and results, recognised without
gpudot ever importing torch.

Tensors come in through DLPack, except that one requiring grad is refused (detaching it would
drop the gradient unseen) and a ``torch.bfloat16`` one, which DLPack cannot describe to NumPy,
is taken zero-copy as ml_dtypes' ``bfloat16`` through its int16 view. Results go back the same
way (`result_like`): tensors in, tensors out, on their device.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from gpudot._errors import AutogradError

__all__ = ["exportable", "host_array", "result_like"]

BFLOAT16_INSTALL_HINT = 'pip install "gpudot[bfloat16]"'


def _torch_tensor(x: object) -> Any:
    """The torch module if ``x`` is a tensor of it (torch already imported), else None."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(x, torch.Tensor) else None


def exportable(x: Any, argname: str) -> Any:
    """Return ``x``, another library's array about to be imported through DLPack.

    Raises
    ------
    AutogradError
        If ``x`` is a torch tensor that requires grad.
    """
    if _torch_tensor(x) is not None and x.requires_grad:
        explanation = (
            f"{argname} is a torch.Tensor with requires_grad=True, and autograd does not flow "
            f"through gpudot: the result would carry no gradient. Pass {argname}.detach() to "
            "multiply its values; the result is a tensor without a gradient"
        )
        raise AutogradError("\n".join(filter(None, (_numpy_words(x), explanation))))
    return x


def _numpy_words(tensor: Any) -> str:
    """What torch says when NumPy's own products are given ``tensor`` (NumPy makes this call)."""
    try:
        tensor.numpy()
    except RuntimeError as error:
        return str(error)
    return ""


def host_array(x: Any) -> np.ndarray:
    """``x``, a host array of another library with ``__dlpack__``, as NumPy, sharing its memory.

    Raises
    ------
    TypeError
        If ``x`` is a ``torch.bfloat16`` tensor and ml_dtypes is not installed.
    """
    torch = _torch_tensor(x)
    if torch is None or x.dtype is not torch.bfloat16:
        return np.from_dlpack(x)
    try:
        import ml_dtypes
    except ImportError:
        raise TypeError(
            "a torch.bfloat16 tensor needs ml_dtypes, which gives NumPy its bfloat16 dtype; "
            f"install it with {BFLOAT16_INSTALL_HINT}"
        ) from None
    return np.from_dlpack(x.view(torch.int16)).view(ml_dtypes.bfloat16)


def result_like(lead: Any, result: Any) -> Any:
    """``result`` as an array of ``lead``'s library on ``lead``'s device, through DLPack.

    ``lead`` is the operand, another library's array with ``__dlpack__``, that decides the kind of
    the result; ``result`` is a NumPy array or scalar, or a device array with ``__dlpack__``.
    A host result becomes a host tensor sharing its memory; one computed on ``lead``'s device is
    taken there zero-copy; otherwise the array is moved to ``lead``'s device (the caller has
    applied the transfer policy). PyTorch is asked through ``torch.from_dlpack``, any other
    library through its Array API namespace (JAX, array-api-strict...); a bare DLPack producer
    with neither gets ``result`` as it is.

    Raises
    ------
    TypeError
        If the library cannot hold the result's dtype (torch has no ``longdouble`` or ``object``).
    """
    exported = np.asarray(result) if isinstance(result, (np.ndarray, np.generic)) else result
    torch = _torch_tensor(lead)
    if torch is not None:
        if exported.dtype.name == "bfloat16":  # ml_dtypes' bfloat16, imported as its int16 bits
            tensor = _imported(torch.from_dlpack, exported.view(np.int16), "torch")
            tensor = tensor.view(torch.bfloat16)
        else:
            tensor = _imported(torch.from_dlpack, exported, "torch")
        return tensor if tensor.device == lead.device else tensor.to(lead.device)
    namespace = getattr(lead, "__array_namespace__", None)
    if namespace is None:  # a bare DLPack producer: nothing to import the result with
        return result
    xp = namespace()
    placed = _imported(xp.from_dlpack, exported, xp.__name__)
    return placed if placed.device == lead.device else placed.to_device(lead.device)


def _imported(from_dlpack: Any, result: Any, library: str) -> Any:
    """``from_dlpack(result)``; a dtype the library cannot hold is a `TypeError` naming it."""
    try:
        return from_dlpack(result)
    except (BufferError, TypeError, RuntimeError) as error:
        dtype = getattr(result, "dtype", type(result).__name__)
        raise TypeError(
            f"the result has dtype {dtype}, which {library} cannot hold ({error}); the operands "
            f"decide the kind of result, so pass NumPy arrays to get a NumPy {dtype} result"
        ) from None
