from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode


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
        return _Pow(node.params["exponent"])

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(f"{ctx.args[0]} ** {ctx.literal(node.params['exponent'])}")])


class _Pow(nn.Module):
    def __init__(self, exponent: float):
        super().__init__()
        self.exponent = exponent

    def forward(self, x):
        return x**self.exponent

    def extra_repr(self):
        return f"exponent={self.exponent}"
