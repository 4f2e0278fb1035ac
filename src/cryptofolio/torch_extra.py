"""PyTorch, an optional extra: its import and the choice of device, with one clear error each.

The stages that use PyTorch (``forecast``, ``optimize.gradient``) call these with their own error
class and install hint, so a missing extra or an absent GPU reads the same everywhere.
"""

from __future__ import annotations

from types import ModuleType

from cryptofolio.errors import CryptofolioError


def import_torch(error: type[CryptofolioError], missing: str) -> ModuleType:
    """Return the ``torch`` module, or raise ``error(missing)``: the caller's message saying
    what needs PyTorch and how to install it."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - the test environment has torch
        raise error(missing) from exc
    return torch


def resolve_device(torch: ModuleType, device: str, error: type[CryptofolioError]) -> str:
    """``"auto"`` -> ``"cuda"`` when a CUDA device is available, else ``"cpu"``; ``device``
    itself when it is ``"cpu"`` or an available CUDA device.

    Raises
    ------
    error
        ``"cuda"`` was asked for and no CUDA device is available, or the name is unknown.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise error(
            f"device {device!r} was asked for but no CUDA device is available; "
            "use --device cpu (or auto)"
        )
    if device != "cpu" and not device.startswith("cuda"):
        raise error(f"unknown device {device!r}; use auto, cpu or cuda")
    return device
