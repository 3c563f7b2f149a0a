import torch

from .base import BinaryOp


class Div(BinaryOp):
    """a / b elementwise, broadcasting."""

    type = "Div"
    op = staticmethod(torch.div)
