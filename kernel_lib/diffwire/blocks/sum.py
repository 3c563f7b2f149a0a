import torch
from torch import nn

from ..ports import Param, Port
from ..symbolic import elementwise
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule, reduced


class Sum(Block):
    """Adds its `n` inputs elementwise (a UDE's known and neural terms, say), then sums over
    `dim` when given. With one input and no `dim` it sums every entry."""

    type = "Sum"
    category = "math"
    outputs = (Port("out"),)
    params = (
        Param("n", "int", 1, min=1, max=64, doc="how many inputs to add"),
        Param("dim", "int", None, nullable=True, doc="reduce over this dimension"),
        Param("keepdim", "bool", False),
    )
    example_params = {"n": 2, "dim": -1}
    example_inputs = {"x0": (4, 3), "x1": (4, 3)}

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(f"x{i}") for i in range(params.get("n", 1)))

    @classmethod
    def symbolic(cls, node, args, width):
        xs = [args[f"x{i}"] for i in range(node.read_params()["n"]) if f"x{i}" in args]
        if node.read_params()["dim"] is not None or len(xs) < 2 or len(xs) != node.read_params()["n"]:
            return super().symbolic(node, args, width)
        total = xs[0]
        for x in xs[1:]:
            total = elementwise("+", total, x)
        return total

    @classmethod
    def build(cls, node, ctx):
        return _Sum(node.read_params()["n"], node.read_params()["dim"], node.read_params()["keepdim"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        total = " + ".join(ctx.args)
        if p["dim"] is not None:
            keep = ", keepdim=True" if p["keepdim"] else ""
            total = f"({total}).sum({p['dim']}{keep})" if len(ctx.args) > 1 else f"{total}.sum({p['dim']}{keep})"
        elif p["n"] == 1:
            total = f"{total}.sum()"
        return ExportedNode(forward=[ctx.assign(total)])


class _Sum(nn.Module):
    def __init__(self, n, dim, keepdim):
        super().__init__()
        self.n, self.dim, self.keepdim = n, dim, keepdim

    def forward(self, *xs):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        if self.dim is not None:
            return total.sum(self.dim, keepdim=self.keepdim)
        return total.sum() if self.n == 1 else total


@call_rule(torch.sum, "sum")
def _from_call(x, dim=None, keepdim=False):
    params = reduced(dim, keepdim)
    return None if params is None else Imported("Sum", {"n": 1, **params}, [x])
