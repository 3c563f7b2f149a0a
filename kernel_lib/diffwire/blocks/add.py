import operator

import torch

from .base import BinaryOp
from .fx_rules import Imported, call_rule


class Add(BinaryOp):
    """a + b, broadcasting."""

    type = "Add"
    symbol = "+"
    op = staticmethod(torch.add)


@call_rule(operator.add, torch.add, "add")
def _from_call(a, b):
    return Imported("Add", {}, [a, b])
