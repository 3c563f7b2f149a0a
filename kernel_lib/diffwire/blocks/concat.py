import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule


class Concat(Block):
    """Joins `n` tensors along `dim`."""

    type = "Concat"
    category = "shape"
    outputs = (Port("out"),)
    params = (
        Param("n", "int", 2, min=1, max=64, doc="how many inputs"),
        Param("dim", "int", -1, doc="the dimension to join along"),
    )
    example_params = {"n": 2}
    example_inputs = {"x0": (4, 3), "x1": (4, 2)}

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(f"x{i}") for i in range(params.get("n", 2)))

    @classmethod
    def build(cls, node, ctx):
        return _Cat(node.read_params()["dim"])

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(f"torch.cat([{', '.join(ctx.args)}], dim={node.read_params()['dim']})")])


class _Cat(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)


@call_rule(torch.cat)
def _from_call(tensors, dim=0):
    if not isinstance(tensors, (list, tuple)) or isinstance(dim, bool) or not isinstance(dim, int):
        return None
    return Imported("Concat", {"n": len(tensors), "dim": dim}, list(tensors))
