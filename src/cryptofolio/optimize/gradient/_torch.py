"""The one place of the gradient engine that imports PyTorch (an optional extra)."""

from __future__ import annotations

from types import ModuleType

from cryptofolio.errors import OptimizationError

INSTALL_HINT = 'pip install "cryptofolio[gradient]"'


def import_torch() -> ModuleType:
    """Return the ``torch`` module or raise :class:`OptimizationError` saying how to install it."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - the test environment has torch
        raise OptimizationError(
            "the gradient optimiser needs PyTorch, which is an optional extra; install it with "
            f'`{INSTALL_HINT}` (or the "forecast" extra, which brings the same torch==2.13.0)'
        ) from exc
    return torch


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when a CUDA device is available, else ``"cpu"``.

    Raises
    ------
    OptimizationError
        ``"cuda"`` was asked for and no CUDA device is available, or the name is unknown.
    """
    torch = import_torch()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise OptimizationError(
            f"device {device!r} was asked for but no CUDA device is available; "
            "use --device cpu (or auto)"
        )
    if device != "cpu" and not device.startswith("cuda"):
        raise OptimizationError(f"unknown device {device!r}; use auto, cpu or cuda")
    return device
