"""Circuits of LUT gates (random tables) whose wiring can compute the tasks in tasks.py."""

from __future__ import annotations

from ..document import Graph


def _bits(g: Graph, names, ys) -> dict:
    return {n: g.add("Input", name=n, shape=[None], kind="bool", dtype="bool",
                     position=[0.0, y]) for n, y in zip(names, ys)}


def _output(g: Graph, gate, name: str, position: list[float]):
    out = g.add("Output", name=name, position=position)
    g.connect(gate, out)


def adder2_circuit() -> Graph:
    """A 2-bit ripple adder's wiring with every gate a LUT to learn: s0 and a hidden carry
    from (a0, b0); s1 and s2 from (a1, b1, carry). Tables start random (compile seed)."""
    g = Graph()
    # spaced for the truth tables the canvas draws in each LUT node (a row per line)
    x = _bits(g, ["a0", "b0", "a1", "b1"], [0.0, 120.0, 330.0, 450.0])
    s0 = g.add("LUT", id="sum0", k=2, label="sum0", position=[260.0, 0.0])
    c = g.add("LUT", id="carry0", k=2, label="carry0", position=[260.0, 230.0])
    s1 = g.add("LUT", id="sum1", k=3, label="sum1", position=[540.0, 150.0])
    s2 = g.add("LUT", id="carry1", k=3, label="carry1", position=[540.0, 460.0])
    for gate in (s0, c):
        g.connect(x["a0"], (gate, "x0"))
        g.connect(x["b0"], (gate, "x1"))
    for gate in (s1, s2):
        g.connect(x["a1"], (gate, "x0"))
        g.connect(x["b1"], (gate, "x1"))
        g.connect(c, (gate, "x2"))
    for i, gate in enumerate((s0, s1, s2)):
        _output(g, gate, f"s{i}", [820.0, [0.0, 150.0, 460.0][i]])
    return g


def parity4_circuit() -> Graph:
    """4-bit parity as a tree of three 2-input LUTs to learn."""
    g = Graph()
    x = _bits(g, ["x0", "x1", "x2", "x3"], [0.0, 120.0, 260.0, 380.0])
    left = g.add("LUT", id="left", k=2, position=[260.0, 20.0])
    right = g.add("LUT", id="right", k=2, position=[260.0, 280.0])
    top = g.add("LUT", id="top", k=2, position=[520.0, 150.0])
    g.connect(x["x0"], (left, "x0"))
    g.connect(x["x1"], (left, "x1"))
    g.connect(x["x2"], (right, "x0"))
    g.connect(x["x3"], (right, "x1"))
    g.connect(left, (top, "x0"))
    g.connect(right, (top, "x1"))
    _output(g, top, "y", [780.0, 150.0])
    return g
