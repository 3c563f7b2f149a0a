"""Graph -> the classes of a standalone module: one nn.Module per graph level.

The top graph becomes ``Model``; every body (a Loop's, a Conditional's...) becomes its
own class, called with its inputs in order and returning its outputs as a tuple. Each
node is written by an exporter (its block's ``export`` hook, or the one registered for
its type in :mod:`.nodes`) that returns the code building its submodule and the lines
of its forward pass, in the style of torch.fx's code generation: straight-line code,
one local variable per value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..blocks.base import ExportedNode
from ..document import Graph, Node
from ..errors import GraphError
from .helpers import HELPERS
from .names import Namer, camel, comment, dict_safe, literal, member
from .registry import override_for


@dataclasses.dataclass
class BodyRef:
    """A body graph written as a class: its name, input names (the forward's argument
    order) and output names (the returned tuple's order), as the document names them."""

    cls: str
    inputs: list[str]
    outputs: list[str]


class ModuleWriter:
    """Collects the classes, helpers and imports of one generated file."""

    def __init__(self):
        self.classes: list[str] = []
        self.helpers: dict[str, str] = {}
        self.class_names = Namer()

    def helper(self, name: str, source: str | None = None) -> str:
        if name not in self.helpers:
            source = HELPERS[name] if source is None else source
            self.helpers[name] = source() if callable(source) else source
        return name

    def write_graph(self, graph: Graph, cls: str, path: str, top: bool, taps=()) -> None:
        self.classes.append(GraphWriter(self, graph, cls, path, top, taps).source())

    def write_body(self, node: Node, body: str, path: str) -> BodyRef:
        graph = node.body[body]
        cls = self.class_names.fresh(camel(f"{path}{node.id}_{body}"))
        self.write_graph(graph, cls, f"{path}{node.id}/{body}/", top=False)
        return BodyRef(cls, [n.params.get("name") for n in graph.inputs()],
                       [n.params.get("name") for n in graph.outputs()])


class NodeContext:
    """What an exporter may ask while it writes one node.

    - `args`: code for each input value, in port order (``"None"`` when unconnected);
    - `outs`: the variable names it must assign, in output-port order;
    - `slot`: code reaching the node's submodule (``self.blocks.mlp``);
    - `literal(v)`, `fresh(hint)`, `helper(name, source)`, `body(name)`, `holder(...)`,
      `assign(expr)`, `call_body(...)`.
    """

    def __init__(self, writer: GraphWriter, node: Node, args: list[str], outs: list[str],
                 slot: str):
        self.node, self.args, self.outs, self.slot = node, args, outs, slot
        self._writer = writer

    literal = staticmethod(literal)

    def fresh(self, hint: object) -> str:
        """A new local variable name in the function being written."""
        return self._writer.namer.fresh(hint)

    def helper(self, name: str, source: str | None = None) -> str:
        """Make sure the file defines `name` (a built-in helper, or `source` given here)."""
        return self._writer.module.helper(name, source)

    def body(self, name: str) -> BodyRef:
        """Write this node's body `name` as a class; returns how to call it."""
        return self._writer.module.write_body(self.node, name, self._writer.path)

    def holder(self, *pairs) -> str:
        """The submodule of a node with bodies, laid out as the compiled one: ``holder("body",
        ref)`` is ``nn.ModuleDict({"body": nn.ModuleDict({"body": LoopBody()})})``, so the
        body's weights sit at ``blocks.<id>.body.body.blocks...``; pairs of (name, BodyRef)."""
        entries = ", ".join(f'{literal(name)}: nn.ModuleDict({{"body": {ref.cls}()}})'
                            for name, ref in zip(pairs[::2], pairs[1::2]))
        return f"nn.ModuleDict({{{entries}}})"

    def assign(self, expr: str) -> str:
        """``out = expr``, or tuple unpacking when the node has several outputs."""
        return f"{unpack(self.outs)} = {expr}"

    def call_body(self, ref: BodyRef, callee: str, values: dict[str, str],
                  targets: dict[str, str]) -> str:
        """A call of a body class: its inputs taken from `values` by name, its outputs
        assigned to `targets` by name (outputs not asked for go to throwaway names)."""
        args = ", ".join(values[name] for name in ref.inputs)
        outs = [targets.get(name) or self.fresh(f"_{name}") for name in ref.outputs]
        lhs = f"({outs[0]},)" if len(outs) == 1 else unpack(outs)
        return f"{lhs} = {callee}({args})"


def unpack(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names) if names else "_"


class GraphWriter:
    """Writes one graph level as an nn.Module class."""

    def __init__(self, module: ModuleWriter, graph: Graph, cls: str, path: str, top: bool,
                 taps=()):
        self.module, self.graph, self.cls, self.path, self.top = module, graph, cls, path, top
        self.taps = list(taps)  # node ids whose first output the forward keeps (loss terms)
        self.namer = Namer()

    def source(self) -> str:
        from ..analysis import topo_order

        graph = self.graph
        env: dict[tuple[str, str], str] = {}
        params = []
        for n in graph.inputs():
            params.append(self.namer.fresh(n.params.get("name", n.id)))
            env[(n.id, "out")] = params[-1]
        used = {(e.source, e.source_port) for e in graph.edges}
        # torch's ModuleDict holds the nodes' submodules unless an id is one of its own
        # attributes (`train`, `keys`): then the file defines the Slots container
        self.container = "nn.ModuleDict()"
        if not all(dict_safe(n.id) for n in graph.nodes.values()
                   if n.type not in ("Input", "Output")):
            self.container = f"{self.module.helper('Slots')}()"
        init: list[str] = []
        forward: list[str] = []
        results: list[tuple[str, str]] = []
        for nid in topo_order(graph):
            node = graph.nodes[nid]
            cls = node.block
            if node.type == "Input" or not getattr(cls, "compiled", True):
                continue
            incoming = graph.edges_into(nid)
            args = []
            for p in node.input_ports():
                e = incoming.get(p.name)
                args.append("None" if e is None else env[(e.source, e.source_port)])
            if node.type == "Output":
                results.append((node.params.get("name", nid), args[0]))
                continue
            ports = node.output_ports()
            outs = []
            for p in ports:
                hint = nid if len(ports) == 1 else f"{nid}_{p.name}"
                outs.append(self.namer.fresh(hint, prefix="" if (nid, p.name) in used else "_"))
                env[(nid, p.name)] = outs[-1]
            slot = member("self.blocks", nid)
            ctx = NodeContext(self, node, args, outs, slot)
            done = _export_node(node, ctx, self.path)
            note = node.type
            if node.label and node.label != nid:
                note += f" {comment(node.label)}"
            if outs != [nid]:  # the variable does not say which node it is
                note = f"{comment(nid, 60)[1:-1]}: {note}"
            if done.init is not None:
                init.append(f"{slot} = {done.init}")
            lines = list(done.forward)
            if len(lines) == 1:  # one line per node, saying which block it is
                forward.append(f"{lines[0]}  # {note}")
            else:
                forward += [f"# {note}"] + lines
            if nid in self.taps:
                forward.append(f"self.taps[{literal(nid)}] = {outs[0]}")
        return self._class(params, init, forward, results)

    def _class(self, params, init, forward, results) -> str:
        where = "the graph" if self.top else f"body {comment(self.path.rstrip('/'))}"
        doc = ('"""The exported graph: call it with its inputs in order."""' if self.top else
               '"""A body graph: called with its inputs in order, returns its outputs as a '
               'tuple."""')
        lines = [f"class {self.cls}(nn.Module):", f"    {doc}", ""]
        setup = ([f"self.blocks = {self.container}"] + init if init else []) + (
            ["self.taps = {}  # values the training loss reads"] if self.taps else [])
        if setup:
            lines += ["    def __init__(self):", "        super().__init__()"]
            lines += ["        " + line for line in setup]
            lines.append("")
        lines += [f"    def forward({', '.join(['self'] + params)}):"]
        lines += ["        " + line if line else "" for line in forward]
        if self.top and len(results) == 1:
            ret = results[0][1]
        elif self.top:
            ret = "{" + ", ".join(f"{literal(str(k))}: {v}" for k, v in results) + "}"
        else:
            ret = "(" + ", ".join(v for _, v in results) + ("," if len(results) == 1 else "") + ")"
        lines.append(f"        return {ret}")
        return ("" if self.top else f"# {where}\n") + "\n".join(lines) + "\n"


def _export_node(node: Node, ctx: NodeContext, path: str) -> ExportedNode:
    fn = exporter_for(node.block)
    if fn is None:
        raise GraphError(f"block {node.type} cannot be exported as code", node=path + node.id,
                         expected="a block with an export hook",
                         found=node.type, hint="give the block an export() classmethod")
    try:
        out = fn(node, ctx)
    except GraphError as e:
        if e.node is None:
            e.at(path + node.id)
        raise
    if out is None:  # a family's export (BinaryOp, LossBlock) that cannot name the function
        raise GraphError(f"block {node.type} wraps a function export cannot name",
                         node=path + node.id, hint="give the block an export() classmethod")
    if not isinstance(out, ExportedNode):
        raise GraphError("an export hook returns an ExportedNode", node=path + node.id,
                         found=type(out).__name__)
    return out


def exporter_for(cls) -> Callable | None:
    """The function writing nodes of block class `cls`: an exporter registered for its type
    (:func:`diffwire.export.exporter`), else the block's own ``export``."""
    return override_for(cls.type) or getattr(cls, "export", None)
