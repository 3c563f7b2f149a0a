"""One training step of an ensemble: every member's loss in one batched pass, one backward,
one optimizer update; a record per member.

Summing the members' losses before the backward gives each member exactly the gradient of
its own loss (no member's parameters reach another's loss), and the optimizers diffwire
uses (SGD, Adam, AdamW, RMSprop) update each parameter from its own gradient and state
alone, so one update over every member's parameter groups is N independent updates.
Gradient clipping is by each member's own norm. LBFGS couples all the parameters it is
given (one line search, one curvature history), so an LBFGS phase steps member by member,
each with its own optimizer.
"""

from __future__ import annotations

import math
import time

import torch

from ..runtime.step import closure_step, grad_norm
from .step import NonFinite


class PerMember:
    """One optimizer (or schedule) per member, stepped in turn: an ensemble's LBFGS phase.
    Looks enough like one optimizer for the run, its checkpoints and ``run.set``."""

    def __init__(self, items: list):
        self.each = items

    @property
    def param_groups(self) -> list[dict]:
        return [g for o in self.each for g in o.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for o in self.each:
            o.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:  # schedules
        for o in self.each:
            o.step()

    def state_dict(self) -> dict:
        return {"members": [o.state_dict() for o in self.each]}

    def load_state_dict(self, state: dict) -> None:
        for o, st in zip(self.each, state["members"]):
            o.load_state_dict(st)


def _member_norms(params: list[list]) -> torch.Tensor:
    """Each member's total gradient norm, [N], from one multi-tensor norm over every
    member's gradients (a norm per member cost a tenth of a 32-member step)."""
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for ps in params for p in ps]
    each = torch.stack(torch._foreach_norm(grads))  # what get_total_norm does, all at once
    return torch.linalg.vector_norm(each.view(len(params), -1), dim=1)


def _finite(value: float, what: str, k: int) -> None:
    if not math.isfinite(value):
        raise NonFinite(f"{what} of member {k}", value, None)


def _checked(values: list[float], what: str) -> None:
    for k, v in enumerate(values):
        _finite(v, what, k)


def ensemble_step(run, s: int) -> list[dict]:
    """Step `s` of an ensemble run; one record per member (``member`` is its index)."""
    model, opt, loss_fn = run.model, run.optimizer, run.loss_fn
    batch = run.dataset.batch(s)
    params = run.member_params
    t0 = time.perf_counter()
    lrs = [opt.param_groups[g]["lr"] for g in run.member_group]
    if isinstance(opt, PerMember):
        losses, norms = _each(model, opt, loss_fn, batch)
    else:
        opt.zero_grad(set_to_none=True)
        total = model.losses(loss_fn, batch)
        losses = total.detach().tolist()
        _checked(losses, "loss")
        total.sum().backward()
        gn = _member_norms(params)
        norms = gn.tolist()
        _checked(norms, "gradient")
        for p, n, clip in zip(params, gn, run.member_clip):
            if clip > 0:
                torch.nn.utils.clip_grads_with_norm_(p, clip, n)
        opt.step()
    if run.scheduler is not None:
        run.scheduler.step()
    dt = time.perf_counter() - t0
    return [{"step": s, "member": k, "loss": loss, "grad_norm": norm, "lr": lr, "time": dt,
             "phase": run.phase} for k, (loss, norm, lr) in enumerate(zip(losses, norms, lrs))]


def _each(model, opt: PerMember, loss_fn, batch: dict) -> tuple[list[float], list[float]]:
    """LBFGS: member after member, each through its own optimizer and closure."""
    losses, norms = [], []
    for k, (member, o) in enumerate(zip(model.members, opt.each)):
        params = [p for g in o.param_groups for p in g["params"]]

        def before(loss, i, k=k):
            if i == 0:
                _finite(loss.item(), "loss", k)

        def after(loss, i, k=k, params=params):
            if i == 0:
                norms.append(grad_norm(params).item())
                _finite(norms[-1], "gradient", k)

        losses.append(closure_step(o, lambda i, member=member: loss_fn(member, batch),
                                   before, after).item())
    return losses, norms


def member_groups(spec: dict, specs: list[dict], params: list[list]) -> tuple[list, list[int]]:
    """Parameter groups for one optimizer over every member: members with the same
    hyperparameters share a group. Returns (groups, each member's group index)."""
    keys = ("lr", "momentum", "betas", "weight_decay")
    groups: list[dict] = []
    index: dict[tuple, int] = {}
    of = []
    for mine, ps in zip(specs, params):
        key = tuple(tuple(mine[k]) if isinstance(mine[k], list) else mine[k] for k in keys)
        if spec["kind"] == "chain":  # a stage may read its whole group (a global norm)
            key = (len(of),)
        if key not in index:
            index[key] = len(groups)
            group = {"params": [], "lr": mine["lr"], "weight_decay": mine["weight_decay"]}
            if spec["kind"] in ("adam", "adamw"):
                group["betas"] = tuple(mine["betas"])
            if spec["kind"] in ("sgd", "rmsprop"):
                group["momentum"] = mine["momentum"]
            groups.append(group)
        groups[index[key]]["params"].extend(ps)
        of.append(index[key])
    return groups, of
