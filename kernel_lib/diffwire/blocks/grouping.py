"""Group a selection into a Group node, and dissolve a Group again: the editor's `group` and
`ungroup` commands (widget/grouping.py). They live beside the Group, Input and Output blocks
because they are made of them: the front end names no block type.

Both are pure edits of the document JSON (a graph as ``Graph.to_dict(top=False)`` writes
it, at any depth): they never mutate their arguments and keep every other node as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .group import Group
from .input import Input
from .output import Output

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IO = {Input.type, Output.type}
_BODY = Group.bodies[0]
#: the ports an Input node gives and an Output node takes
_INPUT_GIVES = Input.output_ports(Input.default_params())[0].name
_OUTPUT_TAKES = Output.inputs[0].name
#: room left between a group's body and its Input / Output columns
_INPUTS_LEFT, _OUTPUTS_RIGHT, _ROW = 220, 260, 90


def fresh_id(nodes: list[dict], base: str, taken: Iterable[str] = ()) -> str:
    """`base` made an identifier, with ``_1``, ``_2``... when a node of `nodes` or `taken`
    has it already (as the canvas names the nodes it adds: extension/src/graph.ts)."""
    b = re.sub(r"[^A-Za-z0-9_]", "_", base) or "node"
    if not _ID.fullmatch(b):
        b = "n_" + b
    used = {n["id"] for n in nodes} | set(taken)
    if b not in used:
        return b
    i = 1
    while f"{b}_{i}" in used:
        i += 1
    return f"{b}_{i}"


def _unique_name(base: str, taken: set[str]) -> str:
    b = re.sub(r"[^A-Za-z0-9_]", "_", base) or "x"
    if not _ID.fullmatch(b):
        b = "n_" + b
    name, i = b, 1
    while name in taken:
        name, i = f"{b}_{i}", i + 1
    taken.add(name)
    return name


def group_selection(graph: dict, ids: Iterable[str]) -> tuple[dict, str] | None:
    """Move the nodes `ids` of `graph` into the body of a new Group node; returns the new
    graph and the group's id, or None when nothing groupable is selected.

    Input and Output nodes of the graph stay where they are. Each distinct value entering
    the selection becomes a group input, each value leaving it a group output (named after
    the node that makes it, apart from the body's node ids); the wiring outside is kept
    through the group's ports.
    """
    want = set(ids)
    sel = [n for n in graph["nodes"] if n["id"] in want and n["type"] not in _IO]
    if not sel:
        return None
    in_sel = {n["id"] for n in sel}
    taken = set(in_sel)
    inputs: dict[tuple[str, str], str] = {}  # (source, port) outside -> group input name
    outputs: dict[tuple[str, str], str] = {}  # (source, port) inside -> group output name

    def port_base(e: dict) -> str:
        return e["source"] if e["source_port"] == "out" else f"{e['source']}_{e['source_port']}"

    inner: list[dict] = []
    outer: list[dict] = []
    for e in graph["edges"]:
        s, t = e["source"] in in_sel, e["target"] in in_sel
        if s and t:
            inner.append(e)
        elif not s and not t:
            outer.append(e)
        elif t:
            key = (e["source"], e["source_port"])
            if key not in inputs:
                inputs[key] = _unique_name(port_base(e), taken)
            inner.append({"source": inputs[key], "source_port": _INPUT_GIVES,
                          "target": e["target"], "target_port": e["target_port"]})
    gid = fresh_id(graph["nodes"], "group")
    for e in graph["edges"]:
        if e["source"] not in in_sel or e["target"] in in_sel:
            continue
        key = (e["source"], e["source_port"])
        if key not in outputs:
            outputs[key] = _unique_name(port_base(e), taken)
            inner.append({"source": e["source"], "source_port": e["source_port"],
                          "target": outputs[key], "target_port": _OUTPUT_TAKES})
        outer.append({"source": gid, "source_port": outputs[key],
                      "target": e["target"], "target_port": e["target_port"]})
    for (source, port), name in inputs.items():
        outer.append({"source": source, "source_port": port, "target": gid, "target_port": name})

    xs = [n["position"][0] for n in sel]
    ys = [n["position"][1] for n in sel]
    x0, x1 = min(xs), max(xs)
    cy = sum(ys) / len(ys)

    def column(names: list[str], type_: str, x: float) -> list[dict]:
        mid = (len(names) - 1) / 2
        return [{"id": name, "type": type_, "params": {"name": name},
                 "position": [x, cy + (i - mid) * _ROW]} for i, name in enumerate(names)]

    in_names, out_names = list(inputs.values()), list(outputs.values())
    body = {"nodes": [*column(in_names, Input.type, x0 - _INPUTS_LEFT), *sel,
                      *column(out_names, Output.type, x1 + _OUTPUTS_RIGHT)],
            "edges": inner}
    group = {"id": gid, "type": Group.type, "params": {"inputs": in_names, "outputs": out_names},
             "position": [(x0 + x1) / 2, cy], "body": {_BODY: body}}
    nodes = [n for n in graph["nodes"] if n["id"] not in in_sel] + [group]
    return {**graph, "nodes": nodes, "edges": outer}, gid


def ungroup(graph: dict, gid: str) -> tuple[dict, list[str]] | None:
    """Dissolve the Group node `gid`: its body's nodes come back into `graph` (renamed where
    their ids are taken, placed around the group's position), wired to what fed and read
    the group's ports. Returns the new graph and the ids of the nodes that came back, or
    None when `gid` is not a Group."""
    group = next((n for n in graph["nodes"] if n["id"] == gid), None)
    body = (group.get("body") or {}).get(_BODY) if group else None
    if group is None or group["type"] != Group.type or not body:
        return None

    def port_name(n: dict) -> str:
        name = n["params"].get("name")
        return name if isinstance(name, str) else n["id"]

    in_nodes = {n["id"]: port_name(n) for n in body["nodes"] if n["type"] == Input.type}
    out_nodes = {n["id"]: port_name(n) for n in body["nodes"] if n["type"] == Output.type}
    moved = [n for n in body["nodes"] if n["type"] not in _IO]
    rest = [n for n in graph["nodes"] if n["id"] != gid]
    rename: dict[str, str] = {}
    for n in moved:
        rename[n["id"]] = fresh_id(rest, n["id"], rename.values())
    # what feeds each group input from outside
    feeds = {e["target_port"]: (e["source"], e["source_port"])
             for e in graph["edges"] if e["target"] == gid}

    def source_of(source: str, port: str) -> tuple[str, str] | None:
        """An inner end: a moved node (renamed) or a group input (its feed outside)."""
        if source in in_nodes:
            return feeds.get(in_nodes[source])
        return rename[source], port

    results: dict[str, tuple[str, str] | None] = {}
    edges = [e for e in graph["edges"] if e["source"] != gid and e["target"] != gid]
    for e in body["edges"]:
        if e["target"] in out_nodes:
            results[out_nodes[e["target"]]] = source_of(e["source"], e["source_port"])
            continue
        src = source_of(e["source"], e["source_port"])
        if src and e["target"] in rename:
            edges.append({"source": src[0], "source_port": src[1],
                          "target": rename[e["target"]], "target_port": e["target_port"]})
    for e in graph["edges"]:
        if e["source"] != gid:
            continue
        src = results.get(e["source_port"])
        if src:
            edges.append({"source": src[0], "source_port": src[1],
                          "target": e["target"], "target_port": e["target_port"]})

    xs = [n["position"][0] for n in moved]
    ys = [n["position"][1] for n in moved]
    cx = (min(xs) + max(xs)) / 2 if xs else 0
    cy = sum(ys) / len(ys) if ys else 0
    gx, gy = group["position"]
    back = [{**n, "id": rename[n["id"]],
             "position": [n["position"][0] - cx + gx, n["position"][1] - cy + gy]} for n in moved]
    return {**graph, "nodes": rest + back, "edges": edges}, [n["id"] for n in back]
