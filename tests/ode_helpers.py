"""Shared builders for the ODE tests: a graph with one ODESolve and a small field."""

from torch import nn

import diffwire as dw
import diffwire.ode  # noqa: F401  (registers ODESolve)


def mlp_field(dim=2, hidden=8, **solve):
    """Graph: Inputs y0, t -> ODESolve(field = MLP dim-hidden-dim on y) -> Output y."""
    body = dw.Graph()
    y = body.add("Input", name="y", kind="state")
    f = body.add("MLP", id="f", widths=[dim, hidden, dim], activation="tanh")
    body.connect(y, f)
    body.add_output(f, name="dy")
    return solve_graph(body, dim, **solve)


def solve_graph(body, dim=2, **solve):
    g = dw.Graph()
    y0 = g.add("Input", name="y0", kind="state", shape=["B", dim])
    t = g.add("Input", name="t", kind="time", shape=["T"])
    s = g.add("ODESolve", id="solve", body={"field": body}, **solve)
    g.connect(y0, s, target_port="y0")
    g.connect(t, s, target_port="t")
    g.add_output(s, name="y")
    return g


class TorchField(nn.Module):
    """The same field written as plain torch, sharing the compiled MLP's weights."""

    def __init__(self, mlp):
        super().__init__()
        self.mlp = mlp

    def forward(self, t, y):
        return self.mlp(y)
