"""A body graph written as equations: each Output's value as text in terms of the body's
Inputs, built node by node from :meth:`Block.symbolic`. The canvas shows an ODESolve's
vector field this way (``dx/dt = alpha*x + U[0](x, y)``)."""

from __future__ import annotations

import re

from .analysis import topo_order
from .document import Graph, Node
from .ports import Port
from .symbolic import Sym, state_names

_REF = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(-?\d+)\])?")


def _size(v) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _width(node: Node, shapes: dict, path: str, port: Port) -> int | None:
    """The output's last size: inferred when inference reached it (it does not enter
    bodies), else the port's declared size with params filled in (``widths[-1]``)."""
    shape = shapes.get(path, {}).get(port.name)
    if shape:
        return _size(shape[-1])
    if not port.shape:
        return None
    last = port.shape[-1]
    m = _REF.fullmatch(last) if isinstance(last, str) else None
    if not m:
        return _size(last)
    v = node.params.get(m[1])
    if m[2] is not None:
        v = v[int(m[2])] if isinstance(v, list) and -len(v) <= int(m[2]) < len(v) else None
    return _size(v)


def body_outputs(body: Graph, inputs: dict[str, Sym], shapes: dict, prefix: str) -> dict[str, Sym]:
    """The value of each of `body`'s Outputs (by name) given its Inputs' (by name).

    `prefix` is the body's node-path prefix ("solve/field/") in `shapes`."""
    incoming: dict[str, dict[str, tuple[str, str]]] = {}
    for e in body.edges:
        incoming.setdefault(e.target, {})[e.target_port] = (e.source, e.source_port)
    values: dict[tuple[str, str], Sym] = {}
    outs: dict[str, Sym] = {}
    for nid in topo_order(body):
        node = body.nodes[nid]
        args = {port: values[src] for port, src in incoming.get(nid, {}).items() if src in values}
        if node.type == "Input":
            name = node.params.get("name", nid)
            values[(nid, "out")] = inputs.get(name, Sym(name))
            continue
        if node.type == "Output":
            if "x" in args:
                outs[node.params.get("name", nid)] = args["x"]
            continue
        ports = node.output_ports()
        if len(ports) == 1:
            values[(nid, ports[0].name)] = node.block.symbolic(
                node, args, _width(node, shapes, prefix + nid, ports[0]))
        else:
            for p in ports:
                values[(nid, p.name)] = Sym(f"{node.label or nid}.{p.name}")
    return outs


def field_equations(body: Graph, dim: int | None, shapes: dict, prefix: str,
                    state: str = "y", derivative: str = "dy") -> list[str] | None:
    """``d<x>/dt = ...`` lines for a vector-field body with Inputs `state`, ``t`` and
    Output `derivative`; one line per component when the state's size `dim` is known."""
    names = state_names(dim) if dim else None
    y = Sym(state, tuple(names)) if names else Sym(state)
    dy = body_outputs(body, {state: y, "t": Sym("t")}, shapes, prefix).get(derivative)
    if dy is None:
        return None
    if names and dy.parts is not None and len(dy.parts) == len(names):
        return [f"d{n}/dt = {p}" for n, p in zip(names, dy.parts, strict=True)]
    return [f"d{state}/dt = {dy.text}"]
