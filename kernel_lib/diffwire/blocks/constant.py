import torch
from torch import nn

from ..errors import ParamError
from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, attr_rule


class Constant(Block):
    """A fixed tensor (not learned). `value` is flat; `shape` arranges it (default: a vector,
    or a scalar when `value` has one entry and `shape` is [])."""

    type = "Constant"
    category = "sources"
    outputs = (Port("out"),)
    params = (
        Param("value", "list", [1.0], item="float", min_len=1, doc="the entries, row-major"),
        Param("shape", "list", None, item="int", nullable=True, doc="arrangement of the entries"),
    )
    example_params = {"value": [1.0, 2.0, 3.0]}

    @classmethod
    def check_params(cls, params, node=None):
        shape = params.get("shape")
        if shape is not None:
            n = 1
            for d in shape:
                n *= d
            if n != len(params["value"]):
                raise ParamError("shape does not fit the number of values", node=node, port="shape",
                                 expected=f"{len(params['value'])} entries", found=f"{n} for {shape}")

    @classmethod
    def build(cls, node, ctx):
        value = torch.tensor(node.read_params()["value"], dtype=torch.float32)
        shape = node.read_params().get("shape")
        return _Const(value if shape is None else value.reshape(shape))

    @classmethod
    def export(cls, node, ctx):
        value = f"torch.tensor({ctx.literal([float(v) for v in node.read_params()['value']])})"
        shape = node.read_params().get("shape")
        if shape is not None:
            value = f"{value}.reshape({ctx.literal(list(shape))})"
        return ExportedNode(init=f"{ctx.helper('Constant')}({value})",
                            forward=[ctx.assign(f"{ctx.slot}.value")])


class _Const(nn.Module):
    def __init__(self, value: torch.Tensor):
        super().__init__()
        self.register_buffer("value", value)

    def forward(self):
        return self.value


@attr_rule(torch.Tensor)
def _from_tensor(t):
    """A float tensor the module holds (a buffer, a constant), or a number in a formula."""
    if not t.is_floating_point():
        return None
    t = t.detach()
    return Imported("Constant", {"value": t.flatten().tolist() or [0.0], "shape": list(t.shape)},
                    [])
