"""One ablation job: simulate, build, fit, evaluate. A plain function of plain data, so
the local process pool and Ray run the very same thing."""

from __future__ import annotations

import dataclasses
import math
import time

import torch

from .. import threads
from ..errors import GraphError
from .fitting import fit
from .problems import PROBLEMS
from .solve import solver_stats
from .spec import AblationSpec, Variant


@dataclasses.dataclass(frozen=True)
class Job:
    """What one worker does: `variant` of `spec`, with `seed`, on `fraction` of the data."""

    spec: AblationSpec
    variant: Variant
    seed: int
    fraction: float
    budget: dict
    horizons: tuple = (2, 10)


def subsample(n: int, fraction: float, seed: int) -> torch.Tensor:
    """Sorted indices of a seeded random `fraction` of n time points (the first always)."""
    if fraction >= 1.0:
        return torch.arange(n)
    keep = max(2, round(fraction * n))
    gen = torch.Generator().manual_seed(10_000 + seed)
    rest = torch.randperm(n - 1, generator=gen)[: keep - 1] + 1
    return torch.cat([torch.zeros(1, dtype=torch.long), rest.sort().values])


def run_job(job: Job) -> dict:
    """Train one variant and measure it; failures become inf errors, never exceptions."""
    spec, b = job.spec, job.budget
    data = PROBLEMS[spec.problem](seed=job.seed, dtype=torch.float64, **spec.problem_kwargs)
    idx = subsample(len(data.t), job.fraction, job.seed)
    t, y = data.t[idx], data.y[idx]
    model = spec.build(job.variant).compile(seed=job.seed).double()
    plan = threads.for_worker(model, {"y": y})
    start = time.perf_counter()
    result = fit(model, data.y0, t, y, adam_steps=b.get("adam", 100), lr=b.get("lr", 0.1),
                 lbfgs_steps=b.get("lbfgs", 0), threads=plan.intra)
    wall = time.perf_counter() - start
    span = float(data.t[-1] - data.t[0])
    row = {
        "variant": job.variant.name, "kind": job.variant.kind, "terms": list(job.variant.terms),
        "seed": job.seed, "fraction": job.fraction, "train_loss": result.loss,
        "wall_s": wall, "failure": result.failure,
        "params": sum(p.numel() for p in model.parameters()), "threads": plan.intra,
    }
    with torch.no_grad():
        try:
            model(y0=data.y0, t=data.t)
            stats = solver_stats(model)
            row["nfe"] = sum(s["nfe"] for s in stats.values()) if stats else 0
        except GraphError:
            row["nfe"] = math.nan
        row.update(evaluate(model, data, span, job.horizons))
    return row


def evaluate(model, data, span: float, horizons=(2, 10), max_steps: int = 2000) -> dict:
    """RMSE against the noise-free truth: on the training span (interpolation) and past it
    up to each horizon (extrapolation). One solve to the longest horizon serves all; a
    solve that diverges or exhausts `max_steps` (adaptive methods) scores inf."""
    from .solve import BUILTIN_METHODS, FIXED_METHODS, ODESolveModule

    longest = max(horizons)
    grid = torch.linspace(0, longest * span, 50 * longest + 1, dtype=torch.float64)
    for m in model.modules():
        if isinstance(m, ODESolveModule) and m.method not in FIXED_METHODS + BUILTIN_METHODS:
            m.max_steps = min(m.max_steps, max_steps)
    out = {"interp_rmse": math.inf, **{f"extrap{h}x_rmse": math.inf for h in horizons}}
    try:
        pred = model(y0=data.y0, t=grid)
    except GraphError:
        return out
    err = ((pred - data.truth(grid)) ** 2).sum(-1)
    out["interp_rmse"] = _root_mean(err[grid <= span + 1e-9])
    for h in horizons:
        out[f"extrap{h}x_rmse"] = _root_mean(err[(grid > span + 1e-9) & (grid <= h * span + 1e-9)])
    return out


def _root_mean(err: torch.Tensor) -> float:
    value = float(torch.sqrt(err.mean()))
    return value if math.isfinite(value) else math.inf
