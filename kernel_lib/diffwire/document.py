"""The graph document: nodes, edges, bodies and the training section, to and from JSON.

The document is the single source of truth; compile and export are pure functions of it.
Loading parses JSON and checks it against the schema: it never imports or runs anything.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import pathlib
import re
import tempfile
import types
from collections.abc import Iterator, Mapping
from typing import Any

from . import jsontext
from .context import gc_paused
from .errors import (
    DuplicateId,
    DuplicateInput,
    FormatError,
    GraphError,
    KindMismatch,
    UnknownNode,
    UnknownPort,
)
from .ports import Port, kinds_compatible
from .schema_fast import plainly_valid

FORMAT = "diffwire/1"
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# The block registry sits a layer up (blocks build on documents). It installs its table and
# lookup here when it is imported, which `import diffwire` does, so a node finds its class.
_BLOCKS: dict = {}


def _no_registry(name: str, node: str | None = None):
    raise GraphError("no block registry is loaded: import diffwire, not diffwire.document alone",
                     node=node, found=name)


_get_block = _no_registry


def use_registry(blocks: dict, get_block) -> None:
    """Called once by :mod:`diffwire.blocks.registry`: the live table of block classes by
    type, and the lookup that explains an unknown type."""
    global _BLOCKS, _get_block
    _BLOCKS, _get_block = blocks, get_block


_NO_BODY: Mapping = types.MappingProxyType({})  # what bodies() reads for a node without any


class SharedParams(dict):
    """Checked params that equal nodes share: :meth:`Graph.validate` gives the nodes of equal
    plain-scalar params one dict, not one each (184 bytes a node, 37 MB of a 200,000-node
    chain). Read only: a node's :attr:`Node.params` gives it a dict of its own on first
    read, so a write through it changes that node alone. Copies and pickles are plain
    dicts."""

    __slots__ = ()

    def _read_only(self, *args, **kwargs):
        raise TypeError("params shared by equal nodes are read only: write through node.params")

    __setitem__ = __delitem__ = __ior__ = _read_only
    update = pop = popitem = clear = setdefault = _read_only

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo) -> dict:
        return dict(self)  # plain scalars only (check_params shares nothing else)

    def __reduce__(self):
        return dict, (dict(self),)


class Node:
    """One block instance: a stable `id`, a block `type`, its `params`, a canvas `position`,
    an optional `label`, and `body` graphs for blocks that own subgraphs."""

    # slots: a large document holds 200,000 of them. `_body` is None until the node has a
    # body or `body` is first read: an empty dict per node was 64 bytes, 13 MB of a
    # 200,000-node chain, and nearly every node has no body. `_params` may be a
    # SharedParams (see there) until `params` is first read.
    __slots__ = ("id", "type", "_params", "position", "label", "_body")

    def __init__(self, id: str, type: str, params: dict | None = None,
                 position: list | None = None, label: str | None = None,
                 body: dict[str, Graph] | None = None):
        self.id = id
        self.type = type
        self._params = {} if params is None else params
        self.position = [0.0, 0.0] if position is None else position
        self.label = label
        self._body = body

    @property
    def params(self) -> dict:
        """The node's params: a dict of the node's own (made on first read when the node
        shares its checked params with equal nodes), so writing into it works on any node."""
        p = self._params
        if p.__class__ is SharedParams:
            p = self._params = dict(p)
        return p

    @params.setter
    def params(self, value: dict) -> None:
        self._params = value

    def read_params(self) -> dict:
        """The params to read, never to write into: they may be shared with equal nodes.
        What the library's passes over every node read (ports, checks, builds), so that
        checking and compiling a document does not give every node a dict again."""
        return self._params

    @property
    def body(self) -> dict[str, Graph]:
        """The node's body graphs by name: a dict of the node's own, made on first read
        (so writing into it works on any node)."""
        b = self._body
        if b is None:
            b = self._body = {}
        return b

    @body.setter
    def body(self, value: dict[str, Graph]) -> None:
        self._body = value

    def bodies(self) -> Mapping[str, Graph]:
        """The body graphs, read only, without giving a node that has none a dict: what
        the library's passes over every node read (walk, to_dict, compile)."""
        b = self._body
        return _NO_BODY if b is None else b

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Node:
            return NotImplemented
        return ((self.id, self.type, self._params, self.position, self.label)
                == (other.id, other.type, other._params, other.position, other.label)
                and self.bodies() == other.bodies())

    __hash__ = None  # mutable, as the dataclass it was

    @property
    def block(self):
        cls = _BLOCKS.get(self.type)  # analysis asks this thousands of times per edit
        return cls if cls is not None else _get_block(self.type, node=self.id)

    def input_ports(self) -> tuple[Port, ...]:
        return self.block.input_ports(self._params)

    def output_ports(self) -> tuple[Port, ...]:
        return self.block.output_ports(self._params)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "params": copy.deepcopy(self._params),
            "position": [float(self.position[0]), float(self.position[1])],
        }
        if self.label is not None:
            out["label"] = self.label
        if self._body:
            out["body"] = {name: g.to_dict(top=False) for name, g in self._body.items()}
        return out

    def __repr__(self) -> str:
        label = f" {self.label!r}" if self.label else ""
        return f"<Node {self.id}: {self.type}{label}>"


@dataclasses.dataclass(frozen=True, slots=True)
class Edge:
    """A wire from `(source, source_port)` to `(target, target_port)`."""

    source: str
    source_port: str
    target: str
    target_port: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


NodeLike = "Node | str | tuple"


class Graph:
    """A differentiable program: blocks (nodes) wired by edges, plus how to train it.

    ```python
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    h = g.add("MLP", widths=[2, 64, 2], activation="tanh")
    g.connect(x, h)
    g.add_output(h, name="y")
    model = g.compile()
    ```
    """

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.training: dict = {}
        self.meta: dict = {}
        #: the file this graph was loaded from or last saved to (what an export names); not saved
        self.file: pathlib.Path | None = None
        # ids of nodes added without a position: each moves beside the node it is first
        # wired from (see _place_beside); not saved
        self._unplaced: set[str] = set()

    # -- building -------------------------------------------------------------------

    def add(
        self,
        type: str,
        *,
        id: str | None = None,
        label: str | None = None,
        position: list | tuple | None = None,
        body: dict | None = None,
        **params: Any,
    ) -> Node:
        """Add a node of block `type` with `params`; returns the new :class:`Node`.

        Unknown params, wrong types and out-of-range values raise
        :class:`~diffwire.errors.ParamError` naming the param.
        """
        cls = _get_block(type)
        if id is None:
            base = params.get("name") if type in ("Input", "Output") else None
            id = self._fresh_id(base if isinstance(base, str) and _ID.fullmatch(base) else type.lower())
        if not isinstance(id, str) or not _ID.fullmatch(id):
            raise GraphError("node ids are identifiers", node=str(id), expected="[A-Za-z_][A-Za-z0-9_]*",
                             found=id)
        if id in self.nodes:
            raise DuplicateId(f"a node with id '{id}' exists already", node=id)
        full = cls.default_params()
        full.update(params)
        node = Node(id=id, type=type, params=full, label=label)
        node.params = check_params(node)
        if position is None:
            position = self._free_slot(*self._after_last())
            self._unplaced.add(id)
        node.position = [float(position[0]), float(position[1])]
        if body is not None:
            node.body = {k: (v if isinstance(v, Graph) else Graph.from_dict(v, top=False))
                         for k, v in body.items()}
        for name in cls.bodies:
            if name not in node.body:
                node.body[name] = cls.make_body(node.params, name)
        self.nodes[id] = node
        self._file_cell(node, grew=True)
        return node

    def add_output(self, source: NodeLike, name: str = "y", port: str | None = None) -> Node:
        """Add an Output node named `name` fed from `source` (a node, id or `(node, port)`)."""
        out = self.add("Output", name=name)
        self.connect(source if port is None else (source, port), out)
        return out

    def connect(
        self,
        source: NodeLike,
        target: NodeLike,
        source_port: str | None = None,
        target_port: str | None = None,
    ) -> Edge:
        """Wire an output port to an input port.

        `source` and `target` may be nodes, ids, `(node, port)` tuples or ``"id.port"``
        strings; a port may be left out when the block has exactly one.
        """
        s_node, s_port = self._resolve(source, source_port, "output")
        t_node, t_port = self._resolve(target, target_port, "input")
        s_spec = _port(s_node.output_ports(), s_port, s_node.id, "output")
        t_spec = _port(t_node.input_ports(), t_port, t_node.id, "input")
        if not kinds_compatible(s_spec.kind, t_spec.kind):
            raise KindMismatch(
                f"cannot wire {s_node.id}.{s_port} ({s_spec.kind}) into a {t_spec.kind} port",
                node=t_node.id, port=t_port, expected=t_spec.kind, found=s_spec.kind,
            )
        e = edge_at(self._incoming().get(t_node.id), t_port)
        if e is not None:
            raise DuplicateInput(
                "input port already has an edge", node=t_node.id, port=t_port,
                expected="one edge per input", found=f"edge from {e.source}.{e.source_port}",
                hint="disconnect it first",
            )
        edge = Edge(s_node.id, s_port, t_node.id, t_port)
        self._place_beside(s_node, t_node)
        self.edges.append(edge)
        _file_edge(self._index, edge)
        self._index_key = (id(self.edges), len(self.edges))
        return edge

    # -- placement of nodes added without a position --------------------------------------

    STEP_X = 260.0  # a node's width plus room for a wire and its shape label
    STEP_Y = 130.0

    def _after_last(self) -> tuple[float, float]:
        """Right of the node added last (the top-left corner for the first node)."""
        if not self.nodes:
            return 0.0, 0.0
        last = next(reversed(self.nodes.values()))
        return last.position[0] + self.STEP_X, float(last.position[1])

    def _free_slot(self, x: float, y: float, skip: str | None = None) -> list[float]:
        """The first place at (x, y) or below it that no other node covers. Only the nodes
        in the grid cells around the place are looked at (a node covering it is at most
        one cell away), so building a long chain from Python stays linear."""
        cells = self._cells()

        def covered(y: float) -> bool:
            ci, cj = self._cell((x, y))
            for key in ((ci + di, cj + dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)):
                for nid in cells.get(key, ()):
                    n = self.nodes.get(nid)
                    if n is None or nid == skip:
                        continue
                    p = n.position  # read now: the cell is where the node was seen last
                    if abs(p[0] - x) < self.STEP_X * 0.8 and abs(p[1] - y) < self.STEP_Y * 0.8:
                        return True
            return False

        while covered(y):
            y += self.STEP_Y
        return [x, y]

    def _cell(self, p) -> tuple[int, int]:
        return round(p[0] / self.STEP_X), round(p[1] / self.STEP_Y)

    def _cells(self) -> dict[tuple[int, int], set[str]]:
        """Node ids by placement cell, rebuilt when the node table is replaced or changes
        size other than through :meth:`add` (which files each node it adds)."""
        key = (id(self.nodes), len(self.nodes))
        if getattr(self, "_cells_key", None) != key:
            cells: dict[tuple[int, int], set[str]] = {}
            for n in self.nodes.values():
                cells.setdefault(self._cell(n.position), set()).add(n.id)
            self._cell_index, self._cells_key = cells, key
        return self._cell_index

    def _file_cell(self, node: Node, grew: bool) -> None:
        """Keep the cell index current after `node` was added (`grew`) or placed."""
        key = (id(self.nodes), len(self.nodes) - (1 if grew else 0))
        if getattr(self, "_cells_key", None) == key:
            self._cell_index.setdefault(self._cell(node.position), set()).add(node.id)
            self._cells_key = (id(self.nodes), len(self.nodes))

    def _place_beside(self, source: Node, target: Node) -> None:
        """A node added without a position goes right of the node first wired into it (or,
        for an unplaced source of a placed target, left of that target)."""
        if target.id in self._unplaced and source.id in self.nodes:
            self._unplaced.discard(target.id)
            target.position = self._free_slot(source.position[0] + self.STEP_X, source.position[1],
                                              skip=target.id)
            self._file_cell(target, grew=False)
        elif source.id in self._unplaced:
            self._unplaced.discard(source.id)
            source.position = self._free_slot(target.position[0] - self.STEP_X, target.position[1],
                                              skip=source.id)
            self._file_cell(source, grew=False)

    def disconnect(self, target: NodeLike, target_port: str | None = None) -> None:
        """Remove the edge into an input port."""
        t_node, t_port = self._resolve(target, target_port, "input")
        self.edges = [e for e in self.edges if not (e.target == t_node.id and e.target_port == t_port)]

    def remove(self, node: NodeLike) -> None:
        """Remove a node and every edge touching it."""
        n = self.node(node)
        del self.nodes[n.id]
        self._cells_key = None  # an id may come back at another place
        self.edges = [e for e in self.edges if n.id not in (e.source, e.target)]

    def node(self, ref: NodeLike) -> Node:
        """The node with this id (``"loop/body/mlp"`` reaches into bodies) or object."""
        if isinstance(ref, Node):
            ref = ref.id
        if not isinstance(ref, str):
            raise UnknownNode("expected a node or a node id", found=repr(ref))
        graph, parts = self, ref.split("/")
        for i in range(0, len(parts) - 1, 2):
            graph = graph.node(parts[i]).bodies().get(parts[i + 1]) or _no_body(parts, i)
        try:
            return graph.nodes[parts[-1]]
        except KeyError:
            raise UnknownNode(f"no node '{ref}' in the graph", node=ref) from None

    def inputs(self) -> list[Node]:
        """The graph's Input nodes, in order."""
        return [n for n in self.nodes.values() if n.type == "Input"]

    def outputs(self) -> list[Node]:
        """The graph's Output nodes, in order."""
        return [n for n in self.nodes.values() if n.type == "Output"]

    def edges_into(self, node_id: str) -> dict[str, Edge]:
        """The edges into a node's input ports, by port name."""
        got = self._incoming().get(node_id)
        return {} if got is None else {got.target_port: got} if type(got) is Edge else dict(got)

    def _incoming(self) -> dict[str, Edge | dict[str, Edge]]:
        """The edges into each node, by target id: read an entry with :func:`edge_at`. An
        index rebuilt when the edge list changes, so wiring 5,000 nodes stays linear."""
        key = (id(self.edges), len(self.edges))
        if getattr(self, "_index_key", None) != key:
            index: dict[str, Edge | dict[str, Edge]] = {}
            for e in self.edges:
                _file_edge(index, e)
            self._index, self._index_key = index, key
        return self._index

    def walk(self, prefix: str = "") -> Iterator[tuple[str, Node]]:
        """Every node with its path, bodies included (depth first)."""
        for n in self.nodes.values():
            path = f"{prefix}{n.id}"
            yield path, n
            for name, body in n.bodies().items():
                yield from body.walk(f"{path}/{name}/")

    # -- analysis and compile ---------------------------------------------------------

    def validate(self, shapes: bool = True) -> list[GraphError]:
        """Every problem in the graph at once (an empty list when it is sound)."""
        from .shapes import validate  # a convenience entry point above this layer

        return validate(self, shapes=shapes)

    def infer_shapes(self) -> dict[str, dict[str, list]]:
        """Symbolic output shapes per node and port, e.g. ``{"mlp": {"out": ["B", 2]}}``."""
        from .shapes import infer_shapes  # a convenience entry point above this layer

        return infer_shapes(self)

    def compile(self, *, seed: int | None = None, check: bool = True, dtype=None, device=None):
        """Build a real ``torch.nn.Module`` from the graph (raises the problems found)."""
        from .compile import compile_graph  # convenience entry points above this layer
        from .shapes import resolve_auto

        return compile_graph(resolve_auto(self), seed=seed, check=check, dtype=dtype,
                             device=device)

    # -- document ---------------------------------------------------------------------

    def to_dict(self, top: bool = True) -> dict:
        out: dict[str, Any] = {
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
        }
        if top:
            out["format"] = FORMAT
            out["training"] = copy.deepcopy(self.training)
            if self.meta:
                out["meta"] = copy.deepcopy(self.meta)
        return out

    def to_json(self) -> str:
        """The document as text: sorted keys and two-space indent, so files diff cleanly."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, doc: dict, top: bool = True) -> Graph:
        """Build a graph from a parsed document (after :func:`migrate` and schema checks).

        Unknown block types are kept as they are, so a document that names a block
        defined elsewhere loads and :meth:`validate` names it.
        """
        return cls._build(doc, top, owned=False)

    @classmethod
    def _build(cls, doc: dict, top: bool, owned: bool) -> Graph:
        """:meth:`from_dict`; `owned`: `doc` was parsed for this graph alone, so its params,
        positions and strings become the graph's (no copies), and each node's and edge's
        entry is dropped from `doc` once built, so the parsed document and the graph are
        not both held whole (on a 200,000-node file each is a few hundred MB)."""
        if top:
            doc = migrate(doc)
            check_schema(doc)
        g = cls()
        nodes = doc.get("nodes") or []
        for i, nd in enumerate(nodes):
            nid = nd["id"]
            if nid in g.nodes:
                raise DuplicateId(f"two nodes share the id '{nid}'", node=nid)
            params = nd.get("params", {})
            position = nd.get("position", [0.0, 0.0])
            body = nd.get("body")
            node = Node(
                id=nid, type=nd["type"], params=params if owned else _copy_plain(params),
                position=position if owned and type(position) is list else list(position),
                label=nd.get("label"),
                body={k: cls._build(v, False, owned) for k, v in body.items()} if body else None,
            )
            g.nodes[nid] = node
            if owned:
                nodes[i] = None
        edges = doc.get("edges") or []
        g.edges = [None] * len(edges)
        for i, e in enumerate(edges):
            g.edges[i] = Edge(e["source"], e["source_port"], e["target"], e["target_port"])
            if owned:
                edges[i] = None
        if top:
            g.training = copy.deepcopy(doc.get("training") or {})
            g.meta = copy.deepcopy(doc.get("meta") or {})
        return g

    @classmethod
    def from_json(cls, text: str) -> Graph:
        with gc_paused():  # a large document's objects all stay alive: see gc_paused
            return cls._build(_parse(text), True, owned=True)

    def save(self, path: str | os.PathLike) -> pathlib.Path:
        """Write the document atomically: a temporary file beside it, then a rename."""
        path = pathlib.Path(path)
        atomic_write_text(path, self.to_json())
        self.file = path
        return path

    def copy(self) -> Graph:
        g = Graph.from_dict(self.to_dict(top=False), top=False)
        g.training = copy.deepcopy(self.training)
        g.meta = copy.deepcopy(self.meta)
        return g

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Graph) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"<Graph: {len(self.nodes)} nodes, {len(self.edges)} edges>"

    # -- helpers ----------------------------------------------------------------------

    def _fresh_id(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", base) or "node"
        if not _ID.fullmatch(base):
            base = "n_" + base
        if base not in self.nodes:
            return base
        counters = self.__dict__.setdefault("_suffix", {})
        i = counters.get(base, 1)
        while f"{base}_{i}" in self.nodes:
            i += 1
        counters[base] = i + 1
        return f"{base}_{i}"

    def _resolve(self, ref: Any, port: str | None, side: str) -> tuple[Node, str]:
        if isinstance(ref, tuple):
            ref, port = ref
        if isinstance(ref, str) and "." in ref and port is None:
            ref, port = ref.rsplit(".", 1)
        node = self.node(ref)
        if port is None:
            ports = node.output_ports() if side == "output" else node.input_ports()
            if side == "input":
                taken = set(self.edges_into(node.id))
                free = [p for p in ports if p.name not in taken]
                ports = free if len(ports) > 1 and len(free) == 1 and not free[0].optional else ports
            if len(ports) != 1:
                raise UnknownPort(
                    f"{node.type} has {len(ports)} {side} ports: name one", node=node.id,
                    expected=f"one of {[p.name for p in ports]}", found=None,
                )
            port = ports[0].name
        return node, port


def _file_edge(index: dict, e: Edge) -> None:
    """File `e` under its target in an :meth:`Graph._incoming` index: the Edge itself
    while it is the node's only one (most nodes have one input: a dict per node took
    184 bytes, 37 MB of a 200,000-node chain), a {port: Edge} dict from the second on.
    The first edge into a port is kept (a second one is a DuplicateInput to validate)."""
    got = index.get(e.target)
    if got is None:
        index[e.target] = e
    elif type(got) is Edge:
        if got.target_port != e.target_port:
            index[e.target] = {got.target_port: got, e.target_port: e}
    else:
        got.setdefault(e.target_port, e)


def edge_at(entry: Edge | dict[str, Edge] | None, port: str) -> Edge | None:
    """The edge into `port` in an entry of :meth:`Graph._incoming` (None for none)."""
    if entry is None or type(entry) is Edge:
        return entry if entry is not None and entry.target_port == port else None
    return entry.get(port)


def _copy_plain(value: Any) -> Any:
    """A deep copy of JSON-like data, several times faster than ``copy.deepcopy`` on the
    small dicts of a node's params (a large document has 200,000 of them); anything other
    than dicts, lists and scalars goes through ``copy.deepcopy``."""
    t = type(value)
    if t is dict:
        return {k: _copy_plain(v) for k, v in value.items()}
    if t is list:
        return [_copy_plain(v) for v in value]
    if t is str or t is int or t is float or t is bool or value is None:
        return value
    return copy.deepcopy(value)


def _port(ports: tuple[Port, ...], name: str, node: str, side: str) -> Port:
    for p in ports:
        if p.name == name:
            return p
    raise UnknownPort(f"no {side} port '{name}'", node=node, port=name,
                      expected=f"one of {[p.name for p in ports]}", found=name)


def _no_body(parts: list[str], i: int):
    raise UnknownNode(f"node '{parts[i]}' has no body '{parts[i + 1]}'", node="/".join(parts[: i + 1]))


MAX_NAME = 200  # the schema's limit on ids and port names


def check_params(node: Node, seen: dict | None = None) -> dict:
    """The node's params checked against its block's declarations (raises ParamError).

    `seen` (a dict the caller keeps for one pass over a graph) remembers params that passed:
    a node whose block and params equal an earlier one's gets the same result, one
    read-only :class:`SharedParams` for all of them (plain scalars only), so a document of
    200,000 identical layers checks each distinct set of params once and holds it once."""
    from .errors import ParamError

    cls = node.block
    params = node.read_params()
    key = None
    if seen is not None:
        key = params_key(cls, params)
        done = seen.get(key) if key is not None else None
        if done is not None:
            return done
    out = {}
    known = {p.name: p for p in cls.params}
    for name in params:
        if name not in known:
            raise ParamError(f"{node.type} has no parameter '{name}'", node=node.id, port=name,
                             expected=f"one of {sorted(known)}", found=name)
    for name, p in known.items():
        if name not in params:
            if p.required:
                raise ParamError("required parameter is missing", node=node.id, port=name,
                                 expected=p.kind, found="nothing")
            out[name] = copy.deepcopy(p.default)  # a file may leave defaults out
            continue
        out[name] = p.check(params[name], node.id)
    cls.check_params(out, node.id)
    # Port names made from params (Map state names, Expression inputs) go into edges, which
    # the file schema limits to 1..200 characters: refuse here, or the graph would save a
    # file that cannot be opened again.
    for kind, ports in (("input", cls.input_ports(out)), ("output", cls.output_ports(out))):
        for port in ports:
            if not isinstance(port.name, str) or not 1 <= len(port.name) <= MAX_NAME:
                raise ParamError(f"{kind} port names are 1 to {MAX_NAME} characters",
                                 node=node.id, expected=f"1..{MAX_NAME} characters",
                                 found=repr(port.name)[:60])
    if key is not None and all(type(v) in _SCALARS for v in out.values()):
        out = seen[key] = SharedParams(out)  # a default filled in may be a list: not shared
    return out


_SCALARS = (str, int, float, bool, type(None))


def params_key(cls, params: dict) -> tuple | None:
    """A hashable key equal only for equal params of one block class, or None when a value
    is not a plain scalar (lists are checked afresh). Types are part of the key: ``True``
    and ``1`` hash alike but a bool param refuses 1."""
    items = []
    for k, v in params.items():
        t = type(v)
        if t not in _SCALARS:
            return None
        items.append((k, t, v.hex() if t is float else v))  # -0.0 is not 0.0 here
    return cls, tuple(items)


def atomic_write_text(path: pathlib.Path, text: str) -> None:
    """Write `text` to `path` so that a crash leaves either the old or the new file."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: pathlib.Path, data: bytes) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    atomic_write(path, write)


def atomic_write(path: str | os.PathLike, write) -> pathlib.Path:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it over `path`:
    a crash leaves either the old file or the new one, never a partial file."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


# -- versions ---------------------------------------------------------------------------

#: format version -> function upgrading a document of that version by one step.
MIGRATIONS: dict[str, Any] = {}


def migrate(doc: dict) -> dict:
    """Upgrade a parsed document to the current format, one registered step at a time."""
    if not isinstance(doc, dict):
        raise FormatError("a diffwire document is a JSON object", expected="object",
                          found=type(doc).__name__)
    seen = set()
    while doc.get("format") != FORMAT:
        version = doc.get("format")
        if not isinstance(version, str) or version in seen or version not in MIGRATIONS:
            raise FormatError("unknown document format", expected=FORMAT, found=repr(version),
                              hint="was it written by a newer diffwire?")
        seen.add(version)
        doc = MIGRATIONS[version](copy.deepcopy(doc))
    return doc


_SCHEMA: dict | None = None


def schema() -> dict:
    """The JSON Schema of the document format, shipped inside the package."""
    global _SCHEMA
    if _SCHEMA is None:
        text = (pathlib.Path(__file__).parent / "schema" / "diffwire-1.schema.json").read_text()
        _SCHEMA = json.loads(text)
    return _SCHEMA


def check_schema(doc: dict) -> None:
    if plainly_valid(doc):  # the common case, in linear time without jsonschema
        return
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    try:
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    except RecursionError:
        raise FormatError("document nests too deeply") from None
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(document)"
        node = _node_at(doc, list(e.absolute_path))
        raise FormatError(f"schema violation at {where}: {e.message[:200]}", node=node,
                          expected=e.validator, found=_short(e.instance))


def _node_at(doc: Any, path: list) -> str | None:
    node = None
    cur = doc
    for key in path:
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(cur, dict) and isinstance(cur.get("id"), str) and "type" in cur:
            node = cur["id"]
    return node


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load(path: str | os.PathLike) -> Graph:
    """Read a ``.diffwire`` file. Parses JSON only: it never runs code from the file."""
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{path.name} is not UTF-8 text") from None
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}", expected="a readable file",
                          found=str(path)) from None
    with gc_paused():  # see Graph.from_json
        doc = _parse(text)
        del text  # as large as the document: not kept while the graph is built
        graph = Graph._build(doc, True, owned=True)
    graph.file = path
    return graph


def _parse(text: str) -> dict:
    """The parsed document (a dict), or a FormatError."""
    try:
        doc = jsontext.loads(text)  # duplicate keys: a FormatError naming key and line
    except (json.JSONDecodeError, RecursionError, UnicodeDecodeError) as exc:
        raise FormatError(f"not a JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise FormatError("a diffwire document is a JSON object", expected="object",
                          found=type(doc).__name__)
    return doc


def loads(text: str) -> Graph:
    """Parse a document from a string."""
    return Graph.from_json(text)
