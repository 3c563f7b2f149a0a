"""Static checks over a graph: order, cycles, ports, params, and shape inference.

Shapes are inferred by running the compiled graph on ``meta`` tensors (no memory, no
compute), with each symbolic size (``B``, ``T``...) stood in for by a distinct prime.
Control-flow blocks run their bodies once while inferring.
"""

from __future__ import annotations

import heapq
import re

import networkx as nx
import torch

from .document import Graph, Node, check_params
from .errors import (
    CycleError,
    DanglingOutput,
    DuplicateInput,
    GraphError,
    KindMismatch,
    MissingInput,
    ParamError,
    RuntimeGraphError,
    ShapeMismatch,
    UnknownPort,
)
from .ports import kinds_compatible

# Stand-ins for symbolic sizes: primes no real model is likely to use as a width.
_SENTINELS = [1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049, 1051, 1061, 1063, 1069]
_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
           "bool": torch.bool}


def nx_graph(graph: Graph) -> nx.MultiDiGraph:
    """The networkx view of one level of the graph (bodies are not expanded)."""
    G = nx.MultiDiGraph()
    G.add_nodes_from(graph.nodes)
    for e in graph.edges:
        if e.source in graph.nodes and e.target in graph.nodes:
            G.add_edge(e.source, e.target, source_port=e.source_port, target_port=e.target_port)
    return G


def topo_order(graph: Graph) -> list[str]:
    """Node ids in an order where every edge points forward (ties keep insertion order).

    Kahn's algorithm with a heap on insertion position: the order networkx's
    ``lexicographical_topological_sort`` gives with that key, without building a networkx
    graph (the editor asks for it on every edit). A cycle is located with networkx."""
    pos = {nid: i for i, nid in enumerate(graph.nodes)}
    indegree = dict.fromkeys(pos, 0)
    after: dict[str, list[str]] = {nid: [] for nid in pos}
    for e in graph.edges:
        if e.source in pos and e.target in pos:
            after[e.source].append(e.target)
            indegree[e.target] += 1
    ready = [i for nid, i in pos.items() if indegree[nid] == 0]  # already in heap order
    ids = list(pos)
    order: list[str] = []
    while ready:
        nid = ids[heapq.heappop(ready)]
        order.append(nid)
        for t in after[nid]:
            indegree[t] -= 1
            if indegree[t] == 0:
                heapq.heappush(ready, pos[t])
    if len(order) < len(pos):
        cycle = nx.find_cycle(nx_graph(graph).subgraph(n for n in pos if indegree[n] > 0))
        nodes = [c[0] for c in cycle]
        raise CycleError("the graph has a cycle outside a Loop body", node=nodes[0],
                         found=" -> ".join(nodes + [nodes[0]]),
                         hint="feedback belongs in a Loop block's body")
    return order


def structural_errors(graph: Graph, prefix: str = "", top: bool = True) -> list[GraphError]:
    """Everything wrong with one graph level (and its bodies) that needs no tensors."""
    errs: list[GraphError] = []
    ok_nodes: dict[str, Node] = {}
    for nid, node in graph.nodes.items():
        try:
            node.block  # noqa: B018 - raises UnknownBlockType
            node.params = check_params(node)
            ok_nodes[nid] = node
        except GraphError as e:
            errs.append(e.at(prefix.rstrip("/")) if prefix else e)
    seen_inputs: dict[tuple[str, str], str] = {}
    used_outputs: set[str] = set()
    for e in graph.edges:
        bad = _edge_error(graph, ok_nodes, e)
        if bad is not None:
            if bad.severity == "error":
                errs.append(_at(bad, prefix))
                continue
            # an edge touching a broken node still counts as wired: no extra noise
            seen_inputs[(e.target, e.target_port)] = f"{e.source}.{e.source_port}"
            used_outputs.add(e.source)
            continue
        key = (e.target, e.target_port)
        if key in seen_inputs:
            errs.append(_at(DuplicateInput(
                "two edges go into one input", node=e.target, port=e.target_port,
                expected="one edge", found=f"edges from {seen_inputs[key]} and {e.source}.{e.source_port}",
            ), prefix))
        seen_inputs[key] = f"{e.source}.{e.source_port}"
        used_outputs.add(e.source)
    for nid, node in ok_nodes.items():
        for p in node.input_ports():
            if not p.optional and (nid, p.name) not in seen_inputs:
                errs.append(_at(MissingInput("required input has no edge", node=nid, port=p.name,
                                             expected=f"a {p.kind} value", found="nothing"), prefix))
        if (node.type != "Output" and node.block.compiled and node.output_ports()
                and nid not in used_outputs):
            errs.append(_at(DanglingOutput("output goes nowhere", node=nid,
                                           port=node.output_ports()[0].name, severity="warning",
                                           hint="wire it to an Output or remove the node"), prefix))
        errs.extend(_body_errors(node, f"{prefix}{nid}/"))
    names = [n.params.get("name") for n in graph.outputs()]
    for name in {n for n in names if names.count(n) > 1}:
        errs.append(_at(GraphError(f"two Output nodes are named '{name}'", port=name), prefix))
    names = [n.params.get("name") for n in graph.inputs()]
    for name in {n for n in names if names.count(n) > 1}:
        errs.append(_at(GraphError(f"two Input nodes are named '{name}'", port=name), prefix))
    if top and not graph.outputs():
        errs.append(GraphError("the graph has no Output node", hint="add one with g.add_output(...)"))
    try:
        topo_order(graph)
    except CycleError as e:
        errs.append(_at(e, prefix))
    return errs


def _at(err: GraphError, prefix: str) -> GraphError:
    return err.at(prefix.rstrip("/")) if prefix else err


def _edge_error(graph: Graph, ok: dict[str, Node], e) -> GraphError | None:
    for end, port in ((e.source, e.source_port), (e.target, e.target_port)):
        if end not in graph.nodes:
            return UnknownPort(f"edge refers to a missing node '{end}'", node=end, port=port,
                               expected="an existing node", found=end)
    if e.source not in ok or e.target not in ok:
        return GraphError("edge touches a node with errors", node=e.target, port=e.target_port,
                          severity="info")
    s_ports = {p.name: p for p in ok[e.source].output_ports()}
    t_ports = {p.name: p for p in ok[e.target].input_ports()}
    if e.source_port not in s_ports:
        return UnknownPort(f"no output port '{e.source_port}'", node=e.source, port=e.source_port,
                           expected=f"one of {sorted(s_ports)}", found=e.source_port)
    if e.target_port not in t_ports:
        return UnknownPort(f"no input port '{e.target_port}'", node=e.target, port=e.target_port,
                           expected=f"one of {sorted(t_ports)}", found=e.target_port)
    sk, tk = s_ports[e.source_port].kind, t_ports[e.target_port].kind
    if not kinds_compatible(sk, tk):
        return KindMismatch(f"{e.source}.{e.source_port} is {sk}, this port takes {tk}",
                            node=e.target, port=e.target_port, expected=tk, found=sk)
    return None


def _body_errors(node: Node, prefix: str) -> list[GraphError]:
    errs: list[GraphError] = []
    cls = node.block
    for name in cls.bodies:
        body = node.body.get(name)
        path = f"{prefix}{name}/"
        if body is None:
            errs.append(GraphError(f"missing body '{name}'", node=prefix.rstrip("/"), port=name))
            continue
        ins, outs = cls.body_interface(node.params, name)
        have_in = {n.params.get("name") for n in body.inputs()}
        have_out = {n.params.get("name") for n in body.outputs()}
        for p in ins:
            if p.name not in have_in and not p.optional:
                errs.append(MissingInput(f"body '{name}' needs an Input named '{p.name}'",
                                         node=prefix.rstrip("/"), port=p.name,
                                         expected=[q.name for q in ins], found=sorted(have_in)))
        for p in outs:
            if p.name not in have_out and not p.optional:
                errs.append(MissingInput(f"body '{name}' needs an Output named '{p.name}'",
                                         node=prefix.rstrip("/"), port=p.name,
                                         expected=[q.name for q in outs], found=sorted(have_out)))
        errs.extend(structural_errors(body, path, top=False))
    return errs


def validate(graph: Graph, shapes: bool = True) -> list[GraphError]:
    """Every problem at once: structure first, then shapes when the structure is sound."""
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
                d = self.size[d]
            out.append(int(d))
        return out

    def symbolic(self, shape) -> list:
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


def infer_shapes(graph: Graph) -> dict[str, dict[str, list]]:
    """Symbolic shapes of every node output, keyed by node path then port name.

    Raises :class:`ShapeMismatch` naming the first node whose inputs do not fit.
    """
    from .compile import BuildContext, CompiledGraph, infer_mode

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

    with infer_mode():
        try:
            module.run(*args, tap=tap)
        except RuntimeGraphError as e:
            raise ShapeMismatch(_shape_message(e.message, symbols), node=e.node,
                                port=_first_port(graph, e.node)) from None
        except GraphError as e:
            for key in ("expected", "found", "message"):
                value = getattr(e, key)
                if value is not None:
                    setattr(e, key, _shape_message(str(value), symbols))
            e.args = (e._text(),)
            raise
    return found


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
