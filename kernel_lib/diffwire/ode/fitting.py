"""A minimal fit for trajectories: Adam, then LBFGS (the UDE paper's schedule).

The background training engine (`dw.train`) is the product's way to train; this is the
small synchronous core that the ablation's worker processes and the benchmarks need: no
threads, no callbacks, nothing to pickle but tensors. Its step is the engine's own
(:func:`diffwire.runtime.step.closure_step`); only the schedule and the bookkeeping (best
weights, solver calls, the target) are its own.
"""

from __future__ import annotations

import copy
import dataclasses
import time

import torch

from .. import threads as thread_policy
from ..errors import GraphError
from ..runtime.step import closure_step


class _Reached(Exception):
    """Raised inside the closure to stop, before the update, once the target loss is reached."""


@dataclasses.dataclass
class FitResult:
    """What a fit did: the loss after each step, the final loss, wall time, whether it
    stopped early on a failed solve (`failure` holds the message), and solver evaluations."""

    history: list
    loss: float
    wall: float
    failure: str | None = None
    nfe: int = 0


def trajectory_loss(model, y0, t, y) -> torch.Tensor:
    """Mean squared error between the model's trajectory and the observations."""
    pred = model(y0=y0, t=t)
    return torch.mean((pred - y) ** 2)


def fit(model, y0, t, y, adam_steps: int = 200, lr: float = 0.1, lbfgs_steps: int = 0,
        loss_fn=trajectory_loss, target_loss: float | None = None,
        threads: int | None = None) -> FitResult:
    """Train `model(y0=..., t=...)` to match `y`: `adam_steps` of Adam at `lr`, then up to
    `lbfgs_steps` LBFGS iterations (strong Wolfe line search). A solve that fails (NaN,
    max_steps) ends the fit and restores the best weights seen. `target_loss` stops early
    once reached (for time-to-loss benchmarks). Torch threads follow the training policy
    (`threads`: a count, or None to choose; the caller's setting is put back after)."""
    with thread_policy.scoped(model, {"y": y}, threads):
        return _fit(model, y0, t, y, adam_steps, lr, lbfgs_steps, loss_fn, target_loss)


def lbfgs(params, steps: int) -> torch.optim.LBFGS:
    """The fit's LBFGS: up to `steps` iterations in one ``step()``, a strong Wolfe line
    search, tolerances small enough that the step budget, not convergence, ends it."""
    return torch.optim.LBFGS(params, lr=1.0, max_iter=steps, max_eval=int(steps * 1.5),
                             history_size=50, tolerance_grad=1e-12, tolerance_change=1e-14,
                             line_search_fn="strong_wolfe")


def _fit(model, y0, t, y, adam_steps, lr, lbfgs_steps, loss_fn, target_loss) -> FitResult:
    params = [p for p in model.parameters() if p.requires_grad]
    history: list[float] = []
    best = (float("inf"), copy.deepcopy(model.state_dict()))
    start = time.perf_counter()
    nfe = 0
    failure = None

    def record(loss: torch.Tensor, k: int) -> None:
        """Each evaluation: its solver calls, its loss, the best weights; stop at the target."""
        nonlocal best, nfe
        nfe += _nfe(model)
        value = loss.item()
        history.append(value)
        if value < best[0]:
            best = (value, copy.deepcopy(model.state_dict()))
        if target_loss is not None and value <= target_loss:
            raise _Reached

    def evaluate(k: int) -> torch.Tensor:
        return loss_fn(model, y0, t, y)

    try:
        phases = [(torch.optim.Adam(params, lr=lr), adam_steps)]
        if lbfgs_steps and params:
            phases.append((lbfgs(params, lbfgs_steps), 1))  # one step: lbfgs_steps iterations
        for opt, steps in phases:
            for _ in range(steps):
                closure_step(opt, evaluate, after=record)
    except _Reached:
        pass
    except GraphError as exc:
        failure = str(exc)
    if best[0] < float("inf"):
        model.load_state_dict(best[1])
    return FitResult(history, best[0], time.perf_counter() - start, failure, nfe)


def _nfe(model) -> int:
    from .solve import ODESolveModule

    return sum(m.stats.nfe + m.stats.nfe_backward for m in model.modules()
               if isinstance(m, ODESolveModule))
