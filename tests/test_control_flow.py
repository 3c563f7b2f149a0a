"""Loop, Conditional and Map compile to Python control flow; gradients flow through them."""

import pytest
import torch
from torch import nn

import diffwire as dw


def loop_graph(mode="count", iterations=3, with_n=False):
    g = dw.Graph()
    h = g.add("Input", name="h", shape=[None, 2])
    loop = g.add("Loop", state=["h"], mode=mode, iterations=iterations, max_iterations=50)
    g.connect(h, (loop, "h"))
    if with_n:
        n = g.add("Input", name="n", kind="scalar", shape=[])
        g.connect(n, (loop, "n"))
    g.add_output((loop, "h"), name="y")
    g.add_output((loop, "iterations"), name="count")
    body = loop.body["body"]
    body.remove("h_1")
    lin = body.add("Linear", id="cell", in_features=2, out_features=2)
    act = body.add("Activation", fn="tanh")
    body.connect("h", lin)
    body.connect(lin, act)
    body.add_output(act, name="h")
    return g


def test_loop_count_matches_a_hand_loop_and_shares_weights():
    g = loop_graph(iterations=4)
    model = g.compile(seed=0)
    cell = model.blocks["loop"].body.body.blocks["cell"].inner
    x = torch.randn(5, 2)
    out = model(h=x)
    ref = x
    for _ in range(4):
        ref = torch.tanh(cell(ref))
    assert torch.allclose(out["y"], ref, atol=1e-6)
    assert out["count"].item() == 4
    assert sum(1 for _ in model.parameters()) == 2  # one weight and one bias for all iterations
    out["y"].sum().backward()
    assert cell.weight.grad is not None and cell.weight.grad.abs().sum() > 0


def test_loop_count_depends_on_the_data():
    model = loop_graph(with_n=True).compile(seed=0)
    x = torch.randn(3, 2)
    outs = [model(h=x, n=torch.tensor(float(k))) for k in (0, 1, 5)]
    assert [o["count"].item() for o in outs] == [0, 1, 5]
    assert torch.equal(outs[0]["y"], x)
    assert not torch.allclose(outs[1]["y"], outs[2]["y"])


def test_while_loop_stops_on_condition_and_guard():
    g = dw.Graph()
    h = g.add("Input", name="h", shape=[None])
    loop = g.add("Loop", state=["h"], mode="while", max_iterations=100)
    g.connect(h, (loop, "h"))
    g.add_output((loop, "h"), name="y")
    g.add_output((loop, "iterations"), name="count")
    body = loop.body["body"]
    body.remove("h_1")
    half = body.add("Expression", expr="x*0.5", inputs=["x"])
    body.connect("h", half)
    body.add_output(half, name="h")
    big = body.add("Compare", op=">", value=1.0, reduce="any")
    body.connect(half, (big, "a"))
    body.add_output(big, name="continue")
    model = g.compile()
    out = model(h=torch.tensor([16.0, 3.0]))
    assert out["count"].item() == 4  # 8, 4, 2, 1 -> stop when no entry is above 1
    assert torch.equal(out["y"], torch.tensor([1.0, 0.1875]))
    assert model(h=torch.tensor([1e30]))["count"].item() == 100  # the guard


def test_while_mode_requires_a_continue_output():
    g = loop_graph(mode="while")
    errors = g.validate()
    assert any(isinstance(e, dw.MissingInput) and e.port == "continue" and e.node == "loop"
               for e in errors)


def test_loop_body_must_keep_the_state_shape():
    g = loop_graph()
    body = g.node("loop").body["body"]
    body.node("cell").params["out_features"] = 3
    body.node("cell").params["out_features"] = 3
    errors = g.validate()
    assert any(isinstance(e, dw.ShapeMismatch) and e.node == "loop" and e.port == "h"
               for e in errors), errors


class Counter(nn.Module):
    calls = 0

    def forward(self, x):
        Counter.calls += 1
        return x * 10


@dw.block
class CountCalls(dw.Block):
    """Multiplies by ten and counts its calls (a test block)."""

    type = "TestCountCalls"
    inputs = (dw.Port("x"),)
    outputs = (dw.Port("out"),)
    example_inputs = {"x": (2, 2)}

    @classmethod
    def build(cls, node, ctx):
        return Counter()


def conditional_graph(mode):
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    c = g.add("Input", name="c", kind="bool", dtype="bool", shape=[] if mode == "branch" else [None])
    cond = g.add("Conditional", mode=mode)
    g.connect(c, (cond, "cond"))
    g.connect(x, (cond, "x"))
    g.add_output(cond, name="y")
    then = cond.body["then"]
    then.remove("y")
    k = then.add("TestCountCalls")
    then.connect("x", k)
    then.add_output(k, name="y")
    other = cond.body["else"]
    other.remove("y")
    n = other.add("Neg")
    other.connect("x", n)
    other.add_output(n, name="y")
    return g


def test_conditional_where_picks_per_sample_and_runs_both():
    model = conditional_graph("where").compile()
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    Counter.calls = 0
    y = model(x=x, c=torch.tensor([True, False]))
    assert torch.equal(y, torch.tensor([[10.0, 20.0], [-3.0, -4.0]]))
    assert Counter.calls == 1
    y.sum().backward()
    assert torch.equal(x.grad, torch.tensor([[10.0, 10.0], [-1.0, -1.0]]))


def test_conditional_branch_runs_only_one_body():
    model = conditional_graph("branch").compile()
    x = torch.ones(1, 2, requires_grad=True)
    Counter.calls = 0
    assert torch.equal(model(x=x, c=torch.tensor(False)), -torch.ones(1, 2))
    assert Counter.calls == 0
    y = model(x=x, c=torch.tensor(True))
    assert Counter.calls == 1 and torch.equal(y, torch.full((1, 2), 10.0))
    y.sum().backward()
    assert torch.equal(x.grad, torch.full((1, 2), 10.0))
    assert not model.static


def test_map_is_an_rnn_built_from_blocks():
    g = dw.Graph()
    h0 = g.add("Input", name="h0", shape=[None, 3])
    xs = g.add("Input", name="xs", shape=[None, "T", 2])
    m = g.add("Map", state=["h"], inputs=["x"], outputs=["y"], dim=1)
    g.connect(h0, (m, "h"))
    g.connect(xs, (m, "x"))
    g.add_output((m, "y"), name="ys")
    g.add_output((m, "h"), name="h_last")
    body = m.body["body"]
    for out in body.outputs():
        body.remove(out)
    wx = body.add("Linear", id="wx", in_features=2, out_features=3)
    wh = body.add("Linear", id="wh", in_features=3, out_features=3, bias=False)
    s = body.add("Add")
    a = body.add("Activation", fn="tanh")
    body.connect("x", wx)
    body.connect("h", wh)
    body.connect(wx, (s, "a"))
    body.connect(wh, (s, "b"))
    body.connect(s, a)
    body.add_output(a, name="h")
    body.add_output(a, name="y")
    assert g.infer_shapes()["map"] == {"h": ["B", 3], "y": ["B", "T", 3]}
    model = g.compile(seed=0)
    inner = model.blocks["map"].body.body.blocks
    x, h = torch.randn(4, 6, 2), torch.zeros(4, 3)
    out = model(h0=h, xs=x)
    ref = []
    for t in range(6):
        h = torch.tanh(inner["wx"].inner(x[:, t]) + inner["wh"].inner(h))
        ref.append(h)
    assert torch.allclose(out["ys"], torch.stack(ref, 1), atol=1e-6)
    assert torch.allclose(out["h_last"], h, atol=1e-6)
    out["ys"].sum().backward()
    assert inner["wh"].inner.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("mode", ["where", "branch"])
def test_conditional_shapes_inferred(mode):
    g = conditional_graph(mode)
    assert g.infer_shapes()["conditional"]["y"] == ["B", 2]
