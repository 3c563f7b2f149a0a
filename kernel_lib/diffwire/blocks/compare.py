import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode

_OPS = {">": torch.gt, ">=": torch.ge, "<": torch.lt, "<=": torch.le, "==": torch.eq, "!=": torch.ne}


class Compare(Block):
    """a <op> b elementwise, giving a bool tensor: the condition of a Conditional or Loop."""

    type = "Compare"
    category = "control"
    inputs = (Port("a"), Port("b", "tensor", optional=True, doc="defaults to `value`"))
    outputs = (Port("out", "bool"),)
    params = (
        Param("op", "choice", ">", choices=tuple(_OPS)),
        Param("value", "float", 0.0, doc="compared against when b is not wired"),
        Param("reduce", "choice", "none", choices=("none", "any", "all"),
              doc="reduce to one bool (for a branch or a loop condition)"),
    )
    example_params = {"op": ">"}
    example_inputs = {"a": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        return _Compare(node.read_params()["op"], node.read_params()["value"], node.read_params()["reduce"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        a, b = ctx.args
        other = ctx.literal(p["value"]) if b == "None" else b
        expr = f"torch.{_OPS[p['op']].__name__}({a}, {other})"
        if p["reduce"] != "none":
            expr += f".{p['reduce']}()"
        return ExportedNode(forward=[ctx.assign(expr)])


class _Compare(nn.Module):
    def __init__(self, op, value, reduce):
        super().__init__()
        self.op, self.value, self.reduce = op, value, reduce

    def forward(self, a, b=None):
        out = _OPS[self.op](a, self.value if b is None else b)
        if self.reduce == "any":
            return out.any()
        if self.reduce == "all":
            return out.all()
        return out
