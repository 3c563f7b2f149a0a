"""nn.Module -> Graph through torch.fx: the tracer and the walker; blocks say what they import.

The traced graph is first turned into a list of items (block type, params, argument
references, weights), then the blocks' fold rules rewrite it (Linear/activation chains
become MLP blocks), then the items become nodes. Every layer, function, method and
attribute tensor goes to the import rule its block registered beside itself (see
:mod:`diffwire.blocks.fx_rules`); layers with an expansion rule (the transformer encoder
layer) are traced through. What this file knows itself has no block: run-time sizes,
tuples, ``nn.Identity``, and the opaque ``Module`` node that holds a submodule (or a call
of a function) in memory when no rule takes it.
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
import re
from typing import Any

import torch
from torch import fx, nn

from ..blocks import fx_rules
from ..blocks.fx_rules import Item
from ..blocks.module import hold
from ..document import Graph
from ..errors import GraphError


class _Importer:
    def __init__(self, gm: fx.GraphModule):
        self.gm = gm
        self.items: list[Item] = []
        self.env: dict[fx.Node, Any] = {}  # fx node -> ref, or a Python value
        self.inputs: list[tuple[str, torch.Tensor]] = []
        self.outputs: list[tuple[str, tuple]] = []

    # -- refs ---------------------------------------------------------------------------

    def add(self, item: Item) -> tuple:
        self.items.append(item)
        return ("item", len(self.items) - 1, "out")

    def ref(self, arg) -> tuple:
        """A graph ref for a tensor argument; numbers become Constant nodes."""
        if isinstance(arg, fx.Node):
            value = self.env[arg]
            if _is_ref(value):
                return value
            raise _Unsupported(f"{arg.name} is not a tensor")
        if isinstance(arg, (int, float)) and not isinstance(arg, bool):
            return self._tensor(torch.tensor(float(arg), dtype=torch.float64), hint="const")
        raise _Unsupported(f"argument {arg!r}")

    def value(self, arg):
        """A plain Python value (ints, tuples), or _Unsupported."""
        if isinstance(arg, fx.Node):
            v = self.env.get(arg)
            if _is_ref(v):
                raise _Unsupported("a tensor where a constant was expected")
            if isinstance(v, _Size):
                raise _Unsupported("a run-time size")
            return v
        if isinstance(arg, (list, tuple)):
            return type(arg)(self.value(a) for a in arg)
        return arg

    # -- walking ------------------------------------------------------------------------

    def run(self, example: tuple) -> None:
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(example) != len(placeholders):
            raise GraphError(f"the module takes {len(placeholders)} inputs, got {len(example)} "
                             "example inputs", expected=len(placeholders), found=len(example))
        for n, x in zip(placeholders, example):
            self.inputs.append((n.target, x))
            self.env[n] = ("input", n.target)
        for n in self.gm.graph.nodes:
            if n.op == "placeholder":
                continue
            if n.op == "output":
                self._output(n.args[0])
                continue
            try:
                self.env[n] = self._node(n)
            except _Unsupported:
                self.env[n] = self._opaque(n)

    def _node(self, n: fx.Node):
        if n.op == "call_module":
            return self._module(n, self.gm.get_submodule(n.target))
        if n.op == "get_attr":
            return self._attr(n)
        target = n.target
        if n.op == "call_method" and target in ("size", "dim"):
            return _Size(n)
        if n.op == "call_function" and target is getattr and n.args[1] == "shape":
            return _Size(n)
        if n.op == "call_function" and target is operator.getitem:
            base = self.env.get(n.args[0])
            if isinstance(base, _Size):
                return _Size(n)
            if isinstance(base, _Tuple):
                return base.item(n)
            raise _Unsupported("indexing")
        key = target if n.op == "call_function" else target if n.op == "call_method" else None
        rule = fx_rules.CALL_RULES.get(("method", key) if n.op == "call_method" else
                                       key if _hashable(key) else None)
        if rule is not None:
            return self._ruled(n, rule, (), n.args, dict(n.kwargs))
        raise _Unsupported(str(target))

    def _module(self, n: fx.Node, m: nn.Module):
        rule = fx_rules.MODULE_RULES.get(type(m))
        if rule is not None:
            return self._ruled(n, rule, (m,), n.args, dict(n.kwargs))
        if isinstance(m, nn.Identity):  # no node: its output is its input
            return self.ref(n.args[0])
        raise _Unsupported(type(m).__name__)

    def _ruled(self, n: fx.Node, rule, lead: tuple, args, kwargs):
        """A node made by a block's import rule, which sees tensors as TensorArgs."""

        def arg(a):
            if isinstance(a, fx.Node) and _is_ref(self.env.get(a)):
                return fx_rules.TensorArg(self.env[a], _shape(a))
            if isinstance(a, fx.Node) and isinstance(self.env.get(a), _Size):
                size = _size_arg(self.env[a].node, self.env)
                if size is not None:
                    return size
            if isinstance(a, (list, tuple)) and any(isinstance(x, fx.Node) for x in a):
                return type(a)(arg(x) for x in a)
            return self.value(a)

        made = fx_rules.apply(rule, *lead, *[arg(a) for a in args],
                              **{k: arg(v) for k, v in kwargs.items()})
        if made is None or not all(_is_input(t) for t in made.inputs):
            raise _Unsupported(str(n.target))
        inputs = [t.ref if isinstance(t, fx_rules.TensorArg) else self.ref(t)
                  for t in made.inputs]
        label = n.target if n.op == "call_module" else None
        ref = self.add(Item(made.type, made.params, inputs, made.weights, label=label,
                            hint=n.name))
        return _Tuple(n, ref, made.tuple_of) if made.tuple_of else ref

    def _attr(self, n: fx.Node):
        value = self.gm
        for part in n.target.split("."):
            value = getattr(value, part)
        if not isinstance(value, torch.Tensor):
            raise _Unsupported("attribute")
        return self._tensor(value, label=n.target, hint=n.name)

    def _tensor(self, value: torch.Tensor, label: str | None = None, hint: str = "node"):
        """The node of a tensor the module holds, or of a number: its block's attr rule."""
        rule = fx_rules.attr_rule_for(value)
        made = rule(value) if rule is not None else None
        if made is None:
            raise _Unsupported("attribute")
        return self.add(Item(made.type, made.params, [], made.weights, label=label, hint=hint))

    def _opaque(self, n: fx.Node):
        """A node without a block: hold the submodule, or a call of the function."""
        if n.op == "call_module":
            module = self.gm.get_submodule(n.target)
            name = f"{type(module).__module__}.{type(module).__qualname__}"
            tensors = [a for a in n.args if isinstance(a, fx.Node)]
            if len(tensors) != len(n.args) or n.kwargs:
                raise GraphError(f"cannot import the call of {n.target}: only tensor arguments",
                                 found=str(n.args)[:80])
            held = module
            label = f"{type(module).__name__} ({n.target})"
        elif n.op in ("call_function", "call_method"):
            tensors = []
            held = _Call(n, tensors, self)
            name = _target_name(n)
            label = name
        else:
            raise GraphError(f"cannot import fx node {n.name} ({n.op})", found=n.op)
        refs = [self.ref(a) for a in tensors]
        return self.add(Item("Module", {"class_name": name, "ref": hold(held),
                                        "n_inputs": len(refs), "n_outputs": 1}, refs,
                             label=label, hint=n.name))

    def _output(self, value) -> None:
        if isinstance(value, fx.Node):
            self.outputs.append(("y", self.ref(value)))
        elif isinstance(value, (tuple, list)):
            for i, v in enumerate(value):
                self.outputs.append((f"y{i}", self.ref(v)))
        elif isinstance(value, dict):
            for k, v in value.items():
                self.outputs.append((str(k), self.ref(v)))
        else:
            raise GraphError("the module returns no tensor", found=type(value).__name__)


class _Unsupported(Exception):
    pass


def _is_ref(value) -> bool:
    return isinstance(value, tuple) and bool(value) and value[0] in ("item", "input")


class _Tuple:
    """A call that returns a tuple whose item 0 is a node's output (attention's (output,
    weights)); the other items have no block."""

    def __init__(self, node: fx.Node, ref: tuple, length: int):
        self.node, self.ref, self.length = node, ref, length

    def item(self, n: fx.Node):
        i = n.args[1]
        if i == 0 or i == -self.length:
            return self.ref
        raise GraphError(f"cannot import {n.name}: item {i} of what {self.node.target} returns "
                         "has no block", node=n.name, expected="item 0", found=i)


class _Size:
    """A run-time size (x.size(0), x.shape[0]): a rule gets it as a SizeArg
    (reshape(x.size(0), -1)); anywhere else it is no constant."""

    def __init__(self, node: fx.Node):
        self.node = node


def _size_arg(d: fx.Node, env: dict) -> fx_rules.SizeArg | None:
    """``t.size(i)``, ``t.size()[i]`` or ``t.shape[i]`` of a tensor `t` as a SizeArg."""
    t, i = None, None
    if d.op == "call_method" and d.target == "size" and len(d.args) + len(d.kwargs) == 2:
        t, i = d.args[0], d.args[1] if len(d.args) == 2 else d.kwargs.get("dim")
    elif d.op == "call_function" and d.target is operator.getitem:
        s = d.args[0]
        if isinstance(s, fx.Node) and s.op == "call_function" and s.target is getattr \
                and s.args[1] == "shape":
            t, i = s.args[0], d.args[1]
        elif isinstance(s, fx.Node) and s.op == "call_method" and s.target == "size" \
                and len(s.args) == 1 and not s.kwargs:
            t, i = s.args[0], d.args[1]
    if not (isinstance(t, fx.Node) and _is_ref(env.get(t)) and isinstance(i, int)):
        return None
    return fx_rules.SizeArg(fx_rules.TensorArg(env[t], _shape(t)), i)


def _is_input(value) -> bool:
    """What a rule may give as a node's input: a tensor argument, or a number."""
    return isinstance(value, fx_rules.TensorArg) or (
        isinstance(value, (int, float)) and not isinstance(value, bool))


def _shape(n) -> tuple | None:
    meta = getattr(n, "meta", {}).get("tensor_meta") if isinstance(n, fx.Node) else None
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None


def _hashable(x) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _target_name(n: fx.Node) -> str:
    if n.op == "call_method":
        return f"Tensor.{n.target}"
    mod = getattr(n.target, "__module__", None) or ""
    name = getattr(n.target, "__qualname__", None) or getattr(n.target, "__name__", str(n.target))
    if "<locals>" in name:  # a dispatch wrapper (F.max_pool2d): the traced name says more
        name = re.sub(r"_\d+$", "", n.name)
    return f"{mod}.{name}" if mod else name


class _Call(nn.Module):
    """One traced function call replayed with its tensor arguments swapped in."""

    def __init__(self, n: fx.Node, tensors: list, importer: _Importer):
        super().__init__()
        self.kind, self.target = n.op, n.target
        slots = []

        def template(a):
            if isinstance(a, fx.Node):
                v = importer.env.get(a)
                if not _is_ref(v):
                    raise GraphError(f"cannot import {n.name}: it uses the run-time value "
                                     f"{a.name}", found=a.name)
                tensors.append(a)
                slots.append(len(tensors) - 1)
                return _Slot(len(tensors) - 1)
            if isinstance(a, (list, tuple)):
                return type(a)(template(x) for x in a)
            if isinstance(a, dict):
                return {k: template(v) for k, v in a.items()}
            return a

        self.args = template(tuple(n.args))
        self.kwargs = template(dict(n.kwargs))

    def forward(self, *xs):
        def fill(a):
            if isinstance(a, _Slot):
                return xs[a.i]
            if isinstance(a, (list, tuple)):
                return type(a)(fill(x) for x in a)
            if isinstance(a, dict):
                return {k: fill(v) for k, v in a.items()}
            return a

        args, kwargs = fill(self.args), fill(self.kwargs)
        if self.kind == "call_method":
            return getattr(args[0], self.target)(*args[1:], **kwargs)
        return self.target(*args, **kwargs)

    def extra_repr(self) -> str:
        return str(getattr(self.target, "__name__", self.target))


@dataclasses.dataclass(frozen=True)
class _Slot:
    i: int


# -- to a graph ------------------------------------------------------------------------


class _Tracer(fx.Tracer):
    """torch.fx's tracer that follows layers with an expansion rule through their
    sublayers instead of recording them whole."""

    def call_module(self, m, forward, args, kwargs):
        rule = fx_rules.EXPAND_RULES.get(type(m))
        out = fx_rules.apply(rule, m, *args, **kwargs) if rule is not None else None
        if out is not None:
            return out
        return super().call_module(m, forward, args, kwargs)

    def is_leaf_module(self, m, qualname):
        # a layer with an import rule is recorded whole, for its rule: torch.fx records
        # only torch.nn's own classes whole, and a compiled graph's Linear layers are
        # construct's subclass of nn.Linear
        return type(m) in fx_rules.MODULE_RULES or super().is_leaf_module(m, qualname)


class _Whole(nn.Module):
    """Holds a one-input layer that has an expansion rule (a lone TransformerEncoderLayer),
    so the tracer meets it as a call of a sublayer, which it can expand."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)


def _trace(module: nn.Module) -> fx.GraphModule:
    root = _Whole(module) if type(module) in fx_rules.EXPAND_RULES else module
    gm = fx.GraphModule(root, _Tracer().trace(root), type(module).__name__)
    if root is not module:  # the input keeps the layer's own name (src)
        name = next(iter(inspect.signature(module.forward).parameters))
        for n in gm.graph.nodes:
            if n.op == "placeholder":
                n.target = n.name = name
    return gm


class ImportedGraph(Graph):
    """A graph made by :func:`diffwire.from_module`. It carries the imported weights in
    memory (`weights`, keyed like the compiled module's state_dict) and `compile()` loads
    them, so the compiled graph computes what the module did. Nodes edited since (their
    shapes changed) keep fresh weights."""

    def __init__(self):
        super().__init__()
        self.weights: dict[str, torch.Tensor] = {}

    def compile(self, **kwargs):
        model = super().compile(**kwargs)
        own = model.state_dict()
        usable = {k: v for k, v in self.weights.items() if k in own and own[k].shape == v.shape}
        model.load_state_dict(usable, strict=False)
        return model


def import_module(module: nn.Module, example_inputs=(), *, dynamic_batch: bool = True,
                  mlp: bool = True) -> ImportedGraph:
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    example_inputs = tuple(example_inputs)
    try:
        gm = _trace(module)
    except Exception as exc:  # fx raises many kinds on dynamic control flow
        raise GraphError(f"torch.fx cannot trace {type(module).__name__}: {exc}",
                         hint="data-dependent Python control flow cannot be traced") from None
    if example_inputs:
        from torch.fx.passes.shape_prop import ShapeProp

        # In eval mode, so the example leaves BatchNorm's running statistics as they were.
        modes = [(m, m.training) for m in module.modules()]
        try:
            with torch.no_grad():
                ShapeProp(gm.eval()).propagate(*example_inputs)
        except Exception as exc:
            raise GraphError(f"{type(module).__name__} fails on the example inputs: {exc}",
                             expected="inputs the module accepts",
                             found=[tuple(x.shape) for x in example_inputs]) from None
        finally:
            for m, training in modes:
                m.training = training
    imp = _Importer(gm)
    imp.run(example_inputs)
    if mlp:
        for fold in fx_rules.FOLD_RULES:
            fold(imp.items, imp.outputs)
    g = ImportedGraph()
    refs: dict[tuple, tuple[str, str]] = {}
    for name, x in imp.inputs:
        shape = list(x.shape)
        if dynamic_batch and shape:
            shape[0] = None
        dtype = {torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}.get(
            x.dtype, "float32")
        node = g.add("Input", id=g._fresh_id(name), name=name, shape=shape, dtype=dtype)
        refs[("input", name)] = (node.id, "out")
    for i, it in enumerate(imp.items):
        if it.dead:
            continue
        node = g.add(it.type, id=g._fresh_id(_ident(it.hint)), label=it.label, **it.params)
        ports = [p.name for p in node.input_ports()]
        for port, a in zip(ports, it.args):
            src = refs[a if a[0] == "input" else ("item", a[1])]
            g.connect(src, (node, port))
        refs[("item", i)] = (node.id, node.output_ports()[0].name)
        for key, v in it.weights.items():
            g.weights[f"blocks.{node.id}.{key}"] = v
    for name, a in imp.outputs:
        src = refs[a if a[0] == "input" else ("item", a[1])]
        g.add_output(src, name=name)
    _layout(g)
    return g


def _ident(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "_", str(text)) or "node"
    return text if not text[0].isdigit() else "n_" + text


def _layout(g: Graph) -> None:
    """Left to right in data-flow order, so the editor shows the chain readably."""
    from ..analysis import topo_order

    depth: dict[str, int] = {}
    for nid in topo_order(g):
        srcs = [e.source for e in g.edges if e.target == nid]
        depth[nid] = 1 + max((depth[s] for s in srcs), default=-1)
    rows: dict[int, int] = {}
    for nid, d in depth.items():
        g.nodes[nid].position = [220.0 * d, 110.0 * rows.get(d, 0)]
        rows[d] = rows.get(d, 0) + 1
