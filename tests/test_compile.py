"""The compiled module is a real nn.Module equal to the same model written by hand."""

import pytest
import torch
from torch import nn

import diffwire as dw


def residual_graph():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 4])
    enc = g.add("MLP", id="enc", widths=[4, 16, 16, 4], activation="tanh")
    lin = g.add("Linear", id="lin", in_features=4, out_features=4)
    add = g.add("Add", id="add")
    act = g.add("Activation", id="act", fn="softplus")
    g.connect(x, enc)
    g.connect(enc, lin)
    g.connect(lin, (add, "a"))
    g.connect(x, (add, "b"))
    g.connect(add, act)
    g.add_output(act, name="y")
    return g


class Hand(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                                 nn.Linear(16, 4))
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return nn.functional.softplus(self.lin(self.enc(x)) + x)


def test_matches_hand_written_pytorch_outputs_and_gradients():
    model = residual_graph().compile(seed=0, dtype=torch.float64)
    hand = Hand().double()
    hand.enc.load_state_dict({k.removeprefix("blocks.enc."): v for k, v in model.state_dict().items()
                              if k.startswith("blocks.enc.")})
    hand.lin.load_state_dict(model.blocks["lin"].inner.state_dict())
    x = torch.randn(32, 4, dtype=torch.float64)
    a, b = model(x=x), hand(x)
    assert torch.allclose(a, b, atol=1e-6)
    a.square().sum().backward()
    b.square().sum().backward()
    ga = dict(model.named_parameters())
    for name, p in hand.named_parameters():
        key = "blocks." + name.replace("lin.", "lin.inner.") if name.startswith("lin.") else "blocks." + name
        assert torch.allclose(ga[key].grad, p.grad, atol=1e-6), name


def test_real_module_api():
    model = residual_graph().compile()
    assert isinstance(model, nn.Module)
    assert sum(p.numel() for p in model.parameters()) > 0
    keys = list(model.state_dict())
    assert all(k.split(".")[1] in ("enc", "lin") for k in keys)
    model = model.to(torch.float64)
    assert model(x=torch.randn(2, 4, dtype=torch.float64)).dtype == torch.float64
    assert model(torch.randn(2, 4, dtype=torch.float64)).shape == (2, 4)  # positional


def test_seed_makes_builds_deterministic():
    a = residual_graph().compile(seed=7).state_dict()
    b = residual_graph().compile(seed=7).state_dict()
    c = residual_graph().compile(seed=8).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_rebuilt_graph_reloads_unchanged_nodes_and_reports_changed():
    g = residual_graph()
    old = g.compile(seed=0).state_dict()
    g.node("enc").params["widths"] = [4, 32, 4]
    new = g.compile(seed=1)
    same = {k: v for k, v in old.items() if k in new.state_dict()
            and new.state_dict()[k].shape == v.shape}
    result = new.load_state_dict(same, strict=False)
    changed = {k.split(".")[1] for k in result.missing_keys}
    assert changed == {"enc"}
    assert torch.equal(new.state_dict()["blocks.lin.inner.weight"], old["blocks.lin.inner.weight"])


def test_node_ids_that_shadow_module_attributes():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2])
    m = g.add("MLP", id="train", widths=[2, 2])
    t = g.add("Activation", id="type")
    g.connect(x, m)
    g.connect(m, t)
    g.add_output(t)
    model = g.compile()
    assert "blocks.train.0.weight" in model.state_dict()
    assert model(x=torch.randn(1, 2)).shape == (1, 2)


def test_multiple_outputs_come_back_as_a_dict():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 3])
    s = g.add("Split", sizes=[1, 2])
    g.connect(x, s)
    g.add_output((s, "y0"), name="a")
    g.add_output((s, "y1"), name="b")
    out = g.compile()(x=torch.randn(5, 3))
    assert set(out) == {"a", "b"} and out["b"].shape == (5, 2)


def test_torch_compile_on_a_static_graph():
    g = residual_graph()
    model = g.compile(seed=0)
    assert model.static
    compiled = torch.compile(model)
    x = torch.randn(8, 4)
    assert torch.allclose(compiled(x=x), model(x=x), atol=1e-5)


def test_expression_block_with_learnable_constants():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None])
    y = g.add("Input", name="y", shape=[None])
    e = g.add("Expression", expr="alpha*x - beta*x*y, -delta*y + sin(x)**2", inputs=["x", "y"],
              constants={"beta": 0.9}, learnable={"alpha": 1.3, "delta": 1.8})
    g.connect(x, (e, "x"))
    g.connect(y, (e, "y"))
    g.add_output(e)
    assert g.infer_shapes()["expression"]["out"] == ["B", 2]
    model = g.compile()
    xv, yv = torch.rand(6), torch.rand(6)
    out = model(x=xv, y=yv)
    expect = torch.stack([1.3 * xv - 0.9 * xv * yv, -1.8 * yv + torch.sin(xv) ** 2], -1)
    assert torch.allclose(out, expect, atol=1e-6)
    names = {n for n, _ in model.named_parameters()}
    assert names == {"blocks.expression.learnable.alpha", "blocks.expression.learnable.delta"}
    out.sum().backward()
    assert model.blocks["expression"].learnable["alpha"].grad is not None


def test_user_block_registered_in_a_cell():
    @dw.block
    class Scale(dw.Block):
        """Multiplies by a learned scalar."""

        type = "TestScale"
        category = "custom"
        inputs = (dw.Port("x"),)
        outputs = (dw.Port("out"),)
        params = (dw.Param("init", "float", 2.0),)
        example_params = {"init": 2.0}
        example_inputs = {"x": (3, 2)}

        @classmethod
        def build(cls, node, ctx):
            return _Scale(node.params["init"])

    try:
        assert any(b["type"] == "TestScale" for b in dw.catalog()["blocks"])
        g = dw.Graph()
        x = g.add("Input", name="x", shape=[None, 2])
        s = g.add("TestScale", init=3.0)
        g.connect(x, s)
        g.add_output(s)
        assert torch.allclose(g.compile()(x=torch.ones(1, 2)), torch.full((1, 2), 3.0))
    finally:
        dw.unregister("TestScale")
    with pytest.raises(dw.UnknownBlockType) as info:
        g.compile()
    assert info.value.node == "testscale"


class _Scale(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.s = nn.Parameter(torch.tensor(v))

    def forward(self, x):
        return self.s * x
