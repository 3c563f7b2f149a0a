import torch
import torch.nn.functional as F
from torch import nn

from ..context import inferring
from ..ports import Param, Port
from .activations import ACTIVATION_CODE, ACTIVATION_NAMES
from .base import Block, ExportedNode
from .construct import activation
from .fx_rules import Imported, call_rule, module_rule


class Activation(Block):
    """An elementwise nonlinearity: relu, tanh, gelu, sigmoid, softplus, sin, exp or rbf."""

    type = "Activation"
    category = "layers"
    stateless = True
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (Param("fn", "choice", "tanh", choices=ACTIVATION_NAMES),)
    example_params = {"fn": "softplus"}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        module = activation(node.read_params()["fn"])  # without nn.Module.__init__: see construct
        return _ShapeOnly(module) if ctx.meta else module

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(ACTIVATION_CODE[node.read_params()["fn"]][0].format(x=ctx.args[0]))])


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


def _imported(fn, x):
    return Imported("Activation", {"fn": fn}, [x])


@module_rule(nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.Softplus)
def _from_layer(m, x):
    if (isinstance(m, nn.GELU) and m.approximate != "none") or \
            (isinstance(m, nn.Softplus) and (m.beta != 1 or m.threshold != 20)):
        return None  # a variant the block lacks
    return _imported(type(m).__name__.lower(), x)


def _function(fn):
    def rule(x, inplace=False):
        return _imported(fn, x)

    return rule


def _method(fn):
    def rule(x):
        return _imported(fn, x)

    return rule


for _fn, _targets in {"relu": (torch.relu, F.relu), "tanh": (torch.tanh, F.tanh),
                      "sigmoid": (torch.sigmoid, F.sigmoid), "sin": (torch.sin,),
                      "exp": (torch.exp,)}.items():
    call_rule(*_targets)(_function(_fn))
    call_rule(_fn)(_method(_fn))


@call_rule(F.gelu)
def _gelu(x, approximate="none"):
    return _imported("gelu", x) if approximate == "none" else None


@call_rule(F.softplus)
def _softplus(x, beta=1, threshold=20):
    return _imported("softplus", x) if beta == 1 and threshold == 20 else None
