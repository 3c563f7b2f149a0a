"""Fixed-step solvers for ODESolve. The tensor-time steps are the runtime's
(:mod:`diffwire.runtime.solvers`), which an exported file embeds verbatim; the float-grid
steps below are the library's fast path only.

For small problems the per-step Python overhead of a general solver dominates; these loops
are as short as a solve can be."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..runtime import solvers
from ..runtime.solvers import euler_step, rk4_step, substeps

Field = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

__all__ = ["STEPS", "FLOAT_STEPS", "euler_step", "rk4_step", "substeps", "solve_fixed",
           "solve_fixed_floats"]

#: method -> (its step, field evaluations per step)
STEPS = {"builtin_euler": (euler_step, 1), "builtin_rk4": (rk4_step, 4)}


def solve_fixed(f: Field, y0: torch.Tensor, t: torch.Tensor, method: str,
                n_sub: list[int] | None = None) -> torch.Tensor:
    """Integrate `dy/dt = f(t, y)` from `y0` over grid `t`; returns ``[len(t), *y0.shape]``.

    **Arguments:**

    - `method`: ``builtin_rk4`` or ``builtin_euler``.
    - `n_sub`: substeps per interval (from :func:`substeps`); one each when omitted, which
      keeps the loop free of data-dependent control flow.
    """
    return solvers.solve_fixed(f, y0, t, STEPS[method][0], n_sub)


# -- the same solvers on a grid of Python floats ------------------------------------------
# For a field that does not read t, on a grid that needs no gradient: the step sizes are
# plain numbers, so each stage is one fused ``add(y, k, alpha=c)`` per term and no tensor
# arithmetic is spent on times. An RK4 step takes 10 tensor ops besides its four
# evaluations where the tensor-time form takes about 30, and backward has as many fewer
# nodes. Same steps as the runtime's, up to rounding (kept apart on purpose: an exported
# file runs the tensor-time form, which also serves fields that read t).

def euler_float(f: Field, y, dt: float):
    return y.add(f(None, y), alpha=dt)


def rk4_float(f: Field, y, dt: float):
    k1 = f(None, y)
    k2 = f(None, y.add(k1, alpha=dt / 3))
    k3 = f(None, y.add(k2, alpha=dt).sub(k1, alpha=dt / 3))
    k4 = f(None, y.add(k1, alpha=dt).sub(k2, alpha=dt).add(k3, alpha=dt))
    return (y.add(k1, alpha=dt * 0.125).add(k2, alpha=dt * 0.375).add(k3, alpha=dt * 0.375)
            .add(k4, alpha=dt * 0.125))


FLOAT_STEPS = {"builtin_euler": euler_float, "builtin_rk4": rk4_float}


def solve_fixed_floats(f: Field, y0: torch.Tensor, times: list[float], method: str,
                       n_sub: list[int] | None = None) -> torch.Tensor:
    """:func:`solve_fixed` for a field that ignores t (it is called with ``t=None``), with
    the grid given as Python floats (``t.tolist()``)."""
    step = FLOAT_STEPS[method]
    ys = [y0]
    y = y0
    for i in range(len(times) - 1):
        n = 1 if n_sub is None else n_sub[i]
        dt = (times[i + 1] - times[i]) / n
        for _ in range(n):
            y = step(f, y, dt)
        ys.append(y)
    return torch.stack(ys)
