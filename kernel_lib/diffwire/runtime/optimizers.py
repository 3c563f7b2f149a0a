"""Optimizer specs -> torch optimizers and learning-rate schedules, written once.

A spec is the full dict :func:`diffwire.train.optim.normalize` makes (the params of an
``Optimizer`` block). The library builds its optimizers here (:mod:`diffwire.train.optim`,
which adds diffwire's own ``rda``) and an exported training file holds this source
(:data:`SOURCES`), so a file and a kernel run step alike for the same spec.
"""

import torch

from .updates import ChainOptimizer

#: Optimizer kinds that are not torch's, each called as ``cls(params, lr=..., stages=...)``.
#: An exported file defines its own (the chain class only when its document uses one).
OPTIMIZERS = {"chain": ChainOptimizer}


def select_params(module, nodes):
    """The trainable parameters of `module` (a compiled graph or an exported Model: weights
    under ``blocks.<node id>``), limited to those of `nodes` when given."""
    nodes = list(nodes)
    return [
        p
        for name, p in module.named_parameters()
        if p.requires_grad and (not nodes or name.split(".")[1] in nodes)
    ]


def make_optimizer(spec, params, foreach=None):
    """A torch optimizer for a normalized spec. `params`: a list of parameters (or param
    groups), or a module whose parameters :func:`select_params` picks by ``spec["nodes"]``.
    `foreach`: torch's multi-tensor update (None: torch's default, the per-tensor loop on
    the CPU); an ensemble asks for it, since it updates every member's tensors at once."""
    if isinstance(params, torch.nn.Module):
        params = select_params(params, spec["nodes"])
    kind, lr, wd = spec["kind"], spec["lr"], spec["weight_decay"]
    if kind in OPTIMIZERS:
        return OPTIMIZERS[kind](params, lr=lr, stages=spec["stages"])
    if kind == "sgd":
        return torch.optim.SGD(
            params,
            lr=lr,
            momentum=spec["momentum"],
            foreach=foreach,
            nesterov=spec["nesterov"] and spec["momentum"] > 0,
            weight_decay=wd,
        )
    if kind == "adam":
        return torch.optim.Adam(
            params, lr=lr, betas=tuple(spec["betas"]), weight_decay=wd, foreach=foreach
        )
    if kind == "adamw":
        return torch.optim.AdamW(
            params, lr=lr, betas=tuple(spec["betas"]), weight_decay=wd, foreach=foreach
        )
    if kind == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=lr, momentum=spec["momentum"], weight_decay=wd, foreach=foreach
        )
    if kind != "lbfgs":  # rda flips Boolean truth tables: diffwire's own optimizer
        raise ValueError(f"the {kind!r} optimizer trains in diffwire only (dw.train)")
    search = None if spec["line_search"] == "none" else spec["line_search"]
    return torch.optim.LBFGS(
        params,
        lr=lr,
        history_size=spec["history_size"],
        max_iter=spec["max_iter"],
        line_search_fn=search,
    )


def make_scheduler(spec, optimizer, steps):
    """The learning-rate schedule of a spec over a phase of `steps` steps, or None."""
    kind = spec["schedule"]
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=max(1, spec["step_size"]), gamma=spec["gamma"]
        )
    if kind == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=spec["gamma"])
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=max(1, spec["t_max"] or steps), eta_min=spec["eta_min"]
        )
    return None


#: the functions an exported training file holds, in order.
SOURCES = [select_params, make_optimizer, make_scheduler]
