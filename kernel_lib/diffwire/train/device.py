"""Where a run trains: the device asked for, else CUDA when there is one, else the CPU."""

from __future__ import annotations

import torch

from ..errors import ParamError


def default_device(device=None) -> torch.device:
    """`device` when given, else CUDA when available, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ParamError(f"not a device: {exc}", port="device", expected="cpu, cuda, cuda:N",
                         found=repr(device)) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParamError("CUDA is not available on this machine", port="device",
                         expected="cpu", found=str(dev))
    return dev
