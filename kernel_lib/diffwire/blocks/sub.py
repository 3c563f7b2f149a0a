import torch

from .base import BinaryOp


class Sub(BinaryOp):
    """a - b, broadcasting."""

    type = "Sub"
    symbol = "-"
    op = staticmethod(torch.sub)
