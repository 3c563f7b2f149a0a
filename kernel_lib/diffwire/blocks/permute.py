import torch
from torch import nn

from ..errors import ParamError
from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule


class Permute(Block):
    """Reorders the dimensions: output dimension i is input dimension `dims[i]`
    (torch.permute; `dims` lists every dimension once)."""

    type = "Permute"
    category = "shape"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (Param("dims", "list", [1, 0], item="int", min_len=1, doc="a permutation"),)
    example_params = {"dims": [0, 2, 1]}
    example_inputs = {"x": (2, 3, 4)}

    @classmethod
    def check_params(cls, params, node=None):
        dims = list(params.get("dims") or [])
        n = len(dims)
        if sorted(d % n if n else d for d in dims) != list(range(n)):
            raise ParamError("dims must list every dimension once", node=node, port="dims",
                             expected=f"a permutation of 0..{n - 1}", found=dims)

    @classmethod
    def build(cls, node, ctx):
        return _Permute(node.read_params()["dims"])

    @classmethod
    def export(cls, node, ctx):
        dims = ", ".join(str(d) for d in node.read_params()["dims"])
        return ExportedNode(forward=[ctx.assign(f"{ctx.args[0]}.permute({dims})")])


class _Permute(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x):
        return x.permute(self.dims)


@call_rule(torch.permute, "permute")
def _from_call(x, *dims):
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = dims[0]
    if not all(isinstance(d, int) for d in dims):
        return None
    return Imported("Permute", {"dims": list(dims)}, [x])
