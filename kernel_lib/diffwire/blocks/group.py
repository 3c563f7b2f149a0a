from torch import nn

from ..errors import ParamError
from ..ports import Param, Port
from .base import Block, ExportedNode
from .body import BodyCall, passthrough_body


class Group(Block):
    """A body graph run once, as one node: what the editor makes when a selection is
    grouped (Ctrl/Cmd+G) and dissolves again when it is ungrouped. `inputs` and `outputs`
    name the ports; inside, an Input node per input and an Output node per output.
    Body weights: ``blocks.<id>.body.body.blocks.<inner id>``."""

    type = "Group"
    category = "control"
    role = "group"
    bodies = ("body",)
    params = (
        Param("inputs", "list", ["x"], item="string", min_len=1, doc="names of the inputs"),
        Param("outputs", "list", ["y"], item="string", min_len=1, doc="names of the outputs"),
    )
    example_inputs = {"x": (4, 3)}

    @classmethod
    def check_params(cls, params, node=None):
        for key in ("inputs", "outputs"):
            names = params[key]
            if len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
                raise ParamError(f"{key} are distinct identifiers", node=node, port=key,
                                 found=names)

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(n) for n in params.get("inputs", ["x"]))

    @classmethod
    def output_ports(cls, params):
        return tuple(Port(n) for n in params.get("outputs", ["y"]))

    @classmethod
    def body_interface(cls, params, body):
        return cls.input_ports(params), cls.output_ports(params)

    @classmethod
    def make_body(cls, params, body):
        return passthrough_body(params["inputs"], params["outputs"])

    @classmethod
    def build(cls, node, ctx):
        p = node.params
        return GroupModule(BodyCall(ctx.compile_body(node, "body"), ctx.path + node.id),
                           p["inputs"], p["outputs"])

    @classmethod
    def export(cls, node, ctx):
        p = node.params
        ref = ctx.body("body")
        call = ctx.call_body(ref, f"{ctx.slot}.body.body", dict(zip(p["inputs"], ctx.args)),
                             dict(zip(p["outputs"], ctx.outs)))
        return ExportedNode(init=f"Slots(body=Slots(body={ref.cls}()))", forward=[call])


class GroupModule(nn.Module):
    def __init__(self, body: BodyCall, inputs, outputs):
        super().__init__()
        self.body = body
        self.inputs, self.outputs = list(inputs), list(outputs)

    def forward(self, *xs):
        out = self.body(**dict(zip(self.inputs, xs)))
        return out[self.outputs[0]] if len(self.outputs) == 1 else tuple(out[n] for n in self.outputs)
