"""The Gradient block: derivatives of a body's output inside the graph, trained through."""

import pytest
import torch

import diffwire as dw

from export_util import assert_same, load_source


def hnn(hidden=16):
    return dw.ode.hamiltonian_nn(hidden=hidden)


def test_gradient_matches_autograd_of_the_body_float64():
    g = hnn()
    model = g.compile(seed=0, dtype=torch.float64)
    H = model.blocks["dH"].body.body.blocks["H"]
    x = torch.randn(7, 2, dtype=torch.float64, requires_grad=True)
    (dH,) = torch.autograd.grad(H(x).sum(), x)
    expected = torch.stack([dH[:, 1], -dH[:, 0]], -1)
    torch.testing.assert_close(model(x=x.detach()), expected, atol=1e-12, rtol=0)
    shapes = g.infer_shapes()  # on meta tensors: autograd runs there too
    assert shapes["dH"] == {"grad": ["B", 2], "f": ["B", 1]}


def two_input_graph():
    """grad of f = sum(x * x * c) by x, where c = -x is computed upstream: the block takes
    the partial derivative 2 x c, not the total one through c."""
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 3])
    c = g.add("Neg", id="c")
    g.connect(x, c)
    grad = g.add("Gradient", id="grad", inputs=["x", "c"], wrt="x")
    g.connect(x, (grad, "x"))
    g.connect(c, (grad, "c"))
    g.add_output((grad, "grad"), name="y")
    g.add_output((grad, "f"), name="f")
    return g


def test_partial_derivative_and_second_order_gradients():
    model = two_input_graph().compile(seed=0, dtype=torch.float64)
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    out = model(x=x)
    torch.testing.assert_close(out["y"], -2 * x * x)  # 2 x c with c = -x
    torch.testing.assert_close(out["f"], -(x ** 3).sum(-1))
    (gx,) = torch.autograd.grad(out["y"].sum(), x)  # through the derivative: d(-2x^2)/dx
    torch.testing.assert_close(gx, -4 * x)
    assert torch.autograd.gradcheck(lambda t: model(x=t)["y"], (x,))
    assert torch.autograd.gradgradcheck(lambda t: model(x=t)["y"], (x,))


def test_under_no_grad_it_still_differentiates_and_returns_plain_tensors():
    model = hnn().compile(seed=0)
    x = torch.randn(4, 2)
    with torch.no_grad():
        y = model(x=x)
    assert not y.requires_grad
    torch.testing.assert_close(y, model(x=x).detach())


def test_the_hamiltonian_trains_through_the_derivative():
    """Fitting the spring's field (p, -q) trains H's weights through the second-order
    backward: the loss falls tenfold, and every weight of H but its last bias (a constant
    shift of H changes no derivative) gets a gradient."""
    torch.manual_seed(0)
    x = torch.randn(256, 2)
    dx = torch.stack([x[:, 1], -x[:, 0]], -1)
    g = hnn()
    model = g.compile(seed=0)
    loss = torch.nn.functional.mse_loss(model(x=x), dx)
    loss.backward()
    grads = {k: p.grad for k, p in model.named_parameters()}
    assert grads["blocks.dH.body.body.blocks.H.4.bias"] is None
    assert all(v is not None and v.abs().sum() > 0 for k, v in grads.items()
               if not k.endswith("H.4.bias"))
    run = dw.train(g, data={"x": x, "dx": dx}, loss="mse", optimizer=("adam", {"lr": 1e-2}),
                   steps=150, seed=0, background=False)
    assert run.history[-1]["loss"] < run.history[0]["loss"] / 10


def test_export_matches_the_compiled_graph_with_gradients(tmp_path):
    for g in (hnn(), two_input_graph()):
        compiled = g.compile(seed=0, dtype=torch.float64)
        mod = load_source(dw.export(g), tmp_path)
        exported = mod.Model().double()
        exported.load_state_dict(compiled.state_dict())
        width = g.node("x").params["shape"][1]
        x = torch.randn(6, width, dtype=torch.float64, requires_grad=True)
        assert_same(compiled, exported, [x], atol=1e-6)


def test_json_round_trip_keeps_the_body(tmp_path):
    g = hnn()
    g2 = dw.load(g.save(tmp_path / "hnn.diffwire"))
    assert g2 == g
    x = torch.randn(3, 2)
    torch.testing.assert_close(g.compile(seed=1)(x=x), g2.compile(seed=1)(x=x))


def test_body_output_not_one_number_per_sample_is_an_error_naming_node_and_port():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 3])
    grad = g.add("Gradient", id="grad")  # starter body f = sum(x*x, -1); make f [B, 3]
    body = grad.body["body"]
    body.remove("sum")
    body.remove("f")
    body.add_output("mul", name="f")
    g.connect(x, (grad, "x"))
    g.add_output((grad, "grad"), name="y")
    errs = [e for e in g.validate() if e.severity == "error"]
    assert len(errs) == 1
    e = errs[0]
    assert isinstance(e, dw.ShapeMismatch)
    assert (e.node, e.port) == ("grad", "f")
    assert "one per sample" in str(e) and "[B, 3]" in str(e)
    with pytest.raises(dw.GraphError, match="one per sample"):
        g.compile(check=False)(x=torch.randn(4, 3))


def test_wrt_must_name_an_input_and_the_body_must_have_it():
    g = dw.Graph()
    with pytest.raises(dw.ParamError, match="wrt") as info:
        g.add("Gradient", id="grad", inputs=["x"], wrt="q")
    assert info.value.port == "wrt"
    x = g.add("Input", name="x", shape=[None, 2])
    grad = g.add("Gradient", id="grad", inputs=["x", "p"], wrt="p")
    body = grad.body["body"]
    for nid in list(body.nodes):  # a body without the Input p
        body.remove(nid)
    bx = body.add("Input", name="x")
    body.add_output(_sum(body, bx), name="f")
    g.connect(x, (grad, "x"))
    g.connect(x, (grad, "p"))
    g.add_output((grad, "grad"), name="y")
    errs = [e for e in g.validate() if e.severity == "error"]
    assert [(type(e).__name__, e.node, e.port) for e in errs] == [("MissingInput", "grad", "p")]
    assert "needs an Input named 'p'" in str(errs[0])


def _sum(body, src):
    s = body.add("Sum", dim=-1)
    body.connect(src, s)
    return s


def test_an_integer_input_cannot_be_differentiated():
    g = dw.Graph()
    x = g.add("Input", name="x", shape=[None, 2], dtype="int64")
    grad = g.add("Gradient", id="grad")
    g.connect(x, (grad, "x"))
    g.add_output((grad, "grad"), name="y")
    errs = [e for e in g.validate() if e.severity == "error"]
    assert [(e.node, e.port) for e in errs] == [("grad", "x")]
    assert "float" in str(errs[0])


def test_an_ensemble_of_hamiltonian_networks_trains_batched_and_matches_each_alone():
    """The derivative is a vector-Jacobian product (torch.func.vjp), so an ensemble runs as
    one vmapped model; each member matches training it alone (float64, 1e-6)."""
    torch.manual_seed(0)
    x = torch.randn(64, 2, dtype=torch.float64)
    data = {"x": x, "dx": torch.stack([x[:, 1], -x[:, 0]], -1)}
    g = hnn(hidden=8)
    g.node("x").params["dtype"] = "float64"
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        kw = dict(data=data, loss="mse", optimizer=("adam", {"lr": 1e-2}), steps=5,
                  background=False, out=False, progress=False)
        run = dw.train(g, ensemble=dw.Ensemble(seeds=[1, 2]), **kw)
        assert run.state == "finished" and run.batched, run.fallback
        for i, seed in enumerate([1, 2]):
            alone = dw.train(g, seed=seed, **kw)
            mine = [r for r in run.history[:] if r["member"] == i]
            for a, b in zip(mine, alone.history[:]):
                assert abs(a["loss"] - b["loss"]) <= 1e-6 * max(1.0, abs(b["loss"]))
    finally:
        torch.set_default_dtype(old)
