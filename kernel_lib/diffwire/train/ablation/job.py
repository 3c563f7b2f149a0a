"""One job of a graph ablation: a variant's graph (as JSON), its data (as tensors), a seed
and a data fraction. Plain data in, a plain row out, so the local process pool and Ray
run the very same function; any failure becomes a row with its reason, never an
exception, so the experiment goes on."""

from __future__ import annotations

import dataclasses
import math
import time

import torch

from ...document import Graph
from ...errors import GraphError
from ...ode.fitting import fit
from ...ode.jobs import subsample
from ...ode.solve import BUILTIN_METHODS, FIXED_METHODS, ODESolveModule, solver_stats


@dataclasses.dataclass(frozen=True)
class GraphJob:
    """What one worker does. `inputs` are the graph's inputs on the training grid,
    `target` the observations of output `output`; `grid`/`truth` the noise-free solution
    to the longest horizon (None when the data are not from a simulated problem)."""

    graph: dict
    variant: str
    kind: str
    terms: tuple
    seed: int
    fraction: float
    budget: dict
    inputs: dict
    t_name: str
    output: str
    target: torch.Tensor
    span: float
    horizons: tuple = (2, 10)
    grid: torch.Tensor | None = None
    truth: torch.Tensor | None = None
    max_steps: int = 2000


def _out(value, name: str) -> torch.Tensor:
    return value[name] if isinstance(value, dict) else value


def run_graph_job(job: GraphJob) -> dict:
    """Train one variant with one seed on one fraction of the data and measure it."""
    row = {"variant": job.variant, "kind": job.kind, "terms": list(job.terms), "seed": job.seed,
           "fraction": job.fraction, "train_loss": math.inf, "interp_rmse": math.inf,
           **{f"extrap{h}x_rmse": math.inf for h in job.horizons}, "nfe": math.nan,
           "wall_s": 0.0, "params": 0, "n_obs": 0, "failure": None}
    start = time.perf_counter()
    try:
        _run(job, row)
    except Exception as exc:  # noqa: BLE001 - one variant's failure must not end the experiment
        row["failure"] = f"{type(exc).__name__}: {exc}"[:500]
    row["wall_s"] = time.perf_counter() - start
    return row


def _run(job: GraphJob, row: dict) -> None:
    b = job.budget
    model = Graph.from_dict(job.graph).compile(seed=job.seed).double()
    inputs = {k: v.double() if v.is_floating_point() else v for k, v in job.inputs.items()}
    t_full = inputs[job.t_name]
    idx = subsample(len(t_full), job.fraction, job.seed)
    target = job.target.double()[idx]

    def loss_fn(model, y0, t, y):
        return torch.mean((_out(model(**{**inputs, job.t_name: t}), job.output) - y) ** 2)

    row["params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    row["n_obs"] = target.numel()
    result = fit(model, None, t_full[idx], target, adam_steps=b.get("adam", 100),
                 lr=b.get("lr", 0.05), lbfgs_steps=b.get("lbfgs", 0), loss_fn=loss_fn,
                 threads=1)
    row["train_loss"] = result.loss
    row["failure"] = result.failure
    row.update(information_criteria(result.loss, row["n_obs"], row["params"]))
    with torch.no_grad():
        try:
            model(**inputs)
            stats = solver_stats(model)
            row["nfe"] = sum(s["nfe"] for s in stats.values()) if stats else 0
        except GraphError as exc:
            row["failure"] = row["failure"] or str(exc)[:500]
        row.update(_errors(model, job, inputs))


def information_criteria(mse: float, n: int, k: int) -> dict:
    """BIC and AICc of a least-squares fit with `k` parameters to `n` observations
    (Gaussian errors, variance estimated): AICc is undefined when n <= k + 1, as for a
    2-5-5-5-2 network on 31 points of a 2-D state, so the ranking uses BIC."""
    if not (math.isfinite(mse) and mse > 0 and n > 0):
        return {"bic": math.inf, "aicc": math.inf}
    ll = n * math.log(mse)
    aicc = ll + 2 * k + 2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else math.nan
    return {"bic": ll + k * math.log(n), "aicc": aicc}


def _errors(model, job: GraphJob, inputs: dict) -> dict:
    """RMSE inside the training span (against the truth, else the observations) and past it
    to each horizon (against the truth; NaN without one). A solve that diverges or exhausts
    `max_steps` scores inf."""
    for m in model.modules():
        if isinstance(m, ODESolveModule) and m.method not in FIXED_METHODS + BUILTIN_METHODS:
            m.max_steps = min(m.max_steps, job.max_steps)
    grid = inputs[job.t_name] if job.truth is None else job.grid.double()
    try:
        pred = _out(model(**{**inputs, job.t_name: grid}), job.output)
    except GraphError:
        return score(None, job)
    return score(pred, job)


def score(pred: torch.Tensor | None, job: GraphJob) -> dict:
    """The errors of `pred`: the model's solution on ``job.grid`` (with a truth) or on the
    training grid (without); None when the solve failed (every error inf). Shared by the
    per-variant job and the batched backend, so both score alike."""
    out = {"interp_rmse": math.inf, **{f"extrap{h}x_rmse": math.inf for h in job.horizons}}
    if job.truth is None:
        for h in job.horizons:
            out[f"extrap{h}x_rmse"] = math.nan
        if pred is not None:
            out["interp_rmse"] = _root_mean(((pred - job.target.double()) ** 2).sum(-1))
        return out
    if pred is None:
        return out
    grid = job.grid.double()
    err = ((pred - job.truth.double()) ** 2).sum(-1)
    t0, span = float(grid[0]), job.span
    rel = grid - t0
    out["interp_rmse"] = _root_mean(err[rel <= span + 1e-9])
    for h in job.horizons:
        out[f"extrap{h}x_rmse"] = _root_mean(err[(rel > span + 1e-9) & (rel <= h * span + 1e-9)])
    return out


def _root_mean(err: torch.Tensor) -> float:
    if err.numel() == 0:
        return math.nan
    value = float(torch.sqrt(err.mean()))
    return value if math.isfinite(value) else math.inf
