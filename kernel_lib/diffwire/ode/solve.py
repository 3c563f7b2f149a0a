"""ODESolve: integrate a vector-field body graph from an initial state over a time grid."""

from __future__ import annotations

import dataclasses
import inspect
import math

import torch
from torch import nn

from ..blocks.base import Block, ExportedNode
from ..blocks.body import check_same_shape
from ..context import batched, inferring
from ..equations import field_equations
from ..errors import GraphError, ShapeMismatch
from ..ports import Param, Port
from ..runtime import solvers
from . import compiled, fixed_step
from .field import FixedStepCounting, StepCounting, VectorField

#: torchdiffeq methods offered, named here rather than read off torchdiffeq's SOLVERS, whose
#: import pulls in scipy (40 MB that loading, checking and compiling a graph without a
#: torchdiffeq solve never use); tests/test_import_cost.py checks them against SOLVERS.
#: (torchdiffeq 0.2.x has no tsit5.)
TORCHDIFFEQ_METHODS = ("dopri5", "dopri8", "bosh3", "rk4", "euler", "midpoint")
FIXED_METHODS = ("rk4", "euler", "midpoint")
BUILTIN_METHODS = tuple(fixed_step.STEPS)
METHODS = TORCHDIFFEQ_METHODS + BUILTIN_METHODS


@dataclasses.dataclass
class SolverStats:
    """What the last solve cost: function evaluations (forward, and backward for the
    adjoint), accepted and rejected steps."""

    method: str = ""
    nfe: int = 0
    steps: int = 0
    rejected: int = 0
    nfe_backward: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class ODESolve(Block):
    """Integrates dy/dt = field(y, t) from the initial state `y0` over the time grid `t`
    and returns the trajectory `y` of shape [T, *y0.shape] (batched y0 [B, D] gives
    [T, B, D]). The `field` body takes Inputs `y` (and optionally `t`) and returns Output
    `dy` (body weights: ``blocks.<solve id>.field.body.blocks.<id>``). Solvers: torchdiffeq's (adjoint optional) or the built-in fixed-step RK4/Euler
    in plain torch, which `torch.compile` can trace."""

    type = "ODESolve"
    category = "ode"
    bodies = ("field",)
    body_modules = {"field": "field.body"}
    static = False
    inputs = (Port("y0", "state", doc="initial state, [D] or batched [B, D]"),
              Port("t", "time", ("T",), doc="strictly increasing time grid"))
    outputs = (Port("y", "state", doc="trajectory [T, *y0.shape]"),)
    params = (
        Param("method", "choice", "dopri5", choices=METHODS),
        Param("rtol", "float", 1e-6, min=0.0, doc="relative tolerance (adaptive methods)"),
        Param("atol", "float", 1e-8, min=0.0, doc="absolute tolerance (adaptive methods)"),
        Param("max_steps", "int", 10_000, min=1, max=10_000_000,
              doc="give up after this many steps (adaptive: between two output times); "
                  "1..10^7 (torchdiffeq counts in int32)"),
        Param("adjoint", "bool", False, doc="backpropagate by solving the adjoint ODE"),
        Param("step_size", "float", None, nullable=True, min=0.0,
              doc="fixed-step methods: largest step (default: the grid itself)"),
    )
    example_params = {"method": "builtin_rk4"}
    # the contract battery feeds random inputs; only a one-point grid is surely increasing
    example_inputs = {"y0": (3, 2), "t": (1,)}

    @classmethod
    def formula(cls, node, path, shapes):
        ys = shapes.get(path, {}).get("y") or []  # the solution, [T, D] or [T, B, D]
        dim = ys[-1] if ys and isinstance(ys[-1], int) else None
        return field_equations(node.body["field"], dim, shapes, f"{path}/field/")

    @classmethod
    def body_interface(cls, params, body):
        return ((Port("y", "state"), Port("t", "time", (), optional=True)),
                (Port("dy", "state"),))

    @classmethod
    def make_body(cls, params, body):
        from ..document import Graph

        g = Graph()
        y = g.add("Input", name="y", kind="state")
        decay = g.add("Neg", label="decay")
        g.connect(y, decay)
        g.add_output(decay, name="dy")
        return g

    @classmethod
    def check_params(cls, params, node=None):
        from ..errors import ParamError

        if params["adjoint"] and params["method"] in BUILTIN_METHODS:
            raise ParamError("the built-in fixed-step methods backpropagate directly; "
                             "adjoint needs a torchdiffeq method", node=node, port="adjoint",
                             expected=list(TORCHDIFFEQ_METHODS), found=params["method"])

    @classmethod
    def build(cls, node, ctx):
        p = node.params
        body = ctx.compile_body(node, "field")
        return ODESolveModule(body, method=p["method"], rtol=p["rtol"], atol=p["atol"],
                              max_steps=p["max_steps"], adjoint=p["adjoint"],
                              step_size=p["step_size"])

    @classmethod
    def export(cls, node, ctx):
        p = node.params
        ref = ctx.body("field")
        y0, t = ctx.args
        field, f = ctx.fresh(f"{node.id}_field"), ctx.fresh(f"{node.id}_f")
        tt, yy, dy = ctx.fresh("t"), ctx.fresh("y"), ctx.fresh("dy")
        call = ctx.call_body(ref, field, {"y": yy, "t": tt}, {"dy": dy})
        lines = [f"{field} = {ctx.slot}.field.body", "", f"def {f}({tt}, {yy}):",
                 f"    {call}", f"    return {dy}", ""]
        method = p["method"]
        if method in solvers.STEP_NAMES:
            ctx.helper("solve_fixed", _fixed_step_source())
            step = solvers.STEP_NAMES[method]
            size = "" if p["step_size"] is None else f", substeps({t}, {ctx.literal(p['step_size'])})"
            lines.append(ctx.assign(f"solve_fixed({f}, {y0}, {t}, {step}{size})"))
        else:
            if method in _TORCHDIFFEQ_FIXED:
                options = {} if not p["step_size"] else {"step_size": float(p["step_size"])}
            else:
                options = {"max_num_steps": int(p["max_steps"])}
            kw = (f"rtol={ctx.literal(p['rtol'])}, atol={ctx.literal(p['atol'])}, method={ctx.literal(method)}, "
                  f"options={ctx.literal(options)}")
            if p["adjoint"]:
                params = f"tuple(p for p in {field}.parameters() if p.requires_grad)"
                call = (f"torchdiffeq.odeint_adjoint({f}, {y0}, {t}, {kw}, adjoint_params={params}, "
                        f"adjoint_options={ctx.literal(options)})")
            else:
                call = f"torchdiffeq.odeint({f}, {y0}, {t}, {kw})"
            lines.append(ctx.assign(call))
        return ExportedNode(init=ctx.holder("field", ref), forward=lines)



#: torchdiffeq's fixed-step methods, which take a step size rather than a step budget
_TORCHDIFFEQ_FIXED = ("rk4", "euler", "midpoint")


def _fixed_step_source() -> str:
    """The runtime's fixed-step solver, verbatim, for an exported file (read when written)."""
    return "\n" + "\n\n".join(inspect.getsource(fn) for fn in solvers.SOURCES)


class ODESolveModule(nn.Module):
    """The compiled ODESolve node. `stats` describes the latest solve (see SolverStats)."""

    def __init__(self, body: nn.Module, method="dopri5", rtol=1e-6, atol=1e-8,
                 max_steps=10_000, adjoint=False, step_size=None):
        super().__init__()
        if method in BUILTIN_METHODS:
            wrapper = VectorField
        elif method in FIXED_METHODS:
            wrapper = FixedStepCounting
        else:
            wrapper = StepCounting
        self.field = wrapper(body)
        self.method, self.rtol, self.atol = method, rtol, atol
        self.max_steps, self.adjoint, self.step_size = max_steps, adjoint, step_size
        self.static = method in BUILTIN_METHODS and getattr(body, "static", True)
        self._stats = SolverStats(method)
        # the grid checked last: tensor, version, step_size, substeps, times as floats
        self._grid = (None, -1, None, None, None)

    def metrics(self) -> dict:
        """The latest solve's cost for each training record (``<node>/nfe``, ...)."""
        st = self.stats
        return {"nfe": st.nfe, "steps": st.steps, "rejected": st.rejected,
                "nfe_backward": st.nfe_backward}

    def forward(self, y0, t):
        if inferring():
            return self._infer(y0, t)
        try:
            return self._solve(y0, t)
        except GraphError as exc:
            # a fixable problem: under dw.train the run pauses with this message
            exc.pauses_run = True
            raise

    def _solve(self, y0, t):
        if torch.compiler.is_compiling():
            _check_grid(t)
        else:
            self._checked_grid(t)
        self.field.reset()
        if self.method in BUILTIN_METHODS:
            y = self._solve_builtin(y0, t)
        else:
            y = self._solve_torchdiffeq(y0, t)
        # straight into __dict__: nn.Module.__setattr__ costs more than the rest of this
        self.__dict__["_stats"] = SolverStats(self.method, self.field.nfe, self.field.accepted,
                                              self.field.rejected)
        # a finite sum means every entry is finite (one reduction instead of two); a sum
        # that overflowed is told apart by the full check
        # (not under an ensemble's vmap: a batched sum has no one value to read back; the
        # ensemble checks each member's loss instead)
        if not batched() and not math.isfinite(float(y.detach().sum())) \
                and not torch.isfinite(y).all():
            raise GraphError("the solution has NaN or inf values", port="y",
                             hint="the field may blow up on this horizon; lower the learning "
                                  "rate, shorten t, or check the field's terms")
        return y

    def _checked_grid(self, t):
        """Check the grid; the same tensor, unchanged since (its version counter), under the
        same step_size was checked already: return the substeps found then (builtin)."""
        try:
            version = t._version
        except RuntimeError:  # an inference-mode tensor keeps no version counter
            version = None
        grid, seen, step_size, n_sub, times = self._grid
        if t is grid and version is not None and version == seen and \
                step_size == self.step_size:
            return n_sub, times
        _check_grid(t)
        n_sub = times = None
        if self.method in BUILTIN_METHODS:
            if self.step_size:
                n_sub = fixed_step.substeps(t, self.step_size)
            times = t.detach().cpu().tolist()
        self.__dict__["_grid"] = (t, version, self.step_size, n_sub, times)
        return n_sub, times

    @property
    def stats(self) -> SolverStats:
        """The latest solve's cost; evaluations made since (the adjoint's backward solve)
        count as `nfe_backward`."""
        self._stats.nfe_backward = self.field.nfe - self._stats.nfe
        return self._stats

    def _infer(self, y0, t):
        if t.dim() != 1:
            raise ShapeMismatch("the time grid is one-dimensional", port="t", expected="[T]",
                                found=list(t.shape))
        out = self.field.body.run(*[y0 if n == "y" else t[0] for n in self.field.order])
        dy = out[self.field._dy]
        check_same_shape("dy", y0, dy, "", "the vector field")
        return y0.unsqueeze(0).expand(t.shape[0], *y0.shape)

    def _solve_builtin(self, y0, t):
        if torch.compiler.is_compiling():  # traced: tensor times, no host sync
            n_sub = fixed_step.substeps(t, self.step_size) if self.step_size else None
            times = None
        else:
            n_sub, times = self._checked_grid(t)
        total = sum(n_sub) if n_sub else t.shape[0] - 1
        if total > self.max_steps:
            raise GraphError("the fixed-step solve needs more steps than max_steps",
                             port="max_steps", expected=f"<= {self.max_steps}", found=total,
                             hint="raise max_steps or step_size")
        cstep = self.__dict__.get("compiled_step")
        if cstep is not None and times is not None and not t.requires_grad:
            y = self._solve_compiled(cstep, y0, times, n_sub)
            self.field.counts.nfe += total * fixed_step.STEPS[self.method][1]
        elif times is not None and "t" not in self.field.order and not t.requires_grad:
            y = fixed_step.solve_fixed_floats(self.field.fn, y0, times, self.method, n_sub)
        else:
            y = fixed_step.solve_fixed(self.field.fn, y0, t, self.method, n_sub)
        self.field.accepted = total
        return y

    def compile_solve(self, aoti: bool = True) -> str | None:
        """Solve with a compiled step from now on (:mod:`diffwire.ode.compiled`); returns
        why it cannot, leaving the solve as it is, or None. `aoti`: where the C writer does
        not cover the field, compile with AOTInductor (about 35 s) rather than run eager."""
        why = compiled.compilable(self)
        if why is None:
            dy = self.field.body.output_names.index("dy")
            try:
                step = compiled.CompiledStep(self.field.body, self.field._run, dy, self.method,
                                             aoti=aoti)
            except Exception as exc:  # noqa: BLE001 - no compiler here: the solve stays eager
                return f"torch.compile is not available: {type(exc).__name__}: {exc}"
            # a plain attribute, not a submodule: state_dict and copies stay as they were
            self.__dict__["compiled_step"] = step
        return why

    def uncompile_solve(self) -> None:
        self.__dict__.pop("compiled_step", None)

    def _solve_compiled(self, cstep, y0, times, n_sub):
        if cstep.ready:
            return compiled.solve(cstep, y0, times, n_sub)
        try:  # the first call compiles: a failure there falls back to the eager solve
            y = compiled.solve(cstep, y0, times, n_sub)
        except Exception as exc:  # noqa: BLE001 - any compiler failure means: run eager
            self.uncompile_solve()
            self.__dict__["compile_failure"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            compiled.log.warning("ODESolve: compiling the solve failed, running eager: %s",
                                 self.compile_failure)
            return fixed_step.solve_fixed_floats(self.field.fn, y0, times, self.method, n_sub)
        cstep.ready = True
        return y

    def _solve_torchdiffeq(self, y0, t):
        options = {}
        if self.method in FIXED_METHODS:
            if self.step_size:
                options["step_size"] = self.step_size
                total = int(float(t[-1] - t[0]) / self.step_size) + 1
                if total > self.max_steps:
                    raise GraphError("the fixed-step solve needs more steps than max_steps",
                                     port="max_steps", expected=f"<= {self.max_steps}",
                                     found=total, hint="raise max_steps or step_size")
        else:
            options["max_num_steps"] = self.max_steps
        kw = dict(rtol=self.rtol, atol=self.atol, method=self.method, options=options)
        import torchdiffeq  # on first use: it imports scipy (see TORCHDIFFEQ_METHODS)

        try:
            if self.adjoint:
                params = tuple(p for p in self.field.parameters() if p.requires_grad)
                return torchdiffeq.odeint_adjoint(self.field.fn, y0, t, adjoint_params=params,
                                                  adjoint_options=dict(options), **kw)
            # the generated field function itself, without a module wrapper per call
            return torchdiffeq.odeint(self.field.fn, y0, t, **kw)
        except AssertionError as exc:
            raise self._failure(str(exc)) from None

    def _failure(self, message: str) -> GraphError:
        last = self.field.last
        if last is not None and not torch.isfinite(last).all():
            return GraphError("the vector field returned NaN or inf", port="dy",
                              found=f"non-finite dy after {self.field.nfe} evaluations",
                              hint="check the field's terms and the state's range")
        if "max_num_steps" in message:
            return GraphError("the solver exhausted max_steps (a stiff problem, or tolerances "
                              "too tight)", port="max_steps", expected=f"<= {self.max_steps} steps",
                              found=f"{self.field.accepted} accepted, {self.field.rejected} "
                                    "rejected", hint="raise max_steps, loosen rtol/atol, or "
                                                     "shorten the time grid")
        return GraphError(f"the solver failed: {message}", hint="check the field and the grid")


def _check_grid(t: torch.Tensor) -> None:
    if t.dim() != 1 or t.shape[0] < 1:
        raise ShapeMismatch("the time grid is a one-dimensional tensor", port="t",
                            expected="[T]", found=list(t.shape))
    if t.shape[0] > 1 and not bool((t[1:] > t[:-1]).all()):
        raise GraphError("the time grid is not strictly increasing", port="t",
                         expected="t[i+1] > t[i]", found=_first_bad(t),
                         hint="sort the times and drop repeats")


def _first_bad(t: torch.Tensor) -> str:
    i = int(torch.nonzero(t[1:] <= t[:-1])[0])
    return f"t[{i}]={float(t[i]):g}, t[{i + 1}]={float(t[i + 1]):g}"


def solver_metrics(model: nn.Module) -> dict:
    """Totals over every ODESolve in `model` for a training record: ``nfe`` (forward and
    backward evaluations of the latest solve) and ``solver_steps``; empty without ODEs."""
    mods = model.__dict__.get("_diffwire_ode_modules")
    if mods is None:
        mods = [m for m in model.modules() if isinstance(m, ODESolveModule)]
        model.__dict__["_diffwire_ode_modules"] = mods
    if not mods:
        return {}
    stats = [m.stats for m in mods]
    return {"nfe": sum(s.nfe + s.nfe_backward for s in stats),
            "solver_steps": sum(s.steps for s in stats)}


def solver_stats(model: nn.Module) -> dict[str, dict]:
    """The latest SolverStats of every ODESolve inside `model`, by module path."""
    return {name: m.stats.as_dict() for name, m in model.named_modules()
            if isinstance(m, ODESolveModule)}
