"""The one place that imports PyTorch, so a missing optional extra gives one clear error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from cryptofolio.errors import ForecastError

INSTALL_HINT = 'pip install "cryptofolio[forecast]"'


def import_torch() -> ModuleType:
    """Return the ``torch`` module or raise :class:`ForecastError` saying how to install it."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - the test environment has torch
        raise ForecastError(
            "the forecast stage needs PyTorch, which is an optional extra; install it with "
            f"`{INSTALL_HINT}`"
        ) from exc
    return torch


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when a CUDA device is available, else ``"cpu"``."""
    torch = import_torch()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ForecastError(
            f"device {device!r} was asked for but no CUDA device is available; "
            "use --device cpu (or auto)"
        )
    if device != "cpu" and not device.startswith("cuda"):
        raise ForecastError(f"unknown device {device!r}; use auto, cpu or cuda")
    return device


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
