import torch.nn.functional as F
from torch import nn

from ..ports import Param, Port
from .base import Block, ExportedNode
from .fx_rules import Imported, call_rule, module_rule


class Dropout(Block):
    """Zeroes each entry with probability `p` while training and scales the rest by
    1 / (1 - p); the identity in eval mode (``model.eval()``), as torch.nn.Dropout."""

    type = "Dropout"
    category = "layers"
    inputs = (Port("x"),)
    outputs = (Port("out"),)
    params = (Param("p", "float", 0.5, min=0.0, max=1.0, doc="probability of a zero"),)
    example_params = {"p": 0.25}
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        return nn.Dropout(node.read_params()["p"])

    @classmethod
    def export(cls, node, ctx):
        # Stateless, and `self.training` follows the exported model's train()/eval().
        p = ctx.literal(node.read_params()["p"])
        return ExportedNode(forward=[ctx.assign(f"F.dropout({ctx.args[0]}, p={p}, "
                                                "training=self.training)")])


@module_rule(nn.Dropout)
def _from_layer(m, x):
    return Imported("Dropout", {"p": float(m.p)}, [x])


@call_rule(F.dropout)
def _from_call(x, p=0.5, training=True, inplace=False):
    # `training` was fixed when the module was traced; the block follows the mode it runs in.
    return Imported("Dropout", {"p": float(p)}, [x])
