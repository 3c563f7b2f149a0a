"""Structural checks over a graph: order, cycles, ports and params. Shapes are checked a
layer up, by running the compiled graph (:mod:`diffwire.shapes`)."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from .document import Graph, Node, check_params
from .errors import (
    CycleError,
    DanglingOutput,
    DuplicateInput,
    GraphError,
    KindMismatch,
    MissingInput,
    UnknownPort,
)
from .ports import kinds_compatible

if TYPE_CHECKING:  # networkx is imported where a cycle is located: `import diffwire` spares it
    import networkx as nx


def nx_graph(graph: Graph) -> nx.MultiDiGraph:
    """The networkx view of one level of the graph (bodies are not expanded)."""
    import networkx as nx

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
        import networkx as nx

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
    seen: dict = {}  # params already checked in this pass (many nodes share theirs)
    for nid, node in graph.nodes.items():
        try:
            node.block  # noqa: B018 - raises UnknownBlockType
            node.params = check_params(node, seen)
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
