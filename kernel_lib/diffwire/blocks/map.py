import torch
from torch import nn

from ..context import inferring
from ..errors import ParamError
from ..ports import Param, Port
from .base import Block, ExportedNode
from .body import BodyCall, body_call, check_same_shape, indented


class Map(Block):
    """Scans its body along a sequence dimension `dim` of the `inputs`, carrying `state`
    from step to step (an RNN built from blocks). Outputs the final state and the body's
    per-step `outputs` stacked along `dim`.

    Body interface: Inputs named like the `state` and `inputs` entries (one step's
    slice), Outputs named like the `state` and `outputs` entries. Body weights:
    ``blocks.<id>.body.body.blocks.<inner id>``."""

    type = "Map"
    category = "control"
    bodies = ("body",)
    static = False
    params = (
        Param("state", "list", ["h"], item="string", doc="carried values"),
        Param("inputs", "list", ["x"], item="string", min_len=1, doc="sequences to scan"),
        Param("outputs", "list", ["y"], item="string", doc="per-step results, stacked"),
        Param("dim", "int", 1, doc="the sequence dimension"),
    )
    example_params = {"state": ["h"], "inputs": ["x"], "outputs": ["y"]}
    example_inputs = {"h": (4, 3), "x": (4, 5, 3)}

    @classmethod
    def check_params(cls, params, node=None):
        names = params["state"] + params["inputs"]
        if len(set(names)) != len(names) or len(set(params["state"] + params["outputs"])) != len(
                params["state"]) + len(params["outputs"]):
            raise ParamError("state, input and output names must be distinct", node=node,
                             port="state", found=names + params["outputs"])

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(n) for n in params.get("state", ["h"])) + tuple(
            Port(n, doc="a sequence") for n in params.get("inputs", ["x"]))

    @classmethod
    def output_ports(cls, params):
        return tuple(Port(n) for n in params.get("state", ["h"])) + tuple(
            Port(n) for n in params.get("outputs", ["y"]))

    @classmethod
    def body_interface(cls, params, body):
        state = tuple(Port(n) for n in params.get("state", ["h"]))
        return (state + tuple(Port(n) for n in params.get("inputs", ["x"])),
                state + tuple(Port(n) for n in params.get("outputs", ["y"])))

    @classmethod
    def make_body(cls, params, body):
        from ..document import Graph

        g = Graph()
        ins = [g.add("Input", name=n) for n in params["state"] + params["inputs"]]
        for n, src in zip(params["state"] + params["outputs"], ins + ins[-1:] * len(params["outputs"])):
            g.add_output(src, name=n)
        return g

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        return MapModule(body_call(node, ctx, "body"),
                         p["state"], p["inputs"], p["outputs"], p["dim"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        ref = ctx.body("body")
        k = len(p["state"])
        state = dict(zip(p["state"], ctx.outs[:k]))
        seqs = dict(zip(p["inputs"], ctx.args[k:]))
        results = dict(zip(p["outputs"], ctx.outs[k:]))
        dim = int(p["dim"])
        t = ctx.fresh("t")
        steps = {name: ctx.fresh(f"{name}_t") for name in p["outputs"]}
        lists = {name: ctx.fresh(f"{name}_steps") for name in p["outputs"]}
        lines = [f"{state[n]} = {v}" for n, v in zip(p["state"], ctx.args[:k])]
        lines += [f"{lists[n]} = []" for n in p["outputs"]]
        first = next(iter(seqs.values()))
        values = {**state, **{n: f"{s}.select({dim}, {t})" for n, s in seqs.items()}}
        body = [ctx.call_body(ref, f"{ctx.slot}.body.body", values, {**state, **steps})]
        body += [f"{lists[n]}.append({steps[n]})" for n in p["outputs"]]
        lines += [f"for {t} in range({first}.shape[{dim}]):"] + indented(body)
        lines += [f"{results[n]} = torch.stack({lists[n]}, dim={dim})" for n in p["outputs"]]
        return ExportedNode(init=ctx.holder("body", ref), forward=lines)


class MapModule(nn.Module):
    static = False

    def __init__(self, body: BodyCall, state, inputs, outputs, dim):
        super().__init__()
        self.body = body
        self.state, self.inputs, self.outputs, self.dim = list(state), list(inputs), list(outputs), dim

    def forward(self, *args):
        k = len(self.state)
        state = dict(zip(self.state, args[:k]))
        seqs = dict(zip(self.inputs, args[k:]))
        length = next(iter(seqs.values())).shape[self.dim]
        steps = 1 if inferring() else length
        collected: dict[str, list] = {n: [] for n in self.outputs}
        for t in range(steps):
            out = self.body(**state, **{n: s.select(self.dim, t) for n, s in seqs.items()})
            if inferring():
                for n in self.state:
                    check_same_shape(n, state[n], out[n], "", "the map body")
            state = {n: out[n] for n in self.state}
            for n in self.outputs:
                collected[n].append(out[n])
        results = []
        for n in self.outputs:
            if inferring():
                y = collected[n][0].unsqueeze(self.dim)
                shape = list(y.shape)
                shape[self.dim] = length
                results.append(y.expand(shape))
            else:
                results.append(torch.stack(collected[n], dim=self.dim))
        values = [state[n] for n in self.state] + results
        return values[0] if len(values) == 1 else tuple(values)
