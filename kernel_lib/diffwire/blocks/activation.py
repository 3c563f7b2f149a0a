import torch
from torch import nn

from ..context import inferring
from ..ports import Param, Port
from .activations import ACTIVATION_CODE, ACTIVATION_NAMES
from .base import Block, ExportedNode
from .construct import activation


class Activation(Block):
    """An elementwise nonlinearity: relu, tanh, gelu, sigmoid, softplus, sin, exp or rbf."""

    type = "Activation"
    category = "layers"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (Param("fn", "choice", "tanh", choices=ACTIVATION_NAMES),)
    example_params = {"fn": "softplus"}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        module = activation(node.params["fn"])  # without nn.Module.__init__: see construct
        return _ShapeOnly(module) if ctx.meta else module

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(ACTIVATION_CODE[node.params["fn"]][0].format(x=ctx.args[0]))])


class _ShapeOnly(nn.Module):
    """While shapes are inferred, an elementwise function of a float tensor is a tensor of
    the same shape and dtype: meta kernels for tanh and friends run through slow Python
    decompositions (half of validate on a large graph). Other inputs take the real path."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        if inferring() and isinstance(x, torch.Tensor) and x.is_floating_point():
            return x.new_empty(x.shape)
        return self.inner(x)
