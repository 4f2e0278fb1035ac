"""The one place that imports PyTorch, so a missing optional extra gives one clear error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from cryptofolio import torch_extra
from cryptofolio.errors import ForecastError

INSTALL_HINT = 'pip install "cryptofolio[forecast]"'


def import_torch() -> ModuleType:
    """Return the ``torch`` module or raise :class:`ForecastError` saying how to install it."""
    return torch_extra.import_torch(
        ForecastError,
        "the forecast stage needs PyTorch, which is an optional extra; install it with "
        f"`{INSTALL_HINT}`",
    )


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when a CUDA device is available, else ``"cpu"``."""
    return torch_extra.resolve_device(import_torch(), device, ForecastError)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` intra-op threads (``None``: leave PyTorch's setting), then restore it."""
    torch = import_torch()
    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
