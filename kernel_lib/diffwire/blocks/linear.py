from torch import nn

from ..context import inferring
from ..errors import ShapeMismatch
from ..ports import AUTO, Param, Port
from .base import Block, ExportedNode, FollowsWire, unresolved_auto, wire_size
from .construct import Linear as Layer
from .construct import linear as new_linear
from .construct import tables_on_first_use, wrap
from .fastpath import hooked, linear
from .fx_rules import Imported, module_rule


class Linear(Block):
    """An affine map y = x W^T + b over the last dimension."""

    type = "Linear"
    category = "layers"
    inputs = (Port("x", shape=("*", "in_features")),)
    outputs = (Port("out", shape=("*", "out_features")),)
    params = (
        Param("in_features", "int", 2, min=1, auto=True,
              doc="size of the last input dimension; auto: the size of the wire into x"),
        Param("out_features", "int", 2, min=1, doc="size of the last output dimension"),
        Param("bias", "bool", True, doc="add a learned offset"),
    )
    example_params = {"in_features": 3, "out_features": 2}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def resolve_auto(cls, params, inputs):
        if params["in_features"] != AUTO:
            return params
        return {**params, "in_features": wire_size(inputs, "x", "in_features")}

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        if p["in_features"] == AUTO:
            if not ctx.meta:
                raise unresolved_auto(node, "in_features")
            return FollowsWire(p["out_features"])
        # nn.Linear and the wrapper without nn.Module.__init__ (most of a large compile),
        # its parameters in the compile's flat weight store when it has one
        layer = new_linear(p["in_features"], p["out_features"], p["bias"],
                           getattr(ctx, "weights", None))
        return wrap(_Checked, inner=layer)

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        bias = "" if p["bias"] else ", bias=False"
        linear = f"nn.Linear({p['in_features']}, {p['out_features']}{bias})"
        return ExportedNode(init=f'nn.ModuleDict({{"inner": {linear}}})',
                            forward=[ctx.assign(f"{ctx.slot}.inner({ctx.args[0]})")])


@tables_on_first_use
class _Checked(nn.Module):
    """nn.Linear with a readable shape error while shapes are inferred."""

    def __init__(self, inner: nn.Linear):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        if x.shape[-1:] != (self.inner.in_features,):
            raise ShapeMismatch("last dimension does not match in_features", port="x",
                                expected=f"[..., {self.inner.in_features}]", found=list(x.shape))
        if inferring():  # meta addmm goes through slow Python decompositions
            return x.new_empty(x.shape[:-1] + (self.inner.out_features,))
        inner = self.inner  # nn.Linear's own forward, with a 1-D input as one addmv
        if hooked(inner):
            return inner(x)
        return linear(x, inner.weight, inner.bias)


@module_rule(nn.Linear, Layer)  # Layer: a compiled graph's own layers, imported again
def _from_layer(m, x):
    w = {"inner.weight": m.weight.detach().clone()}
    if m.bias is not None:
        w["inner.bias"] = m.bias.detach().clone()
    return Imported("Linear", {"in_features": m.in_features, "out_features": m.out_features,
                               "bias": m.bias is not None}, [x], w)
