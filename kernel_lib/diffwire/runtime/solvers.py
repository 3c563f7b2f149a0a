"""Fixed-step ODE solvers in plain torch: no solver objects, no `.item()`, so
`torch.compile` can trace the whole solve. The library's ODESolve runs these
(:mod:`diffwire.ode.fixed_step`) and an exported file holds their source (:data:`SOURCES`).

`rk4_step` is Kutta's 3/8 rule, the same step torchdiffeq's ``rk4`` takes, so the two agree
to rounding on the same grid.
"""

import math

import torch


def euler_step(f, t0, dt, y0):
    """One explicit Euler step: the increment."""
    return dt * f(t0, y0)


def rk4_step(f, t0, dt, y0):
    """One RK4 step (Kutta's 3/8 rule, as torchdiffeq's rk4): the increment."""
    k1 = f(t0, y0)
    k2 = f(t0 + dt / 3, y0 + dt * k1 / 3)
    k3 = f(t0 + dt * 2 / 3, y0 + dt * (k2 - k1 / 3))
    k4 = f(t0 + dt, y0 + dt * (k1 - k2 + k3))
    return (k1 + 3 * (k2 + k3) + k4) * dt * 0.125


def substeps(t, step_size):
    """How many equal substeps each interval of the grid `t` takes so none is longer than
    `step_size` (one each when it is None)."""
    if step_size is None:
        return [1] * (len(t) - 1)
    gaps = (t[1:] - t[:-1]).detach().cpu().tolist()
    # a gap a hair over a whole number of steps (float32 grids) does not earn an extra step
    return [max(1, math.ceil(g / step_size - 1e-4)) for g in gaps]


def solve_fixed(f, y0, t, step, n_sub=None):
    """Integrate dy/dt = f(t, y) from y0 over the grid t with `step` (:func:`rk4_step` or
    :func:`euler_step`), taking `n_sub[i]` equal substeps in interval i (one each when
    omitted, which keeps the loop free of data-dependent control flow); returns
    [len(t), *y0.shape]."""
    ys = [y0]
    y = y0
    for i in range(t.shape[0] - 1):
        n = 1 if n_sub is None else n_sub[i]
        dt = (t[i + 1] - t[i]) / n
        ti = t[i]
        for k in range(n):
            y = y + step(f, ti + k * dt, dt, y)
        ys.append(y)
    return torch.stack(ys)


#: method name -> its step function, as an exported file names it.
STEP_NAMES = {"builtin_rk4": "rk4_step", "builtin_euler": "euler_step"}

#: the functions an exported file needs for a fixed-step solve, in order.
SOURCES = [euler_step, rk4_step, substeps, solve_fixed]
