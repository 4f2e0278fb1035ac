"""The one place of the gradient engine that imports PyTorch (an optional extra)."""

from __future__ import annotations

from types import ModuleType

from cryptofolio import torch_extra
from cryptofolio.errors import OptimizationError

INSTALL_HINT = 'pip install "cryptofolio[gradient]"'


def import_torch() -> ModuleType:
    """Return the ``torch`` module or raise :class:`OptimizationError` saying how to install it."""
    return torch_extra.import_torch(
        OptimizationError,
        "the gradient optimiser needs PyTorch, which is an optional extra; install it with "
        f'`{INSTALL_HINT}` (or the "forecast" extra, which brings the same torch==2.13.0)',
    )


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when a CUDA device is available, else ``"cpu"``.

    Raises
    ------
    OptimizationError
        ``"cuda"`` was asked for and no CUDA device is available, or the name is unknown.
    """
    return torch_extra.resolve_device(import_torch(), device, OptimizationError)
