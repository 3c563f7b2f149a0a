from torch import nn

from ..context import inferring
from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, module_rule, same, weights


class Conv2d(Block):
    """A 2-D convolution over [B, C, H, W] images (torch.nn.Conv2d)."""

    type = "Conv2d"
    category = "layers"
    inputs = (Port("x", shape=("B", "in_channels", "H", "W")),)
    outputs = (Port("out"),)
    params = (
        Param("in_channels", "int", 1, min=1),
        Param("out_channels", "int", 8, min=1),
        Param("kernel_size", "int", 3, min=1),
        Param("stride", "int", 1, min=1),
        Param("padding", "int", 0, min=0),
        Param("bias", "bool", True),
    )
    example_params = {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1}
    example_inputs = {"x": (2, 2, 5, 5)}

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        return _Conv2d(p["in_channels"], p["out_channels"], p["kernel_size"], stride=p["stride"],
                       padding=p["padding"], bias=p["bias"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        extra = "".join(f", {k}={p[k]}" for k in ("stride", "padding") if p[k] != (1 if k == "stride" else 0))
        if not p["bias"]:
            extra += ", bias=False"
        init = f"nn.Conv2d({p['in_channels']}, {p['out_channels']}, {p['kernel_size']}{extra})"
        return ExportedNode(init=init, forward=[ctx.assign(f"{ctx.slot}({ctx.args[0]})")])


class _Conv2d(nn.Conv2d):
    """nn.Conv2d (same weight keys) that infers shapes for inputs of any float dtype."""

    def forward(self, x):
        if inferring() and x.dtype != self.weight.dtype:
            bias = None if self.bias is None else self.bias.to(x.dtype)
            return self._conv_forward(x, self.weight.to(x.dtype), bias)
        return super().forward(x)


@module_rule(nn.Conv2d)
def _from_layer(m, x):
    k, s, p = same(m.kernel_size, 2), same(m.stride, 2), same(m.padding, 2)
    if None in (k, s, p) or m.groups != 1 or m.dilation != (1, 1) or m.padding_mode != "zeros":
        return None  # a non-square window or an option the block lacks: stays opaque
    return Imported("Conv2d", {"in_channels": m.in_channels, "out_channels": m.out_channels,
                               "kernel_size": k, "stride": s, "padding": p,
                               "bias": m.bias is not None}, [x], weights(m))
