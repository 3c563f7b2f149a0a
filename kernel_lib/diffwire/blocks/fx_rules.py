"""Import rules: which block a torch layer or function call becomes in ``dw.from_module``.

A block file registers its rules beside the block, so one block is one file:

- ``@module_rule(nn.MaxPool2d, ...)``: a rule ``(layer, *args, **kwargs)`` for a call of a
  layer of one of these classes;
- ``@call_rule(F.max_pool2d, "max_pool2d", ...)``: a rule ``(*args, **kwargs)`` for a call
  of a function, or of a Tensor method named by a string;
- ``@expand_rule(nn.TransformerEncoderLayer)``: a rule ``(layer, *args, **kwargs)`` that
  computes the call from the layer's sublayers while the tracer records it, so each
  sublayer meets its own rule instead of the layer staying whole (``None``: it cannot);
- ``@attr_rule(nn.Parameter)``: a rule ``(tensor)`` for a tensor the module holds as an
  attribute (the most derived class with a rule wins); a number where a tensor goes is
  passed to it as a 0-d float64 tensor;
- ``@fold_rule``: a rule ``(items, outputs)`` run after the walk (unless the caller asks
  for the graph unfolded) that rewrites chains of :class:`Item` into one (MLP).

A rule receives the call's arguments as torch would: tensors as :class:`TensorArg`, a
run-time size (``x.size(0)``, ``x.shape[0]``) as :class:`SizeArg`, everything else as
plain values. It returns an :class:`Imported` node, or ``None`` when this particular call
has no block (an unusual option): the importer then keeps the call as an opaque Module
node. An argument list the rule's signature does not accept counts as ``None`` too. An
input of the node may be a number: it becomes a Constant node. Nothing here knows
torch.fx; ``export/fx_import.py`` reads the tables.
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
    shape: tuple | None = None  # the example input's shape, when one was given


@dataclasses.dataclass(frozen=True)
class SizeArg:
    """A run-time size: dimension `dim` of `tensor` (``t.size(0)``, ``t.shape[0]``)."""

    tensor: TensorArg
    dim: int

    def is_batch_of(self, x: TensorArg) -> bool:
        """Whether this is the first dimension of `x` (of `x` itself, or of a tensor whose
        first dimension had `x`'s size when the example ran)."""
        if self.dim != 0:
            return False
        if self.tensor.ref == x.ref:
            return True
        a, b = self.tensor.shape, x.shape
        return bool(a) and bool(b) and a[0] == b[0]


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


@dataclasses.dataclass
class Item:
    """One node to be, as the importer lists them before they become nodes (what a fold
    rule rewrites): its block type, params, inputs (``("item", index, port)`` or
    ``("input", name)``), weights, label, a hint for its id; `dead` once folded away."""

    type: str
    params: dict
    args: list
    weights: dict = dataclasses.field(default_factory=dict)
    label: str | None = None
    hint: str = "node"
    dead: bool = False


MODULE_RULES: dict[type, Callable] = {}
CALL_RULES: dict[object, Callable] = {}  # a function, or ("method", name)
EXPAND_RULES: dict[type, Callable] = {}
ATTR_RULES: dict[type, Callable] = {}
FOLD_RULES: list[Callable] = []


_OWNERS: set[str] = set()  # the modules that registered rules


def _register(table: dict, keys, owner: str | None) -> Callable:
    def deco(rule: Callable) -> Callable:
        for k in keys:
            table[k] = rule
        _OWNERS.add(owner or rule.__module__)
        return rule

    return deco


def module_rule(*classes: type, owner: str | None = None) -> Callable:
    """Register `rule(layer, *args, **kwargs) -> Imported | None` for these layer classes.
    `owner`: the block's module, when the rule is made elsewhere (a family's base class)."""
    return _register(MODULE_RULES, classes, owner)


def call_rule(*targets, owner: str | None = None) -> Callable:
    """Register `rule(*args, **kwargs) -> Imported | None` for these functions (or
    Tensor methods, named by strings)."""
    return _register(CALL_RULES, [("method", t) if isinstance(t, str) else t for t in targets],
                     owner)


def expand_rule(*classes: type) -> Callable:
    """Register `rule(layer, *args, **kwargs) -> output | None` for these layer classes."""
    return _register(EXPAND_RULES, classes, None)


def attr_rule(*classes: type) -> Callable:
    """Register `rule(tensor) -> Imported | None` for attribute tensors of these classes."""
    return _register(ATTR_RULES, classes, None)


def fold_rule(rule: Callable) -> Callable:
    """Register `rule(items, outputs)`, which rewrites the importer's items in place."""
    FOLD_RULES.append(rule)
    _OWNERS.add(rule.__module__)
    return rule


def attr_rule_for(value) -> Callable | None:
    """The rule of the most derived class of `value` that has one."""
    return next((ATTR_RULES[c] for c in type(value).__mro__ if c in ATTR_RULES), None)


def rule_modules() -> set[str]:
    """The modules that registered rules: each block file with an import rule (the
    contract battery checks every such block comes back from its own exported code)."""
    return set(_OWNERS)


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


def reduced(dim, keepdim) -> dict | None:
    """The params of a reduction over one dimension or all (Sum, Mean); None for a tuple
    of dimensions or a value known only at run time."""
    if not (dim is None or isinstance(dim, int) and not isinstance(dim, bool)):
        return None
    if not isinstance(keepdim, bool):
        return None
    return {"dim": dim, "keepdim": keepdim}
