import torch.nn.functional as F
from torch import nn

from ..ports import Param, Port
from .base import FnCall, FunctionalBlock
from .fx_rules import Imported, call_rule, module_rule, same

#: what the pools (Pool, AdaptivePool) share: the input layout, 1-D or 2-D
POOLED = (Port("x", doc="[B, C, L] or [B, C, H, W]"),)
DIMS = Param("dims", "int", 2, min=1, max=2, doc="pool over the last 1 or 2 dimensions")


class Pool(FunctionalBlock):
    """Max or average pooling over the last `dims` dimensions: [B, C, L] for 1-D,
    [B, C, H, W] for 2-D (torch's MaxPool1d/2d and AvgPool1d/2d). `stride` null means
    the kernel size."""

    type = "Pool"
    category = "layers"
    inputs = POOLED
    outputs = (Port("out"),)
    params = (
        Param("mode", "choice", "max", choices=("max", "avg")),
        DIMS,
        Param("kernel_size", "int", 2, min=1),
        Param("stride", "int", None, min=1, nullable=True, doc="null: the kernel size"),
        Param("padding", "int", 0, min=0),
        Param("ceil_mode", "bool", False, doc="round the output size up"),
        Param("count_include_pad", "bool", True, doc="avg: padding counts in the mean"),
    )
    example_params = {"mode": "avg", "kernel_size": 2, "stride": 1, "padding": 1}
    example_inputs = {"x": (2, 3, 4, 5)}

    @staticmethod
    def call(p: dict) -> FnCall:
        """The torch.nn.functional call, with its keyword arguments."""
        kwargs = {"kernel_size": p["kernel_size"], "stride": p["stride"] or p["kernel_size"],
                  "padding": p["padding"], "ceil_mode": p["ceil_mode"]}
        if p["mode"] == "avg":
            kwargs["count_include_pad"] = p["count_include_pad"]
        return FnCall(f"{p['mode']}_pool{p['dims']}d", kwargs=kwargs)


def _pool(x, mode, dims, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
          return_indices=False, count_include_pad=True, divisor_override=None):
    k, s, p = same(kernel_size, dims), same(stride or kernel_size, dims), same(padding, dims)
    if None in (k, s, p) or same(dilation, dims) != 1 or return_indices or divisor_override:
        return None  # a non-square window or an option the block lacks: stays opaque
    params = {"mode": mode, "dims": dims, "kernel_size": k, "stride": s, "padding": p,
              "ceil_mode": bool(ceil_mode), "count_include_pad": bool(count_include_pad)}
    return Imported("Pool", params, [x])


@module_rule(nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)
def _from_layer(m, x):
    mode = "max" if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)) else "avg"
    dims = 1 if isinstance(m, (nn.MaxPool1d, nn.AvgPool1d)) else 2
    return _pool(x, mode, dims, m.kernel_size, m.stride, m.padding,
                 getattr(m, "dilation", 1), m.ceil_mode, getattr(m, "return_indices", False),
                 getattr(m, "count_include_pad", True), getattr(m, "divisor_override", None))


def _function(mode, dims):
    def rule(x, kernel_size, *args, **kwargs):
        if mode == "max":  # max_pool's positional order has dilation where avg has none
            names = ("stride", "padding", "dilation", "ceil_mode", "return_indices")
        else:
            names = ("stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
        if len(args) > len(names) or set(kwargs) - set(names):
            return None
        kwargs.update(zip(names, args))
        return _pool(x, mode, dims, kernel_size, **kwargs)

    return rule


for _mode in ("max", "avg"):
    for _dims in (1, 2):
        call_rule(getattr(F, f"{_mode}_pool{_dims}d"))(_function(_mode, _dims))
