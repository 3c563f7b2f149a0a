import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule, reduced


class Mean(Block):
    """The mean over `dim` (every entry when `dim` is null)."""

    type = "Mean"
    category = "math"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (
        Param("dim", "int", None, nullable=True, doc="reduce over this dimension"),
        Param("keepdim", "bool", False),
    )
    example_params = {"dim": 0}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        return _Mean(node.read_params()["dim"], node.read_params()["keepdim"])

    @classmethod
    def export(cls, node, ctx):
        p, x = node.read_params(), ctx.args[0]
        if p["dim"] is None:
            return ExportedNode(forward=[ctx.assign(f"{x}.mean()")])
        keep = ", keepdim=True" if p["keepdim"] else ""
        return ExportedNode(forward=[ctx.assign(f"{x}.mean({p['dim']}{keep})")])


class _Mean(nn.Module):
    def __init__(self, dim, keepdim):
        super().__init__()
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        return x.mean() if self.dim is None else x.mean(self.dim, keepdim=self.keepdim)


@call_rule(torch.mean, "mean")
def _from_call(x, dim=None, keepdim=False):
    params = reduced(dim, keepdim)
    return None if params is None else Imported("Mean", params, [x])
