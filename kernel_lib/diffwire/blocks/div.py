import operator

import torch

from .base import BinaryOp
from .fx_rules import Imported, call_rule


class Div(BinaryOp):
    """a / b elementwise, broadcasting."""

    type = "Div"
    symbol = "/"
    op = staticmethod(torch.div)


@call_rule(operator.truediv, torch.div, "div")
def _from_call(a, b):
    return Imported("Div", {}, [a, b])
