"""Optimizer specs -> torch optimizers and learning-rate schedules.

A spec is a plain dict, the params of an ``Optimizer`` block (or an inline
``{"kind": "adam", "lr": 1e-3}``), so the document alone says how to train.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from ..errors import ParamError

KINDS = ("sgd", "adam", "adamw", "rmsprop", "lbfgs")
SCHEDULES = ("none", "step", "cosine", "exponential")

#: Defaults of every spec key; why each default is what it is, where it is not obvious.
DEFAULTS: dict = {
    "kind": "adam",
    "lr": 1e-3,
    "momentum": 0.0,
    "nesterov": False,
    "betas": [0.9, 0.999],
    "weight_decay": 0.0,
    "grad_clip": 0.0,  # max gradient norm; 0 turns clipping off
    "schedule": "none",
    "step_size": 100,  # step schedule: multiply lr by gamma every step_size steps
    "gamma": 0.5,
    "t_max": 0,  # cosine: period in steps; 0 means the phase's length
    "eta_min": 0.0,
    "history_size": 100,  # lbfgs
    "max_iter": 20,  # lbfgs: function evaluations per step
    "line_search": "strong_wolfe",  # lbfgs: "strong_wolfe" or "none"
    "nodes": [],  # node ids whose parameters this optimizer trains; empty: all of them
}

#: Keys run.set() may change on a live optimizer (they live in param_groups).
LIVE_KEYS = {"lr", "momentum", "nesterov", "betas", "weight_decay", "history_size", "max_iter"}
#: Keys that change the live schedule, and the scheduler attribute each one sets.
SCHEDULE_KEYS = {"gamma": "gamma", "step_size": "step_size", "t_max": "T_max",
                 "eta_min": "eta_min"}
#: Keys that need a new optimizer: edit the Optimizer node and rebuild instead.
REBUILD_KEYS = {"kind", "schedule", "nodes", "line_search"}


def normalize(spec: dict | str | tuple | None) -> dict:
    """A full spec dict from ``"adam"``, ``("adam", {"lr": 1e-2})`` or a partial dict."""
    if spec is None:
        spec = {}
    if isinstance(spec, str):
        spec = {"kind": spec}
    elif isinstance(spec, (tuple, list)):
        if len(spec) != 2 or not isinstance(spec[0], str) or not isinstance(spec[1], dict):
            raise ParamError("an optimizer is a kind or (kind, {options})", port="optimizer",
                             expected="('adam', {'lr': 1e-3})", found=repr(spec))
        spec = {"kind": spec[0], **spec[1]}
    elif not isinstance(spec, dict):
        raise ParamError("an optimizer is a kind, (kind, options) or a dict", port="optimizer",
                         found=type(spec).__name__)
    unknown = set(spec) - set(DEFAULTS)
    if unknown:
        raise ParamError(f"unknown optimizer option(s) {sorted(unknown)}", port="optimizer",
                         expected=f"some of {sorted(DEFAULTS)}", found=sorted(unknown))
    out = {**DEFAULTS, **spec}
    out["kind"] = str(out["kind"]).lower()
    if out["kind"] not in KINDS:
        raise ParamError("unknown optimizer kind", port="kind", expected=list(KINDS),
                         found=out["kind"])
    if out["schedule"] not in SCHEDULES:
        raise ParamError("unknown schedule", port="schedule", expected=list(SCHEDULES),
                         found=out["schedule"])
    out["betas"] = [float(b) for b in out["betas"]]
    out["nodes"] = list(out["nodes"] or [])
    return out


def select_params(module: torch.nn.Module, nodes: Iterable[str]) -> list[torch.nn.Parameter]:
    """The trainable parameters of `module`, limited to those of `nodes` when given."""
    nodes = list(nodes)
    out = []
    for name, p in module.named_parameters():
        if not p.requires_grad:
            continue
        if nodes and name.split(".")[1] not in nodes:
            continue
        out.append(p)
    return out


def make_optimizer(spec: dict, params: list) -> torch.optim.Optimizer:
    """A torch optimizer built from a normalized spec."""
    k, lr, wd = spec["kind"], spec["lr"], spec["weight_decay"]
    if k == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=spec["momentum"],
                               nesterov=spec["nesterov"] and spec["momentum"] > 0, weight_decay=wd)
    if k == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(spec["betas"]), weight_decay=wd)
    if k == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=tuple(spec["betas"]), weight_decay=wd)
    if k == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=spec["momentum"], weight_decay=wd)
    search = None if spec["line_search"] == "none" else spec["line_search"]
    return torch.optim.LBFGS(params, lr=lr, history_size=spec["history_size"],
                             max_iter=spec["max_iter"], line_search_fn=search)


def make_scheduler(spec: dict, opt: torch.optim.Optimizer, phase_steps: int):
    """The learning-rate schedule of a spec, or None."""
    s = spec["schedule"]
    if s == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, spec["step_size"]),
                                               gamma=spec["gamma"])
    if s == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=spec["gamma"])
    if s == "cosine":
        t_max = spec["t_max"] or phase_steps
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, t_max),
                                                          eta_min=spec["eta_min"])
    return None


def apply_live(opt: torch.optim.Optimizer, sched, key: str, value) -> None:
    """Change a hyperparameter of a running optimizer (and its schedule's base)."""
    if key in SCHEDULE_KEYS:
        attr = SCHEDULE_KEYS[key]
        if sched is not None and hasattr(sched, attr):
            setattr(sched, attr, value)
        return
    for group in opt.param_groups:
        if key == "betas":
            value = tuple(float(b) for b in value)
        if key in group:
            group[key] = value
        if key == "lr" and "initial_lr" in group:
            group["initial_lr"] = value
    if key == "lr" and sched is not None:
        sched.base_lrs = [value for _ in sched.base_lrs]


def is_lbfgs(opt) -> bool:
    return isinstance(opt, torch.optim.LBFGS)


def finite(x: float) -> bool:
    return math.isfinite(x)
