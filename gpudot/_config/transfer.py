"""The transfer policy: what happens when an operand lives on another backend or device.

``"allow"`` (default) copies it silently, ``"warn"`` copies it with a `TransferWarning`,
``"error"`` raises `TransferError`. Python scalars and nested lists are plain host data, not
another backend's arrays, and are always converted. Another library's array (a torch tensor)
is where its ``__dlpack_device__`` says (`dlpack_location`). The copy of a result back to where
its operands live (`check_result_transfer`) is a transfer like the copy there.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from gpudot._config.scoped import choice_setting
from gpudot._errors import TransferError, TransferWarning
from gpudot._user_warnings import warn

__all__ = [
    "DLPACK_CUDA",
    "check_result_transfer",
    "check_transfer",
    "dlpack_location",
    "get_transfer_policy",
    "set_transfer_policy",
    "use_transfer_policy",
]

#: DLPack device types (``DLDeviceType`` in dlpack.h) and gpudot's device labels: host memory
#: (kDLCPU, kDLCUDAHost, kDLROCMHost) is ``"cpu"``; kDLCUDA and kDLCUDAManaged are ``"cuda:N"``.
_DLPACK_HOST = frozenset((1, 3, 11))
DLPACK_CUDA = frozenset((2, 13))

TRANSFER_POLICIES = ("allow", "warn", "error")  # the first is the default
_POLICY = choice_setting("transfer_policy", TRANSFER_POLICIES, "transfer policy")


def get_transfer_policy() -> str:
    """Return the transfer policy in effect here: ``"allow"``, ``"warn"`` or ``"error"``."""
    return _POLICY.get()


def set_transfer_policy(policy: str) -> str:
    """Set the transfer policy of the whole process, threads started later included.

    Parameters
    ----------
    policy : {"allow", "warn", "error"}
        What an implicit copy between devices does: nothing more, a `TransferWarning`, or a
        `TransferError` instead.

    Returns
    -------
    str
        The policy set, which `get_transfer_policy` returns outside any `use_transfer_policy`
        block.
    """
    return _POLICY.set(policy)


def use_transfer_policy(policy: str) -> AbstractContextManager[str]:
    """Use transfer ``policy`` in this thread or asyncio task until the ``with`` block exits.

    Same values as `set_transfer_policy`; the block gets the policy in effect in it (``as``).
    """
    return _POLICY.use(policy)


def check_transfer(argname: str, source: str, target: str) -> None:
    """Apply the policy to copying operand ``argname`` from device ``source`` to ``target``."""
    _apply(f"{argname} is on {source} but the product runs on {target}", "copying it")


def check_result_transfer(source: str, target: str) -> None:
    """Apply the policy to copying a result from device ``source``, where it was computed, back
    to ``target``, where its operands live (`gpudot._dispatch.conversions.follow_operands`)."""
    _apply(
        f"the result is on {source}, where the product ran, but its operands are on {target}",
        f"copying it back to {target}",
    )


def _apply(message: str, action: str) -> None:
    """Nothing, a `TransferWarning` or a `TransferError`, saying ``message``, as the policy says."""
    policy = _POLICY.get()
    if policy == "allow":
        return
    if policy == "error":
        raise TransferError(
            f"{message}; move it there yourself (gpudot.asarray / gpudot.to_numpy) or set the "
            "transfer policy to 'allow' or 'warn'"
        )
    warn(f"{message}; {action} (transfer policy 'warn')", TransferWarning)


def dlpack_location(x: object) -> str:
    """Device label of ``x``, an array with ``__dlpack_device__``: ``"cpu"``, ``"cuda:N"``, else
    the DLPack device as numbers, e.g. ``"DLPack device (10, 0)"``."""
    kind, index = x.__dlpack_device__()  # type: ignore[attr-defined]
    if kind in _DLPACK_HOST:
        return "cpu"
    if kind in DLPACK_CUDA:
        return f"cuda:{index}"
    return f"DLPack device ({kind}, {index})"
