"""The vector field an ODE solver calls: a compiled body graph behind `f(t, y)`.

The solver calls the field hundreds of times per solve, so the body's plan is turned into
one straight-line Python function (as torch.fx turns a graph into code): no slot list, no
loop over steps. When that fast call raises, the body runs again through the general path
so the error names the node inside the body that failed.
"""

from __future__ import annotations

from torch import nn

from ..errors import ShapeMismatch


def straight_line(body) -> callable:
    """Python source for a CompiledGraph's plan, compiled to a function of its inputs."""
    names = {s: f"v{s}" for s in range(body._nslots)}
    names[-1] = "None"
    args = [names[s] for s in body._input_slots]
    lines = [f"def run({', '.join(args)}):"]
    scope: dict = {}
    for k, (_nid, fn, ins, outs) in enumerate(body._steps):
        scope[f"m{k}"] = fn
        call = f"m{k}({', '.join(names[i] for i in ins)})"
        if len(outs) == 1:
            lines.append(f"    {names[outs[0]]} = {call}")
        else:
            lines.append(f"    {', '.join(names[o] for o in outs)}, = {call}")
    lines.append(f"    return ({', '.join(names[s] for s in body._output_slots)},)")
    exec(compile("\n".join(lines), f"<diffwire body {body.path}>", "exec"), scope)
    return scope["run"]


class Counts:
    """Evaluations and steps of the current solve, and the latest derivative."""

    __slots__ = ("nfe", "accepted", "rejected", "last")

    def __init__(self):
        self.nfe = self.accepted = self.rejected = 0
        self.last = None


class VectorField(nn.Module):
    """`dy = f(t, y)` from a compiled body with Input `y`, optional Input `t`, Output `dy`.

    Counts function evaluations (`nfe`) and, through torchdiffeq's callbacks, accepted and
    rejected steps; `last` keeps the latest derivative for error reports.
    """

    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body
        self.order = [n for n in body.input_names]
        self._dy = body.output_names.index("dy")
        self._run = straight_line(body)
        self.reset()

    def reset(self) -> None:
        self.counts = Counts()

    # nn.Module.__setattr__ is slow; the per-call counters live on a plain object.
    @property
    def nfe(self) -> int:
        return self.counts.nfe

    @property
    def accepted(self) -> int:
        return self.counts.accepted

    @accepted.setter
    def accepted(self, value: int) -> None:
        self.counts.accepted = value

    @property
    def rejected(self) -> int:
        return self.counts.rejected

    @property
    def last(self):
        return self.counts.last

    def forward(self, t, y):
        counts = self.counts
        counts.nfe += 1
        args = [y if n == "y" else t for n in self.order]
        try:
            dy = self._run(*args)[self._dy]
        except Exception:
            self.body.run(*args)  # re-raises with the failing node's name
            raise
        if dy.shape != y.shape:
            raise ShapeMismatch("the vector field's dy has a different shape from the state y",
                                port="dy", expected=list(y.shape), found=list(dy.shape),
                                hint="the field body must return one derivative per state entry")
        counts.last = dy
        return dy


class StepCounting(VectorField):
    """A field that also listens to torchdiffeq's step callbacks (adaptive solvers)."""

    def callback_accept_step(self, t0, y0, dt):
        self.counts.accepted += 1

    def callback_reject_step(self, t0, y0, dt):
        self.counts.rejected += 1


class FixedStepCounting(VectorField):
    """A field that counts the steps of torchdiffeq's fixed-grid solvers."""

    def callback_step(self, t0, y0, dt):
        self.counts.accepted += 1
