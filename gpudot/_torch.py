"""PyTorch tensors as operands, recognised without gpudot ever importing torch.

Tensors come in through DLPack, except that one requiring grad is refused (detaching it would
drop the gradient unseen) and a ``torch.bfloat16`` one, which DLPack cannot describe to NumPy,
is taken zero-copy as ml_dtypes' ``bfloat16`` through its int16 view.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from gpudot._errors import AutogradError

__all__ = ["exportable", "host_array"]

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
            "multiply its values; the result is an array of the backend in effect"
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
