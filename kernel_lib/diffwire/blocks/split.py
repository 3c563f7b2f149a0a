import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode


class Split(Block):
    """Cuts a tensor into pieces of the given `sizes` along `dim` (outputs y0, y1, ...)."""

    type = "Split"
    category = "shape"
    inputs = (Port("x"),)
    params = (
        Param("sizes", "list", [1, 1], item="int", min=1, min_len=1, doc="size of each piece"),
        Param("dim", "int", -1),
    )
    example_params = {"sizes": [1, 2]}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def output_ports(cls, params):
        return tuple(Port(f"y{i}") for i in range(len(params.get("sizes", [1, 1]))))

    @classmethod
    def build(cls, node, ctx):
        return _Split(node.read_params()["sizes"], node.read_params()["dim"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        expr = f"torch.split({ctx.args[0]}, {ctx.literal(list(p['sizes']))}, dim={p['dim']})"
        if len(ctx.outs) == 1:
            return ExportedNode(forward=[ctx.assign(f"{expr}[0]")])
        return ExportedNode(forward=[ctx.assign(expr)])


class _Split(nn.Module):
    def __init__(self, sizes: list[int], dim: int):
        super().__init__()
        self.sizes, self.dim = list(sizes), dim

    def forward(self, x):
        parts = torch.split(x, self.sizes, dim=self.dim)
        if sum(self.sizes) != x.shape[self.dim]:
            raise ValueError(f"sizes {self.sizes} add up to {sum(self.sizes)}, dimension {self.dim} "
                             f"has {x.shape[self.dim]}")
        return parts[0] if len(parts) == 1 else parts
