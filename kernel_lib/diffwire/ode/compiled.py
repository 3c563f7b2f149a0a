"""A compiled fixed-step solve: the grid's RK4 (or Euler) steps as one scan of the step,
compiled by ``torch.compile`` (inductor) once per structure, forward and backward.

Why a scan and not the unrolled solve or a compiled step in a Python loop: the LV UDE's
eager step costs ~40 ms in dispatch over 30 steps x 4 stages of a 2-5-5-5-2 network,
which a compile removes; but tracing and lowering the unrolled solve (some 5,000 nodes
forward and backward) did not finish in 11 minutes on the 2-core machine, and a compiled
step called 30 times per solve spent ~1.3 ms a call in guards and wrappers (a training
step 2.9x faster than eager). The scan compiles one step's body (as fast as the single
step) and runs the loop inside compiled code: 6.3x faster than eager (bench/compiled_solve.py).

Compiled artifacts go to the on-disk inductor cache (:func:`cache_dir`), so a structure
compiles once per machine: a restarted kernel traces the solve again and loads the
compiled code from the cache. The step sizes are a tensor argument, so another grid of
the same length does not recompile.
"""

from __future__ import annotations

import logging
import os
import pathlib

import torch

log = logging.getLogger("diffwire.compile")

#: the torch.compile backend; tests may use "aot_eager" (the same traced graph, no codegen)
BACKEND = "inductor"


# read at import: torch writes its own default (/tmp/torchinductor_<user>) into the variable
# once inductor is imported, so only a value present before that is the user's choice
_USER_CACHE = os.environ.get("TORCHINDUCTOR_CACHE_DIR")


def cache_dir() -> pathlib.Path:
    """Where compiled code is kept: ``$TORCHINDUCTOR_CACHE_DIR`` when the user set it, else
    ``$DIFFWIRE_CACHE_DIR/inductor``, else ``$XDG_CACHE_HOME/diffwire/inductor`` (by default
    ``~/.cache/diffwire/inductor``). It survives kernel restarts and reboots, unlike torch's
    default under /tmp. Sets the variable torch reads."""
    if _USER_CACHE:
        return pathlib.Path(_USER_CACHE)
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


def scan_solve(step):
    """``solve(y0, dts, idx)``: `step` taken once per entry of `dts` as one
    ``torch._higher_order_ops.scan``, returning ``[y0, y1, ...]`` (rows `idx` of it when
    substeps leave points off the grid). A scan is compiled as one loop body: one call of
    compiled code per solve forward and one backward, where a Python loop over a compiled
    step made 30 calls of each and kept a third of eager's time."""
    from torch._higher_order_ops.scan import scan

    def body(y, dt):
        y = step(y, dt)
        return y, y.clone()  # a scan may not return its carry as its output too

    def solve(y0, dts, idx):
        _, ys = scan(body, y0, dts)
        out = torch.cat([y0.unsqueeze(0), ys])
        return out if idx is None else out.index_select(0, idx)

    return solve


def solve(step, y0: torch.Tensor, times: list[float], n_sub: list[int] | None) -> torch.Tensor:
    """Integrate with the :class:`CompiledStep` `step` over the float grid `times` (n_sub:
    substeps per interval); returns ``[len(times), *y0.shape]``."""
    dts: list[float] = []
    keep = [0]
    for i in range(len(times) - 1):
        n = 1 if n_sub is None else n_sub[i]
        dts += [(times[i + 1] - times[i]) / n] * n
        keep.append(len(dts))
    dt = torch.tensor(dts, dtype=y0.dtype, device=y0.device)
    if not step.warm:
        # blocks that prepare something on their first call (an Expression's closures)
        # must do it outside the traced loop, which may not change outside state
        with torch.no_grad():
            step.eager(y0, dt[0])
        step.warm = True
    idx = None if len(keep) == len(dts) + 1 else torch.tensor(keep, device=y0.device)
    return step.compiled(y0, dt, idx)


class CompiledStep:
    """What an ODESolve keeps when its solve is compiled: the compiled solve (a scan of the
    step, :func:`scan_solve`) and the eager step."""

    def __init__(self, run, dy: int, method: str):
        cache_dir()
        self.eager = step_function(run, dy, method)
        self.compiled = torch.compile(scan_solve(self.eager), backend=BACKEND, fullgraph=True,
                                      dynamic=False)
        self.warm = False
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
