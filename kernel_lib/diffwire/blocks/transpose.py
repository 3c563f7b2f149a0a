import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule


class Transpose(Block):
    """Swaps two dimensions, `dim0` and `dim1` (torch.transpose)."""

    type = "Transpose"
    category = "shape"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (Param("dim0", "int", -2), Param("dim1", "int", -1))
    example_params = {"dim0": 0, "dim1": 2}
    example_inputs = {"x": (2, 3, 4)}

    @classmethod
    def build(cls, node, ctx):
        return _Transpose(node.read_params()["dim0"], node.read_params()["dim1"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        return ExportedNode(forward=[ctx.assign(
            f"{ctx.args[0]}.transpose({p['dim0']}, {p['dim1']})")])


class _Transpose(nn.Module):
    def __init__(self, dim0, dim1):
        super().__init__()
        self.dim0, self.dim1 = dim0, dim1

    def forward(self, x):
        return x.transpose(self.dim0, self.dim1)


@call_rule(torch.transpose, "transpose", torch.swapaxes, "swapaxes")
def _from_call(x, dim0, dim1):
    if not (isinstance(dim0, int) and isinstance(dim1, int)):
        return None
    return Imported("Transpose", {"dim0": dim0, "dim1": dim1}, [x])
