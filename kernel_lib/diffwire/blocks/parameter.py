import math

import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, attr_rule


class Parameter(Block):
    """A learnable tensor of a given shape, initialised by `init` times `scale`."""

    type = "Parameter"
    category = "sources"
    outputs = (Port("out"),)
    params = (
        Param("shape", "list", [1], item="int", min=1, doc="the tensor's shape"),
        Param("init", "choice", "normal", choices=("zeros", "ones", "normal", "uniform", "xavier")),
        Param("scale", "float", 1.0, doc="multiplies the initial values"),
    )
    example_params = {"shape": [3], "init": "normal"}

    @classmethod
    def build(cls, node, ctx):
        shape, init, scale = node.read_params()["shape"], node.read_params()["init"], node.read_params()["scale"]
        t = torch.empty(shape)
        if init == "zeros":
            nn.init.zeros_(t)
        elif init == "ones":
            nn.init.ones_(t)
        elif init == "normal":
            nn.init.normal_(t)
        elif init == "uniform":
            nn.init.uniform_(t, -1.0, 1.0)
        else:
            fan = shape[-1] if shape else 1
            bound = math.sqrt(6.0 / (fan + (shape[0] if len(shape) > 1 else fan)))
            nn.init.uniform_(t, -bound, bound)
        return _Learnable(t * scale)

    @classmethod
    def export(cls, node, ctx):
        shape, init, scale = node.read_params()["shape"], node.read_params()["init"], node.read_params()["scale"]
        s = ctx.literal(list(shape))
        if init == "zeros":
            value = f"torch.zeros({s})"
        elif init == "ones":
            value = f"torch.ones({s})"
        elif init == "normal":
            value = f"torch.randn({s})"
        elif init == "uniform":
            value = f"torch.empty({s}).uniform_(-1.0, 1.0)"
        else:
            fan = shape[-1] if shape else 1
            bound = math.sqrt(6.0 / (fan + (shape[0] if len(shape) > 1 else fan)))
            value = f"torch.empty({s}).uniform_({-bound!r}, {bound!r})"
        if scale != 1.0:
            value = f"{value} * {ctx.literal(float(scale))}"
        return ExportedNode(init=f'nn.ParameterDict({{"value": nn.Parameter({value})}})',
                            forward=[ctx.assign(f"{ctx.slot}.value")])


class _Learnable(nn.Module):
    def __init__(self, value: torch.Tensor):
        super().__init__()
        self.value = nn.Parameter(value)

    def forward(self):
        return self.value


@attr_rule(nn.Parameter)
def _from_tensor(t):
    """A learned tensor the module holds: its value comes along as the node's weight."""
    return Imported("Parameter", {"shape": list(t.shape), "init": "zeros"}, [],
                    {"value": t.detach().clone()})
