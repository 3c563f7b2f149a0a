"""The vector field an ODE solver calls: a compiled body graph behind `f(t, y)`.

The solver calls the field hundreds of times per solve, so the body's plan is turned into
one straight-line Python function (as torch.fx turns a graph into code): no slot list, no
loop over steps. When that fast call raises, the body runs again through the general path
so the error names the node inside the body that failed.
"""

from __future__ import annotations

from torch import nn

from ..errors import ShapeMismatch


def _slot_names(body) -> dict:
    """A variable name per slot of a CompiledGraph's plan (-1, an unwired input: None)."""
    names = {s: f"v{s}" for s in range(body._nslots)}
    names[-1] = "None"
    return names


def _step_lines(body, names: dict, scope: dict, indent: str) -> list[str]:
    """One line per step of the plan (``v3 = m1(v0, v2)``); the step functions go into
    `scope` as ``m0``, ``m1``, ..."""
    lines = []
    for k, (_nid, fn, ins, outs, *_where) in enumerate(body._steps):
        scope[f"m{k}"] = fn
        call = f"m{k}({', '.join(names[i] for i in ins)})"
        if len(outs) == 1:
            lines.append(f"{indent}{names[outs[0]]} = {call}")
        else:
            lines.append(f"{indent}{', '.join(names[o] for o in outs)}, = {call}")
    return lines


def straight_line(body) -> callable:
    """Python source for a CompiledGraph's plan, compiled to a function of its inputs."""
    names = _slot_names(body)
    scope: dict = {}
    lines = [f"def run({', '.join(names[s] for s in body._input_slots)}):",
             *_step_lines(body, names, scope, "    ")]
    lines.append(f"    return ({', '.join(names[s] for s in body._output_slots)},)")
    exec(compile("\n".join(lines), f"<diffwire body {body.path}>", "exec"), scope)
    return scope["run"]


class Counts:
    """Evaluations and steps of the current solve, and the latest derivative."""

    __slots__ = ("nfe", "accepted", "rejected", "last")

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.nfe = self.accepted = self.rejected = 0
        self.last = None


def field_function(body, counts: Counts, on_error) -> callable:
    """The whole vector field as one generated ``f(t, y)``: count the call, run the body's
    steps in line, check that `dy` has the state's shape, keep it as ``counts.last``.

    This is what the solvers call: no module wrapper, no argument lists, no output tuple,
    so a diffwire field costs what a hand-written ``forward`` does. The body's blocks are
    still called as modules (their hooks run). `on_error(t, y)` runs when a step raises
    (it re-runs the body through the general path to name the failing node)."""
    names = _slot_names(body)
    for name, s in zip(body.input_names, body._input_slots):
        names[s] = "y" if name == "y" else "t"
    scope: dict = {"_counts": counts, "_on_error": on_error, "_bad_shape": _bad_shape}
    lines = _step_lines(body, names, scope, "        ")
    dy = names[body._output_slots[body.output_names.index("dy")]]
    defaults = ", ".join(f"{k}={k}" for k in scope)
    src = "\n".join([
        f"def f(t, y, {defaults}):",
        "    _counts.nfe += 1",
        "    try:",
        *lines,
        "    except Exception:",
        "        _on_error(t, y)",
        "        raise",
        f"    if {dy}.shape != y.shape:",
        f"        _bad_shape({dy}, y)",
        f"    _counts.last = {dy}",
        f"    return {dy}",
    ])
    exec(compile(src, f"<diffwire field {body.path}>", "exec"), scope)
    return scope["f"]


def _bad_shape(dy, y):
    raise ShapeMismatch("the vector field's dy has a different shape from the state y",
                        port="dy", expected=list(y.shape), found=list(dy.shape),
                        hint="the field body must return one derivative per state entry")


class VectorField(nn.Module):
    """`dy = f(t, y)` from a compiled body with Input `y`, optional Input `t`, Output `dy`.

    Counts function evaluations (`nfe`) and, through torchdiffeq's callbacks, accepted and
    rejected steps; `last` keeps the latest derivative for error reports. The solvers call
    `fn`, the generated function (see :func:`field_function`); the module holds the body's
    parameters and calls `fn` too.
    """

    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body
        self.order = [n for n in body.input_names]
        self._dy = body.output_names.index("dy")
        self._run = straight_line(body)
        self.counts = Counts()
        self.fn = field_function(body, self.counts, self._name_error)
        self._add_callbacks(self.fn, self.counts)

    # the generated functions hold this module's blocks: a copy or a pickle rebuilds them
    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("fn", None)
        state.pop("_run", None)
        state["counts"] = Counts()  # `last` may be a non-leaf tensor, which cannot be copied
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._run = straight_line(self.body)
        self.fn = field_function(self.body, self.counts, self._name_error)
        self._add_callbacks(self.fn, self.counts)

    def _add_callbacks(self, fn, counts: Counts) -> None:
        """torchdiffeq looks its step callbacks up on the function it integrates."""

    def _name_error(self, t, y) -> None:
        self.body.run(*[y if n == "y" else t for n in self.order])  # raises, naming the node

    def reset(self) -> None:
        self.counts.clear()

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
        return self.fn(t, y)


class StepCounting(VectorField):
    """A field that also listens to torchdiffeq's step callbacks (adaptive solvers)."""

    def _add_callbacks(self, fn, counts):
        def callback_accept_step(t0, y0, dt):
            counts.accepted += 1

        def callback_reject_step(t0, y0, dt):
            counts.rejected += 1

        fn.callback_accept_step = callback_accept_step
        fn.callback_reject_step = callback_reject_step

    def callback_accept_step(self, t0, y0, dt):
        self.counts.accepted += 1

    def callback_reject_step(self, t0, y0, dt):
        self.counts.rejected += 1


class FixedStepCounting(VectorField):
    """A field that counts the steps of torchdiffeq's fixed-grid solvers."""

    def _add_callbacks(self, fn, counts):
        def callback_step(t0, y0, dt):
            counts.accepted += 1

        fn.callback_step = callback_step

    def callback_step(self, t0, y0, dt):
        self.counts.accepted += 1
