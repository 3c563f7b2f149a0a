"""Random windows of one trajectory: what torchdiffeq's ``ode_demo`` trains a neural ODE on.

A neural ODE fitted to a long trajectory from its first state alone has to get every
later state right through one long solve; on short windows started from the data it
learns the local vector field first, with cheap solves. A trajectory binding that carries
a ``window`` spec turns a run's batches into such windows::

    "y":  {"source": "kernel", "name": "true_y",
           "window": {"length": 10, "batch_size": 20, "time": "t", "start": "y0"}},
    "t":  {"source": "kernel", "name": "t", "batch": false}

Every step draws `batch_size` distinct start indices `s` (fresh each step, a function of
the run's seed and the step alone, so a resumed run sees the same windows), and the step's
batch is

- `start` (the graph input for the initial state): ``y[s]``, shape [B, ...];
- `time`: the first `length` points of the grid, ``t[:length]``;
- the trajectory's own name (the loss target): ``y[s + i]`` for ``i < length``, stacked
  time-first, [length, B, ...], the layout ODESolve returns.

All windows share the grid ``t[:length]``, as in torchdiffeq's script: right for a field
that does not read `t` on a uniform grid, which is checked. The whole trajectory (what
snapshots, plots and recovery see) is ``{start: y[0], time: t, name: y}``.
"""

from __future__ import annotations

import torch

from ..document import Graph
from ..errors import GraphError

KEYS = ("length", "batch_size", "time", "start")


def window_name(bindings: dict) -> str | None:
    """The binding that carries a window spec, if any (at most one may)."""
    names = [k for k, b in bindings.items() if isinstance(b, dict) and "window" in b]
    if len(names) > 1:
        raise GraphError("only one trajectory can be windowed", port="training.data",
                         found=names)
    return names[0] if names else None


def provided(bindings: dict) -> set[str]:
    """Graph input names a window spec feeds besides the bindings themselves."""
    name = window_name(bindings)
    if name is None:
        return set()
    start = bindings[name]["window"].get("start")
    return {start} if isinstance(start, str) else set()


class WindowSampler:
    """A run's data when the trajectory `name` is windowed; the interface of
    :class:`~diffwire.train.data.Dataset` (`batch`, `full`, `validation`)."""

    def __init__(self, tensors: dict[str, torch.Tensor], bindings: dict, name: str,
                 graph: Graph, seed: int, device, val_split: float = 0.0):
        spec = bindings[name]["window"]
        self.name, self.seed = name, seed
        port = f"training.data.{name}.window"
        node = _solve_node(graph, spec.get("time") if isinstance(spec, dict) else None)
        if not isinstance(spec, dict) or set(spec) != set(KEYS):
            raise GraphError("a window is {length, batch_size, time, start}", node=node,
                             port=port, expected=list(KEYS),
                             found=sorted(spec) if isinstance(spec, dict) else repr(spec))
        traj = tensors[name]
        if traj.dim() < 2:
            raise GraphError("a windowed trajectory is time-first, [T, ...state]", node=node,
                             port=f"training.data.{name}", expected="[T, D]",
                             found=list(traj.shape))
        n = traj.shape[0]
        length, bs = spec["length"], spec["batch_size"]
        for key, v, lo in (("length", length, 2), ("batch_size", bs, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise GraphError(f"must be an integer >= {lo}", node=node, port=f"{port}.{key}",
                                 found=v)
        if length > n:
            raise GraphError(f"a window of {length} points is longer than the trajectory "
                             f"'{name}'", node=node, port=f"{port}.length",
                             expected=f"<= {n} (the trajectory's points)", found=length)
        if bs > n - length + 1:
            raise GraphError(f"only {n - length + 1} distinct windows of {length} points fit",
                             node=node, port=f"{port}.batch_size",
                             expected=f"<= {n - length + 1}", found=bs)
        tname, start = spec["time"], spec["start"]
        if tname not in tensors:
            raise GraphError(f"no data binding '{tname}' for the window's time grid",
                             node=node, port=f"{port}.time", expected=sorted(tensors),
                             found=tname)
        if start in tensors:
            raise GraphError(f"'{start}' is both bound and fed by the window", node=node,
                             port=f"{port}.start", hint="leave it out of the data")
        grid = tensors[tname]
        if grid.dim() != 1 or grid.shape[0] != n:
            raise GraphError(f"the time grid needs one point per point of '{name}'", node=node,
                             port=f"{port}.time", expected=[n], found=list(grid.shape))
        steps = grid[1:] - grid[:-1]
        if not torch.allclose(steps, steps[:1].expand_as(steps), rtol=1e-4, atol=1e-6):
            raise GraphError("windows share one grid, so the time grid must be uniform",
                             node=node, port=f"{port}.time", found="uneven spacing")
        if val_split:
            raise GraphError("a windowed run has no validation split", node=node,
                             port="training.val_split", expected=0.0, found=val_split)
        batched = [k for k, b in bindings.items()
                   if k not in (name, tname) and b.get("batch") is not False]
        if batched:
            raise GraphError("besides the windowed trajectory, data must be fixed arrays",
                             node=node, port=f"training.data.{batched[0]}",
                             hint='mark it "batch": false')
        self.traj = traj.to(device)
        self.grid = grid.to(device)
        self.time, self.start, self.length, self.batch_size = tname, start, length, bs
        self.whole = {k: v.to(device) for k, v in tensors.items() if k not in (name, tname)}
        self._offsets = torch.arange(length, device=self.traj.device)[:, None]

    def starts(self, step: int) -> torch.Tensor:
        """The start indices of step `step`: distinct, fresh every step."""
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        n_starts = self.traj.shape[0] - self.length + 1
        return torch.randperm(n_starts, generator=gen)[:self.batch_size].to(self.traj.device)

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        s = self.starts(step)
        return {**self.whole, self.start: self.traj[s], self.time: self.grid[:self.length],
                self.name: self.traj[s[None, :] + self._offsets]}

    def full(self) -> dict[str, torch.Tensor]:
        return {**self.whole, self.start: self.traj[0], self.time: self.grid,
                self.name: self.traj}

    def validation(self) -> None:
        return None


def _solve_node(graph: Graph, time_name) -> str | None:
    """The node the window feeds (the ODESolve reading the time input), for errors."""
    src = next((n.id for n in graph.inputs() if n.params.get("name") == time_name), None)
    for e in graph.edges:
        if e.source == src and graph.nodes[e.target].type == "ODESolve":
            return e.target
    solves = [n.id for n in graph.nodes.values() if n.type == "ODESolve"]
    return solves[0] if solves else src
