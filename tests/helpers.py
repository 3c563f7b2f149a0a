"""An example instance of every registered block, for the contract battery.

A block joins the battery by being registered with `example_params` and `example_inputs`.
"""

from __future__ import annotations

import contextlib
import signal

import torch

import diffwire as dw
from diffwire.blocks import BLOCKS


def compiled_block_types() -> list[str]:
    return sorted(n for n, cls in BLOCKS.items() if getattr(cls, "compiled", True))


def example_graph(type_name: str) -> tuple[dw.Graph, dict[str, torch.Tensor]]:
    """A graph Input(s) -> block -> Output(s) and matching random inputs (float64)."""
    cls = BLOCKS[type_name]
    g = dw.Graph()
    if type_name == "Input":
        x = g.add("Input", name="x", shape=[4, 3])
        g.add_output(x, name="y")
        return g, {"x": torch.rand(4, 3, dtype=torch.float64) + 0.5}
    if type_name == "Output":
        x = g.add("Input", name="x", shape=[4, 3])
        g.add_output(x, name="out")
        return g, {"x": torch.rand(4, 3, dtype=torch.float64) + 0.5}
    node = g.add(type_name, id="node", **cls.example_params)
    inputs: dict[str, torch.Tensor] = {}
    for port in node.input_ports():
        shape = cls.example_inputs.get(port.name)
        if shape is None:
            continue  # optional input left unconnected
        name = f"in_{port.name}"
        if port.kind == "bool":
            g.add("Input", id=name, name=name, shape=list(shape), kind="bool", dtype="bool")
            inputs[name] = torch.rand(shape) > 0.5
        elif getattr(cls, "example_dtypes", {}).get(port.name) == "int64":  # indices
            g.add("Input", id=name, name=name, shape=list(shape), dtype="int64")
            inputs[name] = torch.randint(0, 2, shape)
        else:
            g.add("Input", id=name, name=name, shape=list(shape), dtype="float64")
            inputs[name] = torch.rand(shape, dtype=torch.float64) + 0.5
        g.connect(name, (node, port.name))
    for port in node.output_ports():
        g.add_output((node, port.name), name=f"out_{port.name}")
    return g, inputs


class CaseTimeout(BaseException):
    """A fuzz case ran past its time bound. A BaseException, so no `except Exception`
    inside diffwire can turn a hang into an ordinary error and hide it."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise :class:`CaseTimeout` in the main thread if the block runs past `seconds`."""

    def on_alarm(signum, frame):
        raise CaseTimeout(f"case ran past {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def quickstart() -> dw.Graph:
    """Input x [B, 1] -> MLP 1-8-1 -> Output y: the smallest useful editor graph."""
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 1])
    f = g.add("MLP", widths=[1, 8, 1])
    g.connect(x, f)
    g.add_output(f, name="y")
    return g


class EventRecorder:
    """Stands in for the browser: collects what an editor widget sends."""

    def __init__(self, ed):
        self.events: list[dict] = []
        ed.send = lambda content, buffers=None: self.events.append(content)

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e.get("event") == kind]


def encoder_graph() -> dw.Graph:
    """Input x [B, 2] -> MLP 2-64-64-2 (tanh, label "encoder") -> Output y."""
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    h = g.add("MLP", widths=[2, 64, 64, 2], activation="tanh", label="encoder")
    g.connect(x, h)
    g.add_output(h, name="y")
    return g


class Detach(dw.Block):
    """Cuts the gradient: the bug the gradient-flow check finds (register it with the
    `detach_block` fixture)."""

    type = "TestDetach"
    category = "test"
    inputs = (dw.Port("x"),)
    outputs = (dw.Port("out"),)

    @classmethod
    def build(cls, node, ctx):
        return lambda x: x.detach()


def cut_after_mlp(g: dw.Graph) -> dw.Graph:
    """`g` (node "mlp" feeding Output "y") rewired as mlp -> TestDetach "cut" -> Add "add"
    (plus Parameter "bias") -> y: the MLP learns nothing, and cut.out -> add.a is detached."""
    g.disconnect("y")
    cut = g.add("TestDetach", id="cut")
    bias = g.add("Parameter", id="bias", shape=[1])
    add = g.add("Add", id="add")
    g.connect("mlp", cut)
    g.connect(cut, (add, "a"))
    g.connect(bias, (add, "b"))
    g.connect(add, "y")
    return g

