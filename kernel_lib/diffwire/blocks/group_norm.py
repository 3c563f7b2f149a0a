from torch import nn

from ..ports import Param, Port
from .base import LayerBlock, LayerCall
from .fx_rules import Imported, module_rule, weights


class GroupNorm(LayerBlock):
    """Group normalization (torch.nn.GroupNorm): the channels of [B, C, ...] split into
    `num_groups` groups, each normalized per sample."""

    type = "GroupNorm"
    category = "layers"
    inputs = (Port("x", doc="[B, C, ...]"),)
    outputs = (Port("out"),)
    params = (
        Param("num_groups", "int", 1, min=1, doc="divides num_channels"),
        Param("num_channels", "int", 2, min=1, doc="the channel count C"),
        Param("eps", "float", 1e-5, min=0.0),
        Param("affine", "bool", True, doc="learn a scale and an offset per channel"),
    )
    example_params = {"num_groups": 2, "num_channels": 4}
    example_inputs = {"x": (2, 4, 3)}

    @classmethod
    def check_params(cls, params, node=None):
        cls.check_multiple(params, node, "num_channels", "num_groups")

    @staticmethod
    def layer(p: dict) -> LayerCall:
        return LayerCall("GroupNorm", (p["num_groups"], p["num_channels"]),
                         {"eps": p["eps"], "affine": p["affine"]})


@module_rule(nn.GroupNorm)
def _from_layer(m, x):
    params = {"num_groups": m.num_groups, "num_channels": m.num_channels, "eps": m.eps,
              "affine": m.affine}
    return Imported("GroupNorm", params, [x], weights(m))
