import torch

from .base import BinaryOp


class Sub(BinaryOp):
    """a - b, broadcasting."""

    type = "Sub"
    op = staticmethod(torch.sub)
