import operator

import torch

from .base import BinaryOp
from .fx_rules import Imported, call_rule


class Mul(BinaryOp):
    """a * b elementwise, broadcasting."""

    type = "Mul"
    symbol = "*"
    op = staticmethod(torch.mul)


@call_rule(operator.mul, torch.mul, "mul")
def _from_call(a, b):
    return Imported("Mul", {}, [a, b])
