import torch

from .base import BinaryOp


class Add(BinaryOp):
    """a + b, broadcasting."""

    type = "Add"
    symbol = "+"
    op = staticmethod(torch.add)
