"""Calling a compiled body graph by port name: shared by Loop, Conditional, Map, ODESolve."""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from ..errors import ParamError, ShapeMismatch
from ..ports import Param, Port

#: the params naming a NamedBody block's ports and its bodies' Input and Output nodes
PORT_NAMES = (
    Param("inputs", "list", ["x"], item="string", min_len=1, doc="names of the inputs"),
    Param("outputs", "list", ["y"], item="string", min_len=1, doc="names of the outputs"),
)


class BodyCall(nn.Module):
    """Wraps a compiled body so callers pass and receive values by name.

    Inputs the body does not declare are dropped (e.g. a Loop body without an `i` input);
    outputs come back as a dict.
    """

    def __init__(self, body: nn.Module, node_path: str):
        super().__init__()
        self.body = body
        self.node_path = node_path

    def __call__(self, /, **values):  # positional-only: a port may be called "self"
        args = [values[name] for name in self.body.input_names]
        return dict(zip(self.body.output_names, self.body.run(*args)))

    def has_input(self, name: str) -> bool:
        return name in self.body.input_names


def body_call(node, ctx, body: str) -> BodyCall:
    """`node`'s body `body`, compiled (its nodes under the node's path) and callable by
    port name."""
    return BodyCall(ctx.compile_body(node, body), ctx.path + node.id)


def check_same_shape(name: str, before, after, node_path: str, what: str) -> None:
    """Loops and branches must hand back state of the shape they were given."""
    if tuple(before.shape) != tuple(after.shape):
        raise ShapeMismatch(f"{what} changes the shape of '{name}'", port=name,
                            expected=list(before.shape), found=list(after.shape))


def passthrough_body(inputs: list[str], outputs: list[str]):
    """A starter body: an Input per name in `inputs`, an Output per name in `outputs`, output
    i wired from input i (the last input when there are fewer inputs)."""
    from ..document import Graph

    g = Graph()
    ins = [g.add("Input", name=n) for n in inputs]
    for i, n in enumerate(outputs):
        g.add_output(ins[min(i, len(ins) - 1)], name=n)
    return g


class NamedBody:
    """Mixin of the body blocks (Group, Conditional) whose `inputs` and `outputs` params
    (:data:`PORT_NAMES`) name their ports and each body's Input and Output nodes; a new
    body passes input i to output i."""

    #: a port the block keeps for itself, which the names may not take (Conditional's cond)
    reserved: ClassVar[str | None] = None

    @classmethod
    def check_params(cls, params, node=None):
        for key in ("inputs", "outputs"):
            names = params[key]
            if len(set(names)) != len(names) or not all(n.isidentifier() for n in names) \
                    or cls.reserved in names:
                other = f" other than '{cls.reserved}'" if cls.reserved else ""
                raise ParamError(f"{key} are distinct identifiers{other}", node=node, port=key,
                                 found=names)

    @classmethod
    def input_ports(cls, params):
        return tuple(Port(n) for n in params.get("inputs", ["x"]))

    @classmethod
    def output_ports(cls, params):
        return tuple(Port(n) for n in params.get("outputs", ["y"]))

    @classmethod
    def body_interface(cls, params, body):
        return NamedBody.input_ports(params), NamedBody.output_ports(params)

    @classmethod
    def make_body(cls, params, body):
        return passthrough_body(params["inputs"], params["outputs"])


def indented(lines: list[str]) -> list[str]:
    """Lines of exported code one level deeper (a loop's or a branch's body)."""
    return ["    " + line for line in lines]
