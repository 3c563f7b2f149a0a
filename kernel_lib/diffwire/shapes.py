"""Shape inference, and the whole check of a graph (structure, then shapes).

Shapes are inferred by running the compiled graph on ``meta`` tensors (no memory, no
compute), with each symbolic size (``B``, ``T``...) stood in for by a distinct prime.
Control-flow blocks run their bodies once while inferring.
"""

from __future__ import annotations

import re

import torch

from .analysis import structural_errors
from .compile import BuildContext, CompiledGraph
from .context import gc_paused, infer_mode, recording
from .document import Graph, Node
from .errors import GraphError, ParamError, RuntimeGraphError, ShapeMismatch
from .ports import AUTO

# Stand-ins for symbolic sizes: primes no real model is likely to use as a width.
_SENTINELS = [1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049, 1051, 1061, 1063, 1069]
_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
           "bool": torch.bool}


def validate(graph: Graph, shapes: bool = True) -> list[GraphError]:
    """Every problem at once: structure first, then shapes when the structure is sound."""
    with gc_paused():  # see context.gc_paused: half the time of a large graph otherwise
        errs = structural_errors(graph)
        if shapes and not any(e.severity == "error" for e in errs):
            try:
                infer_shapes(graph)
            except GraphError as e:
                errs.append(e)
    return errs


class _Symbols:
    def __init__(self):
        self.size: dict[str, int] = {}
        self.name: dict[int, str] = {}
        self.cache: dict[tuple, list] = {}  # cleared when a new name comes

    def concrete(self, shape: list | None) -> list[int]:
        out = []
        for i, d in enumerate(shape or []):
            if d is None:
                d = "B" if i == 0 else f"D{i}"
            if isinstance(d, str):
                if d not in self.size:
                    s = _SENTINELS[len(self.size) % len(_SENTINELS)] + 0
                    self.size[d] = s
                    self.name[s] = d
                    self.cache.clear()
                d = self.size[d]
            out.append(int(d))
        return out

    def symbolic(self, shape) -> list:
        key = tuple(shape)  # a long chain carries a handful of distinct shapes
        done = self.cache.get(key)
        if done is None:
            done = self.cache[key] = self._symbolic(key)
        return list(done)

    def _symbolic(self, shape) -> list:
        out = []
        for d in shape:
            d = int(d)
            if d in self.name:
                out.append(self.name[d])
                continue
            for s, n in self.name.items():
                if d % s == 0 and d > s:
                    out.append(f"{n}*{d // s}")
                    break
            else:
                out.append(d)
        return out


def input_example(node: Node, symbols: _Symbols, device="meta") -> torch.Tensor:
    """A tensor standing for an Input node's value (meta by default)."""
    p = node.params
    dtype = _DTYPES.get(p.get("dtype", "float32"), torch.float32)
    kind = p.get("kind", "tensor")
    shape = [] if kind == "scalar" and not p.get("shape") else symbols.concrete(p.get("shape"))
    if kind == "bool":
        dtype = torch.bool
    try:
        return torch.empty(shape, dtype=dtype, device=device)
    except (RuntimeError, TypeError, OverflowError, ValueError) as exc:  # sizes past int64
        raise ParamError(f"input shape cannot be allocated: {str(exc).splitlines()[0][:200]}",
                         node=node.id, port="shape", expected="sizes whose product fits int64",
                         found=p.get("shape")) from None


def infer_shapes(graph: Graph, *, bodies: bool = False) -> dict[str, dict[str, list]]:
    """Symbolic shapes of every node output, keyed by node path then port name; with
    `bodies`, the nodes inside bodies too (``"solve/field/U"``), as a body ran once.

    Raises :class:`ShapeMismatch` naming the first node whose inputs do not fit.
    """
    symbols = _Symbols()
    with torch.device("meta"):
        module = CompiledGraph(graph, BuildContext(meta=True))
    args = [input_example(n, symbols) for n in graph.inputs()]
    found: dict[str, dict[str, list]] = {}
    for n, a in zip(graph.inputs(), args):
        found[n.id] = {"out": symbols.symbolic(a.shape)}

    def tap(path: str, value) -> None:
        node = graph.node(path)
        ports = [p.name for p in node.output_ports()]
        values = (value,) if len(ports) == 1 else tuple(value)
        found[path] = {port: symbols.symbolic(v.shape) for port, v in zip(ports, values)
                       if isinstance(v, torch.Tensor)}

    with infer_mode(), recording(tap if bodies else None):
        try:
            module.run(*args, tap=tap)
        except RuntimeGraphError as e:
            raise ShapeMismatch(_shape_message(e.message, symbols), node=e.node,
                                port=_first_port(graph, e.node)) from None
        except GraphError as e:
            in_symbols(e, symbols)
            raise
    return found


def in_symbols(e: GraphError, symbols: _Symbols) -> GraphError:
    """`e`, its sizes rewritten in place as the graph's symbols (B for the batch, say), so
    a shape error reads in the terms of the canvas."""
    for key in ("expected", "found", "message"):
        value = getattr(e, key)
        if value is not None:
            setattr(e, key, _shape_message(str(value), symbols))
    e.args = (e._text(),)
    return e


def _first_port(graph: Graph, path: str | None) -> str | None:
    try:
        ports = graph.node(path).input_ports()
    except GraphError:
        return None
    return ports[0].name if ports else None


def _shape_message(text: str, symbols: _Symbols) -> str:
    """Torch's message with the probe sizes put back as their names: 1009 -> B, and a
    product such as an element count 3027 -> 3*B (torch reports those for reshapes)."""
    names = symbols.name

    def name_of(m: re.Match) -> str:
        n = int(m.group())
        if n in names:
            return names[n]
        for size, name in names.items():
            if n % size == 0 and n // size > 1:
                return f"{n // size}*{name}"
        return m.group()

    text = re.sub(r"(?<![\w.])\d{4,}(?![\w.])", name_of, text)
    return text.replace(", device='meta'", "").replace("device='meta'", "")


def has_auto(graph: Graph) -> bool:
    """Whether any node (bodies included) has an ``auto`` size left to resolve."""
    return any(_auto_params(node) for _, node in graph.walk())


def _auto_params(node: Node) -> list[str]:
    try:
        params = node.block.params
    except GraphError:  # an unknown block type: validation reports it with the rest
        return []
    out = []
    for p in params:
        if not p.auto:
            continue
        value = node.read_params().get(p.name)
        if value == AUTO or (isinstance(value, list) and value and value[0] == AUTO):
            out.append(p.name)
    return out


def resolve_auto(graph: Graph) -> Graph:
    """`graph` with every ``auto`` size replaced by the size of the wire it follows (a
    copy), or `graph` itself when it has none. The document keeps ``auto``: a person who
    rewires the node gets the new size at the next build."""
    if not has_auto(graph):
        return graph
    shapes = infer_shapes(graph, bodies=True)
    out = Graph.from_dict(graph.to_dict())
    _resolve(out, shapes, "")
    return out


def _resolve(graph: Graph, shapes: dict, prefix: str) -> None:
    for node in graph.nodes.values():
        if _auto_params(node):
            inputs = {}
            for port, e in graph.edges_into(node.id).items():
                shape = shapes.get(prefix + e.source, {}).get(e.source_port)
                if shape is not None:
                    inputs[port] = shape
            try:
                node.params = node.block.resolve_auto(dict(node.read_params()), inputs)
            except GraphError as e:
                if e.node is None:
                    e.at(prefix + node.id)
                raise
        for name, body in node.bodies().items():
            _resolve(body, shapes, f"{prefix}{node.id}/{name}/")
