from torch import nn

from .base import Block, ExportedNode
from .body import PORT_NAMES, BodyCall, NamedBody, body_call


class Group(NamedBody, Block):
    """A body graph run once, as one node: what the editor makes when a selection is
    grouped (Ctrl/Cmd+G) and dissolves again when it is ungrouped. `inputs` and `outputs`
    name the ports; inside, an Input node per input and an Output node per output.
    Body weights: ``blocks.<id>.body.body.blocks.<inner id>``."""

    type = "Group"
    category = "control"
    role = "group"
    bodies = ("body",)
    params = PORT_NAMES
    example_inputs = {"x": (4, 3)}

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        return GroupModule(body_call(node, ctx, "body"),
                           p["inputs"], p["outputs"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        ref = ctx.body("body")
        call = ctx.call_body(ref, f"{ctx.slot}.body.body", dict(zip(p["inputs"], ctx.args)),
                             dict(zip(p["outputs"], ctx.outs)))
        return ExportedNode(init=ctx.holder("body", ref), forward=[call])


class GroupModule(nn.Module):
    def __init__(self, body: BodyCall, inputs, outputs):
        super().__init__()
        self.body = body
        self.inputs, self.outputs = list(inputs), list(outputs)

    def forward(self, *xs):
        out = self.body(**dict(zip(self.inputs, xs)))
        return out[self.outputs[0]] if len(self.outputs) == 1 else tuple(out[n] for n in self.outputs)
