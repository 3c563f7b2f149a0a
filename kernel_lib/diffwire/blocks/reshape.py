import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, SizeArg, call_rule


class Reshape(Block):
    """Gives a tensor a new `shape` (one entry may be -1). With `keep_batch` the first
    dimension is kept and `shape` describes the rest."""

    type = "Reshape"
    category = "shape"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (
        Param("shape", "list", [-1], item="int", min=-1, doc="the new shape"),
        Param("keep_batch", "bool", True, doc="keep dimension 0 as it is"),
    )
    example_params = {"shape": [3, 1]}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        return _Reshape(node.read_params()["shape"], node.read_params()["keep_batch"])

    @classmethod
    def export(cls, node, ctx):
        p, x = node.read_params(), ctx.args[0]
        dims = [str(int(d)) for d in p["shape"]]
        if p["keep_batch"]:
            dims = [f"{x}.shape[0]"] + dims
        shape = ", ".join(dims) if dims else "()"
        return ExportedNode(forward=[ctx.assign(f"{x}.reshape({shape})")])


class _Reshape(nn.Module):
    def __init__(self, shape, keep_batch):
        super().__init__()
        self.shape, self.keep_batch = tuple(shape), keep_batch

    def forward(self, x):
        if self.keep_batch:
            return x.reshape((x.shape[0],) + self.shape)
        return x.reshape(self.shape)


@call_rule(torch.reshape, "reshape", "view")
def _from_call(x, *dims):
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = tuple(dims[0])
    keep = bool(dims) and isinstance(dims[0], SizeArg) and dims[0].is_batch_of(x)
    shape = list(dims[1:] if keep else dims)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        return None  # another run-time size, or a dtype (x.view(torch.int32))
    return Imported("Reshape", {"shape": shape, "keep_batch": keep}, [x])
