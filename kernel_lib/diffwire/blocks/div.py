import torch

from .base import BinaryOp


class Div(BinaryOp):
    """a / b elementwise, broadcasting."""

    type = "Div"
    symbol = "/"
    op = staticmethod(torch.div)
