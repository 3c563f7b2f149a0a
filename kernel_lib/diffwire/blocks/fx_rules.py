"""Import rules: which block a torch layer or function call becomes in ``dw.from_module``.

A block file registers its rules beside the block, so one block is one file:

- ``@module_rule(nn.MaxPool2d, ...)``: a rule ``(layer, *args, **kwargs)`` for a call of a
  layer of one of these classes;
- ``@call_rule(F.max_pool2d, "max_pool2d", ...)``: a rule ``(*args, **kwargs)`` for a call
  of a function, or of a Tensor method named by a string;
- ``@expand_rule(nn.TransformerEncoderLayer)``: a rule ``(layer, *args, **kwargs)`` that
  computes the call from the layer's sublayers while the tracer records it, so each
  sublayer meets its own rule instead of the layer staying whole (``None``: it cannot).

A rule receives the call's arguments as torch would: tensors as :class:`TensorArg`,
everything else as plain values. It returns an :class:`Imported` node, or ``None`` when
this particular call has no block (an unusual option): the importer then keeps the call
as an opaque Module node. An argument list the rule's signature does not accept counts as
``None`` too. Nothing here knows torch.fx; ``export/fx_import.py`` reads the tables.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

import torch
from torch import nn


@dataclasses.dataclass(frozen=True)
class TensorArg:
    """A tensor argument of the traced call (the importer's reference to its value)."""

    ref: object


@dataclasses.dataclass
class Imported:
    """The node a rule makes: its block type, params, the tensor arguments feeding its
    input ports (in port order), its weights (state_dict keys of the built module) and,
    when the torch call returns a tuple, its length (item 0 is the node's output; the
    others have no block and cannot be used)."""

    type: str
    params: dict
    inputs: list[TensorArg]
    weights: dict[str, torch.Tensor] = dataclasses.field(default_factory=dict)
    tuple_of: int = 0


MODULE_RULES: dict[type, Callable] = {}
CALL_RULES: dict[object, Callable] = {}  # a function, or ("method", name)
EXPAND_RULES: dict[type, Callable] = {}


def module_rule(*classes: type) -> Callable:
    """Register `rule(layer, *args, **kwargs) -> Imported | None` for these layer classes."""

    def deco(rule: Callable) -> Callable:
        for c in classes:
            MODULE_RULES[c] = rule
        return rule

    return deco


def call_rule(*targets) -> Callable:
    """Register `rule(*args, **kwargs) -> Imported | None` for these functions (or
    Tensor methods, named by strings)."""

    def deco(rule: Callable) -> Callable:
        for t in targets:
            CALL_RULES[("method", t) if isinstance(t, str) else t] = rule
        return rule

    return deco


def expand_rule(*classes: type) -> Callable:
    """Register `rule(layer, *args, **kwargs) -> output | None` for these layer classes."""

    def deco(rule: Callable) -> Callable:
        for c in classes:
            EXPAND_RULES[c] = rule
        return rule

    return deco


def apply(rule: Callable, *args, **kwargs):
    """Call `rule` when its signature accepts the arguments; ``None`` when it does not."""
    try:
        inspect.signature(rule).bind(*args, **kwargs)
    except TypeError:
        return None
    return rule(*args, **kwargs)


def weights(layer: nn.Module) -> dict[str, torch.Tensor]:
    """Copies of a layer's parameters and buffers (BatchNorm's running statistics too),
    keyed as its state_dict."""
    return {k: v.detach().clone() for k, v in layer.state_dict().items()}


def same(value, n: int):
    """An int from an int or a tuple of `n` equal ints (kernel sizes, strides); else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (tuple, list)) and len(value) == n and len(set(value)) == 1 \
            and isinstance(value[0], int):
        return value[0]
    return None
