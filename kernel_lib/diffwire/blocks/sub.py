import operator

import torch

from .base import BinaryOp
from .fx_rules import Imported, call_rule


class Sub(BinaryOp):
    """a - b, broadcasting."""

    type = "Sub"
    symbol = "-"
    op = staticmethod(torch.sub)


@call_rule(operator.sub, torch.sub, "sub")
def _from_call(a, b):
    return Imported("Sub", {}, [a, b])
