"""ODESolve against torchdiffeq on the same field: values, gradients, every method."""

import pytest
import torch
import torchdiffeq
from ode_helpers import TorchField, mlp_field, solve_graph

import diffwire as dw
from diffwire.ode import METHODS, solver_stats
from diffwire.ode.solve import BUILTIN_METHODS, TORCHDIFFEQ_METHODS

T = torch.linspace(0, 1, 6)
Y0 = torch.tensor([[1.0, -0.5], [0.3, 0.2], [-1.0, 0.8]])


def _pair(**solve):
    model = mlp_field(**solve).compile(seed=0)
    mlp = model.blocks["solve"].field.body.blocks["f"]
    return model, TorchField(mlp)


@pytest.mark.parametrize("method", ["dopri5", "rk4", "euler", "midpoint"])
def test_matches_torchdiffeq_values_and_gradients(method):
    model, ref = _pair(method=method, rtol=1e-7, atol=1e-9)
    y0 = Y0.clone().requires_grad_(True)
    out = model(y0=y0, t=T)
    out.square().sum().backward()
    grads = [p.grad.clone() for p in model.parameters()] + [y0.grad.clone()]
    model.zero_grad()
    y0b = Y0.clone().requires_grad_(True)
    expect = torchdiffeq.odeint(ref, y0b, T, method=method, rtol=1e-7, atol=1e-9)
    expect.square().sum().backward()
    expect_grads = [p.grad for p in model.parameters()] + [y0b.grad]
    assert out.shape == (6, 3, 2)
    torch.testing.assert_close(out, expect)
    for a, b in zip(grads, expect_grads):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_and_reports_stats(method):
    model = mlp_field(method=method, step_size=0.1 if method != "dopri5" else None).compile(seed=1)
    y = model(y0=Y0, t=T)
    assert y.shape == (6, 3, 2) and torch.isfinite(y).all()
    stats = solver_stats(model)["blocks.solve"]
    assert stats["method"] == method and stats["nfe"] > 0 and stats["steps"] > 0


def test_builtin_rk4_matches_torchdiffeq_rk4():
    model, ref = _pair(method="builtin_rk4")
    out = model(y0=Y0, t=T)
    torch.testing.assert_close(out, torchdiffeq.odeint(ref, Y0, T, method="rk4"))
    model, ref = _pair(method="builtin_rk4", step_size=0.05)
    out = model(y0=Y0, t=T)
    expect = torchdiffeq.odeint(ref, Y0, T, method="rk4", options={"step_size": 0.05})
    torch.testing.assert_close(out, expect, atol=1e-5, rtol=1e-5)
    assert model.blocks["solve"].stats.steps == 20


def test_builtin_rk4_under_torch_compile():
    model = mlp_field(method="builtin_rk4").compile(seed=0)
    solve = model.blocks["solve"]
    compiled = torch.compile(solve, backend="eager", fullgraph=False)
    torch.testing.assert_close(compiled(Y0, T), solve(Y0, T))


def test_adjoint_gradients_match_direct():
    model = mlp_field(method="dopri5", rtol=1e-8, atol=1e-9).compile(seed=2).double()
    adj = mlp_field(method="dopri5", rtol=1e-8, atol=1e-9, adjoint=True).compile(seed=2).double()
    for m in (model, adj):
        m(y0=Y0.double(), t=T.double()).square().sum().backward()
    for a, b in zip(model.parameters(), adj.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6)
    assert adj.blocks["solve"].stats.nfe_backward > 0


@pytest.mark.parametrize("method", ["builtin_rk4", "dopri5"])
def test_gradcheck_float64(method):
    model = mlp_field(hidden=3, method=method, rtol=1e-10, atol=1e-10).compile(seed=3).double()
    t = torch.linspace(0, 0.5, 3, dtype=torch.float64)
    y0 = torch.tensor([0.4, -0.2], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda y: model(y0=y, t=t), (y0,), atol=1e-6)


def test_batched_and_unbatched_initial_conditions_agree():
    model = mlp_field(method="builtin_rk4").compile(seed=0)
    batched = model(y0=Y0, t=T)
    for b in range(3):
        torch.testing.assert_close(model(y0=Y0[b], t=T), batched[:, b])


def test_shape_inference_expands_the_time_axis():
    shapes = mlp_field().infer_shapes()
    assert shapes["solve"]["y"][0] == "T"


def test_time_input_reaches_the_field():
    body = dw.Graph()
    y = body.add("Input", name="y", kind="state")
    t = body.add("Input", name="t", kind="time")
    e = body.add("Expression", expr="0*y + t", inputs=["y", "t"])
    body.connect(y, e, target_port="y")
    body.connect(t, e, target_port="t")
    body.add_output(e, name="dy")
    model = solve_graph(body, dim=1, method="dopri5").compile()
    y = model(y0=torch.zeros(1), t=torch.tensor([0.0, 2.0]))
    torch.testing.assert_close(y[-1], torch.tensor([2.0]))  # integral of t dt on [0, 2]


def test_methods_list():
    assert set(BUILTIN_METHODS) == {"builtin_rk4", "builtin_euler"}
    assert {"dopri5", "rk4", "euler", "midpoint"} <= set(TORCHDIFFEQ_METHODS)
