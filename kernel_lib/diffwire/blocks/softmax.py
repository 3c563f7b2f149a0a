import torch
import torch.nn.functional as F
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule, module_rule


class Softmax(Block):
    """Softmax over `dim` (entries positive, summing to 1); with `log`, its logarithm
    computed stably (torch's softmax and log_softmax)."""

    type = "Softmax"
    category = "layers"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (
        Param("dim", "int", -1, doc="the dimension that sums to 1"),
        Param("log", "bool", False, doc="log-softmax"),
    )
    example_params = {"dim": 1, "log": True}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        return (nn.LogSoftmax if p["log"] else nn.Softmax)(dim=p["dim"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        fn = "log_softmax" if p["log"] else "softmax"
        return ExportedNode(forward=[ctx.assign(f"F.{fn}({ctx.args[0]}, dim={p['dim']})")])


@module_rule(nn.Softmax, nn.LogSoftmax)
def _from_layer(m, x):
    if m.dim is None:  # torch's deprecated implicit dimension
        return None
    return Imported("Softmax", {"dim": m.dim, "log": isinstance(m, nn.LogSoftmax)}, [x])


def _function(log):
    def rule(x, dim=None, _stacklevel=3, dtype=None):
        if not isinstance(dim, int) or dtype is not None:
            return None
        return Imported("Softmax", {"dim": dim, "log": log}, [x])

    return rule


call_rule(F.softmax, torch.softmax, "softmax")(_function(False))
call_rule(F.log_softmax, torch.log_softmax, "log_softmax")(_function(True))
