import torch
from torch import nn

from ..context import inferring
from ..errors import ShapeMismatch
from ..ports import Param, Port
from .base import Block, ExportedNode
from .body import PORT_NAMES, BodyCall, NamedBody, body_call, indented


class Conditional(NamedBody, Block):
    """Two body graphs, `then` and `else`, over the same inputs. ``where`` mode runs both and
    picks per sample with torch.where (`cond` is a bool tensor, broadcast over trailing
    dimensions); ``branch`` mode reads `cond` as one bool at run time and runs only the
    chosen body.

    Body interface (both bodies): Inputs named like the `inputs` entries (default `x`),
    Outputs named like the `outputs` entries (default `y`). Body weights:
    ``blocks.<id>.then.body.blocks.<inner id>`` and, for `else` (a Python keyword),
    ``blocks.<id>.other.body.blocks.<inner id>``."""

    type = "Conditional"
    category = "control"
    bodies = ("then", "else")
    body_modules = {"then": "then.body", "else": "other.body"}
    static = False
    params = (
        Param("mode", "choice", "where", choices=("where", "branch")),
    ) + PORT_NAMES
    reserved = "cond"
    example_params = {"mode": "where"}
    example_inputs = {"cond": (4,), "x": (4, 3)}

    @classmethod
    def input_ports(cls, params):
        shape = () if params.get("mode") == "branch" else None
        cond = Port("cond", "bool", shape, doc="which body: true -> then")
        return (cond,) + super().input_ports(params)

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        return ConditionalModule(body_call(node, ctx, "then"), body_call(node, ctx, "else"),
                                 p["mode"], p["inputs"], p["outputs"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        then, other = ctx.body("then"), ctx.body("else")
        cond, values = ctx.args[0], dict(zip(p["inputs"], ctx.args[1:]))
        outs = dict(zip(p["outputs"], ctx.outs))
        init = ctx.holder("then", then, "other", other)
        if p["mode"] == "branch":
            lines = [f"if bool({cond}):"]
            lines += indented([ctx.call_body(then, f"{ctx.slot}.then.body", values, outs)])
            lines += ["else:"]
            lines += indented([ctx.call_body(other, f"{ctx.slot}.other.body", values, outs)])
            return ExportedNode(init=init, forward=lines)
        a = {k: ctx.fresh(f"then_{k}") for k in p["outputs"]}
        b = {k: ctx.fresh(f"else_{k}") for k in p["outputs"]}
        lines = [ctx.call_body(then, f"{ctx.slot}.then.body", values, a),
                 ctx.call_body(other, f"{ctx.slot}.other.body", values, b)]
        for k in p["outputs"]:
            mask = f"{cond}.reshape({cond}.shape + (1,) * ({a[k]}.dim() - {cond}.dim()))"
            lines.append(f"{outs[k]} = torch.where({mask}, {a[k]}, {b[k]})")
        return ExportedNode(init=init, forward=lines)


class ConditionalModule(nn.Module):
    static = False

    def __init__(self, then: BodyCall, other: BodyCall, mode: str, inputs, outputs):
        super().__init__()
        self.then, self.other = then, other
        self.mode, self.inputs, self.outputs = mode, list(inputs), list(outputs)

    def forward(self, cond, *xs):
        values = dict(zip(self.inputs, xs))
        if self.mode == "branch" and not inferring():
            if cond.numel() != 1:
                raise ShapeMismatch("branch mode needs one bool", port="cond", expected="[]",
                                    found=list(cond.shape))
            out = self.then(**values) if bool(cond) else self.other(**values)
            return _result(out, self.outputs)
        a, b = self.then(**values), self.other(**values)
        picked = {}
        for name in self.outputs:
            if a[name].shape != b[name].shape:
                raise ShapeMismatch(f"then and else give '{name}' different shapes", port=name,
                                    expected=list(a[name].shape), found=list(b[name].shape))
            if self.mode == "branch":
                picked[name] = a[name]
                continue
            c = cond.reshape(cond.shape + (1,) * (a[name].dim() - cond.dim()))
            picked[name] = torch.where(c, a[name], b[name])
        return _result(picked, self.outputs)


def _result(out: dict, names: list[str]):
    return out[names[0]] if len(names) == 1 else tuple(out[n] for n in names)
