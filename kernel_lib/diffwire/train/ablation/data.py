"""What every job of a graph ablation shares, read from the person's graph and its training
section: the inputs, the observed output, the time input, and (when the data are simulated
by one of diffwire's problems) the noise-free solution to the longest horizon."""

from __future__ import annotations

import dataclasses
import pathlib

import torch

from ...document import Graph
from ...errors import GraphError
from ...ode.problems import PROBLEMS
from .. import config
from ..data import resolve
from ..windows import WindowSampler, window_name
from .terms import solves


@dataclasses.dataclass
class Shared:
    inputs: dict
    t_name: str
    output: str
    target: torch.Tensor
    dim: int
    span: float
    grid: torch.Tensor | None
    truth: torch.Tensor | None
    budget: dict


def prepare(graph: Graph, root: pathlib.Path, horizons) -> Shared:
    """The data every variant trains on. Raises a GraphError naming the node and port
    when the ODESolve's y0 or t is not a graph input, or its output has no target."""
    if not graph.training or not graph.training.get("data"):
        raise GraphError("the graph has no training data to ablate with", port="training.data",
                         hint="fill in the Training panel (or dw.training_config) first")
    sid = solves(graph)[0]
    ins = graph.edges_into(sid)
    names = {}
    for port in ("y0", "t"):
        e = ins.get(port)
        src = graph.nodes.get(e.source) if e else None
        if src is None or src.type != "Input":
            raise GraphError(f"the ODESolve's {port} must come from a graph Input",
                             node=sid, port=port, found=src.type if src else "nothing")
        names[port] = src.params["name"]
    outs = [n for n in graph.outputs()
            if any(e.source == sid and e.target == n.id for e in graph.edges)]
    if not outs:
        raise GraphError("the ODESolve's y does not reach a graph Output", node=sid, port="y")
    output = outs[0].params["name"]
    cfg = config.resolve(graph)
    pair = next((p for p in cfg.loss if p.get("output") == output), None)
    target_name = (pair or {}).get("target") or output
    data = resolve({k: b for k, b in cfg.bindings.items()}, root=root)
    windowed = window_name(cfg.bindings)
    if windowed is not None:
        # every variant fits the whole trajectory; the window spec is still checked (a
        # window longer than the trajectory is named) and feeds the start state, y[0]
        data = WindowSampler(data, cfg.bindings, windowed, graph, seed=0, device="cpu").full()
    missing = [n for n in [*(i.params["name"] for i in graph.inputs()), target_name]
               if n not in data]
    if missing:
        raise GraphError("the training section binds no data to these names",
                         port=f"training.data.{missing[0]}", found=missing)
    inputs = {i.params["name"]: data[i.params["name"]] for i in graph.inputs()}
    t = inputs[names["t"]].double()
    span = float(t[-1] - t[0])
    if t.ndim != 1 or len(t) < 2 or span <= 0:
        raise GraphError("the time grid must be 1-D and increasing", node=sid, port="t",
                         found=list(t.shape))
    grid, truth = _truth(cfg.bindings.get(names["t"]), t, span, horizons)
    return Shared(inputs, names["t"], output, data[target_name],
                  int(inputs[names["y0"]].shape[-1]), span, grid, truth, _budget(cfg))


def _truth(binding, t: torch.Tensor, span: float, horizons):
    """The simulated problem's noise-free solution from t0 to the longest horizon, 50
    points per training span (as the spec ablation measures)."""
    if not binding or binding.get("source") != "generator" or binding.get("name") not in PROBLEMS:
        return None, None
    traj = PROBLEMS[binding["name"]](dtype=torch.float64, **(binding.get("kwargs") or {}))
    longest = max(horizons)
    grid = torch.linspace(float(t[0]), float(t[0]) + longest * span, 50 * longest + 1,
                          dtype=torch.float64)
    return grid, traj.truth(grid)


def _budget(cfg) -> dict:
    """The document's own schedule as an ablation budget: its Adam steps and rate, then
    its LBFGS steps (the UDE paper's schedule); other optimizers count as Adam steps."""
    out = {"adam": 0, "lr": 0.05, "lbfgs": 0}
    for i, ph in enumerate(cfg.phases):
        steps = cfg.phase_length(i)
        if ph.spec.get("kind") == "lbfgs":
            out["lbfgs"] += steps
        else:
            out["adam"] += steps
            out["lr"] = float(ph.spec.get("lr", out["lr"]))
    out["adam"] = out["adam"] or 100
    return out
