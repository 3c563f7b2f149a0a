"""Optimizer specs -> torch optimizers and learning-rate schedules, written once.

A spec is the dict :func:`diffwire.train.optim.normalize` makes (the params of an
``Optimizer`` block); keys it leaves out take their :data:`DEFAULTS`. The library builds
its optimizers here (:mod:`diffwire.train.optim`, which adds diffwire's own ``rda``) and an
exported training file is written from the same :func:`optimizer_args` and
:func:`scheduler_args` (``torch.optim.Adam(model.parameters(), lr=0.01)``), so a file and a
kernel run step alike for the same spec.
"""

import torch

from .updates import ChainOptimizer

#: Optimizer kinds that are not torch's, each called as ``cls(params, lr=..., stages=...)``.
#: An exported file defines its own (the chain class only when its document uses one).
OPTIMIZERS = {"chain": ChainOptimizer}


#: Defaults of every spec key; why each default is what it is, where it is not obvious.
DEFAULTS = {
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
    "stages": "",  # kind "chain": its update stages, one per line (runtime/updates.py)
}


def select_params(module, nodes):
    """The trainable parameters of `module` (a compiled graph or an exported Model: weights
    under ``blocks.<node id>``), limited to those of `nodes` when given."""
    nodes = list(nodes)
    return [
        p
        for name, p in module.named_parameters()
        if p.requires_grad and (not nodes or name.split(".")[1] in nodes)
    ]


def optimizer_args(spec):
    """The torch optimizer class of a spec and its keyword arguments (``lr`` first):
    :func:`make_optimizer` calls it, and an exported training file is written as that
    call, so a file and a kernel run build the same optimizer."""
    spec = {**DEFAULTS, **spec}  # a partial spec takes the defaults for what it leaves out
    kind, lr, wd = spec["kind"], spec["lr"], spec["weight_decay"]
    if kind in OPTIMIZERS:
        return OPTIMIZERS[kind], {"lr": lr, "stages": spec["stages"]}
    if kind == "sgd":
        nesterov = spec["nesterov"] and spec["momentum"] > 0
        return torch.optim.SGD, {
            "lr": lr,
            "momentum": spec["momentum"],
            "nesterov": nesterov,
            "weight_decay": wd,
        }
    if kind in ("adam", "adamw"):
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        return cls, {"lr": lr, "betas": tuple(spec["betas"]), "weight_decay": wd}
    if kind == "rmsprop":
        return torch.optim.RMSprop, {"lr": lr, "momentum": spec["momentum"], "weight_decay": wd}
    if kind != "lbfgs":  # rda flips Boolean truth tables: diffwire's own optimizer
        raise ValueError(f"the {kind!r} optimizer trains in diffwire only (dw.train)")
    search = None if spec["line_search"] == "none" else spec["line_search"]
    return torch.optim.LBFGS, {
        "lr": lr,
        "history_size": spec["history_size"],
        "max_iter": spec["max_iter"],
        "line_search_fn": search,
    }


#: Optimizers with torch's multi-tensor update (``foreach``).
FOREACH = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop)


#: Optimizers with torch's single-kernel update (``fused``) on the CPU and GPUs.
FUSED = (torch.optim.Adam, torch.optim.AdamW)


def make_optimizer(spec, params, foreach=None, fused=False):
    """A torch optimizer for a normalized spec. `params`: a list of parameters (or param
    groups), or a module whose parameters :func:`select_params` picks by ``spec["nodes"]``.
    `foreach`: torch's multi-tensor update (None: torch's default, the per-tensor loop on
    the CPU); an ensemble asks for it, since it updates every member's tensors at once.
    `fused`: one kernel per update where the optimizer has one (Adam, AdamW); a run with
    compiled solves asks for it, whose steps are short enough that the per-tensor update
    was a fifth of them. Where torch refuses it (a device without the kernel), the
    optimizer is built as without it."""
    cls, kwargs = optimizer_args(spec)
    if isinstance(params, torch.nn.Module):
        params = select_params(params, {**DEFAULTS, **spec}["nodes"])
    if fused and cls in FUSED:
        params = list(params)
        try:
            return cls(params, **kwargs, fused=True)
        except (RuntimeError, ValueError):
            pass
    if cls in FOREACH:
        kwargs["foreach"] = foreach
    return cls(params, **kwargs)


def scheduler_args(spec, steps):
    """The learning-rate schedule class of a spec over a phase of `steps` steps and its
    keyword arguments, or None: :func:`make_scheduler` calls it, an exported file is
    written as that call."""
    spec = {**DEFAULTS, **spec}
    kind = spec["schedule"]
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR, {
            "step_size": max(1, spec["step_size"]),
            "gamma": spec["gamma"],
        }
    if kind == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR, {"gamma": spec["gamma"]}
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR, {
            "T_max": max(1, spec["t_max"] or steps),
            "eta_min": spec["eta_min"],
        }
    return None


def grad_clip(spec):
    """The gradient norm a step of this spec clips to, 0 for none. Never LBFGS's: its line
    search compares losses along the unclipped gradient."""
    spec = {**DEFAULTS, **spec}
    return 0.0 if spec["kind"] == "lbfgs" else spec["grad_clip"]


def make_scheduler(spec, optimizer, steps):
    """The learning-rate schedule of a spec over a phase of `steps` steps, or None."""
    made = scheduler_args(spec, steps)
    return None if made is None else made[0](optimizer, **made[1])


#: the function an exported training file holds when an optimizer trains some nodes only.
SOURCES = [select_params]
