import torch
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule, module_rule


class Flatten(Block):
    """Flattens dimensions `start_dim` to `end_dim` into one (torch.flatten); the default
    keeps the batch dimension, as torch.nn.Flatten."""

    type = "Flatten"
    category = "shape"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (
        Param("start_dim", "int", 1, doc="first dimension to flatten"),
        Param("end_dim", "int", -1, doc="last dimension to flatten"),
    )
    example_params = {}
    example_inputs = {"x": (2, 3, 4)}

    @classmethod
    def build(cls, node, ctx):
        return nn.Flatten(node.read_params()["start_dim"], node.read_params()["end_dim"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        return ExportedNode(forward=[ctx.assign(
            f"torch.flatten({ctx.args[0]}, {p['start_dim']}, {p['end_dim']})")])


@module_rule(nn.Flatten)
def _from_layer(m, x):
    return Imported("Flatten", {"start_dim": m.start_dim, "end_dim": m.end_dim}, [x])


@call_rule(torch.flatten, "flatten")
def _from_call(x, start_dim=0, end_dim=-1):
    return Imported("Flatten", {"start_dim": start_dim, "end_dim": end_dim}, [x])
