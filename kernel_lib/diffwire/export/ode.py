"""Exporter of the ODESolve block: a torchdiffeq call, or the built-in fixed-step solve
written out as plain torch (no solver objects), as the compiled module runs it."""

from __future__ import annotations

from ..blocks.base import ExportedNode
from .names import literal
from .nodes import exporter

FIXED_STEP = '''
def rk4_step(f, t0, dt, y0):
    """One RK4 step (Kutta's 3/8 rule, as torchdiffeq's rk4): the increment."""
    k1 = f(t0, y0)
    k2 = f(t0 + dt / 3, y0 + dt * k1 / 3)
    k3 = f(t0 + dt * 2 / 3, y0 + dt * (k2 - k1 / 3))
    k4 = f(t0 + dt, y0 + dt * (k1 - k2 + k3))
    return (k1 + 3 * (k2 + k3) + k4) * dt * 0.125


def euler_step(f, t0, dt, y0):
    """One explicit Euler step: the increment."""
    return dt * f(t0, y0)


def solve_fixed(f, y0, t, step, step_size=None):
    """Integrate dy/dt = f(t, y) over the grid t with a fixed-step method; returns
    [len(t), *y0.shape]. With step_size, each interval takes equal substeps no longer
    than it."""
    ys = [y0]
    y = y0
    gaps = (t[1:] - t[:-1]).detach().cpu().tolist() if step_size else []
    for i in range(t.shape[0] - 1):
        n = max(1, math.ceil(gaps[i] / step_size - 1e-4)) if step_size else 1
        dt = (t[i + 1] - t[i]) / n
        for k in range(n):
            y = y + step(f, t[i] + k * dt, dt, y)
        ys.append(y)
    return torch.stack(ys)
'''

_FIXED = {"builtin_rk4": "rk4_step", "builtin_euler": "euler_step"}
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
    if method in _FIXED:
        ctx.helper("solve_fixed", FIXED_STEP)
        size = "" if p["step_size"] is None else f", step_size={literal(p['step_size'])}"
        lines.append(ctx.assign(f"solve_fixed({f}, {y0}, {t}, {_FIXED[method]}{size})"))
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
