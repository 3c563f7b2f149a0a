"""The ``compile`` training option: compile what of the model compiles, or say why not.

A run with ``compile=True`` (or ``"auto"`` on a long run) asks every built-in fixed-step
ODESolve of its model to solve with a compiled step (:mod:`diffwire.ode.compiled`); the
rest of the step (loss, backward, optimizer update, checks) runs as before, so every
optimizer (LBFGS included), the NaN checks and ``run.set`` work unchanged. Whatever cannot
be compiled (data-dependent control flow, adaptive solvers, a field that reads t, a
compiler failure at the first step) runs eager: the reason is logged on the
``diffwire.compile`` logger and kept in ``run.compiled`` and the run's events, never
raised.
"""

from __future__ import annotations

from ..errors import ParamError
from ..ode import compiled as ode_compiled
from ..ode.solve import ODESolveModule

#: "auto" compiles a run with at least this many steps: the solve written as C compiles in
#: about 2 s on a 2-core machine, which the ~40x faster LV steps (30 ms -> 0.7 ms) repay
#: after ~70 steps.
AUTO_MIN_STEPS = 200
#: ... and lets a field the C writer does not cover go to AOTInductor only from this many:
#: its cold compile costs about 35 s, repaid after ~1,200 steps.
AUTO_AOTI_MIN_STEPS = 2000

log = ode_compiled.log


def check(value):
    """A ``compile`` option: True, False or ``"auto"`` (None: False)."""
    if value is None:
        return False
    if value is True or value is False or value == "auto":
        return value
    raise ParamError("compile is true, false or 'auto'", port="training.compile",
                     expected="true, false or 'auto'", found=repr(value))


def _solves(model):
    """(path, module) of every ODESolve module in `model`, bodies included."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, ODESolveModule)]


def _dynamic_nodes(model) -> list[str]:
    """Node paths of modules with data-dependent control flow (Loop, Conditional...)."""
    out = []
    for name, m in model.named_modules():
        if getattr(m, "static", True) is False and not hasattr(m, "_steps"):
            out.append(name.replace("blocks.", "").replace(".", "/"))
    return out


def apply(model, option, steps: int) -> dict:
    """Compile `model`'s solves as `option` asks; returns ``{"requested", "applied",
    "solves", "reason"}`` (reason: why some or all of it runs eager)."""
    record = {"requested": option, "applied": False, "solves": [], "reason": None}
    if option is False:
        record["reason"] = "compile=false"
        return record
    if option == "auto" and steps < AUTO_MIN_STEPS:
        record["reason"] = (f"compile='auto' and the run has {steps} steps (< {AUTO_MIN_STEPS}):"
                            " a compile would not pay for itself")
        return record
    solves = _solves(model)
    reasons = []
    dynamic = _dynamic_nodes(model)
    if dynamic:
        reasons.append(f"data-dependent control flow at {', '.join(dynamic[:5])} runs eager")
    for name, m in solves:
        why = m.compile_solve(aoti=option is True or steps >= AUTO_AOTI_MIN_STEPS)
        node = name.replace("blocks.", "").replace(".field.body", "/field").replace(".", "/")
        if why is None:
            record["solves"].append(node)
        else:
            reasons.append(f"{node}: {why}")
    if not solves:
        reasons.append("nothing to compile: only built-in fixed-step ODE solves "
                       "(builtin_rk4, builtin_euler) compile so far")
    record["applied"] = bool(record["solves"])
    record["reason"] = "; ".join(reasons) or None
    if record["reason"]:
        log.warning("compile: %s%s", "eager: " if not record["applied"] else "",
                    record["reason"])
    if record["applied"]:
        record["cache"] = str(ode_compiled.cache_dir())
    return record


def failures(model) -> list[str]:
    """Solves whose compile failed at their first call (they fell back to eager)."""
    return [f"{name}: {m.compile_failure}" for name, m in _solves(model)
            if "compile_failure" in m.__dict__]
