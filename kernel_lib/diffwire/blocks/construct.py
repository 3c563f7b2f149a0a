"""Building many small modules quickly: a 200,000-node chain compiles 300,000 modules, and
``nn.Module.__init__`` (eleven dicts, a telemetry call, every attribute through
``super().__setattr__``) cost more than everything else compile does per node.

:func:`new_module` makes an instance in the state ``nn.Module.__init__`` leaves it in,
copying the container layout of a module torch built itself at import (so attributes a
newer torch adds come along), without calling the class's own ``__init__``. Callers set
what that ``__init__`` would set. :func:`linear` builds an ``nn.Linear`` this way (the
:class:`Linear` subclass, whose hook tables come on first use) and then runs its own
``reset_parameters``, so weights draw the same numbers in the same order as
``nn.Linear(...)``: the same seed gives the same state_dict (``tests/test_construct.py``).
Hook tables are :class:`HookDict` s, smaller than torch's OrderedDicts and alike in use.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .activations import ACTIVATIONS
from .weight_store import WeightStore


class HookDict(dict):
    """One of a module's hook tables, as a dict rather than torch's OrderedDict: a module
    keeps twelve, nearly always empty, and an empty OrderedDict takes 136 bytes to a dict's
    80 (about 670 bytes a module, 130 MB of a 200,000-node chain). Dicts keep insertion
    order too; this adds the one OrderedDict method torch calls on hook tables
    (``move_to_end(id, last=False)`` for a hook registered with ``prepend=True``), and a
    weak reference, which a hook's RemovableHandle keeps to its table."""

    __slots__ = ("__weakref__",)

    def move_to_end(self, key, last: bool = True) -> None:
        value = self.pop(key)
        if last:
            self[key] = value
            return
        rest = list(self.items())
        self.clear()
        self[key] = value
        self.update(rest)


# attribute -> value, or the empty container type a fresh one gets
_LAYOUT = [(k, type(v) if isinstance(v, (dict, set)) else None, v)
           for k, v in nn.Module().__dict__.items()]
_FACTORIES = {dict: dict, OrderedDict: HookDict, set: set}


def new_module(cls: type[nn.Module]) -> nn.Module:
    """An instance of `cls` as ``nn.Module.__init__`` leaves it (no params, no children)."""
    m = object.__new__(cls)
    d = m.__dict__
    later = getattr(cls, "_tables_on_first_use", ())
    for k, kind, v in _LAYOUT:
        if k not in later:
            d[k] = v if kind is None else _FACTORIES.get(kind, kind)()
    return m


class _OnFirstUse:
    """A class attribute standing in for one of a module's hook tables until the instance
    first reads it; the read gives the instance its own empty table, which it keeps (the
    instance's attribute hides this one from then on)."""

    __slots__ = ("name", "factory")

    def __init__(self, name: str, factory):
        self.name, self.factory = name, factory

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        table = obj.__dict__[self.name] = self.factory()
        return table


def tables_on_first_use(cls: type[nn.Module]) -> type[nn.Module]:
    """Class decorator: a module of `cls` built by :func:`new_module` gets each hook table
    (and the set of non-persistent buffers) when it is first read, not when built. For a
    wrapper whose instances are many and seldom hooked (a Linear node's module: 100,000 in
    a 200,000-node chain, 1.2 KB each in empty tables). Every read, torch's own included
    (a call reads four), gets the instance's own table, so hooks behave as ever."""
    later = []
    for k, kind, _ in _LAYOUT:
        if kind in (OrderedDict, set):
            setattr(cls, k, _OnFirstUse(k, _FACTORIES[kind]))
            later.append(k)
    cls._tables_on_first_use = frozenset(later)
    return cls


@tables_on_first_use
class Linear(nn.Linear):
    """An nn.Linear whose hook tables come on first use (:func:`tables_on_first_use`): a
    Linear node's layer, 100,000 of them in a 200,000-node chain, where the eleven empty
    tables and the set took 1 KB each, a quarter of the node's model. Same name, weights,
    forward and state_dict keys as nn.Linear; only ``type(m) is nn.Linear`` tells them
    apart (``isinstance`` does not)."""


def _parameter(shape: tuple[int, ...]) -> nn.Parameter:
    return nn.Parameter(torch.empty(shape))


def linear(in_features: int, out_features: int, bias: bool = True,
           store: WeightStore | None = None) -> Linear:
    """``nn.Linear(in_features, out_features, bias)`` as a :class:`Linear`, initialised by
    its own ``reset_parameters`` (same draws from the generator, in the same order), its
    parameters pieces of `store`'s slabs when given (:mod:`.weight_store`)."""
    m = new_module(Linear)
    d = m.__dict__
    d["in_features"] = in_features
    d["out_features"] = out_features
    params = d["_parameters"]
    new = store.parameter if store is not None else _parameter
    params["weight"] = new((out_features, in_features))
    params["bias"] = new((out_features,)) if bias else None
    m.reset_parameters()
    return m


# activation class -> the attributes its __init__ sets beyond nn.Module's, read off an
# instance torch builds (ReLU's inplace, Softplus's beta and threshold...)
_EXTRA: dict[type, dict] = {}


def activation(name: str) -> nn.Module:
    """A fresh activation module of `name` (an :data:`ACTIVATIONS` key) with default args."""
    cls = ACTIVATIONS[name]
    extra = _EXTRA.get(cls)
    if extra is None:
        proto = cls()
        base = {k for k, _, _ in _LAYOUT}
        if proto._parameters or proto._buffers or proto._modules:
            raise TypeError(f"{cls.__name__} holds state; build it with its constructor")
        extra = {k: v for k, v in proto.__dict__.items() if k not in base}
        if not all(isinstance(v, (bool, int, float, str, type(None))) for v in extra.values()):
            raise TypeError(f"{cls.__name__} keeps a mutable attribute; build it with its "
                            "constructor")
        _EXTRA[cls] = extra  # shared by every instance: plain immutable values only
    m = new_module(cls)
    m.__dict__.update(extra)
    return m


def wrap(cls: type[nn.Module], **children: nn.Module) -> nn.Module:
    """An instance of `cls` (a module whose ``__init__`` only stores `children`) holding
    `children` as submodules."""
    m = new_module(cls)
    m.__dict__["_modules"].update(children)
    return m
