import operator

import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule


class Pow(Block):
    """x ** exponent, elementwise."""

    type = "Pow"
    category = "math"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (Param("exponent", "float", 2.0, doc="the power"),)
    example_params = {"exponent": 3.0}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        return _Pow(node.read_params()["exponent"])

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(f"{ctx.args[0]} ** {ctx.literal(node.read_params()['exponent'])}")])


class _Pow(nn.Module):
    def __init__(self, exponent: float):
        super().__init__()
        self.exponent = exponent

    def forward(self, x):
        return x**self.exponent

    def extra_repr(self):
        return f"exponent={self.exponent}"


@call_rule(operator.pow, torch.pow, "pow")
def _from_call(x, exponent):
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
        return None  # a tensor exponent: the block's is a param
    return Imported("Pow", {"exponent": float(exponent)}, [x])
