"""One training step of a run: the runtime's closure step (:mod:`diffwire.runtime.step`) with
the run's taps, NaN checks, gradient-flow check and clipping on its first evaluation.
"""

from __future__ import annotations

import math
import time

import torch

from ..runtime import optimizers
from ..runtime.step import closure_step, grad_norm
from . import checks


class NonFinite(Exception):
    """The loss or a gradient went NaN/inf; the step was not applied."""

    def __init__(self, what: str, value: float, node: str | None):
        self.what, self.value, self.node = what, value, node
        super().__init__(what)


def train_step(run, s: int) -> dict:
    """Run step `s` on `run`'s model; return its record or raise :class:`NonFinite`."""
    model, opt, spec, loss_fn = run.model, run.optimizer, run.spec, run.loss_fn
    batch = run.dataset.batch(s)
    k = run.config.stats_every
    stats = checks.StatsTap() if k and s % k == 0 else None
    gtap = checks.GradTap() if run.grad_check is None else None
    taps = [t for t in (stats, gtap) if t is not None]
    tap = None
    if len(taps) == 1:
        tap = taps[0]
    elif taps:
        def tap(path, value):
            for t in taps:
                t(path, value)
    params = [p for g in opt.param_groups for p in g["params"]]
    clip = optimizers.grad_clip(spec)
    norm: list[torch.Tensor] = []
    t0 = time.perf_counter()

    def before(loss, k):
        if k == 0 and not math.isfinite(value := loss.item()):
            raise NonFinite("loss", value, checks.first_nonfinite(model, batch, loss_fn))

    def after(loss, k):
        if k:
            return
        if stats is not None:
            stats.grad_norms(model)
        if gtap is not None:
            run._grad_checked(checks.grad_report(run.graph_built, model, gtap))
        gn = grad_norm(params)
        if not torch.isfinite(gn):
            raise NonFinite("gradient", gn.item(), checks.nonfinite_grad_node(model))
        if clip > 0:
            torch.nn.utils.clip_grads_with_norm_(params, clip, gn)
        norm.append(gn)

    lr = opt.param_groups[0]["lr"]
    loss = closure_step(opt, lambda k: loss_fn(model, batch, tap=None if k else tap), before, after)
    if run.scheduler is not None:
        run.scheduler.step()
    record = {"step": s, "loss": loss.item(), "grad_norm": norm[0].item(), "lr": lr,
              "time": time.perf_counter() - t0, "phase": run.phase}
    if hasattr(opt, "metrics"):  # an optimizer's own numbers (RDA: bits flipped)
        record.update(opt.metrics())
    if stats is not None:
        record["nodes"] = stats.result()
    return record
