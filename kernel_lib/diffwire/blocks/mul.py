import torch

from .base import BinaryOp


class Mul(BinaryOp):
    """a * b elementwise, broadcasting."""

    type = "Mul"
    symbol = "*"
    op = staticmethod(torch.mul)
