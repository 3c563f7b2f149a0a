"""Calling a compiled body graph by port name: shared by Loop, Conditional, Map, ODESolve."""

from __future__ import annotations

from torch import nn

from ..errors import ShapeMismatch


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


def indented(lines: list[str]) -> list[str]:
    """Lines of exported code one level deeper (a loop's or a branch's body)."""
    return ["    " + line for line in lines]
