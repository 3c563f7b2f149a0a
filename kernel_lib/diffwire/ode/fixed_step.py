"""Fixed-step solvers in plain torch: no solver objects, no `.item()`, so `torch.compile`
can trace the whole solve. For small problems the per-step Python overhead of a general
solver dominates; these loops are as short as a solve can be.

`rk4` is Kutta's 3/8 rule, the same step torchdiffeq's ``rk4`` takes, so the two agree to
rounding on the same grid."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

Field = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def euler_step(f: Field, t0, dt, y0):
    """One explicit Euler step: the increment."""
    return dt * f(t0, y0)


def rk4_step(f: Field, t0, dt, y0):
    """One RK4 (3/8 rule) step: the increment."""
    k1 = f(t0, y0)
    k2 = f(t0 + dt / 3, y0 + dt * k1 / 3)
    k3 = f(t0 + dt * 2 / 3, y0 + dt * (k2 - k1 / 3))
    k4 = f(t0 + dt, y0 + dt * (k1 - k2 + k3))
    return (k1 + 3 * (k2 + k3) + k4) * dt * 0.125


STEPS = {"builtin_euler": (euler_step, 1), "builtin_rk4": (rk4_step, 4)}


def substeps(t: torch.Tensor, step_size: float | None) -> list[int]:
    """How many equal substeps each grid interval takes so none exceeds `step_size`."""
    if step_size is None:
        return [1] * (len(t) - 1)
    gaps = (t[1:] - t[:-1]).detach().cpu().tolist()
    # a gap a hair over a whole number of steps (float32 grids) does not earn an extra step
    return [max(1, math.ceil(g / step_size - 1e-4)) for g in gaps]


def solve_fixed(f: Field, y0: torch.Tensor, t: torch.Tensor, method: str,
                n_sub: list[int] | None = None) -> torch.Tensor:
    """Integrate `dy/dt = f(t, y)` from `y0` over grid `t`; returns ``[len(t), *y0.shape]``.

    **Arguments:**

    - `method`: ``builtin_rk4`` or ``builtin_euler``.
    - `n_sub`: substeps per interval (from :func:`substeps`); one each when omitted, which
      keeps the loop free of data-dependent control flow.
    """
    step = STEPS[method][0]
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
