"""A compiled fixed-step solve: one RK4 (or Euler) step of the vector field, compiled by
``torch.compile`` (inductor) once per structure, called once per step of the grid.

Why one step and not the whole solve or the whole training step: the LV UDE's eager step
costs ~40 ms in dispatch over 30 steps x 4 stages of a 2-5-5-5-2 network, which a compile
removes; but tracing and lowering the unrolled solve (some 5,000 nodes forward and
backward) took minutes of CPU on a 2-core machine, where one step (four field
evaluations) compiles in seconds and its backward is compiled with it (AOTAutograd). The
Python loop that remains is 30 calls of a compiled function per solve.

Compiled artifacts go to the on-disk inductor cache (:func:`cache_dir`), so a structure
compiles once per machine: a restarted kernel traces the step again (about a second) and
loads the compiled code from the cache. The step's size is a tensor argument, so grids
with unequal steps do not recompile.
"""

from __future__ import annotations

import logging
import os
import pathlib

import torch

log = logging.getLogger("diffwire.compile")

#: the torch.compile backend; tests may use "aot_eager" (the same traced graph, no codegen)
BACKEND = "inductor"


def cache_dir() -> pathlib.Path:
    """Where compiled code is kept: ``$TORCHINDUCTOR_CACHE_DIR`` when the user set it, else
    ``$DIFFWIRE_CACHE_DIR/inductor``, else ``$XDG_CACHE_HOME/diffwire/inductor`` (by default
    ``~/.cache/diffwire/inductor``). It survives kernel restarts and reboots, unlike torch's
    default under /tmp. Sets the variable torch reads."""
    given = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    if given:
        return pathlib.Path(given)
    root = os.environ.get("DIFFWIRE_CACHE_DIR")
    if root:
        path = pathlib.Path(root) / "inductor"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
        path = pathlib.Path(base) / "diffwire" / "inductor"
    path.mkdir(parents=True, exist_ok=True)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(path)
    return path


def step_function(run, dy: int, method: str):
    """``step(y, dt) -> y_next`` of a field body's straight-line function `run` (returns
    the body's outputs; `dy` indexes the derivative). The same arithmetic as the runtime's
    :func:`~diffwire.runtime.solvers.rk4_step` (Kutta's 3/8 rule) with `dt` a tensor."""

    def f(y):
        return run(y)[dy]

    if method == "builtin_euler":
        def step(y, dt):
            return y + dt * f(y)
    else:
        def step(y, dt):
            k1 = f(y)
            k2 = f(y + dt * k1 / 3)
            k3 = f(y + dt * (k2 - k1 / 3))
            k4 = f(y + dt * (k1 - k2 + k3))
            return y + (k1 + 3 * (k2 + k3) + k4) * dt * 0.125
    return step


def compile_step(run, dy: int, method: str):
    """The compiled step (see :func:`step_function`); compiles on its first call."""
    cache_dir()
    return torch.compile(step_function(run, dy, method), backend=BACKEND, fullgraph=True,
                         dynamic=False)


def solve(step, y0: torch.Tensor, times: list[float], n_sub: list[int] | None) -> torch.Tensor:
    """Integrate with `step` over the float grid `times` (n_sub: substeps per interval).

    A first step from an initial state that needs no gradient (data) is taken by the
    uncompiled step `step.eager` when there is one: its graph would differ in which inputs
    need gradients, and torch.compile would compile a second one for a single call."""
    first = getattr(step, "eager", None) if not y0.requires_grad else None
    ys = [y0]
    y = y0
    for i in range(len(times) - 1):
        n = 1 if n_sub is None else n_sub[i]
        dt = torch.tensor((times[i + 1] - times[i]) / n, dtype=y0.dtype, device=y0.device)
        for _ in range(n):
            y = (first or step.compiled)(y, dt)
            first = None
        ys.append(y)
    return torch.stack(ys)


class CompiledStep:
    """What an ODESolve keeps when its solve is compiled: the compiled step and its eager
    twin (the first step, and the check that compiling worked)."""

    def __init__(self, run, dy: int, method: str):
        self.eager = step_function(run, dy, method)
        self.compiled = compile_step(run, dy, method)
        self.ready = False  # set after the first compiled call succeeded


def compilable(module) -> str | None:
    """Why an ODESolve module's solve cannot be compiled, or None when it can."""
    if module.method not in ("builtin_rk4", "builtin_euler"):
        return (f"ODESolve method {module.method} adapts its steps to the data (torchdiffeq);"
                " only builtin_rk4 and builtin_euler compile")
    if "t" in module.field.order:
        return "the vector field reads t (only fields of y alone compile so far)"
    if not getattr(module.field.body, "static", True):
        return "the vector field has data-dependent control flow (a Loop or Conditional)"
    return None
