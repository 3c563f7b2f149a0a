import torch.nn.functional as F
from torch import nn

from ..errors import ParamError
from ..ports import Param, Port
from .base import FnCall, FunctionalBlock
from .fx_rules import Imported, call_rule, module_rule
from .pool import DIMS, POOLED


class AdaptivePool(FunctionalBlock):
    """Max or average pooling to a fixed `output_size` whatever the input size: [B, C, L]
    for 1-D, [B, C, H, W] for 2-D (torch's AdaptiveMaxPool1d/2d, AdaptiveAvgPool1d/2d).
    `output_size` has one entry per pooled dimension."""

    type = "AdaptivePool"
    category = "layers"
    inputs = POOLED
    outputs = (Port("out"),)
    params = (
        Param("mode", "choice", "avg", choices=("max", "avg")),
        DIMS,
        Param("output_size", "list", [1, 1], item="int", min=1, min_len=1),
    )
    example_params = {"mode": "max", "output_size": [2, 3]}
    example_inputs = {"x": (2, 3, 5, 7)}

    @classmethod
    def check_params(cls, params, node=None):
        size = params.get("output_size") or []
        if len(size) != params.get("dims", 2):
            raise ParamError("output_size needs one entry per pooled dimension", node=node,
                             port="output_size", expected=f"{params.get('dims', 2)} entries",
                             found=size)

    @staticmethod
    def call(p: dict) -> FnCall:
        """The torch.nn.functional call, with the output size."""
        return FnCall(f"adaptive_{p['mode']}_pool{p['dims']}d", [list(p["output_size"])])


def _adaptive(x, mode, dims, output_size, return_indices=False):
    size = [output_size] * dims if isinstance(output_size, int) else list(output_size)
    if return_indices or len(size) != dims or not all(isinstance(s, int) for s in size):
        return None  # indices, or a None entry (keep that size): no block for these
    return Imported("AdaptivePool", {"mode": mode, "dims": dims, "output_size": size}, [x])


_LAYERS = {nn.AdaptiveMaxPool1d: ("max", 1), nn.AdaptiveMaxPool2d: ("max", 2),
           nn.AdaptiveAvgPool1d: ("avg", 1), nn.AdaptiveAvgPool2d: ("avg", 2)}


@module_rule(*_LAYERS)
def _from_layer(m, x):
    mode, dims = _LAYERS[type(m)]
    return _adaptive(x, mode, dims, m.output_size, getattr(m, "return_indices", False))


def _function(mode, dims):
    def rule(x, output_size, return_indices=False):
        return _adaptive(x, mode, dims, output_size, return_indices)

    return rule


for _mode, _dims in _LAYERS.values():
    call_rule(getattr(F, f"adaptive_{_mode}_pool{_dims}d"))(_function(_mode, _dims))
