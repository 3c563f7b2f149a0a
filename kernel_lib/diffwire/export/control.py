"""Exporters of the control-flow blocks: loops and branches as ordinary Python.

A body becomes a class of its own; the node's submodule nests it exactly where the
compiled graph does (``blocks.<loop>.body.body.blocks...``), so weights load as they are.
"""

from __future__ import annotations

from ..blocks.base import ExportedNode
from .registry import exporter


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@exporter("Loop")
def loop(node, ctx):
    p = node.params
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
        lines += [f"{cnt} = {count}", f"for {i} in range({cnt}):"] + _indent([call])
        lines.append(f"{done} = torch.tensor(float({cnt}))")
        return ExportedNode(init=f"Slots(body=Slots(body={ref.cls}()))", forward=lines)
    limit = str(p["max_iterations"]) if n == "None" else f"min(int({n}), {p['max_iterations']})"
    steps, cont, lim = ctx.fresh("steps"), ctx.fresh("cont"), ctx.fresh("limit")
    call = ctx.call_body(ref, body, {**state, "i": f"torch.tensor(float({steps}))"},
                         {**state, "continue": cont})
    lines += [f"{lim} = {limit}", f"{steps} = 0", f"while {steps} < {lim}:"]
    lines += _indent([call, f"{steps} += 1", f"if not bool({cont}.all()):", "    break"])
    lines.append(f"{done} = torch.tensor(float({steps}))")
    return ExportedNode(init=f"Slots(body=Slots(body={ref.cls}()))", forward=lines)


@exporter("Conditional")
def conditional(node, ctx):
    p = node.params
    then, other = ctx.body("then"), ctx.body("else")
    cond, values = ctx.args[0], dict(zip(p["inputs"], ctx.args[1:]))
    outs = dict(zip(p["outputs"], ctx.outs))
    init = f"Slots(then=Slots(body={then.cls}()), other=Slots(body={other.cls}()))"
    if p["mode"] == "branch":
        lines = [f"if bool({cond}):"]
        lines += _indent([ctx.call_body(then, f"{ctx.slot}.then.body", values, outs)])
        lines += ["else:"]
        lines += _indent([ctx.call_body(other, f"{ctx.slot}.other.body", values, outs)])
        return ExportedNode(init=init, forward=lines)
    a = {k: ctx.fresh(f"then_{k}") for k in p["outputs"]}
    b = {k: ctx.fresh(f"else_{k}") for k in p["outputs"]}
    lines = [ctx.call_body(then, f"{ctx.slot}.then.body", values, a),
             ctx.call_body(other, f"{ctx.slot}.other.body", values, b)]
    for k in p["outputs"]:
        mask = f"{cond}.reshape({cond}.shape + (1,) * ({a[k]}.dim() - {cond}.dim()))"
        lines.append(f"{outs[k]} = torch.where({mask}, {a[k]}, {b[k]})")
    return ExportedNode(init=init, forward=lines)


@exporter("Group")
def group(node, ctx):
    p = node.params
    ref = ctx.body("body")
    call = ctx.call_body(ref, f"{ctx.slot}.body.body", dict(zip(p["inputs"], ctx.args)),
                         dict(zip(p["outputs"], ctx.outs)))
    return ExportedNode(init=f"Slots(body=Slots(body={ref.cls}()))", forward=[call])


@exporter("Map")
def map_(node, ctx):
    p = node.params
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
    lines += [f"for {t} in range({first}.shape[{dim}]):"] + _indent(body)
    lines += [f"{results[n]} = torch.stack({lists[n]}, dim={dim})" for n in p["outputs"]]
    return ExportedNode(init=f"Slots(body=Slots(body={ref.cls}()))", forward=lines)
