"""The block contract: ports, params and bodies declared at class level, one build method."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ParamError
from ..ports import Param, Port
from ..symbolic import Sym, call, elementwise
from .fx_rules import Imported, call_rule

if TYPE_CHECKING:  # pragma: no cover
    from ..context import BuildContext
    from ..document import Graph, Node


class Block:
    """Base class of every block type.

    A subclass declares `type` (its registry name), `category` (its palette section),
    `inputs`, `outputs` and `params` as typed class attributes, and implements
    :meth:`build`. Blocks whose ports depend on their params override
    :meth:`input_ports` / :meth:`output_ports`; blocks that own subgraphs list their
    body names in `bodies` and describe each body's interface in :meth:`body_interface`.
    The class docstring is the block's documentation in the palette.
    """

    type: ClassVar[str] = ""
    category: ClassVar[str] = "misc"
    inputs: ClassVar[tuple[Port, ...]] = ()
    outputs: ClassVar[tuple[Port, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    bodies: ClassVar[tuple[str, ...]] = ()
    #: body name -> where the compiled body sits in the node's module, when it is not
    #: ``<body>.body`` (Conditional keeps `else` under ``other``: `else` is a keyword).
    #: Weights of a body node are ``blocks.<node id>.<this>.blocks.<inner id>.*``.
    body_modules: ClassVar[dict[str, str]] = {}
    #: params and input shapes used by the contract tests (and the palette's preview).
    example_params: ClassVar[dict] = {}
    example_inputs: ClassVar[dict[str, tuple]] = {}
    #: False for blocks with data-dependent Python control flow (torch.compile would break).
    static: ClassVar[bool] = True
    #: True for blocks whose module holds no state (no parameters, buffers or settings
    #: beyond the params): a compiled graph runs one shared module for all its nodes of
    #: this block with equal params and builds a node its own only when asked for it
    #: (``model.blocks[id]``, to hook it). A 200,000-node chain's 100,000 activations
    #: were a third of its modules.
    stateless: ClassVar[bool] = False
    #: False for blocks that configure something other than the forward pass (optimizers):
    #: the compiler skips them and they never count as dangling.
    compiled: ClassVar[bool] = True
    #: What the editor treats specially, so that its code names no block type: "input" and
    #: "output" nodes are named by their `name` param (a new or pasted one takes its id as
    #: the name), a "group" node can be ungrouped (blocks/grouping.py), an "optimizer" node
    #: is what the Training panel's optimizer phases name.
    role: ClassVar[str | None] = None

    @classmethod
    def input_ports(cls, params: dict) -> tuple[Port, ...]:
        """The input ports of a node with these params."""
        return cls.inputs

    @classmethod
    def output_ports(cls, params: dict) -> tuple[Port, ...]:
        """The output ports of a node with these params."""
        return cls.outputs

    @classmethod
    def body_interface(cls, params: dict, body: str) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        """The (inputs, outputs) a body graph must expose through its Input/Output nodes."""
        return (), ()

    @classmethod
    def body_weights(cls, body: str) -> str:
        """The ``state_dict`` key pattern of the weights of a node inside `body`."""
        return f"blocks.<id>.{cls.body_modules.get(body, body + '.body')}.blocks.<inner id>"

    @classmethod
    def param(cls, name: str) -> Param | None:
        for p in cls.params:
            if p.name == name:
                return p
        return None

    @classmethod
    def default_params(cls) -> dict:
        return {p.name: _copy(p.default) for p in cls.params if not p.required}

    @classmethod
    def check_params(cls, params: dict, node: str | None = None) -> None:
        """Extra cross-parameter checks; raise :class:`~diffwire.errors.ParamError`."""

    @classmethod
    def check_multiple(cls, params: dict, node: str | None, whole: str, part: str) -> None:
        """A ParamError unless param `whole` is a multiple of param `part` (heads of an
        attention, groups of a norm), defaults standing in for missing params."""
        a = params.get(whole, cls.param(whole).default)
        b = params.get(part, cls.param(part).default)
        if a % b:
            raise ParamError(f"{whole} must be a multiple of {part}", node=node, port=part,
                             expected=f"a divisor of {a}", found=b)

    @classmethod
    def build(cls, node: Node, ctx: BuildContext) -> nn.Module | Callable:
        """Return the module (or a pure function) that computes this node.

        It is called with the input values in port order (``None`` for an unconnected
        optional input) and returns one value, or a tuple in output-port order.
        """
        raise NotImplementedError(f"block {cls.type} has no build()")

    #: Standalone-code hook used by :func:`diffwire.export`: a block defines
    #: ``export(cls, node, ctx) -> ExportedNode`` beside its build. `ctx` gives the input
    #: expressions, output names, the node's submodule and body classes. ``None``: the
    #: block cannot be written as code (unless :func:`diffwire.export.exporter` registers
    #: one for its type).
    export: ClassVar[Callable | None] = None

    @classmethod
    def learned_params(cls, node: Node, module: nn.Module) -> dict | None:
        """Params that training determines, read from the node's trained `module`, to copy
        back into the document when a run ends (a LUT's truth table); None for a block whose
        params do not change in training (the default)."""
        return None

    @classmethod
    def resolve_auto(cls, params: dict, inputs: dict[str, list]) -> dict:
        """`params` with each ``auto`` size (a :class:`Param` with ``auto=True``) replaced by
        the size it follows, from `inputs` (input port -> inferred shape). Called before a
        real build; the default has nothing to resolve."""
        return params

    @classmethod
    def make_body(cls, params: dict, body: str) -> Graph:
        """A starter body graph (Input/Output nodes wired straight through where possible)."""
        from ..document import Graph

        g = Graph()
        ins, outs = cls.body_interface(params, body)
        for p in ins:
            g.add("Input", name=p.name, kind=p.kind, shape=list(p.shape) if p.shape else None)
        for p in outs:
            g.add("Output", name=p.name)
        return g

    @classmethod
    def symbolic(cls, node: Node, args: dict[str, Sym], width: int | None) -> Sym:
        """This node's output as text in terms of its inputs' (equations on the canvas).

        `args` maps input port names to their values as text; `width` is the output's
        last dimension when inference knows it. The default is an opaque function named
        after the node, one component per output entry: ``U[0](x, y)``."""
        return call(node.label or node.id, [args[p.name] for p in node.input_ports() if p.name in args],
                    width)

    @classmethod
    def formula(cls, node: Node, path: str, shapes: dict) -> list[str] | None:
        """Lines the canvas shows on this node (its formula, its equations), or None.

        `path` is the node's path in the document and `shapes` the inferred shapes keyed
        by node path (bodies included), as :func:`diffwire.shapes.infer_shapes` gives."""
        return None

    @classmethod
    def catalog_entry(cls) -> dict:
        """This block as JSON: what the palette, the handles and the param form are built from."""
        params = cls.default_params()
        return {
            "type": cls.type,
            "category": cls.category,
            "doc": (cls.__doc__ or "").strip(),
            "inputs": [p.to_json() for p in cls.input_ports(params)],
            "outputs": [p.to_json() for p in cls.output_ports(params)],
            "params": [p.to_json() for p in cls.params],
            "bodies": list(cls.bodies),
            "body_interfaces": {b: _interface(cls, params, b) for b in cls.bodies},
            "dynamic_ports": _has_dynamic_ports(cls),
            "role": cls.role,
        }


def _interface(cls: type[Block], params: dict, body: str) -> dict:
    """What a body's Input and Output nodes must be called (for the default params; blocks
    whose names come from params say so in `doc`), and where its weights live."""
    ins, outs = cls.body_interface(params, body)
    return {"inputs": [p.to_json() for p in ins], "outputs": [p.to_json() for p in outs],
            "weights": cls.body_weights(body)}


def _has_dynamic_ports(cls: type[Block]) -> bool:
    return (
        cls.input_ports.__func__ is not Block.input_ports.__func__  # type: ignore[attr-defined]
        or cls.output_ports.__func__ is not Block.output_ports.__func__  # type: ignore[attr-defined]
    )


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


@dataclasses.dataclass
class ExportedNode:
    """A node as standalone PyTorch code (what a block's ``export`` hook returns).

    - `init`: an expression building the node's submodule (its weights keyed as in the
      compiled graph), or ``None`` for a stateless node.
    - `forward`: lines of the forward pass (4-space indents for nested blocks) that read
      the input expressions and assign the output names the context gives.
    """

    init: str | None = None
    forward: list[str] = dataclasses.field(default_factory=list)


class Fn(nn.Module):
    """Wraps a pure function so stateless blocks live in the module tree like any other."""

    def __init__(self, fn: Callable, name: str = ""):
        super().__init__()
        self.fn = fn
        self.name = name

    def forward(self, *args):
        return self.fn(*args)

    def extra_repr(self) -> str:
        return self.name


class FnCall(nn.Module):
    """A torch.nn.functional call with fixed arguments after the tensors (a pool's window,
    an adaptive pool's output size); :meth:`code` writes the same call for export."""

    def __init__(self, name: str, args=(), kwargs: dict | None = None):
        super().__init__()
        self.name, self.args, self.kwargs = name, tuple(args), dict(kwargs or {})
        self.fn = getattr(F, name)

    def forward(self, *xs):
        return self.fn(*xs, *self.args, **self.kwargs)

    def code(self, ctx) -> str:
        parts = [*ctx.args, *(ctx.literal(a) for a in self.args),
                 *(f"{k}={ctx.literal(v)}" for k, v in self.kwargs.items())]
        return f"F.{self.name}({', '.join(parts)})"

    def extra_repr(self) -> str:
        return f"{self.name}, {self.args}, {self.kwargs}"


class FunctionalBlock(Block):
    """A block that is one torch.nn.functional call (Pool, AdaptivePool): a subclass says
    which in :meth:`call`; its build and its export both follow from that one call."""

    @staticmethod
    def call(p: dict) -> FnCall:
        """The call for a node with params `p`."""
        raise NotImplementedError

    @classmethod
    def build(cls, node, ctx):
        return cls.call(node.read_params())

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(forward=[ctx.assign(cls.call(node.read_params()).code(ctx))])


@dataclasses.dataclass(frozen=True)
class LayerCall:
    """One torch.nn layer's constructor call: `name` as torch spells it (``"GroupNorm"``),
    its arguments. :meth:`build` makes it (as `build_as`, a subclass with the same weight
    keys, when the block needs one); :meth:`code` writes ``nn.<name>(...)`` for export."""

    name: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    build_as: type[nn.Module] | None = None

    def build(self) -> nn.Module:
        return (self.build_as or getattr(nn, self.name))(*self.args, **self.kwargs)

    def code(self, ctx) -> str:
        parts = [*(ctx.literal(a) for a in self.args),
                 *(f"{k}={ctx.literal(v)}" for k, v in self.kwargs.items())]
        return f"nn.{self.name}({', '.join(parts)})"


class LayerBlock(Block):
    """A block that is one torch.nn layer called on its input (the norms, attention): a
    subclass says which in :meth:`layer`; its build and its export both follow from that
    one call, so the params are mapped to torch's arguments once."""

    @staticmethod
    def layer(p: dict) -> LayerCall:
        """The layer for a node with params `p`."""
        raise NotImplementedError

    @classmethod
    def build(cls, node, ctx):
        return cls.layer(node.read_params()).build()

    @classmethod
    def export(cls, node, ctx):
        return ExportedNode(init=cls.layer(node.read_params()).code(ctx),
                            forward=[ctx.assign(f"{ctx.slot}({ctx.args[0]})")])


#: torch function name -> the operator an exported file writes
_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
#: the operator -> Python's function for it, which torch.fx records for ``a + b``
_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


class BinaryOp(Block):
    """Shared shape of the elementwise two-input blocks (Add, Sub, Mul, Div)."""

    category = "math"
    stateless = True
    inputs = (Port("a", doc="left operand"), Port("b", doc="right operand (broadcasts)"))
    outputs = (Port("out"),)
    example_inputs = {"a": (3, 4), "b": (3, 4)}
    op: ClassVar[Callable]
    #: the operator as written in a formula
    symbol: ClassVar[str]

    def __init_subclass__(cls, **kwargs):
        """A subclass naming its own `op` is imported from that call by dw.from_module:
        the torch function, the Tensor method of its name and the Python operator."""
        super().__init_subclass__(**kwargs)
        if "op" not in cls.__dict__:
            return
        name = getattr(cls.op, "__name__", "")
        targets = [cls.op, _OPERATORS.get(getattr(cls, "symbol", None)),
                   name if hasattr(torch.Tensor, name) else None]

        def rule(a, b):
            return Imported(cls.type, {}, [a, b])

        call_rule(*[t for t in targets if t is not None], owner=cls.__module__)(rule)

    @classmethod
    def symbolic(cls, node, args, width):
        if "a" not in args or "b" not in args:
            return super().symbolic(node, args, width)
        return elementwise(cls.symbol, args["a"], args["b"])

    @classmethod
    def build(cls, node, ctx):
        return Fn(cls.op, cls.type)

    @classmethod
    def export(cls, node, ctx):
        name = getattr(cls.op, "__name__", "")
        a, b = ctx.args
        if name in _BINARY and getattr(torch, name) is cls.op:
            return ExportedNode(forward=[ctx.assign(f"{a} {_BINARY[name]} {b}")])
        if getattr(torch, name, None) is cls.op:
            return ExportedNode(forward=[ctx.assign(f"torch.{name}({a}, {b})")])
        return None


class FollowsWire(nn.Module):
    """Stands in for a layer whose input size is ``auto`` while shapes are inferred: it maps
    ``[..., n]`` to ``[..., out]`` for any n, so inference reads the size off the wire."""

    def __init__(self, out: int):
        super().__init__()
        self.out = out

    def forward(self, x):
        return x.new_empty(tuple(x.shape[:-1]) + (self.out,))


def wire_size(inputs: dict[str, list], port: str, param: str) -> int:
    """The last dimension of the inferred shape on input `port`, for the ``auto`` param
    `param`; a clear error when the wire does not fix it."""
    shape = inputs.get(port)
    if not shape:
        raise ParamError("an auto size needs a wire into the node", port=param,
                         expected=f"a wire into port '{port}'", found="none")
    size = shape[-1]
    if isinstance(size, bool) or not isinstance(size, int):
        raise ParamError("an auto size follows the wire's last dimension, which is not a "
                         "number here", port=param, expected="a wire with a fixed last size",
                         found=list(shape))
    return size


def unresolved_auto(node, param: str) -> ParamError:
    return ParamError("an auto size is resolved from the wire before the graph is built",
                      node=node.id, port=param, expected="a graph compiled with Graph.compile()"
                      " or dw.train (they resolve it)", found="auto")
