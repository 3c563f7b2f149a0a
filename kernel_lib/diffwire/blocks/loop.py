import torch
from torch import nn

from ..context import inferring
from ..errors import ParamError, RuntimeGraphError
from ..ports import Param, Port
from .base import Block, ExportedNode
from .body import BodyCall, body_call, check_same_shape, indented


class Loop(Block):
    """Applies its body graph repeatedly to carried `state`, with weights shared across
    iterations. ``count`` mode runs `iterations` times (or `n` times when the `n` input is
    wired: a data-dependent count); ``while`` mode runs until the body's `continue` output
    is false, at most `max_iterations` times. The body sees the state and the iteration
    index `i` and returns the new state.

    A run-time `n` must be one whole number from 0 to `max_iterations` (2.7 is an
    error, not 2). Body interface: Inputs named like the `state` entries (default `h`)
    and optionally `i` (the index); Outputs with the same state names and, in ``while``
    mode, `continue` (a bool). Body weights: ``blocks.<loop id>.body.body.blocks.<id>``."""

    type = "Loop"
    category = "control"
    bodies = ("body",)
    static = False
    params = (
        Param("mode", "choice", "count", choices=("count", "while")),
        Param("iterations", "int", 3, min=0, max=1_000_000, doc="how many times (count mode)"),
        Param("max_iterations", "int", 100, min=1, max=1_000_000,
              doc="guard for while mode and the largest run-time count n"),
        Param("state", "list", ["h"], item="string", min_len=1, doc="names of the carried values"),
    )
    example_params = {"iterations": 3}
    example_inputs = {"h": (4, 3)}

    @classmethod
    def check_params(cls, params, node=None):
        names = params["state"]
        if len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
            raise ParamError("state names are distinct identifiers", node=node, port="state",
                             found=names)
        if {"n", "iterations", "i", "continue"} & set(names):
            raise ParamError("state names n, i, iterations and continue are reserved", node=node,
                             port="state", found=names)

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(n) for n in params.get("state", ["h"])) + (
            Port("n", "scalar", (), optional=True, doc="run-time iteration count"),)

    @classmethod
    def output_ports(cls, params):
        return tuple(Port(n) for n in params.get("state", ["h"])) + (
            Port("iterations", "scalar", (), doc="how many times the body ran"),)

    @classmethod
    def body_interface(cls, params, body):
        names = params.get("state", ["h"])
        ins = tuple(Port(n) for n in names) + (Port("i", "scalar", (), optional=True),)
        cont = params.get("mode") != "while"
        outs = tuple(Port(n) for n in names) + (Port("continue", "bool", (), optional=cont),)
        return ins, outs

    @classmethod
    def make_body(cls, params, body):
        from ..document import Graph

        g = Graph()
        for n in params["state"]:
            inp = g.add("Input", name=n)
            g.add_output(inp, name=n)
        return g

    @classmethod
    def build(cls, node, ctx):
        p = node.read_params()
        body = body_call(node, ctx, "body")
        return LoopModule(body, p["state"], p["mode"], p["iterations"], p["max_iterations"])

    @classmethod
    def export(cls, node, ctx):
        p = node.read_params()
        ref = ctx.body("body")
        names = p["state"]
        state = dict(zip(names, ctx.outs))
        n = ctx.args[len(names)]
        body = f"{ctx.slot}.body.body"
        lines = [f"{state[k]} = {v}" for k, v in zip(names, ctx.args)]
        done = ctx.outs[len(names)]
        if p["mode"] == "count":
            i = ctx.fresh("i")
            count = str(p["iterations"]) if n == "None" else f"int({n})"
            cnt = ctx.fresh("count")
            call = ctx.call_body(ref, body, {**state, "i": f"torch.tensor(float({i}))"}, state)
            lines += [f"{cnt} = {count}", f"for {i} in range({cnt}):"] + indented([call])
            lines.append(f"{done} = torch.tensor(float({cnt}))")
            return ExportedNode(init=ctx.holder("body", ref), forward=lines)
        limit = str(p["max_iterations"]) if n == "None" else f"min(int({n}), {p['max_iterations']})"
        steps, cont, lim = ctx.fresh("steps"), ctx.fresh("cont"), ctx.fresh("limit")
        call = ctx.call_body(ref, body, {**state, "i": f"torch.tensor(float({steps}))"},
                             {**state, "continue": cont})
        lines += [f"{lim} = {limit}", f"{steps} = 0", f"while {steps} < {lim}:"]
        lines += indented([call, f"{steps} += 1", f"if not bool({cont}.all()):", "    break"])
        lines.append(f"{done} = torch.tensor(float({steps}))")
        return ExportedNode(init=ctx.holder("body", ref), forward=lines)


class LoopModule(nn.Module):
    static = False

    def __init__(self, body: BodyCall, state: list[str], mode: str, iterations: int, max_iterations: int):
        super().__init__()
        self.body = body
        self.names = list(state)
        self.mode, self.iterations, self.max_iterations = mode, iterations, max_iterations

    def forward(self, *args):
        state = dict(zip(self.names, args[: len(self.names)]))
        n = args[len(self.names)]
        if inferring():
            out = self.body(**state, i=torch.zeros(()))
            for name in self.names:
                check_same_shape(name, state[name], out[name], "", "the loop body")
            return (*[out[k] for k in self.names], torch.zeros(()))
        if n is not None:
            n = run_time_count(n, self.max_iterations)
        if self.mode == "count":
            count = self.iterations if n is None else n
            for i in range(count):
                out = self.body(**state, i=torch.tensor(float(i)))
                state = {k: out[k] for k in self.names}
            done = count
        else:
            limit = self.max_iterations if n is None else n
            done = 0
            while done < limit:
                out = self.body(**state, i=torch.tensor(float(done)))
                state = {k: out[k] for k in self.names}
                done += 1
                if not bool(out["continue"].all()):
                    break
        return (*[state[k] for k in self.names], torch.tensor(float(done)))


def run_time_count(n, cap: int) -> int:
    """The `n` input as an int: one finite whole number in ``0..cap``, else an error on
    port `n` (the compiled graph adds the node). Truncating 2.7 to 2 would hide a bug;
    10**12 from a data file would run for days."""
    t = torch.as_tensor(n)
    if t.numel() != 1:
        raise RuntimeGraphError("the iteration count n is one number", port="n",
                                expected="a scalar", found=f"shape {list(t.shape)}")
    v = t.item()
    if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, float) and v.is_integer())):
        raise RuntimeGraphError("the iteration count n is a whole number", port="n",
                                expected="an integer value", found=v)
    if not 0 <= v <= cap:
        raise RuntimeGraphError("the iteration count n is out of range", port="n",
                                expected=f"0..{cap} (max_iterations)", found=v,
                                hint="raise the Loop's max_iterations if the count is right")
    return int(v)
