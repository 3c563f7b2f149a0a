"""Exporter of the ODESolve block: a torchdiffeq call, or the built-in fixed-step solve
written out as plain torch (no solver objects), as the compiled module runs it."""

from __future__ import annotations

import inspect

from ..blocks.base import ExportedNode
from ..runtime import solvers
from .names import literal
from .registry import exporter


def fixed_step_source() -> str:
    """The runtime's fixed-step solver, verbatim (read when a file is written)."""
    return "\n" + "\n\n".join(inspect.getsource(fn) for fn in solvers.SOURCES)


_TORCHDIFFEQ_FIXED = ("rk4", "euler", "midpoint")


@exporter("ODESolve")
def ode_solve(node, ctx):
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
        ctx.helper("solve_fixed", fixed_step_source())
        step = solvers.STEP_NAMES[method]
        size = "" if p["step_size"] is None else f", substeps({t}, {literal(p['step_size'])})"
        lines.append(ctx.assign(f"solve_fixed({f}, {y0}, {t}, {step}{size})"))
    else:
        if method in _TORCHDIFFEQ_FIXED:
            options = {} if not p["step_size"] else {"step_size": float(p["step_size"])}
        else:
            options = {"max_num_steps": int(p["max_steps"])}
        kw = (f"rtol={literal(p['rtol'])}, atol={literal(p['atol'])}, method={literal(method)}, "
              f"options={literal(options)}")
        if p["adjoint"]:
            params = f"tuple(p for p in {field}.parameters() if p.requires_grad)"
            call = (f"torchdiffeq.odeint_adjoint({f}, {y0}, {t}, {kw}, adjoint_params={params}, "
                    f"adjoint_options={literal(options)})")
        else:
            call = f"torchdiffeq.odeint({f}, {y0}, {t}, {kw})"
        lines.append(ctx.assign(call))
    return ExportedNode(init=f"Slots(field=Slots(body={ref.cls}()))", forward=lines)
