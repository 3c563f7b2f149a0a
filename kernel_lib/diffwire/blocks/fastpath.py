"""Straight-line forwards for the small dense layers an ODE field calls hundreds of times
per solve. At these sizes every tensor op is dispatch overhead, so what counts is how many
ops (and backward nodes) a call makes, not the arithmetic:

- a one-sample input (a 1-D vector, the usual ODE state) goes through ``addmv``: one op
  and one backward node, where ``F.linear`` reshapes to a matrix, transposes the weight and
  calls ``addmm`` (and backward undoes each);
- an MLP calls its layers' functions directly instead of each submodule's ``__call__``;
- ``rbf`` squares, negates and exponentiates in place on its own intermediate.

The submodules stay where they were (same state_dict keys, same parameters), and numbers
agree with the nn.Linear path to rounding. A layer with hooks (a forward hook capturing
activations, or a utility that computes the weight in a pre-hook: prune, weight_norm,
spectral_norm), or a global module hook, sends the call through the modules as before:
the check costs a few dict lookups per call.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules import module as _module

from ..context import batched
from .activations import RBF, Exp, Sin


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``F.linear``, with one-sample vectors through ``addmv``."""
    if x.dim() == 1:
        if batched():
            # an ensemble's vmap turns addmv into about ten ops (permutes, expands, copies
            # around a bmm); a broadcast product and a sum are two cheap batched ops
            y = (weight * x).sum(-1)
            return y if bias is None else y + bias
        return torch.mv(weight, x) if bias is None else torch.addmv(bias, weight, x)
    return F.linear(x, weight, bias)


def rbf(x: torch.Tensor) -> torch.Tensor:
    """exp(-x^2) in three ops on one new tensor."""
    return x.square().neg_().exp_()


# activation modules whose forward is a plain function of the input (no state)
_FUNCTIONS = {nn.ReLU: torch.relu, nn.Tanh: torch.tanh, nn.Sigmoid: torch.sigmoid,
              Sin: torch.sin, Exp: torch.exp, RBF: rbf}


def plan(layers) -> list:
    """``(kind, module_or_fn)`` for each layer: ``("linear", nn.Linear)``, ``("fn", f)`` for
    a stateless activation, ``("module", m)`` for anything else (called as a module)."""
    steps = []
    for m in layers:
        if type(m) is nn.Linear:
            steps.append(("linear", m))
        elif type(m) in _FUNCTIONS and not getattr(m, "inplace", False):
            steps.append(("fn", _FUNCTIONS[type(m)]))
        else:
            steps.append(("module", m))
    return steps


def hooked(*modules: nn.Module) -> bool:
    """Whether calling these modules runs any hook (their own or a global one)."""
    if (_module._global_forward_hooks or _module._global_forward_pre_hooks
            or _module._global_backward_hooks or _module._global_backward_pre_hooks):
        return True
    # read from the instance: a module whose tables come on first use (construct.py) has
    # none until a hook is registered, and reading the attribute would make them
    for m in modules:
        d = m.__dict__
        if (d.get("_forward_hooks") or d.get("_forward_pre_hooks") or d.get("_backward_hooks")
                or d.get("_backward_pre_hooks")):
            return True
    return False


def run(seq: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply `seq`'s layers in order through their :func:`plan`, made once and made again
    when the layers change (a layer replaced or appended); through the modules themselves
    when any has a hook."""
    layers = tuple(seq._modules.values())
    if hooked(*layers):
        for m in layers:
            x = m(x)
        return x
    cached = seq.__dict__.get("_fast_plan")
    if cached is None or cached[0] != layers:
        cached = seq.__dict__["_fast_plan"] = (layers, plan(layers))
    steps = cached[1]
    for kind, m in steps:
        if kind == "linear":
            x = linear(x, m.weight, m.bias)
        else:
            x = m(x)
    return x
